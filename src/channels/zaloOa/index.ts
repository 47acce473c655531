import type { ChannelFactory, ChannelFactoryDeps } from '../../app.ts';
import type { ZaloOaConfig } from '../../config.ts';
import { INTERNAL_ERROR, OK, readWebhookBody, reply, UNAUTHORIZED, type WebhookReply, type WebhookRequest, type WebhookRoute } from '../../http/webhook.ts';
import type { InboundEvent } from '../../service/conversation.ts';
import type { OutboxRow } from '../../store/store.ts';
import { zaloOaStoreOf } from '../../store/zaloOaStore.ts';
import type { Channel } from '../channel.ts';
import { ZaloOaClient } from './client.ts';
import { describeOaError } from './errors.ts';
import { parseJsonKeepingLargeIntegers } from './json.ts';
import { CHANNEL, normaliseOaEvent, signedFields } from './normalise.ts';
import { ZaloOAuth } from './oauth.ts';
import { createReminderRouting, type ReminderRouting, type UnreachableReason } from './reminderRouting.ts';
import { checkOaSignature, SIGNATURE_HEADER } from './signature.ts';
import { OaTokenManager } from './tokens.ts';
import { REMINDER_KINDS, ZaloOaTransport } from './transport.ts';

export { channelLinkInterceptor } from './channelLinks.ts';
export { createReminderRouting } from './reminderRouting.ts';
export { cannotReachOnZalo, zaloOaOverview } from './status.ts';
export { zaloOaCommand, ZALO_OA_USAGE } from './cli.ts';

/**
 * The Zalo Official Account channel (OA Open API v3). Inbound: POST /webhooks/zalo-oa, verified by
 * X-ZEvent-Signature over the raw body with a timestamp window, then one local transaction (dedupe
 * on msg_id, the turn, the replies) before the 200. Outbound: consultation messages with
 * `oa.query.hide` buttons, inside the person's messaging window; reminders outside it follow the
 * configured fallbacks (reminderRouting.ts). Tokens rotate in SQLite (tokens.ts). The webhook URL is
 * registered by hand in the Zalo developer console: the OA API has no setWebhook.
 */

export const ZALO_OA_WEBHOOK_PATH = '/webhooks/zalo-oa';

export interface ZaloOaChannelOptions {
  now?: () => Date;
  /** How often the token is checked and refreshed ahead of expiry while idle (default 30 minutes). */
  keepFreshMs?: number;
  requestTimeoutMs?: number;
  tokenRetryMs?: number;
}

export function zaloOaChannelFactory(options: ZaloOaChannelOptions = {}): ChannelFactory {
  return (deps) => (deps.config.zaloOa ? new ZaloOaChannel(deps, deps.config.zaloOa, options) : undefined);
}

/** The Zalo OA channel, or undefined unless ZALO_OA_APP_ID, ZALO_OA_APP_SECRET and ZALO_OA_SECRET_KEY are set. */
export const createZaloOaChannel: ChannelFactory = zaloOaChannelFactory();

export class ZaloOaChannel implements Channel {
  readonly name = CHANNEL;
  readonly transport: ZaloOaTransport;
  readonly tokens: OaTokenManager;
  readonly client: ZaloOaClient;
  private readonly routing: ReminderRouting;
  private timer: NodeJS.Timeout | undefined;
  private lastEventAt: string | undefined;

  constructor(
    private readonly deps: ChannelFactoryDeps,
    private readonly cfg: ZaloOaConfig,
    private readonly options: ZaloOaChannelOptions = {},
  ) {
    const { store, logger } = deps;
    const oauth = new ZaloOAuth({ oauthRoot: cfg.oauthRoot, appId: cfg.appId, appSecret: cfg.appSecret });
    this.tokens = new OaTokenManager({ store, oauth, appId: cfg.appId, logger, ...(options.now ? { now: options.now } : {}) });
    this.client = new ZaloOaClient({ apiRoot: cfg.apiRoot, znsRoot: cfg.znsRoot, tokens: this.tokens, requestTimeoutMs: options.requestTimeoutMs });
    this.routing = createReminderRouting({ oa: cfg, logger });
    this.transport = new ZaloOaTransport({
      client: this.client,
      store,
      logger,
      window: cfg.window,
      onUndeliverableReminder: (row, reason) => this.reroute([row], reason),
      ...(options.tokenRetryMs !== undefined ? { tokenRetryMs: options.tokenRetryMs } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
  }

  webhooks(): WebhookRoute[] {
    return [{ path: ZALO_OA_WEBHOOK_PATH, handle: (req) => this.onWebhook(req) }];
  }

  async start(): Promise<void> {
    const status = this.tokens.status();
    if (status.state !== 'ok') {
      this.deps.logger.error({ channel: CHANNEL, tokens: status.state, action: status.action }, 'the Zalo OA cannot send messages yet');
    }
    await this.tokens.keepFresh();
    this.timer = setInterval(() => void this.tokens.keepFresh(), this.options.keepFreshMs ?? 30 * 60_000);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  health(): Record<string, unknown> {
    return {
      webhook: ZALO_OA_WEBHOOK_PATH,
      tokens: this.tokens.status(),
      lastEventAt: this.lastEventAt ?? null,
      window: this.cfg.window,
      reminderFallback: this.cfg.reminderFallback,
      zns: this.cfg.zns !== undefined,
    };
  }

  // --- inbound ------------------------------------------------------------------------------

  /** Signature header (401) → size (413) → JSON (400) → signature and timestamp (401) → one transaction → 200. */
  private async onWebhook(req: WebhookRequest): Promise<WebhookReply> {
    const { logger, store, config } = this.deps;
    const header = req.header(SIGNATURE_HEADER);
    if (!header) return UNAUTHORIZED;
    // The OA has no secret header: the signature below covers the raw bytes readWebhookBody returns.
    const body = await readWebhookBody(req, {
      secretHeader: SIGNATURE_HEADER,
      secret: undefined,
      maxBytes: config.maxBodyBytes,
      parse: parseJsonKeepingLargeIntegers,
    });
    if (!body.ok) return body.reply;
    const { json } = body;
    const now = this.now();
    const signed = signedFields(json);
    const check = checkOaSignature({
      header,
      rawBody: body.raw,
      bodyAppId: signed.appId,
      bodyTimestamp: signed.timestamp,
      appId: this.cfg.appId,
      oaSecretKey: this.cfg.oaSecretKey,
      now,
      toleranceMs: this.cfg.webhookToleranceMs,
    });
    if (!check.ok) {
      logger.warn({ channel: CHANNEL, reason: check.reason }, 'zalo oa webhook refused');
      return UNAUTHORIZED;
    }

    const outcome = normaliseOaEvent(json, now, (token) => zaloOaStoreOf(store).payload(token));
    if (outcome.kind === 'malformed') {
      logger.warn({ channel: CHANNEL, problem: outcome.problem }, 'zalo oa webhook: malformed event');
      return reply(400, { ok: false, error: 'malformed event' });
    }
    if (outcome.kind === 'ignored') {
      logger.debug({ channel: CHANNEL, event: outcome.eventName, reason: outcome.reason }, 'zalo oa event ignored');
      return OK;
    }
    this.lastEventAt = now.toISOString();
    const started = performance.now();
    try {
      const status =
        outcome.kind === 'message'
          ? this.handleMessage(outcome.event)
          : outcome.kind === 'follow'
            ? this.handleFollow(outcome.userId, outcome.eventId, now)
            : this.handleUnfollow(outcome.userId, outcome.eventId, now);
      logger.debug({ channel: CHANNEL, event: outcome.eventName, status, ms: Math.round(performance.now() - started) }, 'zalo oa event handled');
    } catch (err) {
      // Nothing was committed: a 500 lets Zalo deliver the event again.
      logger.error({ channel: CHANNEL, event: outcome.eventName, error: err instanceof Error ? err.name : 'unknown' }, 'zalo oa event failed');
      return INTERNAL_ERROR;
    }
    return OK;
  }

  private handleMessage(event: InboundEvent): string {
    const result = this.deps.service.handle(event);
    if (result.status === 'processed') this.deps.wakeSender();
    return result.status;
  }

  /** A new follower is greeted through the engine ("/start": the data notice); a returning one is only reachable again. */
  private handleFollow(userId: string, eventId: string, now: Date): string {
    const { store } = this.deps;
    if (!store.findPerson(CHANNEL, userId)) {
      return this.handleMessage({ channel: CHANNEL, eventId, userKey: userId, chatId: userId, input: { kind: 'text', text: '/start' }, receivedAt: now });
    }
    return store.transaction(() => {
      if (!store.claimInbound(CHANNEL, eventId, now.toISOString())) return 'duplicate';
      zaloOaStoreOf(store).markReachable(CHANNEL, userId);
      return 'processed';
    });
  }

  /** Nothing more is sent to someone who unfollowed; their pending reminders go to the fallbacks. */
  private handleUnfollow(userId: string, eventId: string, now: Date): string {
    const { store, logger } = this.deps;
    const nowIso = now.toISOString();
    let reminders: OutboxRow[] = [];
    const status = store.transaction(() => {
      if (!store.claimInbound(CHANNEL, eventId, nowIso)) return 'duplicate';
      reminders = store.pendingOutboxFor(CHANNEL, userId).filter((r) => REMINDER_KINDS.has(r.kind));
      store.markUnreachable(CHANNEL, userId, 'unfollowed the OA', nowIso);
      const failed = store.failPendingFor(CHANNEL, userId, 'unfollowed the OA');
      logger.info({ channel: CHANNEL, failedMessages: failed }, 'zalo oa: a person unfollowed; sending to them stopped');
      return 'processed';
    });
    if (reminders.length > 0) this.reroute(reminders, 'unfollowed');
    return status;
  }

  private reroute(rows: OutboxRow[], reason: UnreachableReason): void {
    const now = this.now();
    for (const row of rows) {
      try {
        this.routing.afterSendFailure({ store: this.deps.store, row, reason, now });
      } catch (err) {
        this.deps.logger.error({ channel: CHANNEL, outboxId: row.id, error: describeOaError(err) }, 'zalo oa: reminder fallback failed');
      }
    }
    this.deps.wakeSender();
  }

  private now(): Date {
    return this.options.now ? this.options.now() : new Date();
  }
}
