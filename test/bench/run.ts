import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runFuzzBench } from './fuzz.ts';
import { startChild } from './lib/children.ts';
import { runMemoryBench } from './memory.ts';
import { runPerStepBench } from './perStep.ts';
import { runTurnsBench } from './turns.ts';

/**
 * `npm run bench`: the benchmarks of issue 8 (turns per second against the grammY peer and the
 * SQLite floor, per-step cost, memory, the 100,000-body fuzz run), then every other
 * test/bench/*.bench.ts script, one after the other. Everything runs on 127.0.0.1 and stops by
 * itself. `--only turns,steps,memory,fuzz,others` picks sections; `--quick` shortens every run
 * (a smoke test of the bench itself, not figures to quote).
 */

const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean', default: false } } });
const wanted = new Set((values.only ?? 'turns,steps,memory,fuzz,others').split(',').map((s) => s.trim()));
const quick = values.quick ?? false;
const here = import.meta.dirname;
const report: string[] = [];
const say = (text: string) => {
  report.push(text);
  process.stdout.write(`${text}\n\n`);
};

say(
  `xhht-bot benchmarks — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ` +
    `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}${quick ? ' — QUICK MODE, figures not comparable' : ''}`,
);

const api = await startChild<{ apiRoot: string }>('servers/instantTelegram.ts', {});
try {
  if (wanted.has('turns')) {
    const r = await runTurnsBench({ rounds: quick ? 1 : 6, sliceSeconds: quick ? 2 : 5, warmupSeconds: quick ? 1 : 2, connections: 40, instantApiRoot: api.ready.apiRoot });
    say(r.text);
  }
  if (wanted.has('steps')) say((await runPerStepBench({ citizens: quick ? { FULL: 5, OFF: 20 } : { FULL: 120, OFF: 200 } })).text);
  if (wanted.has('memory')) say((await runMemoryBench({ conversations: quick ? 500 : 10_000, connections: 40, instantApiRoot: api.ready.apiRoot })).text);
} finally {
  await api.stop();
}
if (wanted.has('fuzz')) say((await runFuzzBench({ runs: quick ? 2_000 : 100_000 })).text);

const resultsDir = join(here, '..', '..', 'test-results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'bench.txt'), `${report.join('\n\n')}\n`);

if (wanted.has('others')) {
  for (const script of readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort()) {
    process.stdout.write(`--- ${script} ---\n`);
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(here, script)], { stdio: 'inherit' });
    if (run.status !== 0) process.exitCode = 1;
  }
}
