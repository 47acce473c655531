import type { Logger } from 'pino';
import type { InboxKey, Store } from '../store/store.ts';
import { errorMessage } from '../util/errors.ts';

export interface InboxSweepOptions {
  store: Store;
  logger: Logger;
  /** Dedupe records older than this many days are deleted. */
  retentionDays: number;
  /** Records read per step (a short read, and a short write when some are old). */
  batch?: number;
  /** Pause between steps while a sweep is under way. */
  stepMs?: number;
  /** Pause after a sweep reached the end, before the next one. */
  restMs?: number;
  now?: () => Date;
}

/**
 * Keeps the inbox (one dedupe record per inbound event) to the retention period. Platforms
 * redeliver an event for a day at most, and Telegram picks update ids at random after a week
 * without updates, so a record kept for ever could one day swallow a new message as a
 * "redelivery". The sweep walks the records in key order a batch at a time, so no step holds the
 * database for long and every turn's insert stays as cheap as it was (no index on the time).
 */
export class InboxSweeper {
  private cursor: InboxKey | undefined;
  private timer: NodeJS.Timeout | undefined;
  private deletedThisSweep = 0;

  constructor(private readonly opts: InboxSweepOptions) {}

  start(): void {
    if (this.timer) return;
    this.schedule(this.opts.stepMs ?? 1000);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One batch; true when the sweep reached the end of the inbox. */
  step(): boolean {
    const now = this.opts.now?.() ?? new Date();
    const before = new Date(now.getTime() - this.opts.retentionDays * 86_400_000).toISOString();
    const { deleted, next } = this.opts.store.sweepInbox(this.cursor, before, this.opts.batch ?? 2000);
    this.deletedThisSweep += deleted;
    this.cursor = next;
    if (next) return false;
    if (this.deletedThisSweep > 0) this.opts.logger.info({ deleted: this.deletedThisSweep, retentionDays: this.opts.retentionDays }, 'old dedupe records deleted');
    this.deletedThisSweep = 0;
    return true;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      let done = true;
      try {
        done = this.step();
      } catch (err) {
        // A busy database or a full disk: try again after the pause, from where it stood.
        this.opts.logger.warn({ err: errorMessage(err) }, 'inbox sweep step failed');
      }
      if (this.timer) this.schedule(done ? (this.opts.restMs ?? 600_000) : (this.opts.stepMs ?? 1000));
    }, ms);
    this.timer.unref?.();
  }
}
