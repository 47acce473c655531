import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ConversationState, FlowSession } from '../engine/types.ts';

/**
 * The session row holds the engine's state without the flow's answers: those are the open response's
 * current rows in `answers`, written by the same turns. So the row stays the same size at every step
 * instead of growing with each answer, and each answer is stored once.
 *
 * It also names the save that wrote it (this process's id and a counter): the conversation service
 * trusts a state it kept only while the row still holds that very save, and with the answers out of
 * the row, equal text no longer means equal answers.
 */
export interface SessionRow {
  /** The state; `flow.answers` is absent unless `answersInRow`, for the caller to fill from the table. */
  state: ConversationState;
  /** Written before the answers left the row: the row's answers are the person's, the table may hold more. */
  answersInRow: boolean;
}

const rowSchema = z.object({ v: z.literal(1), consent: z.enum(['pending', 'given']) }).passthrough();

/** Every field of the state but the answers, listed so that a new field fails to compile until it is placed here. */
type RowOf<T> = { [K in keyof Required<T>]: unknown };

export function sessionRowText(state: ConversationState, save: string): string {
  const f = state.flow;
  // Fields copied one by one: object spread and rest took twice as long, timed in a loop.
  const cursor: RowOf<Omit<FlowSession, 'answers'>> | undefined = f && {
    flowId: f.flowId,
    flowVersion: f.flowVersion,
    current: f.current,
    startedAt: f.startedAt,
    context: f.context,
  };
  const row: RowOf<ConversationState> & { save: string } = {
    v: state.v,
    consent: state.consent,
    confirming: state.confirming,
    flow: cursor,
    lastResult: state.lastResult,
    save,
  };
  return JSON.stringify(row);
}

/** The state in a row, or undefined when the row is unreadable. */
export function parseSessionRow(text: string): SessionRow | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = rowSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const { save: _save, ...state } = parsed.data as unknown as ConversationState & { save?: unknown };
  return { state, answersInRow: state.flow?.answers !== undefined };
}

/** Names this process's saves: unique across processes and restarts, in order within one. */
export class SaveIds {
  private readonly prefix = randomBytes(6).toString('base64url');
  private count = 0;

  next(): string {
    return `${this.prefix}.${++this.count}`;
  }
}
