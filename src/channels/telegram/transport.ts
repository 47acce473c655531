import type { Api } from 'grammy';
import type { Logger } from '../../log.ts';
import type { ChannelTransport, DeferWrite, SendOutcome } from '../../outbox/sender.ts';
import type { OutboxPayload } from '../../service/conversation.ts';
import type { OutboxRow, Store } from '../../store/store.ts';
import { describeTelegramError, isGrammyError, retryAfterMs, sendOutcomeOf } from './errors.ts';
import { TELEGRAM_CHANNEL } from './normalise.ts';
import { payloadSchema, renderMessage } from './render.ts';

/**
 * Outbox kinds the conversation service writes for a turn's replies (kind = output.kind). Other
 * producers use their own kinds ('reminder', 'digest', 'broadcast', 'review', the default 'reply').
 */
const TURN_REPLY_KINDS = new Set(['message', 'result']);

export interface TelegramTransportOptions {
  /** Used as is: no auto-retry here, the outbox owns retries and must see every 429. */
  api: Api;
  store: Store;
  logger: Logger;
  /** Only to scrub it from error texts, should one ever contain it. */
  token: string;
  now?: () => Date;
}

/**
 * Sends one outbox row to Telegram. Before a turn's reply, the keyboards still on screen in that
 * chat are removed (editMessageReplyMarkup with an empty keyboard), so only the current prompt has
 * live buttons. The OutboxSender guarantees one row at a time per chat, in order.
 */
export class TelegramTransport implements ChannelTransport {
  readonly channel = TELEGRAM_CHANNEL;
  /** Telegram's bulk limit is about 30 messages per second. */
  readonly maxPerSecond = 30;
  /** Parts of a split message already delivered, by outbox id: a retry resumes after them. */
  private readonly partsSent = new Map<number, number>();

  constructor(private readonly opts: TelegramTransportOptions) {}

  async send(row: OutboxRow, payload: OutboxPayload, defer: DeferWrite = (write) => this.opts.store.applyOutboxWrites([write])): Promise<SendOutcome> {
    const parsed = payloadSchema.safeParse(payload);
    if (!parsed.success) return { kind: 'failed', error: 'unreadable outbox payload' };
    const p = parsed.data;
    const chatId = row.chat_id;
    try {
      // Only a reply to the person's own turn retires keyboards: a reminder or a broadcast arriving
      // mid-questionnaire must not take the buttons away from the question still on screen.
      if (TURN_REPLY_KINDS.has(row.kind)) {
        const blocked = await this.retireKeyboards(chatId, defer);
        if (blocked) return blocked;
      }
      // The result itself is data; its explanation follows as an ordinary message.
      if (p.kind === 'result') return { kind: 'sent' };

      const rendered = renderMessage(p);
      const now = this.now().toISOString();
      for (const t of rendered.tokens) this.opts.store.saveTelegramCallback(t.token, t.scope, t.choiceId, now);
      for (let i = this.partsSent.get(row.id) ?? 0; i < rendered.parts.length; i++) {
        const part = rendered.parts[i]!;
        const sent = await this.opts.api.sendMessage(chatId, part.text, {
          link_preview_options: { is_disabled: true },
          ...(part.replyMarkup ? { reply_markup: part.replyMarkup } : {}),
        });
        if (part.replyMarkup) {
          const at = this.now().toISOString();
          defer({ op: 'telegramKeyboardAdded', chatId, messageId: sent.message_id, at });
        }
        if (i + 1 < rendered.parts.length) this.remember(row.id, i + 1);
      }
      this.partsSent.delete(row.id);
      return { kind: 'sent' };
    } catch (err) {
      const outcome = sendOutcomeOf(err, this.opts.token);
      if (outcome.kind === 'failed') this.partsSent.delete(row.id);
      return outcome;
    }
  }

  /**
   * Removes the inline keyboards still shown in a chat. A message already edited, deleted or too old
   * to edit is simply forgotten; a transient failure keeps it for the next reply. Returns an outcome
   * only when the reply itself must wait (429) or cannot be sent (the person blocked the bot).
   */
  private async retireKeyboards(chatId: string, defer: DeferWrite): Promise<SendOutcome | undefined> {
    const { api, store, logger } = this.opts;
    for (const messageId of store.telegramKeyboards(chatId)) {
      try {
        await api.editMessageReplyMarkup(chatId, messageId, { reply_markup: { inline_keyboard: [] } });
        defer({ op: 'telegramKeyboardRemoved', chatId, messageId });
      } catch (err) {
        if (isGrammyError(err, 429)) {
          return { kind: 'retry', afterMs: retryAfterMs(err), error: describeTelegramError(err, this.opts.token) };
        }
        const outcome = sendOutcomeOf(err, this.opts.token);
        if (outcome.kind === 'failed' && outcome.unreachable) return outcome;
        if (outcome.kind === 'failed') {
          defer({ op: 'telegramKeyboardRemoved', chatId, messageId });
        } else if (outcome.kind === 'retry') {
          logger.warn({ channel: TELEGRAM_CHANNEL, error: outcome.error }, 'could not remove an old keyboard; will retry with the next reply');
        }
      }
    }
    return undefined;
  }

  private remember(outboxId: number, parts: number): void {
    this.partsSent.set(outboxId, parts);
    // Rows given up by the sender never come back; keep the map small.
    if (this.partsSent.size > 1000) {
      const oldest = this.partsSent.keys().next().value;
      if (oldest !== undefined) this.partsSent.delete(oldest);
    }
  }

  private now(): Date {
    return this.opts.now ? this.opts.now() : new Date();
  }
}
