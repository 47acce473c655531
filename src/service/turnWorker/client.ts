import { Worker } from 'node:worker_threads';
import type pino from 'pino';
import type { Config } from '../../config.ts';
import type { Logger } from '../../log.ts';
import type { InboundEvent } from '../conversation.ts';
import type { OutboxWrite } from '../../store/store.ts';
import type { FromWorker, Job, ToWorker, TurnResult, TurnWorkerData } from './protocol.ts';

export interface TurnWorkerOptions {
  config: Config;
  logger: Logger;
}

/** How long a restart waits after the worker died, so a worker that dies at start cannot spin. */
const RESTART_DELAY_MS = 200;

interface Waiting {
  resolve: (r: { status: 'processed' | 'duplicate' | 'written' }) => void;
  reject: (err: Error) => void;
}

/**
 * Runs webhook turns on a worker thread (see entry.ts). `handle` resolves once the turn's COMMIT
 * returned in the worker, exactly like GroupCommit.handle in the main thread, so a webhook still
 * answers 200 only for a durable turn. Turns queued in one event-loop turn travel in one message.
 * If the worker dies, its unanswered turns are rejected (their webhooks answer 500 and the platform
 * delivers them again) and a new worker is started.
 */
export class TurnWorker {
  private worker!: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private outgoing: Job[] = [];
  private scheduled = false;
  private closing: Promise<void> | undefined;
  private ready!: Promise<void>;
  /** Between the worker's 'ready' and its exit: turns sent at other times would be lost. */
  private alive = false;
  private restarts = 0;

  private constructor(private readonly opts: TurnWorkerOptions) {}

  static async start(opts: TurnWorkerOptions): Promise<TurnWorker> {
    const w = new TurnWorker(opts);
    w.spawn();
    await w.ready;
    return w;
  }

  handle(event: InboundEvent): Promise<{ status: 'processed' | 'duplicate' }> {
    return this.submit((id) => ({ id, event })) as Promise<{ status: 'processed' | 'duplicate' }>;
  }

  /**
   * Commits the outbox sender's outcomes with the worker's next batch. Rejects when the worker is
   * not running or died before answering (whether they were committed is then unknown: they may
   * be written again, which changes nothing).
   */
  async commitWrites(writes: OutboxWrite[]): Promise<void> {
    if (writes.length > 0) await this.submit((id) => ({ id, writes }));
  }

  private submit(job: (id: number) => Job): Promise<{ status: 'processed' | 'duplicate' | 'written' }> {
    if (this.closing) return Promise.reject(new Error('turn worker closing'));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.waiting.set(id, { resolve, reject });
      this.outgoing.push(job(id));
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.send());
      }
    });
  }

  /** For /healthz: nothing personal, counts only. */
  status(): { where: 'worker thread'; running: boolean; restarts: number; pending: number } {
    return { where: 'worker thread', running: this.alive, restarts: this.restarts, pending: this.waiting.size };
  }

  /** Lets the worker finish the turns it has, then closes its database connection. */
  close(timeoutMs = 3000): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const w = this.worker;
      if (!this.alive) {
        void w.terminate().finally(resolve);
        return;
      }
      const timer = setTimeout(() => void w.terminate(), timeoutMs);
      w.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.send();
      w.postMessage({ type: 'close' } satisfies ToWorker);
    });
    return this.closing;
  }

  /** Ends the worker thread as a crash would (fault tests): it is restarted, its turns answered 500. */
  async crash(): Promise<void> {
    await this.worker.terminate();
  }

  /** Resolves once a worker is up again after a crash. */
  async restarted(): Promise<void> {
    for (;;) {
      await this.ready;
      if (this.alive) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private send(): void {
    this.scheduled = false;
    if (this.outgoing.length === 0) return;
    const turns = this.outgoing;
    this.outgoing = [];
    if (!this.alive) return this.reject(turns.map((t) => t.id), 'turn worker not running');
    this.worker.postMessage({ type: 'turns', turns } satisfies ToWorker);
  }

  private spawn(): void {
    const data: TurnWorkerData = { entry: new URL('./entry.ts', import.meta.url).href, config: this.opts.config, logLevel: this.opts.logger.level };
    const worker = new Worker(new URL('./boot.mjs', import.meta.url), { workerData: data });
    this.worker = worker;
    let started = false;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'ready':
            started = true;
            this.alive = true;
            return resolve();
          case 'failed':
            return reject(new Error(`the turn worker could not start: ${m.error}`));
          case 'done':
            return this.settle(m.results);
          case 'log':
            return this.relog(m.line);
          case 'closed':
            return;
        }
      });
      worker.on('error', (err) => {
        this.opts.logger.error({ err: err.name }, 'turn worker error');
        if (!started) reject(err);
      });
      worker.on('exit', (code) => {
        this.alive = false;
        // Their fate is unknown here (committed or not): a 500 makes the platform deliver them
        // again, and the inbox drops any that were committed.
        this.reject([...this.waiting.keys()], 'turn worker stopped');
        this.outgoing = [];
        if (this.closing || !started) return;
        this.opts.logger.error({ code }, 'turn worker stopped unexpectedly; starting a new one');
        const restart = setTimeout(() => {
          if (this.closing) return;
          this.restarts++;
          this.spawn();
          this.ready.catch((err: unknown) => this.opts.logger.fatal({ err: err instanceof Error ? err.name : 'unknown' }, 'turn worker restart failed'));
        }, RESTART_DELAY_MS);
        restart.unref?.();
      });
    });
  }

  private settle(results: TurnResult[]): void {
    for (const r of results) {
      const w = this.waiting.get(r.id);
      if (!w) continue;
      this.waiting.delete(r.id);
      if ('status' in r) w.resolve({ status: r.status });
      else w.reject(new Error(`turn failed in the worker: ${r.error}`));
    }
  }

  private reject(ids: number[], why: string): void {
    for (const id of ids) {
      const w = this.waiting.get(id);
      this.waiting.delete(id);
      w?.reject(new Error(why));
    }
  }

  private relog(line: string): void {
    try {
      const { level, msg, time: _time, ...fields } = JSON.parse(line) as { level: number; msg?: string; time?: number } & Record<string, unknown>;
      const label = (this.opts.logger.levels.labels[level] ?? 'info') as pino.Level;
      this.opts.logger[label]({ ...fields, thread: 'turns' }, msg ?? '');
    } catch {
      this.opts.logger.warn('unreadable log line from the turn worker');
    }
  }
}
