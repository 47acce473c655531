import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startBot } from '../../src/app.ts';
import { createTelegramChannel } from '../../src/channels/telegram/index.ts';
import { parseConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/log.ts';
import { DATA_DIR, FakeTelegramApi, FLOWS_DIR, startTelegramBot, type TelegramHarness } from '../fakes/telegramApi.ts';

/**
 * Webhook turns run on a worker thread with its own SQLite connection (TURN_WORKER, on by default).
 * A 200 still means the turn was committed; a worker that dies loses nothing: its unanswered turns
 * get a 500, a new worker takes over, and the redelivered updates are processed once.
 */

let h: TelegramHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const start = (user: number, updateId: number) => ({
  update_id: updateId,
  message: { message_id: updateId, date: 1, chat: { id: user, type: 'private' }, from: { id: user, is_bot: false, first_name: 'A' }, text: '/start' },
});

describe('the turn worker', () => {
  it('commits webhook turns off the main thread before the 200, and the main thread sends the replies', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel });
    expect(h.bot.turnWorker).toBeDefined();
    const inMain = vi.spyOn(h.bot.service, 'handle');
    expect(await h.post(start(7001, 1))).toBe(200);
    // Read through the main thread's own connection: the worker's COMMIT is visible to it.
    expect(h.bot.store.hasInbound('telegram', '1')).toBe(true);
    expect(await h.post(start(7001, 1))).toBe(200);
    await h.idle();
    expect(h.fake.sentTo(7001)).toHaveLength(1);
    expect(inMain).not.toHaveBeenCalled();
  });

  it('commits the outbox sender’s outcomes in the worker, and on the main thread while the worker is down', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel });
    const worker = h.bot.turnWorker!;
    const writesInMain = vi.spyOn(h.bot.store, 'applyOutboxWrites');
    expect(await h.post(start(7002, 11))).toBe(200);
    await h.idle();
    expect(h.fake.sentTo(7002)).toHaveLength(1);
    expect(h.bot.store.pendingOutboxFor('telegram', '7002')).toHaveLength(0);
    expect(writesInMain).not.toHaveBeenCalled();

    // A reply queued while no worker runs (the planner's reminders, the admin's broadcasts) is
    // still marked sent, by this thread.
    await worker.close();
    h.bot.store.enqueue({ channel: 'telegram', chatId: '7002', personId: null, kind: 'reminder', payload: JSON.stringify({ kind: 'message', text: 'Nhắc hạn' }) }, new Date().toISOString());
    h.bot.sender.wake();
    await h.idle();
    expect(h.fake.sentTo(7002)).toHaveLength(2);
    expect(h.bot.store.pendingOutboxFor('telegram', '7002')).toHaveLength(0);
    expect(writesInMain).toHaveBeenCalled();
  });

  it('answers 500 for the turns a crashed worker held, restarts it, and processes each redelivery once', async () => {
    const fake = await FakeTelegramApi.start();
    h = await startTelegramBot({ factory: createTelegramChannel, fake });
    const worker = h.bot.turnWorker!;
    const users = Array.from({ length: 30 }, (_, i) => 7100 + i);
    const first = users.map((u, i) => h!.post(start(u, 100 + i)));
    // The crash lands while the turns are on their way or in the worker's batch.
    await new Promise((r) => setImmediate(r));
    await worker.crash();
    const statuses = await Promise.all(first);
    expect(statuses.every((s) => s === 200 || s === 500)).toBe(true);
    expect(statuses).toContain(500);
    for (const [i, s] of statuses.entries()) if (s === 200) expect(h.bot.store.hasInbound('telegram', String(100 + i))).toBe(true);

    await worker.restarted();
    const health = (await (await h.bot.app.request('/healthz')).json()) as { status: string; turns: Record<string, unknown> };
    expect(health.status).toBe('ok');
    expect(health.turns).toEqual({ where: 'worker thread', running: true, restarts: 1, pending: 0 });
    // Telegram delivers again whatever did not get a 200; redeliver everything to be sure.
    const again = await Promise.all(users.map((u, i) => h!.post(start(u, 100 + i))));
    expect(again.every((s) => s === 200)).toBe(true);
    await h.idle();
    for (const [i, u] of users.entries()) {
      expect(h.bot.store.hasInbound('telegram', String(100 + i))).toBe(true);
      expect(fake.sentTo(u), `user ${u}`).toHaveLength(1);
    }
  });

  it('passes its log lines to the main thread logger, marked as its own', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
    h = await startTelegramBot({ factory: createTelegramChannel, logger });
    const ready = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'turn worker ready');
    expect(ready).toMatchObject({ thread: 'turns', level: 20 });
  });

  it('is not started without a webhook to serve (no messenger, or polling only)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xhht-tw-'));
    const config = parseConfig({ DB_PATH: join(dir, 'bot.sqlite'), DATA_DIR, FLOWS_DIR, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', LOCAL_CHAT_ON_START: 'false' });
    const bot = await startBot(config, silentLogger, [createTelegramChannel]);
    try {
      expect(bot.channels).toEqual([]);
      expect(bot.turnWorker).toBeUndefined();
    } finally {
      await bot.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is not started for an in-memory database, which another connection could not see', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel, env: { DB_PATH: ':memory:' } });
    expect(h.bot.turnWorker).toBeUndefined();
    expect(await h.post(start(7300, 1))).toBe(200);
    expect(h.bot.store.hasInbound('telegram', '1')).toBe(true);
  });

  it('is not started when TURN_WORKER is off: turns run in the main thread', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel, env: { TURN_WORKER: 'off' } });
    expect(h.bot.turnWorker).toBeUndefined();
    expect(((await (await h.bot.app.request('/healthz')).json()) as { turns: unknown }).turns).toEqual({ where: 'main thread' });
    const inMain = vi.spyOn(h.bot.service, 'handle');
    expect(await h.post(start(7200, 1))).toBe(200);
    expect(inMain).toHaveBeenCalledTimes(1);
  });
});
