import type { Store } from '../store/store.ts';
import type { InboundEvent, InboundOutcome } from './conversation.ts';

/** The part of ConversationService a batch needs (kept narrow so tests can inject failures). */
export interface TurnHandler {
  handle(event: InboundEvent): InboundOutcome;
}

export interface GroupCommitOptions {
  store: Store;
  service: TurnHandler;
  /**
   * Most turns in one transaction. Bounds how long one batch holds the event loop (a turn costs
   * about 0.3 ms of CPU) and how many turns one failed COMMIT sends back for redelivery.
   */
  maxBatch?: number;
}

interface Pending {
  event: InboundEvent;
  resolve: (outcome: InboundOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit in front of ConversationService. At synchronous=FULL every COMMIT waits for an
 * fsync (about 3–5 ms on an ordinary disk), which caps one-transaction-per-turn at a few hundred
 * turns per second whatever the CPU. Here the turns that arrive during one event-loop cycle share one
 * BEGIN IMMEDIATE … COMMIT: each turn runs in its own SAVEPOINT (better-sqlite3 nests
 * `db.transaction` that way), so a turn that throws is rolled back alone and the others commit. A
 * promise settles only after the COMMIT that holds its turn returned, so a webhook that awaits it
 * answers 200 only for durable turns — the guarantee of the unbatched path, at a fraction of the
 * fsyncs.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly maxBatch: number;

  constructor(private readonly opts: GroupCommitOptions) {
    this.maxBatch = Math.max(1, opts.maxBatch ?? 64);
  }

  /** Queues a turn; resolves with its outcome once committed, rejects when it (or its batch) failed. */
  handle(event: InboundEvent): Promise<InboundOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.schedule();
    });
  }

  /** Turns waiting for the next batch. */
  get pending(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs after the poll phase, so every request whose body arrived in this cycle joins.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue.splice(0, this.maxBatch);
    if (this.queue.length > 0) this.schedule();
    if (batch.length === 0) return;

    const { store, service } = this.opts;
    const settled: Array<{ ok: true; outcome: InboundOutcome } | { ok: false; error: unknown }> = [];
    try {
      store.transaction(() => {
        for (const item of batch) {
          try {
            // Its own savepoint, whatever the handler does: a throw undoes this turn only.
            settled.push({ ok: true, outcome: store.transaction(() => service.handle(item.event)) });
          } catch (error) {
            // SQLite rolls a whole transaction back on some errors (disk full, I/O error); the
            // savepoint is then gone and so is every earlier turn of the batch: fail them all.
            if (!store.db.inTransaction) throw error;
            settled.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const result = settled[i]!;
      if (result.ok) item.resolve(result.outcome);
      else item.reject(result.error);
    });
  }
}
