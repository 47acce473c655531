import { z } from 'zod';
import type { Logger } from '../../log.ts';
import type { ChannelTransport, SendOutcome } from '../../outbox/sender.ts';
import type { OutboxPayload } from '../../service/conversation.ts';
import type { OutboxRow, Store } from '../../store/store.ts';
import { zaloOaStoreOf } from '../../store/zaloOaStore.ts';
import type { ZaloOaClient } from './client.ts';
import { describeOaError, ZaloOaError, ZaloOaTokenError } from './errors.ts';
import { CHANNEL } from './normalise.ts';
import { renderOaOutput } from './render.ts';
import type { UnreachableReason } from './reminderRouting.ts';
import { type WindowRules, windowOf } from './window.ts';

/**
 * The outbox sender's view of a Zalo OA. A consultation message goes out only inside the person's
 * messaging window (logged when it falls in the paid part); a reminder that cannot go out (window
 * closed, -230, the person unfollowed, the OA not authorised) is handed to the reminder routing's
 * fallbacks instead of failing unnoticed. Rows of kind 'zns' are approved templates sent through ZNS.
 */

const choiceSchema = z.object({ id: z.string().min(1), label: z.string().min(1) });
const messageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('message'), text: z.string(), choices: z.array(choiceSchema).optional(), scope: z.string().optional() }),
  z.object({ kind: z.literal('result'), result: z.unknown() }),
]);
const znsSchema = z.object({
  kind: z.literal('zns'),
  templateId: z.string().min(1),
  templateData: z.record(z.string(), z.string()),
  trackingId: z.string().min(1).max(64),
  development: z.boolean(),
});

/** Outbox kinds written by the reminder planner (the only ones with fallbacks). */
export const REMINDER_KINDS = new Set(['reminder', 'zns']);
const HOUR = 3_600_000;

export interface OaTransportOptions {
  client: ZaloOaClient;
  store: Store;
  logger: Logger;
  window: WindowRules;
  /** Reminders that cannot be delivered here: try the fallbacks (reminderRouting.afterSendFailure). */
  onUndeliverableReminder?: (row: OutboxRow, reason: UnreachableReason) => void;
  /** Wait before trying again while the OA has no usable token (default 10 minutes). */
  tokenRetryMs?: number;
  now?: () => Date;
}

export class ZaloOaTransport implements ChannelTransport {
  readonly channel = CHANNEL;
  /** No published rate; one guide claims 20 requests per second (unverified). */
  readonly maxPerSecond = 10;
  /** Parts of a split message already delivered, by outbox id: a retry resumes after them. */
  private readonly progress = new Map<number, number>();

  constructor(private readonly opts: OaTransportOptions) {}

  async send(row: OutboxRow, payload: OutboxPayload): Promise<SendOutcome> {
    if (row.kind === 'zns') return this.sendZns(row, payload);
    const parsed = messageSchema.safeParse(payload);
    if (!parsed.success) return { kind: 'failed', error: 'unreadable outbox payload' };
    const p = parsed.data;
    if (p.kind === 'result') return { kind: 'sent' };

    const { store, logger } = this.opts;
    const now = this.now();
    const person = store.findPerson(CHANNEL, row.chat_id);
    if (person?.unreachable_at) return this.undeliverable(row, 'unfollowed', 'the person unfollowed the OA');
    const window = windowOf(person?.last_inbound_at, now, this.opts.window);
    if (window.kind === 'closed') return this.undeliverable(row, 'window_closed', 'outside the messaging window');
    if (window.kind === 'paid' && !this.progress.has(row.id)) {
      const hours = Math.round((now.getTime() - Date.parse(person!.last_inbound_at!)) / HOUR);
      logger.info({ channel: CHANNEL, outboxId: row.id, kind: row.kind, hoursSinceLastMessage: hours }, 'zalo oa: consultation message in the paid part of the window');
    }

    const rendered = renderOaOutput(p, { reminder: row.kind === 'reminder' });
    const nowIso = now.toISOString();
    for (const t of rendered.tokens) zaloOaStoreOf(store).savePayload(t.token, t.scope, t.choiceId, nowIso);
    let done = this.progress.get(row.id) ?? 0;
    try {
      for (; done < rendered.messages.length; done++) {
        await this.opts.client.sendConsultation(row.chat_id, rendered.messages[done]!);
        this.remember(row.id, done + 1);
      }
    } catch (err) {
      return this.classify(err, row);
    }
    this.progress.delete(row.id);
    return { kind: 'sent' };
  }

  private async sendZns(row: OutboxRow, payload: unknown): Promise<SendOutcome> {
    const parsed = znsSchema.safeParse(payload);
    if (!parsed.success) return { kind: 'failed', error: 'unreadable ZNS payload' };
    const z = parsed.data;
    try {
      await this.opts.client.sendZns({ userId: row.chat_id, templateId: z.templateId, templateData: z.templateData, trackingId: z.trackingId, development: z.development });
      this.opts.logger.info({ channel: CHANNEL, outboxId: row.id }, 'zalo oa: reminder sent as a ZNS template');
      return { kind: 'sent' };
    } catch (err) {
      return this.classify(err, row);
    }
  }

  private classify(err: unknown, row: OutboxRow): SendOutcome {
    const error = describeOaError(err);
    if (err instanceof ZaloOaTokenError) {
      if (!err.needsOperator) return { kind: 'retry', error };
      // Replies may still go out once someone re-authorises; a reminder is listed now so the
      // secretariat knows, rather than after hours of retries.
      if (REMINDER_KINDS.has(row.kind)) return this.undeliverable(row, 'oa_not_authorised', error);
      return { kind: 'retry', afterMs: this.opts.tokenRetryMs ?? 600_000, error };
    }
    if (!(err instanceof ZaloOaError)) return { kind: 'retry', error };
    if (err.isTokenInvalid) return { kind: 'retry', afterMs: 60_000, error };
    if (err.isOutsideWindow) return this.undeliverable(row, 'window_closed', error);
    if (err.isNotFollower) return this.undeliverable(row, 'not_follower', error);
    if (err.isTransient || err.kind === 'aborted') {
      if (err.httpStatus === 429) return { kind: 'retry', afterMs: Math.min(60_000, 1000 * 2 ** row.attempts), error };
      return { kind: 'retry', error };
    }
    if (row.kind === 'zns') return this.undeliverable(row, 'zns_failed', error);
    // Any other negative code: a request Zalo will not accept as it is.
    this.progress.delete(row.id);
    return { kind: 'failed', error };
  }

  /** Fails the row; a reminder goes on to its fallbacks (another channel, ZNS, the secretariat's list). */
  private undeliverable(row: OutboxRow, reason: UnreachableReason, error: string): SendOutcome {
    this.progress.delete(row.id);
    if (REMINDER_KINDS.has(row.kind)) {
      this.opts.onUndeliverableReminder?.(row, reason);
    } else {
      this.opts.logger.warn({ channel: CHANNEL, outboxId: row.id, kind: row.kind, reason }, 'zalo oa: message not sent');
    }
    return { kind: 'failed', error: `${reason}: ${error}`.slice(0, 300) };
  }

  private remember(rowId: number, partsDone: number): void {
    if (this.progress.size >= 10_000 && !this.progress.has(rowId)) {
      const oldest = this.progress.keys().next().value;
      if (oldest !== undefined) this.progress.delete(oldest);
    }
    this.progress.set(rowId, partsDone);
  }

  private now(): Date {
    return this.opts.now ? this.opts.now() : new Date();
  }
}
