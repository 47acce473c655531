import { autoRetry } from '@grammyjs/auto-retry';
import { Api, Bot } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import type { ChannelFactory, ChannelFactoryDeps } from '../../app.ts';
import type { Config } from '../../config.ts';
import { INTERNAL_ERROR, OK, readWebhookBody, reply, type WebhookRoute } from '../../http/webhook.ts';
import type { Channel } from '../channel.ts';
import { sleep } from '../../util/sleep.ts';
import { BOT_COMMANDS } from './commands.ts';
import { describeTelegramError, isGrammyError, retryAfterMs } from './errors.ts';
import { ALLOWED_UPDATES, normaliseUpdate, TELEGRAM_CHANNEL } from './normalise.ts';
import { TelegramTransport } from './transport.ts';

/**
 * The Telegram channel. grammY is only the Bot API client: updates are verified and normalised
 * here, handed to the ConversationService (one synchronous transaction: dedupe on update_id, state,
 * answers, replies), and the replies leave through the outbox and TelegramTransport.
 *
 * Exactly once: the webhook answers 200 only after the transaction committed (a redelivery is then a
 * duplicate), and in polling mode an update's offset is confirmed only by the next getUpdates call,
 * issued after the transaction of every update of the batch committed.
 */

export const WEBHOOK_PATH = '/webhooks/telegram';
export const SECRET_HEADER = 'X-Telegram-Bot-Api-Secret-Token';

type TelegramConfig = NonNullable<Config['telegram']>;
/** grammY types its signals with the abort-controller shim; Node's own AbortSignal works the same. */
type GrammySignal = NonNullable<Parameters<Api['getMe']>[0]>;

export interface TelegramChannelOptions {
  /** Skips getMe at start (tests). */
  botInfo?: UserFromGetMe;
  /** Long-poll timeout of getUpdates, seconds (default 25). */
  pollTimeoutSeconds?: number;
  /** Timeout of every other Bot API request, seconds (default 30). */
  requestTimeoutSeconds?: number;
  /** First delay before retrying a failed start-up registration or getUpdates, ms (default 1000). */
  retryBaseMs?: number;
}

/** A channel factory with options; `createTelegramChannel` is the default one. */
export function telegramChannel(options: TelegramChannelOptions = {}): ChannelFactory {
  return (deps) => (deps.config.telegram ? new TelegramChannel(deps, deps.config.telegram, options) : undefined);
}

export const createTelegramChannel: ChannelFactory = telegramChannel();

export type UpdateStatus = 'invalid' | 'ignored' | 'processed' | 'duplicate';

/** An update that failed this many times in a row (polling) is skipped, so one cannot block the bot. */
const MAX_UPDATE_FAILURES = 5;

export class TelegramChannel implements Channel {
  readonly name = TELEGRAM_CHANNEL;
  readonly transport: TelegramTransport;
  readonly bot: Bot;
  /** Registration and callback answers: idempotent, so grammY's auto-retry is fine here. */
  private readonly control: Api;
  /** getUpdates, with a timeout longer than the long poll. */
  private readonly pollApi: Api;
  private abort = new AbortController();
  private stopped = true;
  private runner: Promise<void> | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private readonly failures = new Map<number, number>();
  private readonly status = {
    webhook: 'not registered' as 'registered' | 'not registered' | 'deleted',
    polling: false,
    lastError: undefined as string | undefined,
  };

  constructor(
    private readonly deps: ChannelFactoryDeps,
    private readonly tg: TelegramConfig,
    private readonly options: TelegramChannelOptions = {},
  ) {
    const timeoutSeconds = options.requestTimeoutSeconds ?? 30;
    this.bot = new Bot(tg.token, {
      client: { apiRoot: tg.apiRoot, timeoutSeconds },
      ...(options.botInfo ? { botInfo: options.botInfo } : {}),
    });
    this.control = new Api(tg.token, { apiRoot: tg.apiRoot, timeoutSeconds });
    // Only short 429 waits are retried here; 5xx and network errors surface at once: start-up has
    // its own retry loop, and a late callback answer is worthless.
    this.control.config.use(
      autoRetry({ maxRetryAttempts: 2, maxDelaySeconds: 5, rethrowInternalServerErrors: true, rethrowHttpErrors: true }),
    );
    this.pollApi = new Api(tg.token, { apiRoot: tg.apiRoot, timeoutSeconds: this.pollTimeout() + 15 });
    this.transport = new TelegramTransport({ api: this.bot.api, store: deps.store, logger: deps.logger, token: tg.token });
  }

  webhooks(): WebhookRoute[] {
    const secret = this.tg.webhookSecret;
    // Without a secret (polling mode) there is no webhook: an unauthenticated door would let anyone
    // post updates in any person's name.
    if (secret === undefined) return [];
    return [
      {
        path: WEBHOOK_PATH,
        handle: async (req) => {
          const body = await readWebhookBody(req, { secretHeader: SECRET_HEADER, secret, maxBytes: this.deps.config.maxBodyBytes });
          if (!body.ok) return body.reply;
          let status: UpdateStatus;
          try {
            status = await this.commitUpdate(body.json);
          } catch (err) {
            // Nothing was committed: a 500 makes Telegram deliver the update again.
            this.deps.logger.error({ channel: TELEGRAM_CHANNEL, err: describeTelegramError(err) }, 'telegram update failed');
            return INTERNAL_ERROR;
          }
          if (status === 'invalid') return reply(400, { ok: false, error: 'not a Telegram update' });
          return OK;
        },
      },
    ];
  }

  /**
   * Verifies nothing (the caller did), normalises, and hands the event to the conversation service.
   * Synchronous up to the commit; the callback answer leaves in the background. Throws when the
   * transaction failed, so the update is delivered again.
   */
  handleUpdate(json: unknown): UpdateStatus {
    const n = this.normalise(json);
    if (!n.ok) return 'invalid';
    return this.finish(n, n.event ? this.deps.service.handle(n.event).status : 'ignored');
  }

  /** The webhook path: the turn joins a group commit, and resolves once its COMMIT returned. */
  private async commitUpdate(json: unknown): Promise<UpdateStatus> {
    const n = this.normalise(json);
    if (!n.ok) return 'invalid';
    return this.finish(n, n.event ? (await this.deps.commitTurn(n.event)).status : 'ignored');
  }

  /** Made once: a closure per update cost each one a call to tsx's name helper. */
  private readonly lookupToken = (token: string) => this.deps.store.telegramCallback(token);

  private normalise(json: unknown) {
    const n = normaliseUpdate(json, { receivedAt: new Date(), lookupToken: this.lookupToken });
    if (!n.ok) this.deps.logger.debug({ channel: TELEGRAM_CHANNEL, reason: n.reason }, 'not a telegram update');
    return n;
  }

  private finish(n: Extract<ReturnType<typeof normaliseUpdate>, { ok: true }>, status: UpdateStatus): UpdateStatus {
    if (status === 'processed') this.deps.wakeSender();
    if (n.callbackQueryId && status !== 'duplicate') this.answerCallback(n.callbackQueryId);
    this.deps.logger.debug({ channel: TELEGRAM_CHANNEL, updateId: n.updateId, status, ignored: n.ignored }, 'telegram update');
    return status;
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.abort = new AbortController();
    const ready = await this.trySetup();
    this.runner = (async () => {
      if (!ready) await this.retrySetup();
      if (this.tg.mode === 'polling' && !this.stopped) await this.pollLoop();
    })().catch((err: unknown) => {
      this.deps.logger.error({ channel: TELEGRAM_CHANNEL, err: describeTelegramError(err, this.tg.token) }, 'telegram runner stopped');
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    await this.runner;
    await Promise.allSettled([...this.inflight]);
  }

  health(): Record<string, unknown> {
    return {
      mode: this.tg.mode,
      webhook: this.status.webhook,
      polling: this.status.polling,
      ...(this.status.lastError ? { lastError: this.status.lastError } : {}),
    };
  }

  private signal(): GrammySignal {
    return this.abort.signal as unknown as GrammySignal;
  }

  // --- start-up ----------------------------------------------------------------------------

  /** getMe; then setWebhook (webhook mode with PUBLIC_URL) or deleteWebhook (polling); then the command menu. */
  private async setup(): Promise<void> {
    const signal = this.signal();
    const { logger, config } = this.deps;
    if (!this.bot.isInited()) await this.bot.init(signal);
    if (this.tg.mode === 'polling') {
      await this.control.deleteWebhook({ drop_pending_updates: false }, signal);
      this.status.webhook = 'deleted';
    } else if (config.publicUrl && this.tg.webhookSecret) {
      await this.control.setWebhook(
        `${config.publicUrl}${WEBHOOK_PATH}`,
        { secret_token: this.tg.webhookSecret, allowed_updates: [...ALLOWED_UPDATES], drop_pending_updates: false },
        signal,
      );
      this.status.webhook = 'registered';
    } else {
      logger.warn({ channel: TELEGRAM_CHANNEL }, 'PUBLIC_URL is not set: the Telegram webhook must be registered by hand');
    }
    await this.control.setMyCommands(BOT_COMMANDS, {}, signal);
  }

  private async trySetup(): Promise<boolean> {
    try {
      await this.setup();
      this.status.lastError = undefined;
      return true;
    } catch (err) {
      if (this.stopped) return false;
      this.status.lastError = describeTelegramError(err, this.tg.token);
      this.deps.logger.error({ channel: TELEGRAM_CHANNEL, error: this.status.lastError }, 'telegram start-up failed; retrying in the background');
      return false;
    }
  }

  private async retrySetup(): Promise<void> {
    let delay = this.options.retryBaseMs ?? 1000;
    while (!this.stopped) {
      await sleep(delay, this.abort.signal);
      if (this.stopped || (await this.trySetup())) return;
      delay = Math.min(delay * 2, 60_000);
    }
  }

  // --- polling -----------------------------------------------------------------------------

  private pollTimeout(): number {
    return this.options.pollTimeoutSeconds ?? 25;
  }

  /**
   * getUpdates long-poll loop. Each update goes through the same handler as the webhook; the offset
   * moves past an update only after its transaction committed, and Telegram forgets it only at the
   * next getUpdates. A failed update is fetched again (the inbox drops what was already done).
   */
  private async pollLoop(): Promise<void> {
    const { logger } = this.deps;
    const signal = this.signal();
    const base = this.options.retryBaseMs ?? 1000;
    let offset: number | undefined;
    let errors = 0;
    this.status.polling = true;
    try {
      while (!this.stopped) {
        let updates: Update[];
        try {
          updates = await this.pollApi.getUpdates(
            { ...(offset !== undefined ? { offset } : {}), limit: 100, timeout: this.pollTimeout(), allowed_updates: [...ALLOWED_UPDATES] },
            signal,
          );
          errors = 0;
        } catch (err) {
          if (this.stopped) break;
          errors++;
          const error = describeTelegramError(err, this.tg.token);
          this.status.lastError = error;
          logger.warn({ channel: TELEGRAM_CHANNEL, error }, 'getUpdates failed');
          await sleep(isGrammyError(err, 429) ? retryAfterMs(err) : Math.min(30_000, base * 2 ** (errors - 1)), this.abort.signal);
          continue;
        }
        for (const update of updates) {
          if (this.stopped) break;
          if (!this.pollOne(update)) break;
          offset = update.update_id + 1;
        }
        if (this.failures.size > 0 && !this.stopped) await sleep(base, this.abort.signal);
      }
    } finally {
      this.status.polling = false;
    }
  }

  /** Handles one polled update; false when it must be fetched again later. */
  private pollOne(update: Update): boolean {
    try {
      if (this.handleUpdate(update) === 'invalid') {
        this.deps.logger.warn({ channel: TELEGRAM_CHANNEL }, 'getUpdates returned something that is not an update; skipped');
      }
      this.failures.delete(update.update_id);
      return true;
    } catch (err) {
      const n = (this.failures.get(update.update_id) ?? 0) + 1;
      const error = describeTelegramError(err);
      if (n >= MAX_UPDATE_FAILURES) {
        this.failures.delete(update.update_id);
        this.deps.logger.error({ channel: TELEGRAM_CHANNEL, updateId: update.update_id, error, attempts: n }, 'telegram update skipped after repeated failures');
        return true;
      }
      this.failures.set(update.update_id, n);
      this.deps.logger.error({ channel: TELEGRAM_CHANNEL, updateId: update.update_id, error, attempts: n }, 'telegram update failed; will retry');
      return false;
    }
  }

  // --- callback queries ----------------------------------------------------------------------

  /** Stops the button's spinner. Sent directly (idempotent, time-critical); a failure only logs. */
  private answerCallback(callbackQueryId: string): void {
    const p: Promise<void> = this.control
      .answerCallbackQuery(callbackQueryId, {}, this.signal())
      .then(() => undefined)
      .catch((err: unknown) => {
        if (!this.stopped) {
          this.deps.logger.warn({ channel: TELEGRAM_CHANNEL, error: describeTelegramError(err, this.tg.token) }, 'answerCallbackQuery failed');
        }
      })
      .finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }
}
