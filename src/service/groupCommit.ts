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
  /** A turn, or another write that joins the batch (the outbox sender's outcomes). */
  work: () => unknown;
  resolve: (result: never) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit in front of ConversationService. At synchronous=FULL every COMMIT waits for an
 * fsync (about 3–5 ms on an ordinary disk), which caps one-transaction-per-turn at a few hundred
 * turns per second whatever the CPU. Here the turns that arrive during one event-loop cycle share one
 * BEGIN IMMEDIATE … COMMIT. A batch first runs without savepoints; if a turn throws, that attempt is
 * rolled back whole and the batch runs again with each turn in its own SAVEPOINT, so the failing turn
 * is rolled back alone and the others commit (a turn is a synchronous function of the database and
 * its event, so running it again is safe). A promise settles only after the COMMIT that holds its
 * turn returned, so a webhook that awaits it answers 200 only for durable turns — the guarantee of
 * the unbatched path, at a fraction of the fsyncs.
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
    return this.run(() => this.opts.service.handle(event));
  }

  /** Runs a synchronous write in the next batch (like a turn: once, in its transaction). */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (result: never) => void, reject });
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

    if (this.wholeBatch(batch)) return;
    this.turnByTurn(batch);
  }

  /**
   * The common case: every turn of the batch succeeds, so none needs a savepoint of its own. False
   * when a turn threw or the COMMIT failed; nothing of the batch was kept then.
   */
  private wholeBatch(batch: Pending[]): boolean {
    let results: unknown[];
    try {
      results = this.opts.store.transactionWithoutSavepoints(() => batch.map((item) => item.work()));
    } catch {
      return false;
    }
    batch.forEach((item, i) => item.resolve(results[i] as never));
    return true;
  }

  /** Each turn in its own savepoint, so a failing turn fails alone and the others commit. */
  private turnByTurn(batch: Pending[]): void {
    const { store } = this.opts;
    const settled: Array<{ ok: true; result: unknown } | { ok: false; error: unknown }> = [];
    try {
      store.transaction(() => {
        for (const item of batch) {
          try {
            // Its own savepoint, whatever the handler does: a throw undoes this turn only.
            settled.push({ ok: true, result: store.transaction(item.work) });
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
      if (result.ok) item.resolve(result.result as never);
      else item.reject(result.error);
    });
  }
}
