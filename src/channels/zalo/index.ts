import type { ChannelFactory, ChannelFactoryDeps } from '../../app.ts';
import type { Config } from '../../config.ts';
import { OK, readWebhookBody, reply, type WebhookReply, type WebhookRequest, type WebhookRoute } from '../../http/webhook.ts';
import type { InboundEvent } from '../../service/conversation.ts';
import type { Channel } from '../channel.ts';
import { sleep } from '../../util/sleep.ts';
import { ZaloApiError, ZaloClient } from './client.ts';
import { CHANNEL, normaliseUpdate } from './normalise.ts';
import { ZaloTransport, describeError } from './transport.ts';

export { ZaloApiError, ZaloClient } from './client.ts';
export { normaliseUpdate } from './normalise.ts';
export { renderOutput, splitText } from './render.ts';
export { ZaloTransport } from './transport.ts';

export const ZALO_WEBHOOK_PATH = '/webhooks/zalo';
export const ZALO_SECRET_HEADER = 'X-Bot-Api-Secret-Token';

/** Tuning knobs; the defaults suit production, tests shorten the waits. */
export interface ZaloChannelOptions {
  /** getUpdates' long-poll `timeout` in seconds (the API's default is 30). */
  pollTimeoutSec?: number;
  /** First wait after a failed poll (not a 408); doubles per failure up to the cap, with jitter. */
  pollBackoffMs?: number;
  pollBackoffMaxMs?: number;
  requestTimeoutMs?: number;
  quotaBackoffMs?: number;
}

type ZaloConfig = NonNullable<Config['zalo']>;

/** A ChannelFactory with custom options. */
export function zaloChannelFactory(options: ZaloChannelOptions = {}): ChannelFactory {
  return (deps) => (deps.config.zalo ? new ZaloChannel(deps, deps.config.zalo, options) : undefined);
}

/** The Zalo Bot Platform channel, or undefined when ZALO_BOT_TOKEN is not set. */
export const createZaloChannel: ChannelFactory = zaloChannelFactory();

type WebhookState = 'off' | 'not registered (no PUBLIC_URL)' | 'registering' | 'registered' | 'failing';

class ZaloChannel implements Channel {
  readonly name = CHANNEL;
  readonly transport: ZaloTransport;
  private readonly client: ZaloClient;
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private webhook: WebhookState = 'off';
  private readonly polling = { running: false, consecutiveFailures: 0, lastOkAt: undefined as string | undefined };

  constructor(
    private readonly deps: ChannelFactoryDeps,
    private readonly cfg: ZaloConfig,
    private readonly options: ZaloChannelOptions,
  ) {
    this.client = new ZaloClient({ token: cfg.token, apiRoot: cfg.apiRoot, requestTimeoutMs: options.requestTimeoutMs });
    this.transport = new ZaloTransport({ client: this.client, logger: deps.logger, quotaBackoffMs: options.quotaBackoffMs });
  }

  webhooks(): WebhookRoute[] {
    return [{ path: ZALO_WEBHOOK_PATH, handle: (req) => this.onWebhook(req) }];
  }

  async start(): Promise<void> {
    const { logger, config } = this.deps;
    if (this.cfg.mode === 'polling') {
      this.loops.push(this.pollLoop());
      logger.info({ channel: CHANNEL, mode: 'polling' }, 'zalo polling started');
      return;
    }
    if (!config.publicUrl) {
      this.webhook = 'not registered (no PUBLIC_URL)';
      logger.warn({ channel: CHANNEL }, 'ZALO_MODE=webhook without PUBLIC_URL: the webhook is not registered by the bot');
      return;
    }
    if (!config.publicUrl.startsWith('https://')) logger.warn({ channel: CHANNEL }, 'Zalo only delivers webhooks to https:// URLs');
    this.loops.push(this.registerWebhookLoop(`${config.publicUrl}${ZALO_WEBHOOK_PATH}`));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }

  health(): Record<string, unknown> {
    return {
      mode: this.cfg.mode,
      ...(this.cfg.mode === 'webhook'
        ? { webhook: this.webhook }
        : { polling: this.polling.running, pollFailures: this.polling.consecutiveFailures, lastPollOkAt: this.polling.lastOkAt ?? null }),
    };
  }

  // --- inbound ------------------------------------------------------------------------------

  /** Secret (401) → size (413) → JSON (400) → shape (400) → one transaction → 200. */
  private async onWebhook(req: WebhookRequest): Promise<WebhookReply> {
    // Without a configured secret nobody could be authenticated: the route does not exist.
    if (this.cfg.webhookSecret === undefined) return reply(404, { ok: false, error: 'not found' });
    const body = await readWebhookBody(req, {
      secretHeader: ZALO_SECRET_HEADER,
      secret: this.cfg.webhookSecret,
      maxBytes: this.deps.config.maxBodyBytes,
    });
    if (!body.ok) return body.reply;
    const outcome = normaliseUpdate(body.json, new Date());
    if (outcome.kind === 'malformed') {
      this.deps.logger.warn({ channel: CHANNEL, problem: outcome.problem }, 'zalo webhook: malformed update');
      return reply(400, { ok: false, error: 'malformed update' });
    }
    if (outcome.kind === 'ignored') {
      this.deps.logger.debug({ channel: CHANNEL, event: outcome.eventName, reason: outcome.reason }, 'zalo webhook: update ignored');
      return OK;
    }
    // Committed (in a group commit with the turns of the same moment) before we answer: a 200 means the turn is durable.
    const started = performance.now();
    const result = await this.deps.commitTurn(outcome.event);
    if (result.status === 'processed') this.deps.wakeSender();
    this.deps.logger.debug(
      { channel: CHANNEL, via: 'webhook', event: outcome.eventName, status: result.status, ms: Math.round(performance.now() - started) },
      'zalo update handled',
    );
    return OK;
  }

  private handle(event: InboundEvent, eventName: string, via: 'webhook' | 'polling'): void {
    const started = performance.now();
    const result = this.deps.service.handle(event);
    if (result.status === 'processed') this.deps.wakeSender();
    this.deps.logger.debug(
      { channel: CHANNEL, via, event: eventName, status: result.status, ms: Math.round(performance.now() - started) },
      'zalo update handled',
    );
  }

  // --- webhook registration -------------------------------------------------------------------

  private async registerWebhookLoop(url: string): Promise<void> {
    const { signal } = this.abort;
    const secretToken = this.cfg.webhookSecret;
    if (secretToken === undefined) return; // config.ts requires it in webhook mode
    this.webhook = 'registering';
    for (let failures = 0; !signal.aborted; ) {
      try {
        await this.client.setWebhook({ url, secretToken }, { signal });
        this.webhook = 'registered';
        this.deps.logger.info({ channel: CHANNEL }, 'zalo webhook registered');
        return;
      } catch (err) {
        if (signal.aborted) return;
        failures++;
        this.webhook = 'failing';
        const wait = backoff(failures, 1000, 300_000);
        this.deps.logger.error({ channel: CHANNEL, error: describeError(err), retryInMs: wait }, 'zalo setWebhook failed');
        await sleep(wait, signal);
      }
    }
  }

  // --- long polling ---------------------------------------------------------------------------

  /** One getUpdates at a time; 408 means "nothing yet" and polls again at once; other errors back off. */
  private async pollLoop(): Promise<void> {
    const { signal } = this.abort;
    const { logger } = this.deps;
    const timeoutSec = this.options.pollTimeoutSec ?? 30;
    const base = this.options.pollBackoffMs ?? 500;
    const cap = this.options.pollBackoffMaxMs ?? 30_000;
    let webhookCleared = false;
    this.polling.running = true;
    try {
      while (!signal.aborted) {
        try {
          if (!webhookCleared) {
            // getUpdates and a webhook are mutually exclusive.
            await this.client.deleteWebhook({ signal });
            webhookCleared = true;
          }
          const update = await this.client.getUpdates(timeoutSec, { signal });
          this.polling.consecutiveFailures = 0;
          this.polling.lastOkAt = new Date().toISOString();
          if (update !== undefined) this.ingest(update);
        } catch (err) {
          if (signal.aborted) break;
          this.polling.consecutiveFailures++;
          const wait = backoff(this.polling.consecutiveFailures, base, cap);
          const unauthorized = err instanceof ZaloApiError && err.errorCode === 401;
          logger[unauthorized ? 'error' : 'warn'](
            { channel: CHANNEL, error: describeError(err), failures: this.polling.consecutiveFailures, retryInMs: wait },
            unauthorized ? 'zalo rejected the bot token (check ZALO_BOT_TOKEN)' : 'zalo polling failed',
          );
          await sleep(wait, signal);
        }
      }
    } finally {
      this.polling.running = false;
    }
  }

  private ingest(update: unknown): void {
    const { logger } = this.deps;
    const outcome = normaliseUpdate(update, new Date());
    if (outcome.kind === 'malformed') {
      logger.warn({ channel: CHANNEL, problem: outcome.problem }, 'zalo polling: malformed update skipped');
      return;
    }
    if (outcome.kind === 'ignored') {
      logger.debug({ channel: CHANNEL, event: outcome.eventName, reason: outcome.reason }, 'zalo polling: update ignored');
      return;
    }
    try {
      this.handle(outcome.event, outcome.eventName, 'polling');
    } catch (err) {
      // getUpdates has no offset to hold back: the update cannot be fetched again.
      logger.error({ channel: CHANNEL, error: err instanceof Error ? err.name : 'unknown' }, 'zalo polling: update could not be stored');
    }
  }
}

/** Exponential, capped, with ±20 % jitter so restarts of several bots do not synchronise. */
function backoff(failures: number, baseMs: number, capMs: number): number {
  return Math.round(Math.min(capMs, baseMs * 2 ** (failures - 1)) * (0.8 + Math.random() * 0.4));
}
