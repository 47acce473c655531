import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeTelegramApi } from '../fakes/telegramApi.ts';
import { FakeZaloApi } from '../fakes/zaloApi.ts';
import { type FaultBot, startFaultBot } from './support/faultBot.ts';
import { FaultProxy } from './support/faultProxy.ts';
import { leaksIn, readLogs } from './support/logScan.ts';
import { type Citizen, citizensOn, deliveredTexts, runCitizens } from './support/scenario.ts';
import { secretsAndPersonalValues, TG_TOKEN, ZALO_TOKEN } from './support/values.ts';

/**
 * Platform faults: both fake platforms sit behind a proxy that answers 20% of message calls with a
 * 429 (retry_after 1 s on Telegram, "Quota exceeded" on Zalo), a 500, or silence until the client's
 * timeout. Every reply must still arrive, and each chat's replies in the order of a fault-free run of
 * the same script. A disturbed call never reaches the platform, so it is never delivered twice; the
 * only duplicates allowed are those of calls the platform did answer after the client had given up
 * (the proxy counts them), and they can only repeat the message just sent.
 */

const SEED = Number(process.env.XHHT_FAULT_SEED ?? 20261122);
const citizens: Citizen[] = citizensOn(['telegram', 'zalo'], 4);
const logs: string[] = [];
const dirs: string[] = [];

async function run(faulty: boolean) {
  const telegram = await FakeTelegramApi.start(TG_TOKEN);
  const zalo = await FakeZaloApi.start({ token: ZALO_TOKEN });
  const tgProxy = await FaultProxy.start({
    target: telegram.apiRoot,
    platform: 'telegram',
    rate: faulty ? 0.2 : 0,
    methods: ['sendMessage', 'editMessageReplyMarkup', 'answerCallbackQuery'],
    seed: SEED,
    retryAfterSeconds: 1,
  });
  const zaloProxy = await FaultProxy.start({ target: zalo.apiRoot, platform: 'zalo', rate: faulty ? 0.2 : 0, methods: ['sendMessage', 'sendChatAction'], seed: SEED + 1 });
  const fb: FaultBot = await startFaultBot({
    telegramApiRoot: tgProxy.url,
    zaloApiRoot: zaloProxy.url,
    // Short client timeouts so a silent platform costs a second, not the production 15–30 s.
    telegram: { requestTimeoutSeconds: 2 },
    zalo: { requestTimeoutMs: 1500, quotaBackoffMs: 100 },
  });
  try {
    await runCitizens(fb, citizens, { copies: 1 });
    await fb.idle(90_000);
    return {
      texts: deliveredTexts({ telegram, zalo }, citizens),
      counts: fb.bot.store.outboxCounts(),
      faults: { telegram: { ...tgProxy.counts }, zalo: { ...zaloProxy.counts } },
    };
  } finally {
    await fb.close({ keepDir: true });
    logs.push(fb.logFile);
    dirs.push(fb.dir);
    await Promise.all([tgProxy.close(), zaloProxy.close()]);
    await Promise.all([telegram.close(), zalo.close()]);
  }
}

describe('platform faults: 20% of calls answered 429, 500 or not at all', () => {
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it(`delivers every reply, in order per chat, never twice unless the platform took it and the client timed out (seed ${SEED})`, async () => {
    const [clean, faulty] = await Promise.all([run(false), run(true)]);

    // The faults did happen, of every kind, on both platforms.
    for (const platform of ['telegram', 'zalo'] as const) {
      const f = faulty.faults[platform];
      expect(f.rateLimited, `${platform} 429s`).toBeGreaterThan(0);
      expect(f.serverError, `${platform} 500s`).toBeGreaterThan(0);
      expect(f.timeout, `${platform} timeouts`).toBeGreaterThan(0);
    }
    expect(clean.faults.telegram.rateLimited + clean.faults.zalo.serverError).toBe(0);

    expect(faulty.counts).toEqual({ sent: clean.counts.sent });
    const duplicates = { clean: 0, faulty: 0 };
    const collapse = (texts: string[], run: 'clean' | 'faulty') => {
      const once = texts.filter((t, i) => i === 0 || t !== texts[i - 1]);
      duplicates[run] += texts.length - once.length;
      return once;
    };
    for (const [chat, texts] of clean.texts) {
      const expected = collapse(texts, 'clean');
      expect(expected.length, `${chat} got replies`).toBeGreaterThan(10);
      expect(collapse(faulty.texts.get(chat) ?? [], 'faulty'), chat).toEqual(expected);
    }
    expect(duplicates.clean).toBeLessThanOrEqual(clean.faults.telegram.abandoned + clean.faults.zalo.abandoned);
    expect(duplicates.faulty).toBeLessThanOrEqual(faulty.faults.telegram.abandoned + faulty.faults.zalo.abandoned);
  }, 180_000);

  it('its logs hold no token, secret or personal value', () => {
    const { text, lines } = readLogs(...logs);
    expect(text).toContain('message retry scheduled');
    expect(lines).toBeGreaterThan(100);
    expect(leaksIn(text, secretsAndPersonalValues(citizens.map((c) => c.citizen)))).toEqual([]);
  });
});
