import type { Logger } from '../log.ts';
import { errorMessage } from '../util/errors.ts';
import type { OutboxPayload } from '../service/conversation.ts';
import type { OutboxRow, OutboxWrite, Store } from '../store/store.ts';

/** What a channel says about one send attempt. */
export type SendOutcome =
  | { kind: 'sent' }
  /** Try again later: rate limited (429 retry_after), 5xx, network error or timeout. */
  | { kind: 'retry'; afterMs?: number; error: string }
  /** Never going to work (bad request, bot blocked). `unreachable` stops all sending to that chat. */
  | { kind: 'failed'; error: string; unreachable?: boolean };

/**
 * Queues a bookkeeping write of a send (which Telegram keyboards are on screen) to commit with the
 * send's outcome, instead of in a transaction (and an fsync) of its own.
 */
export type DeferWrite = (write: OutboxWrite) => void;

export interface ChannelTransport {
  readonly channel: string;
  /** Messages per second across all chats of this channel (Telegram: about 30). */
  readonly maxPerSecond?: number;
  /** Without `defer`, a transport writes its bookkeeping at once. */
  send(row: OutboxRow, payload: OutboxPayload, defer?: DeferWrite): Promise<SendOutcome>;
}

export interface SenderOptions {
  store: Store;
  transports: ChannelTransport[];
  logger: Logger;
  pollMs?: number;
  /** Chats served at once per channel; order inside one chat is always kept. */
  concurrency?: number;
  maxAttempts?: number;
  now?: () => Date;
  /**
   * Commits the outcomes of a round of sends elsewhere than in a transaction on `store` (the turn
   * worker: they join its next group commit, so this thread never waits for the write lock, held by
   * a batch of turns for milliseconds, while it should be reading webhooks). When it rejects (the
   * worker is down, or died holding them), they are written on `store`: written twice, they do no
   * harm (the same marks; a retry counts one attempt more).
   */
  commitWrites?: (writes: OutboxWrite[]) => Promise<void>;
}

/**
 * Drains the outbox: only the oldest pending message of each chat is eligible, so per-chat order
 * holds across retries and restarts. A message is marked sent only after the platform accepted it;
 * a crash between the two re-sends it once on restart (at-least-once for that window). The outcomes
 * that arrive in the same event-loop turn are written in one transaction: at synchronous=FULL each
 * transaction is an fsync that blocks the event loop, and a send used to cost up to three.
 */
export class OutboxSender {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private wakeRequested = false;
  private readonly buckets = new Map<string, TokenBucket>();
  private queued: OutboxWrite[] = [];
  private flushed: Promise<void> | undefined;

  constructor(private readonly opts: SenderOptions) {
    for (const t of opts.transports) if (t.maxPerSecond) this.buckets.set(t.channel, new TokenBucket(t.maxPerSecond));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling and waits for the sends under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Called after a turn commits, so replies leave at once instead of at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.drain()
        .then(() => undefined)
        .catch((err: unknown) => this.opts.logger.error({ err: errorMessage(err) }, 'outbox drain failed'))
        .finally(() => {
          this.running = undefined;
          const again = this.wakeRequested;
          this.wakeRequested = false;
          this.schedule(again ? 0 : (this.opts.pollMs ?? 250));
        });
    }, ms);
    this.timer.unref?.();
  }

  /** Sends everything due now, channel by channel; returns how many messages were attempted. */
  async drain(): Promise<number> {
    let attempted = 0;
    for (;;) {
      let round = 0;
      for (const transport of this.opts.transports) round += await this.drainChannel(transport);
      attempted += round;
      if (round === 0 || this.stopped) return attempted;
    }
  }

  private async drainChannel(transport: ChannelTransport): Promise<number> {
    const { store } = this.opts;
    const now = this.now();
    const due = store.dueOutbox(transport.channel, now.toISOString(), this.opts.concurrency ?? 16);
    if (due.length === 0) return 0;
    await Promise.all(due.map((row) => this.sendOne(transport, row)));
    return due.length;
  }

  private async sendOne(transport: ChannelTransport, row: OutboxRow): Promise<void> {
    const { logger } = this.opts;
    const defer: DeferWrite = (write) => void this.queued.push(write);
    let outcome: SendOutcome;
    try {
      await this.buckets.get(transport.channel)?.take();
      outcome = await transport.send(row, JSON.parse(row.payload) as OutboxPayload, defer);
    } catch (err) {
      outcome = { kind: 'retry', error: errorMessage(err) };
    }
    const now = this.now();
    if (outcome.kind === 'sent') {
      defer({ op: 'sent', id: row.id, at: now.toISOString() });
    } else if (outcome.kind === 'failed') {
      logger.warn({ channel: row.channel, outboxId: row.id, error: outcome.error }, 'message failed permanently');
      const { error, unreachable } = outcome;
      defer({ op: 'failed', id: row.id, error });
      if (unreachable) defer({ op: 'chatUnreachable', channel: row.channel, chatId: row.chat_id, error, at: now.toISOString() });
    } else {
      const attempts = row.attempts + 1;
      if (attempts >= (this.opts.maxAttempts ?? 12)) {
        logger.warn({ channel: row.channel, outboxId: row.id, attempts, error: outcome.error }, 'message given up after retries');
        const error = `gave up after ${attempts} attempts: ${outcome.error}`;
        defer({ op: 'failed', id: row.id, error });
      } else {
        const backoff = outcome.afterMs ?? Math.min(300_000, 500 * 2 ** row.attempts) * (0.8 + Math.random() * 0.4);
        logger.info({ channel: row.channel, outboxId: row.id, attempts, backoffMs: Math.round(backoff) }, 'message retry scheduled');
        const { error } = outcome;
        defer({ op: 'retry', id: row.id, nextAttemptAt: new Date(now.getTime() + backoff).toISOString(), error });
      }
    }
    // The next round reads the outbox again: it must see this outcome.
    await this.flush();
  }

  /** Commits the queued writes of every send that finished in this event-loop turn, together. */
  private flush(): Promise<void> {
    this.flushed ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.flushed = undefined;
      const writes = this.queued;
      this.queued = [];
      return this.commitWrites(writes);
    });
    return this.flushed;
  }

  private async commitWrites(writes: OutboxWrite[]): Promise<void> {
    const { store } = this.opts;
    const here = () => store.transaction(() => store.applyOutboxWrites(writes));
    if (this.opts.commitWrites) await this.opts.commitWrites(writes).catch(here);
    else here();
  }

  private now(): Date {
    return this.opts.now ? this.opts.now() : new Date();
  }
}

/** A simple token bucket: `rate` sends per second, bursts up to `rate`. */
class TokenBucket {
  private tokens: number;
  private last = Date.now();
  constructor(private readonly rate: number) {
    this.tokens = rate;
  }
  async take(): Promise<void> {
    for (;;) {
      const now = Date.now();
      this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await new Promise((r) => setTimeout(r, Math.ceil(((1 - this.tokens) / this.rate) * 1000)));
    }
  }
}
