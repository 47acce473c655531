import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bot, startBot } from '../../../src/app.ts';
import { type TelegramChannelOptions, telegramChannel } from '../../../src/channels/telegram/index.ts';
import { type ZaloChannelOptions, zaloChannelFactory } from '../../../src/channels/zalo/index.ts';
import { parseConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/log.ts';
import { DATA_DIR, FAKE_BOT, FLOWS_DIR } from '../../fakes/telegramApi.ts';
import type { FuzzCase } from './fuzzCases.ts';
import { type ChannelName, messengerEnv, TG_SECRET, ZALO_SECRET } from './values.ts';

/**
 * The whole bot in this process — store, conversation service, outbox sender, HTTP server — with
 * both messengers in webhook mode pointing at fakes (or fault proxies) on 127.0.0.1, logging
 * everything down to `trace` into a file the log scan reads afterwards.
 */

export interface FaultBotOptions {
  telegramApiRoot: string;
  zaloApiRoot: string;
  env?: Record<string, string>;
  telegram?: TelegramChannelOptions;
  zalo?: ZaloChannelOptions;
  /** Where the logs go (created in the bot's temp dir when omitted). */
  logFile?: string;
}

export interface FaultBot {
  bot: Bot;
  dir: string;
  logFile: string;
  url(channel: ChannelName): string;
  /** POSTs a webhook body (object or raw text) with the right secret; returns the status (0: no answer). */
  post(channel: ChannelName, body: unknown): Promise<number>;
  /** In-process request (no socket), for the fuzzer's volume. */
  request(channel: ChannelName, body: string | Uint8Array, headers: Record<string, string>): Promise<Response>;
  /** Waits until the outbox holds nothing pending; throws after `timeoutMs`. */
  idle(timeoutMs?: number): Promise<void>;
  close(opts?: { keepDir?: boolean }): Promise<void>;
}

export const WEBHOOK_PATHS: Record<ChannelName, string> = { telegram: '/webhooks/telegram', zalo: '/webhooks/zalo' };
export const SECRET_HEADERS: Record<ChannelName, string> = { telegram: 'x-telegram-bot-api-secret-token', zalo: 'x-bot-api-secret-token' };
export const SECRETS: Record<ChannelName, string> = { telegram: TG_SECRET, zalo: ZALO_SECRET };

export async function startFaultBot(o: FaultBotOptions): Promise<FaultBot> {
  const dir = mkdtempSync(join(tmpdir(), 'xhht-faults-'));
  const logFile = o.logFile ?? join(dir, 'bot.log');
  const config = parseConfig({
    NODE_ENV: 'test',
    DB_PATH: join(dir, 'bot.sqlite'),
    PORT: '0',
    HOST: '127.0.0.1',
    FLOWS_DIR,
    DATA_DIR,
    LOG_LEVEL: 'trace',
    ...messengerEnv(o),
    ...o.env,
  });
  const logger = createLogger('trace', logFile);
  const bot = await startBot(config, logger, [
    telegramChannel({ botInfo: FAKE_BOT, retryBaseMs: 50, ...o.telegram }),
    zaloChannelFactory({ requestTimeoutMs: 2000, quotaBackoffMs: 50, ...o.zalo }),
  ]);
  const base = `http://127.0.0.1:${bot.port}`;
  const headersFor = (channel: ChannelName) => ({ 'content-type': 'application/json', [SECRET_HEADERS[channel]]: SECRETS[channel] });
  let closed = false;
  return {
    bot,
    dir,
    logFile,
    url: (channel) => `${base}${WEBHOOK_PATHS[channel]}`,
    async post(channel, body) {
      try {
        const res = await fetch(`${base}${WEBHOOK_PATHS[channel]}`, {
          method: 'POST',
          headers: headersFor(channel),
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
        await res.arrayBuffer();
        return res.status;
      } catch {
        return 0;
      }
    },
    request: async (channel, body, headers) => bot.app.request(WEBHOOK_PATHS[channel], { method: 'POST', headers, body }),
    async idle(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (bot.store.outboxCounts().pending) {
        if (Date.now() > deadline) throw new Error(`outbox not drained after ${timeoutMs} ms: ${JSON.stringify(bot.store.outboxCounts())}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close(opts = {}) {
      if (closed) return;
      closed = true;
      await bot.stop();
      logger.flush();
      if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends one generated case in process, with the secret header it calls for; returns the status. */
export async function sendFuzzCase(bot: FaultBot, c: FuzzCase): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (c.secret === 'ok') headers[SECRET_HEADERS[c.channel]] = SECRETS[c.channel];
  else if (c.secret !== 'missing') headers[SECRET_HEADERS[c.channel]] = c.secret.wrong;
  const res = await bot.request(c.channel, c.body, headers);
  await res.arrayBuffer();
  return res.status;
}
