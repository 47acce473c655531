import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeTelegramApi } from '../fakes/telegramApi.ts';
import { FakeZaloApi } from '../fakes/zaloApi.ts';
import { type FaultBot, sendFuzzCase, startFaultBot } from './support/faultBot.ts';
import { FUZZ_MAX_BODY_BYTES, type FuzzTally, runFuzz } from './support/fuzzCases.ts';
import { leaksIn, readLogs } from './support/logScan.ts';
import { secretsAndPersonalValues, TG_TOKEN, ZALO_TOKEN, telegramUpdate, zaloUpdate } from './support/values.ts';

/**
 * Fuzzing both webhooks with 10,000 generated bodies (the benchmark runs 100,000): random JSON,
 * truncated JSON, bytes that are not UTF-8, huge strings around the body limit, deep nesting, wrong
 * types in real updates, unicode edge cases, hostile texts in valid updates, wrong secrets. Each must
 * get its exact status and never a 5xx; afterwards the bot still serves a citizen.
 * In process (app.request) for speed; synchronous=NORMAL because durability is not under test here.
 */

const RUNS = Number(process.env.XHHT_FUZZ_RUNS ?? 10_000);
let telegram: FakeTelegramApi;
let zalo: FakeZaloApi;
let fb: FaultBot;
let tally: FuzzTally = {};

beforeAll(async () => {
  telegram = await FakeTelegramApi.start(TG_TOKEN);
  zalo = await FakeZaloApi.start({ token: ZALO_TOKEN });
  fb = await startFaultBot({
    telegramApiRoot: telegram.apiRoot,
    zaloApiRoot: zalo.apiRoot,
    env: { MAX_BODY_BYTES: String(FUZZ_MAX_BODY_BYTES), DB_SYNCHRONOUS: 'NORMAL' },
  });
});

afterAll(async () => {
  await fb?.close({ keepDir: true });
  await telegram?.close();
  await zalo?.close();
  if (fb) rmSync(fb.dir, { recursive: true, force: true });
});

describe(`fuzzing the webhooks (${RUNS.toLocaleString('en-US')} bodies)`, () => {
  it('answers every body with its exact status, never a 5xx', async () => {
    tally = await runFuzz((c) => sendFuzzCase(fb, c), RUNS);
    const kinds = Object.keys(tally);
    // Every family was generated for both channels, and both outcomes happened.
    for (const kind of ['random JSON', 'truncated JSON', 'not JSON', 'valid update, hostile text', 'huge string', 'deep nesting', 'wrong type', 'unicode edge cases', 'wrong secret']) {
      expect(kinds, kind).toContain(`telegram · ${kind}`);
      expect(kinds, kind).toContain(`zalo · ${kind}`);
    }
    const statuses = Object.values(tally).flatMap((byStatus) => Object.keys(byStatus));
    for (const s of ['200', '400', '401', '413']) expect(statuses).toContain(s);
  }, 600_000);

  it('still serves a citizen on both channels afterwards', async () => {
    const before = fb.bot.store.outboxCounts();
    expect(await fb.post('telegram', telegramUpdate(999_001, 0, 'xin chào'))).toBe(200);
    expect(await fb.post('zalo', zaloUpdate(999_001, 0, 'xin chào'))).toBe(200);
    const rows = fb.bot.store.outboxRows().slice(-2);
    expect(rows.map((r) => r.channel).sort()).toEqual(['telegram', 'zalo']);
    expect(JSON.parse(rows[0]!.payload).text).toContain('Anh/Chị có đồng ý không?');
    expect((fb.bot.store.outboxCounts().pending ?? 0) + (fb.bot.store.outboxCounts().sent ?? 0)).toBeGreaterThan((before.pending ?? 0) + (before.sent ?? 0));
  });

  it('logged no unhandled error, and no token, secret or personal value', async () => {
    await fb.close({ keepDir: true });
    const { text, lines } = readLogs(fb.logFile);
    expect(lines).toBeGreaterThan(1000);
    expect(text).not.toContain('unhandled error in HTTP handler');
    expect(leaksIn(text, secretsAndPersonalValues())).toEqual([]);
  });
});
