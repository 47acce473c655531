import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Bot, startBot } from '../../src/app.ts';
import { createZaloChannel } from '../../src/channels/zalo/index.ts';
import { parseConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/log.ts';
import { FakeZaloApi, type FakeZaloOptions, stickerUpdate, textUpdate, zaloReplies } from '../fakes/zaloApi.ts';

const TOKEN = '5566778899:polling-token-Qw3';
const FIXTURE_FLOWS = resolve(import.meta.dirname, '../fixtures/zalo');

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function startPollingBot(
  fakeOpts: Partial<FakeZaloOptions> = {},
  prepare: (fake: FakeZaloApi) => void = () => undefined,
): Promise<{ bot: Bot; fake: FakeZaloApi }> {
  const fake = await FakeZaloApi.start({ token: TOKEN, pollHoldMs: 100, ...fakeOpts });
  // A webhook left over from an earlier deployment: polling must remove it first.
  fake.webhookUrl = 'https://old.example.org/webhooks/zalo';
  prepare(fake);
  const dir = mkdtempSync(join(tmpdir(), 'xhht-zalo-poll-'));
  const bot = await startBot(
    parseConfig({
      DB_PATH: join(dir, 'bot.sqlite'),
      PORT: '0',
      FLOWS_DIR: FIXTURE_FLOWS,
      OUTBOX_POLL_MS: '20',
      LOCAL_CHAT_ON_START: 'false',
      ZALO_BOT_TOKEN: TOKEN,
      ZALO_API_ROOT: fake.apiRoot,
      ZALO_MODE: 'polling',
    }),
    silentLogger,
    [createZaloChannel],
  );
  let stopped = false;
  cleanup.push(async () => {
    if (!stopped) await bot.stop();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const stop = bot.stop;
  bot.stop = async () => {
    stopped = true;
    await stop();
  };
  return { bot, fake };
}

describe('Zalo channel, polling mode', () => {
  it('deletes the webhook, long-polls through 408s, and answers an update', async () => {
    const { bot, fake } = await startPollingBot();
    await fake.waitFor('three empty polls', () => fake.callsTo('getUpdates').filter((c) => c.status === 408).length >= 3);
    expect(fake.calls[0]!.method).toBe('deleteWebhook');
    expect(fake.callsTo('getUpdates')[0]!.params).toEqual({ timeout: '30' });
    expect(fake.callsTo('setWebhook')).toEqual([]);

    // After a 408 the next poll follows at once.
    const polls = fake.callsTo('getUpdates');
    const gap = polls[2]!.at - polls[1]!.at;
    expect(gap).toBeLessThan(100 + 80);

    fake.queueUpdate(textUpdate({ messageId: 'p-1', userId: 'u-poll', text: 'xin chào' }));
    await fake.waitFor('the consent prompt', () => fake.messagesTo('u-poll').length === 1);
    expect(fake.messagesTo('u-poll')[0]).toContain('Anh/Chị có đồng ý không?');

    // The same message fetched twice (no offset exists to prevent it) is handled once.
    fake.queueUpdate(textUpdate({ messageId: 'p-1', userId: 'u-poll', text: 'xin chào' }));
    fake.queueUpdate(textUpdate({ messageId: 'p-2', userId: 'u-poll', text: 'đồng ý' }));
    await fake.waitFor('the first question', () => fake.messagesTo('u-poll').some((t) => t.startsWith('Câu 1/3')));
    fake.queueUpdate(stickerUpdate({ messageId: 'p-3', userId: 'u-poll' }));
    await fake.waitFor('the question asked again', () => fake.messagesTo('u-poll').filter((t) => t.startsWith('Câu 1/3')).length === 2);
    expect(fake.messagesTo('u-poll').filter((t) => t.includes('Anh/Chị có đồng ý không?'))).toHaveLength(1);
    expect(bot.channels[0]!.health()).toMatchObject({ mode: 'polling', polling: true, pollFailures: 0 });
  });

  it('backs off exponentially on errors other than 408, then recovers', async () => {
    const { bot, fake } = await startPollingBot({}, (fake) => {
      fake.script('getUpdates', zaloReplies.serverError(), zaloReplies.serverError(), zaloReplies.quota());
      fake.queueUpdate(textUpdate({ messageId: 'b-1', userId: 'u-backoff', text: 'chào' }));
    });
    await fake.waitFor('the reply after recovery', () => fake.messagesTo('u-backoff').length === 1, 10_000);
    const polls = fake.callsTo('getUpdates');
    expect(polls.slice(0, 4).map((c) => c.status)).toEqual([500, 500, 429, 200]);
    const gaps = [polls[1]!.at - polls[0]!.at, polls[2]!.at - polls[1]!.at, polls[3]!.at - polls[2]!.at];
    // 500 ms, 1 s, 2 s (±20 % jitter).
    expect(gaps[0]).toBeGreaterThanOrEqual(380);
    expect(gaps[1]).toBeGreaterThanOrEqual(780);
    expect(gaps[2]).toBeGreaterThanOrEqual(1580);
    expect(gaps[2]).toBeLessThan(3000);
    expect(bot.channels[0]!.health()).toMatchObject({ pollFailures: 0 });
  });

  it('retries deleteWebhook before the first poll when it fails', async () => {
    const { fake } = await startPollingBot({}, (fake) => fake.script('deleteWebhook', zaloReplies.serverError()));
    await fake.waitFor('a poll', () => fake.callsTo('getUpdates').length >= 1, 5000);
    expect(fake.calls.slice(0, 3).map((c) => (c.method === 'getUpdates' ? c.method : [c.method, c.status]))).toEqual([
      ['deleteWebhook', 500],
      ['deleteWebhook', 200],
      'getUpdates',
    ]);
    expect(fake.webhookUrl).toBe('');
  });

  it('stop() ends a long poll in progress promptly', async () => {
    const { bot, fake } = await startPollingBot({ pollHoldMs: 30_000 });
    await fake.waitFor('a poll in progress', () => fake.callsTo('getUpdates').length === 1);
    const started = Date.now();
    await bot.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    const count = fake.callsTo('getUpdates').length;
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.callsTo('getUpdates').length).toBe(count);
  });

  it('has no webhook route without ZALO_WEBHOOK_SECRET (nothing unauthenticated is accepted)', async () => {
    const { bot } = await startPollingBot();
    const res = await fetch(`http://127.0.0.1:${bot.port}/webhooks/zalo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(textUpdate({ messageId: 'w-1', userId: 'u-web', text: 'chào' })),
    });
    expect(res.status).toBe(404);
    expect(bot.store.hasInbound('zalo', 'w-1')).toBe(false);
  });
});
