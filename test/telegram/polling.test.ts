import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTelegramChannel, telegramChannel } from '../../src/channels/telegram/index.ts';
import { buttonsOf, callbackUpdate, FakeTelegramApi, startTelegramBot, type TelegramHarness, textUpdate } from '../fakes/telegramApi.ts';

/** TELEGRAM_MODE=polling: deleteWebhook, then a getUpdates loop feeding the same handler. */

const POLLING = { TELEGRAM_MODE: 'polling', TELEGRAM_WEBHOOK_SECRET: '', PUBLIC_URL: '' };

let h: TelegramHarness | undefined;
let fake: FakeTelegramApi | undefined;
afterEach(async () => {
  await h?.close();
  await fake?.close();
  h = undefined;
  fake = undefined;
});

let updateId = 9000;
const nextId = () => ++updateId;

describe('polling mode', () => {
  it('deletes the webhook, then long-polls and answers through the outbox', async () => {
    fake = await FakeTelegramApi.start();
    // A webhook left over from an earlier deployment: getUpdates would get 409 until it is deleted.
    fake.webhook = { url: 'https://old.example.vn/webhooks/telegram' };
    h = await startTelegramBot({ factory: createTelegramChannel, fake, env: POLLING });
    await fake.waitFor(() => fake!.callsTo('getUpdates').length > 0, 'a getUpdates call');
    const methods = fake.calls.map((c) => c.method);
    expect(methods.indexOf('deleteWebhook')).toBeGreaterThan(-1);
    expect(methods.indexOf('deleteWebhook')).toBeLessThan(methods.indexOf('getUpdates'));
    expect(fake.callsTo('deleteWebhook')[0]!.params).toEqual({ drop_pending_updates: false });
    expect(fake.callsTo('getUpdates').every((c) => c.status === 200)).toBe(true);
    expect(fake.callsTo('getUpdates')[0]!.params).toMatchObject({ timeout: 25, allowed_updates: ['message', 'callback_query'] });
    expect(fake.callsTo('setMyCommands')).toHaveLength(1);
    expect(fake.callsTo('setWebhook')).toEqual([]);

    // No secret, no webhook: the route does not exist, so nobody can post updates to it.
    expect(await h.post(textUpdate(1, 1, '/start'), { secret: null })).toBe(404);

    const user = 6001;
    const start = nextId();
    fake.pushUpdate(textUpdate(start, user, '/start'));
    const consent = await fake.waitFor(() => fake!.sentTo(user)[0], 'the consent prompt');
    expect(buttonsOf(consent).map((b) => b.data)).toEqual(['c|consent|agree', 'c|consent|decline']);
    const agree = nextId();
    fake.pushUpdate(callbackUpdate(agree, user, 'c|consent|agree', consent.message_id));
    await fake.waitFor(() => fake!.sentTo(user).find((m) => m.text.startsWith('Câu 1/')), 'the first question');
    await fake.waitFor(() => fake!.callsTo('answerCallbackQuery').length === 1, 'the callback answered');
    // Both updates were confirmed (by the getUpdates that followed their commit).
    await fake.waitFor(() => fake!.confirmedOffset === agree + 1, 'the offset confirmed');

    const health = (await (await fetch(`http://127.0.0.1:${h.bot.port}/healthz`)).json()) as { channels: Record<string, unknown> };
    expect(health.channels.telegram).toMatchObject({ mode: 'polling', webhook: 'deleted', polling: true });
  });

  it('stops promptly while a long poll is pending', async () => {
    fake = await FakeTelegramApi.start();
    h = await startTelegramBot({ factory: createTelegramChannel, fake, env: POLLING });
    await fake.waitFor(() => fake!.callsTo('getUpdates').length > 0, 'a pending getUpdates');
    const t0 = Date.now();
    await h.close();
    h = undefined;
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('does not move the offset past an update whose transaction failed; the update comes again', async () => {
    fake = await FakeTelegramApi.start();
    h = await startTelegramBot({ factory: telegramChannel({ retryBaseMs: 20 }), fake, env: POLLING });
    const spy = vi.spyOn(h.bot.service, 'handle').mockImplementationOnce(() => {
      throw new Error('SQLITE_BUSY: database is locked');
    });
    const user = 6002;
    const id = nextId();
    fake.pushUpdate(textUpdate(id, user, '/start'));
    await fake.waitFor(() => fake!.sentTo(user).length === 1, 'the reply after the retry');
    expect(spy).toHaveBeenCalledTimes(2);
    // The offset only moved past the update after its second, successful handling.
    const offsets = fake.callsTo('getUpdates').map((c) => c.params.offset);
    const firstPast = offsets.findIndex((o) => o === id + 1);
    expect(firstPast).toBeGreaterThan(0);
    expect(offsets.slice(0, firstPast).every((o) => o === undefined || (o as number) <= id)).toBe(true);
    expect(h.bot.store.hasInbound('telegram', String(id))).toBe(true);
  });

  it('survives getUpdates errors, and a redelivered update is a duplicate', async () => {
    fake = await FakeTelegramApi.start();
    fake.failNext('getUpdates', 1, { kind: 'serverError' });
    fake.failNext('getUpdates', 1, { kind: 'drop' });
    h = await startTelegramBot({ factory: telegramChannel({ retryBaseMs: 20 }), fake, env: POLLING });
    const user = 6003;
    const update = textUpdate(nextId(), user, '/start');
    fake.pushUpdate(update);
    await fake.waitFor(() => fake!.sentTo(user).length === 1, 'the reply');
    expect(fake.callsTo('getUpdates').slice(0, 2).map((c) => c.status)).toEqual([500, 0]);
    await fake.waitFor(() => fake!.confirmedOffset > update.update_id, 'the offset confirmed');

    // Telegram sends it again (e.g. our confirmation was lost in a restart): nothing new happens.
    fake.pushUpdate(update);
    fake.pushUpdate(textUpdate(nextId(), user, 'trợ giúp'));
    await fake.waitFor(() => fake!.sentTo(user).length >= 2, 'the reply to the next update');
    await h.idle();
    const texts = fake.sentTo(user).map((m) => m.text);
    expect(texts.filter((t) => t.includes('Anh/Chị có đồng ý không?'))).toHaveLength(2); // /start, then help + consent again
    expect(texts).toHaveLength(3);
  });

  it('keeps a restart exactly-once: an update processed but not yet confirmed is not processed again', async () => {
    fake = await FakeTelegramApi.start();
    const dir = mkdtempSync(join(tmpdir(), 'xhht-tg-poll-'));
    try {
      h = await startTelegramBot({ factory: createTelegramChannel, fake, env: POLLING, dir });
      const user = 6004;
      const update = textUpdate(nextId(), user, '/start');
      fake.pushUpdate(update);
      await fake.waitFor(() => fake!.sentTo(user).length === 1, 'the reply');
      await h.close();
      // The process died before Telegram heard the confirmation: it delivers the update again.
      fake.confirmedOffset = 0;
      fake.pushUpdate(update);
      h = await startTelegramBot({ factory: createTelegramChannel, fake, env: POLLING, dir });
      await fake.waitFor(() => fake!.confirmedOffset > update.update_id, 'the redelivery consumed');
      await h.idle();
      expect(fake.sentTo(user)).toHaveLength(1);
    } finally {
      await h?.close();
      h = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
