import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTelegramChannel, telegramChannel } from '../../src/channels/telegram/index.ts';
import {
  callbackUpdate,
  FAKE_TOKEN,
  FakeTelegramApi,
  startTelegramBot,
  type TelegramHarness,
  textUpdate,
  WEBHOOK_SECRET,
} from '../fakes/telegramApi.ts';

/** The webhook's door: registration, secret, size, shape, and the update kinds it ignores. */

let h: TelegramHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** True when the bot kept no trace of anything: no inbox row, no person, no reply queued or sent. */
function nothingRecorded(harness: TelegramHarness, updateIds: number[]): void {
  for (const id of updateIds) expect(harness.bot.store.hasInbound('telegram', String(id))).toBe(false);
  expect(harness.bot.store.outboxRows('telegram')).toEqual([]);
  expect(harness.fake.callsTo('sendMessage')).toEqual([]);
}

describe('start-up', () => {
  it('checks the token, registers the webhook with its secret, and sets a Vietnamese command menu', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel });
    const { fake } = h;
    const order = fake.calls.map((c) => c.method);
    expect(order.slice(0, 3)).toEqual(['getMe', 'setWebhook', 'setMyCommands']);
    expect(fake.callsTo('setWebhook')[0]!.params).toEqual({
      url: 'https://xhht.example.vn/webhooks/telegram',
      secret_token: WEBHOOK_SECRET,
      allowed_updates: ['message', 'callback_query'],
      drop_pending_updates: false,
    });
    const names = fake.commands.map((c) => c.command);
    expect(names).toEqual(expect.arrayContaining(['start', 'help', 'back', 'restart', 'cancel', 'summary', 'ketqua', 'xoadulieu']));
    expect(fake.commands.find((c) => c.command === 'xoadulieu')!.description).toMatch(/Xóa/);
    // The Bot API's webhook requires the secret; getUpdates is never used in webhook mode.
    expect(fake.callsTo('getUpdates')).toEqual([]);
    expect(fake.callsTo('deleteWebhook')).toEqual([]);

    const health = (await (await fetch(`http://127.0.0.1:${h.bot.port}/healthz`)).json()) as { channels: Record<string, unknown> };
    expect(health.channels.telegram).toMatchObject({ mode: 'webhook', webhook: 'registered', polling: false });
  });

  it('does not fail the start when Telegram is down; it registers in the background', async () => {
    const fake = await FakeTelegramApi.start();
    fake.failNext('setWebhook', 2, { kind: 'serverError' });
    h = await startTelegramBot({ factory: telegramChannel({ retryBaseMs: 20 }), fake });
    await fake.waitFor(() => fake.callsTo('setWebhook', { okOnly: true }).length === 1, 'a successful setWebhook');
    expect(fake.callsTo('setWebhook').map((c) => c.status)).toEqual([500, 500, 200]);
    await fake.waitFor(() => fake.callsTo('setMyCommands', { okOnly: true }).length === 1, 'setMyCommands');
    await h.close();
    await fake.close();
  });

  it('leaves registration to the operator when PUBLIC_URL is not set', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel, env: { PUBLIC_URL: '' } });
    expect(h.fake.callsTo('setWebhook')).toEqual([]);
    expect(h.fake.callsTo('setMyCommands')).toHaveLength(1);
  });
});

describe('POST /webhooks/telegram', () => {
  it('answers 401 to a wrong or missing secret and records nothing', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel });
    expect(await h.post(textUpdate(1, 9001, '/start'), { secret: 'wrong-secret' })).toBe(401);
    expect(await h.post(textUpdate(2, 9001, '/start'), { secret: WEBHOOK_SECRET.replace(/.$/, 'X') })).toBe(401);
    expect(await h.post(textUpdate(3, 9001, '/start'), { secret: null })).toBe(401);
    expect(await h.post(textUpdate(4, 9001, '/start'), { secret: '' })).toBe(401);
    // 401 comes before the body is even read: garbage with a wrong secret is still 401.
    expect(await h.post(undefined, { secret: 'nope', rawBody: 'not json' })).toBe(401);
    nothingRecorded(h, [1, 2, 3, 4]);
    expect(h.bot.store.findPerson('telegram', '9001')).toBeUndefined();
  });

  it('answers 413 to a body larger than MAX_BODY_BYTES, declared or streamed', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel, env: { MAX_BODY_BYTES: '2048' } });
    expect(await h.post(textUpdate(5, 9002, 'a'.repeat(3000)))).toBe(413);
    // Without Content-Length (chunked), the limit still holds.
    const body = new TextEncoder().encode(JSON.stringify(textUpdate(6, 9002, 'b'.repeat(3000))));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < body.length; i += 512) controller.enqueue(body.slice(i, i + 512));
        controller.close();
      },
    });
    const res = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    nothingRecorded(h, [5, 6]);
  });

  it('answers 400 to a body that is not JSON, or JSON that is not an update', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel });
    expect(await h.post(undefined, { rawBody: '{"update_id": 7, ' })).toBe(400);
    expect(await h.post(undefined, { rawBody: '' })).toBe(400);
    for (const notAnUpdate of [[], {}, 'text', 12, null, { update_id: '8' }, { update_id: 8.5 }, { message: { text: 'hi' } }]) {
      expect(await h.post(notAnUpdate), JSON.stringify(notAnUpdate)).toBe(400);
    }
    nothingRecorded(h, [7, 8]);
  });

  it('answers 200 to update kinds it does not handle, and does nothing with them', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel });
    const chat = { id: 9003, type: 'private', first_name: 'A' };
    const from = { id: 9003, is_bot: false, first_name: 'A' };
    const updates = [
      { update_id: 20, edited_message: { message_id: 1, date: 1, edit_date: 2, chat, from, text: 'sửa' } },
      { update_id: 21, channel_post: { message_id: 2, date: 1, chat: { id: -1001, type: 'channel', title: 'Kênh' }, text: 'tin' } },
      {
        update_id: 22,
        my_chat_member: {
          chat,
          from,
          date: 1,
          old_chat_member: { status: 'member', user: { id: 1, is_bot: true, first_name: 'b' } },
          new_chat_member: { status: 'kicked', user: { id: 1, is_bot: true, first_name: 'b' }, until_date: 0 },
        },
      },
      // A group message: personal answers never go to a group.
      { update_id: 23, message: { message_id: 3, date: 1, chat: { id: -2002, type: 'group', title: 'Nhóm' }, from, text: '/start' } },
      // A service message in a private chat.
      { update_id: 24, message: { message_id: 4, date: 1, chat, from, pinned_message: { message_id: 1, date: 1, chat } } },
    ];
    for (const u of updates) expect(await h.post(u), Object.keys(u)[1]).toBe(200);
    expect(h.bot.store.outboxRows('telegram')).toEqual([]);
    expect(h.fake.callsTo('sendMessage')).toEqual([]);
    expect(h.bot.store.findPerson('telegram', '9003')).toBeUndefined();
  });

  it('answers 500 when the transaction fails, and the redelivery is then processed once', async () => {
    // In this thread, so the service can be made to fail (test/service/turnWorker.test.ts: the worker).
    h = await startTelegramBot({ factory: createTelegramChannel, env: { TURN_WORKER: 'false' } });
    // A batch that fails is run once more turn by turn: the failure has to last to reach the webhook.
    const ioError = () => {
      throw new Error('SQLITE_IOERR: disk I/O error');
    };
    const spy = vi.spyOn(h.bot.service, 'handle').mockImplementationOnce(ioError).mockImplementationOnce(ioError);
    expect(await h.post(textUpdate(30, 9004, '/start'))).toBe(500);
    expect(h.bot.store.hasInbound('telegram', '30')).toBe(false);
    expect(await h.post(textUpdate(30, 9004, '/start'))).toBe(200);
    expect(await h.post(textUpdate(30, 9004, '/start'))).toBe(200);
    expect(spy).toHaveBeenCalledTimes(4);
    await h.idle();
    expect(h.fake.sentTo(9004)).toHaveLength(1);
    expect(h.fake.sentTo(9004)[0]!.text).toMatch(/Anh\/Chị có đồng ý không\?/);
  });
});

describe('logs', () => {
  it('never contain the token, API URLs, names or message text, even when things fail', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (s: string) => void lines.push(s) });
    const fake = await FakeTelegramApi.start();
    h = await startTelegramBot({ factory: telegramChannel({ retryBaseMs: 20 }), fake, logger, env: { TURN_WORKER: 'false' } });
    const user = 9100;
    const secretWords = 'Phường Ngọc Hà bí mật';
    expect(await h.post(textUpdate(40, user, '/start'), { secret: 'wrong' })).toBe(401);
    expect(await h.post(textUpdate(41, user, '/start'))).toBe(200);
    await h.idle();
    fake.failNext('editMessageReplyMarkup', 1, { kind: 'drop' });
    fake.failNext('sendMessage', 1, { kind: 'drop' });
    fake.failNext('sendMessage', 1, { kind: 'rateLimit', retryAfter: 1 });
    fake.failNext('answerCallbackQuery', 1, { kind: 'serverError' });
    const consent = fake.sentTo(user)[0]!;
    expect(await h.post(callbackUpdate(42, user, 'c|consent|agree', consent.message_id))).toBe(200);
    await h.idle(8000);
    const q1 = fake.sentTo(user).at(-1)!;
    expect(await h.post(callbackUpdate(43, user, 'c|group|nong_dan', q1.message_id))).toBe(200);
    await h.idle();
    fake.failNext('sendMessage', 1, { kind: 'blocked' });
    expect(await h.post(textUpdate(44, user, secretWords))).toBe(200);
    await h.idle();
    const failure = () => {
      throw new Error(`constraint failed: ${secretWords}`);
    };
    vi.spyOn(h.bot.service, 'handle').mockImplementationOnce(failure).mockImplementationOnce(failure);
    expect(await h.post(textUpdate(45, user, secretWords))).toBe(500);
    await h.close();
    h = undefined;
    await fake.close();

    const all = lines.join('');
    expect(lines.length).toBeGreaterThan(5); // the logs were captured at all
    expect(all).toMatch(/message retry scheduled/);
    expect(all).toMatch(/message failed permanently/);
    expect(all).not.toContain(FAKE_TOKEN);
    expect(all).not.toContain(FAKE_TOKEN.split(':')[1]!);
    expect(all).not.toContain(fake.apiRoot.replace('http://', ''));
    expect(all).not.toMatch(/https?:\/\//);
    expect(all).not.toContain('Ngọc Hà');
    expect(all).not.toContain('Người dùng');
    expect(all).not.toContain('Nông dân');
  });
});
