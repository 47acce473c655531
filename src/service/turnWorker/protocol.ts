import type { Config } from '../../config.ts';
import type { OutboxWrite } from '../../store/store.ts';
import type { InboundEvent } from '../conversation.ts';

/** What the main thread and the turn worker say to each other (structured clone, no functions). */

export interface TurnWorkerData {
  /** The worker's TypeScript entry, loaded by boot.mjs. */
  entry: string;
  config: Config;
  /** The main thread logger's level (its lines are re-logged there). */
  logLevel: string;
}

/** `writes`: the outbox sender's outcomes, committed with the next batch of turns. */
export type Job = { id: number; event: InboundEvent } | { id: number; writes: OutboxWrite[] };

export type ToWorker = { type: 'turns'; turns: Job[] } | { type: 'close' };

export type TurnResult = { id: number; status: 'processed' | 'duplicate' | 'written' } | { id: number; error: string };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; results: TurnResult[] }
  /** One pino line, re-logged by the main thread's logger (so every log line leaves one way). */
  | { type: 'log'; line: string }
  | { type: 'closed' }
  | { type: 'failed'; error: string };
