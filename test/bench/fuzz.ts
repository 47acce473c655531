import { rmSync } from 'node:fs';
import { FakeTelegramApi } from '../fakes/telegramApi.ts';
import { FakeZaloApi } from '../fakes/zaloApi.ts';
import { sendFuzzCase, startFaultBot } from '../faults/support/faultBot.ts';
import { FUZZ_MAX_BODY_BYTES, runFuzz } from '../faults/support/fuzzCases.ts';
import { leaksIn, readLogs } from '../faults/support/logScan.ts';
import { secretsAndPersonalValues, TG_TOKEN, telegramUpdate, ZALO_TOKEN, zaloUpdate } from '../faults/support/values.ts';
import { table } from './lib/stats.ts';

/**
 * The large fuzz run: the generator of test/faults/fuzz.test.ts (which runs 10,000 in CI) at
 * 100,000 bodies, in process, then a citizen on each channel, then the log scan. Throws on the
 * first wrong status (with fast-check's shrunk counterexample).
 */
export async function runFuzzBench(o: { runs: number }): Promise<{ text: string }> {
  const telegram = await FakeTelegramApi.start(TG_TOKEN);
  const zalo = await FakeZaloApi.start({ token: ZALO_TOKEN });
  const fb = await startFaultBot({
    telegramApiRoot: telegram.apiRoot,
    zaloApiRoot: zalo.apiRoot,
    env: { MAX_BODY_BYTES: String(FUZZ_MAX_BODY_BYTES), DB_SYNCHRONOUS: 'NORMAL' },
  });
  const started = performance.now();
  try {
    const tally = await runFuzz((c) => sendFuzzCase(fb, c), o.runs);
    const seconds = (performance.now() - started) / 1000;
    const after = [await fb.post('telegram', telegramUpdate(999_001, 0, 'xin chào')), await fb.post('zalo', zaloUpdate(999_001, 0, 'xin chào'))];
    if (after.some((s) => s !== 200)) throw new Error(`a valid update after the fuzzing got ${after.join(', ')}`);
    await fb.close({ keepDir: true });
    const logs = readLogs(fb.logFile);
    const leaks = leaksIn(logs.text, secretsAndPersonalValues());
    if (leaks.length > 0) throw new Error(`the logs of the fuzz run hold: ${leaks.join(', ')}`);
    const statuses = ['200', '400', '401', '413'];
    const rows = Object.entries(tally)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, byStatus]) => [kind, ...statuses.map((s) => byStatus[s] ?? 0), Object.entries(byStatus).filter(([s]) => !statuses.includes(s)).length]);
    return {
      text: [
        `Fuzzing: ${o.runs.toLocaleString('en-US')} generated webhook bodies in ${seconds.toFixed(1)} s — every status as expected, no 5xx, no crash;`,
        `a valid update on each channel answered 200 afterwards; ${logs.lines.toLocaleString('en-US')} log lines scanned, no token, secret or personal value.`,
        table([['channel · family', ...statuses, 'other'], ...rows]),
      ].join('\n'),
    };
  } finally {
    await fb.close({ keepDir: true });
    rmSync(fb.dir, { recursive: true, force: true });
    await Promise.all([telegram.close(), zalo.close()]);
  }
}
