import type { Logger } from '../../log.ts';
import type { ChannelTransport, SendOutcome } from '../../outbox/sender.ts';
import type { OutboxPayload } from '../../service/conversation.ts';
import type { OutboxRow } from '../../store/store.ts';
import { ZaloApiError, type ZaloClient } from './client.ts';
import { CHANNEL } from './normalise.ts';
import { renderOutput } from './render.ts';

export interface ZaloTransportOptions {
  client: ZaloClient;
  logger: Logger;
  /** Send "typing…" before a reply (best effort). */
  typing?: boolean;
  /** First wait after 429 "Quota exceeded"; doubles per attempt of the same message. */
  quotaBackoffMs?: number;
  quotaBackoffMaxMs?: number;
  typingTimeoutMs?: number;
}

/** Bound on the in-memory maps below (rows mid-way through a multi-part text, chats recently shown "typing"). */
const MAX_TRACKED_ROWS = 10_000;
/** Replies to one turn leave within this window; a quota of unknown size is not spent on repeated indicators. */
const TYPING_REUSE_MS = 5000;

/**
 * The outbox sender's view of Zalo: renders one engine output (numbered choices, split at 2000
 * characters) and maps the API's answers to send outcomes. 429 backs off, 401/403 stop all sending
 * to the chat, anything else (5xx, network, timeout) is retried by the sender.
 */
export class ZaloTransport implements ChannelTransport {
  readonly channel = CHANNEL;
  /** Zalo publishes no rate; stay well under anything a free plan would plausibly allow. */
  readonly maxPerSecond = 10;
  /** Outbox row id → parts already delivered, so a retry does not resend them (lost on restart: at-least-once). */
  private readonly progress = new Map<number, number>();
  /** When "typing…" last reached each chat: one indicator covers a whole turn of replies. */
  private readonly typingShown = new Map<string, number>();

  constructor(private readonly opts: ZaloTransportOptions) {}

  async send(row: OutboxRow, payload: OutboxPayload): Promise<SendOutcome> {
    const parts = renderOutput(payload);
    let done = this.progress.get(row.id) ?? 0;
    if (done === 0 && parts.length > 0 && this.opts.typing !== false) await this.typing(row.chat_id);
    try {
      for (; done < parts.length; done++) {
        await this.opts.client.sendMessage({ chatId: row.chat_id, text: parts[done]! });
        this.remember(row.id, done + 1);
      }
    } catch (err) {
      const outcome = this.classify(err, row);
      if (outcome.kind === 'failed') this.progress.delete(row.id);
      return outcome;
    }
    this.progress.delete(row.id);
    return { kind: 'sent' };
  }

  /** "typing…" is a courtesy: its failure never fails the reply, and it is not repeated within a turn. */
  private async typing(chatId: string): Promise<void> {
    const now = Date.now();
    const last = this.typingShown.get(chatId);
    if (last !== undefined && now - last < TYPING_REUSE_MS) return;
    try {
      await this.opts.client.sendChatAction({ chatId, action: 'typing' }, { timeoutMs: this.opts.typingTimeoutMs ?? 3000 });
      if (this.typingShown.size >= MAX_TRACKED_ROWS) this.typingShown.clear();
      this.typingShown.set(chatId, Date.now());
    } catch (err) {
      this.opts.logger.debug({ channel: CHANNEL, error: describeError(err) }, 'zalo typing indicator failed');
    }
  }

  private classify(err: unknown, row: OutboxRow): SendOutcome {
    const { logger } = this.opts;
    if (!(err instanceof ZaloApiError)) return { kind: 'retry', error: describeError(err) };
    if (err.isRateLimited) {
      const base = this.opts.quotaBackoffMs ?? 1000;
      const cap = this.opts.quotaBackoffMaxMs ?? 60_000;
      const afterMs = Math.round(Math.min(cap, base * 2 ** row.attempts) * (0.8 + Math.random() * 0.4));
      logger.warn({ channel: CHANNEL, outboxId: row.id, attempts: row.attempts + 1, afterMs }, 'zalo quota exceeded, backing off');
      return { kind: 'retry', afterMs, error: err.message };
    }
    if (err.isUnauthorized) {
      if (err.errorCode === 401) {
        // The docs give 401 for an invalid or expired token: an operator must act.
        logger.error({ channel: CHANNEL, outboxId: row.id, code: 401 }, 'zalo rejected the bot token (check ZALO_BOT_TOKEN)');
      }
      return { kind: 'failed', unreachable: true, error: err.message };
    }
    if (err.kind === 'api' && (err.errorCode === 400 || err.errorCode === 404)) {
      // A request Zalo will never accept as it is (bad chat id, bad text): retrying cannot help.
      return { kind: 'failed', error: err.message };
    }
    return { kind: 'retry', error: err.message };
  }

  private remember(rowId: number, partsDone: number): void {
    if (this.progress.size >= MAX_TRACKED_ROWS && !this.progress.has(rowId)) {
      const oldest = this.progress.keys().next().value;
      if (oldest !== undefined) this.progress.delete(oldest);
    }
    this.progress.set(rowId, partsDone);
  }
}

export function describeError(err: unknown): string {
  if (err instanceof ZaloApiError) return err.message;
  return err instanceof Error ? err.name : 'unknown error';
}
