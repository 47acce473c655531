import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { type Bot, startBot } from '../../src/app.ts';
import { type ZaloOaChannel, zaloOaChannelFactory, type ZaloOaChannelOptions } from '../../src/channels/zaloOa/index.ts';
import { parseConfig } from '../../src/config.ts';
import type { Logger } from '../../src/log.ts';
import { zaloOaStoreOf } from '../../src/store/zaloOaStore.ts';
import { FakeZaloOa, postSigned, textEvent } from '../fakes/zaloOaApi.ts';

/** A bot with the Zalo OA channel against the fake OA API and OAuth server, and a signed-webhook poster. */

export const APP_ID = '4318765432109876543';
export const APP_SECRET = 'app-secret-XYZ-987654';
export const OA_SECRET = 'oa-secret-key-ABC-123456';
export const FLOWS = resolve(import.meta.dirname, '../fixtures/zaloOa');

export interface OaHarness {
  bot: Bot;
  fake: FakeZaloOa;
  channel: ZaloOaChannel;
  logs: string[];
  url: string;
  /** The tokens the bot starts with (valid for ~25 h). */
  tokens: { accessToken: string; refreshToken: string };
  /** Signs and posts an event object as JSON (compact, as Zalo sends it). */
  post(event: Record<string, unknown>): Promise<Response>;
  user(id: string): OaUser;
  /** Waits until no outbox row of the chat is pending. */
  settled(chatId: string): Promise<void>;
  close(): Promise<void>;
}

export async function startOaHarness(opts: { env?: Record<string, string>; channel?: ZaloOaChannelOptions; seedTokens?: boolean } = {}): Promise<OaHarness> {
  const fake = await FakeZaloOa.start({ appId: APP_ID, appSecret: APP_SECRET });
  const dir = mkdtempSync(join(tmpdir(), 'xhht-zalooa-'));
  const logs: string[] = [];
  const logger: Logger = pino({ level: 'trace' }, { write: (line: string) => void logs.push(line) });
  const config = parseConfig({
    DB_PATH: join(dir, 'bot.sqlite'),
    PORT: '0',
    FLOWS_DIR: FLOWS,
    DATA_DIR: resolve(import.meta.dirname, '../../data'),
    OUTBOX_POLL_MS: '20',
    MAX_BODY_BYTES: '4096',
    LOCAL_CHAT_ON_START: 'false',
    REMINDERS_ENABLED: 'false',
    ZALO_OA_APP_ID: APP_ID,
    ZALO_OA_APP_SECRET: APP_SECRET,
    ZALO_OA_SECRET_KEY: OA_SECRET,
    ZALO_OA_API_ROOT: fake.root,
    ZALO_OA_OAUTH_ROOT: fake.root,
    ZALO_OA_ZNS_ROOT: fake.znsRoot,
    ...opts.env,
  });
  const bot = await startBot(config, logger, [zaloOaChannelFactory(opts.channel)]);
  const channel = bot.channels.find((c) => c.name === 'zalo_oa') as ZaloOaChannel;
  const tokens = fake.issueTokens();
  if (opts.seedTokens !== false) {
    zaloOaStoreOf(bot.store).saveTokens(
      { appId: APP_ID, ...tokens, accessExpiresAt: new Date(Date.now() + 25 * 3_600_000).toISOString(), refreshExpiresAt: undefined },
      new Date().toISOString(),
    );
  }
  const url = `http://127.0.0.1:${bot.port}/webhooks/zalo-oa`;
  const h: OaHarness = {
    bot,
    fake,
    channel,
    logs,
    url,
    tokens,
    post: (event) => {
      const raw = JSON.stringify(event);
      return postSigned(url, raw, { appId: APP_ID, secretKey: OA_SECRET, timestamp: String(event.timestamp) });
    },
    user: (id) => new OaUser(h, id),
    settled: (chatId) => fake.waitFor(`outbox of ${chatId} to drain`, () => bot.store.pendingOutboxFor('zalo_oa', chatId).length === 0),
    async close() {
      await bot.stop();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** One person writing to the OA. */
export class OaUser {
  private n = 0;
  constructor(
    private readonly h: OaHarness,
    readonly id: string,
  ) {}

  /** Sends a text (or a button payload) and returns the messages it caused, once delivered. */
  async say(text: string, msgId = `${this.id}-m${++this.n}`): Promise<Array<{ text: string; buttons: Array<{ title: string; payload: string }> }>> {
    const before = this.h.fake.messagesTo(this.id).length;
    const res = await this.h.post(textEvent({ appId: APP_ID, userId: this.id, msgId, text }));
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    await this.h.settled(this.id);
    return this.h.fake.messagesTo(this.id).slice(before);
  }

  /** Taps the button with this title on the last message that had buttons. */
  async tap(title: string): Promise<Array<{ text: string; buttons: Array<{ title: string; payload: string }> }>> {
    const withButtons = this.h.fake.messagesTo(this.id).filter((m) => m.buttons.length > 0).at(-1);
    const button = withButtons?.buttons.find((b) => b.title === title);
    if (!button) throw new Error(`no button "${title}" on screen`);
    return this.say(button.payload);
  }

  person() {
    return this.h.bot.store.findPerson('zalo_oa', this.id);
  }
}
