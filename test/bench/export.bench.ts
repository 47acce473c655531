/**
 * Export benchmark: 1,000,000 answers (50,000 responses × 20) to CSV and to XLSX, with time, peak RSS
 * and the CSV time as a ratio to `sqlite3 -csv` running the same two queries on the same file (the
 * floor: no pivoting, no formatting, no neutralising).
 *
 *   node --import tsx test/bench/export.bench.ts [--responses 50000]
 *
 * Each export runs in its own child process, so each peak RSS is that export's alone; a child that
 * only loads the modules gives the baseline.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, openSync, closeSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exportResponses } from '../../src/export/exportResponses.ts';
import { loadFlowsOrThrow } from '../../src/flow/load.ts';
import { longExportQuery, wideExportQuery } from '../../src/store/exportStore.ts';
import { Store } from '../../src/store/store.ts';
import { citizenAnswers, citizenResult, seedBulk } from '../export/seed.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SQLITE3 = '/usr/bin/sqlite3';
const FLOW_ID = 'cong-dan-hoc-tap';

interface WorkerReport {
  ms: number;
  /** User + system CPU time: steadier than wall time on a busy machine. */
  cpuMs: number;
  maxRssMb: number;
  responses: number;
  answers: number;
  bytes: number;
}

if (process.argv[2] === '--worker') {
  const [, , , mode, dbPath, outDir] = process.argv as [string, string, string, 'csv' | 'xlsx' | 'baseline', string, string];
  process.stdout.write(`${JSON.stringify(await runWorker(mode, dbPath, outDir))}\n`);
} else {
  await main();
}

async function runWorker(mode: 'csv' | 'xlsx' | 'baseline', dbPath: string, outDir: string): Promise<WorkerReport> {
  const flows = loadFlowsOrThrow(join(ROOT, 'flows'));
  const store = new Store(dbPath);
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let counts = { responses: 0, answers: 0 };
  let bytes = 0;
  if (mode === 'csv') {
    const wide = join(outDir, 'export.csv');
    const long = join(outDir, 'export-answers.csv');
    counts = await exportResponses({ store, flows, scope: {}, format: 'csv', output: createWriteStream(wide), answersOutput: createWriteStream(long) });
    bytes = statSync(wide).size + statSync(long).size;
  } else if (mode === 'xlsx') {
    const file = join(outDir, 'export.xlsx');
    counts = await exportResponses({ store, flows, scope: {}, format: 'xlsx', output: createWriteStream(file) });
    bytes = statSync(file).size;
  }
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuStarted);
  store.close();
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024, responses: counts.responses, answers: counts.answers, bytes };
}

function worker(mode: string, dbPath: string, outDir: string): WorkerReport {
  const child = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--worker', mode, dbPath, outDir], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`${mode} worker failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as WorkerReport;
}

/**
 * The same two queries as the CSV export, written by the sqlite3 shell to files. Run under bash's
 * `time` so the shell's CPU time is known too (a child's CPU time is not visible from Node).
 */
function sqliteFloor(dbPath: string, outDir: string): { ms: number; cpuMs: number | undefined; bytes: number } | undefined {
  if (!existsSync(SQLITE3)) return undefined;
  const bash = ['/bin/bash', '/usr/bin/bash'].find((b) => existsSync(b));
  const started = performance.now();
  let bytes = 0;
  let cpuMs: number | undefined = bash ? 0 : undefined;
  for (const [name, q] of [
    ['floor.csv', wideExportQuery({}, {})],
    ['floor-answers.csv', longExportQuery({}, {})],
  ] as const) {
    const file = join(outDir, name);
    const fd = openSync(file, 'w');
    const run = bash
      ? spawnSync(bash, ['-c', 'TIMEFORMAT="%U %S"; time "$0" -csv -header -readonly "$1" "$2"', SQLITE3, dbPath, q.sql], {
          stdio: ['ignore', fd, 'pipe'],
        })
      : spawnSync(SQLITE3, ['-csv', '-header', '-readonly', dbPath, q.sql], { stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    if (run.status !== 0) throw new Error(`sqlite3 failed: ${run.stderr}`);
    if (bash && cpuMs !== undefined) {
      const [user, sys] = run.stderr.toString().trim().split('\n').pop()!.split(' ').map(Number);
      cpuMs += ((user ?? 0) + (sys ?? 0)) * 1000;
    }
    bytes += statSync(file).size;
  }
  return { ms: performance.now() - started, cpuMs, bytes };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { responses: { type: 'string', default: '50000' } } });
  const responses = Number(values.responses);
  const dir = mkdtempSync(join(tmpdir(), 'xhht-export-bench-'));
  const dbPath = join(dir, 'bench.sqlite');
  try {
    const flow = loadFlowsOrThrow(join(ROOT, 'flows')).find((f) => f.id === FLOW_ID)!;
    const seedStarted = performance.now();
    const store = new Store(dbPath, { synchronous: 'NORMAL' });
    seedBulk(store.db, { responses, flowId: FLOW_ID, result: citizenResult(flow), answersOf: citizenAnswers });
    store.close();
    const seedMs = performance.now() - seedStarted;
    const answers = responses * citizenAnswers(0).length;
    console.log(`Seeded ${responses.toLocaleString('en')} responses × ${citizenAnswers(0).length} = ${answers.toLocaleString('en')} answers in ${(seedMs / 1000).toFixed(1)} s (${(statSync(dbPath).size / 1e6).toFixed(0)} MB database)\n`);

    const baseline = worker('baseline', dbPath, dir);
    const csv = worker('csv', dbPath, dir);
    const xlsx = worker('xlsx', dbPath, dir);
    const floor = sqliteFloor(dbPath, dir);

    const ratio = (ms: number, floorMs: number | undefined) => (floorMs ? `${(ms / floorMs).toFixed(1)}×` : 'n/a');
    const noFloor = 'n/a (no sqlite3)';
    const rows: string[][] = [
      ['what', 'wall (s)', 'CPU (s)', 'answers/s', 'peak RSS (MB)', 'output (MB)', 'wall vs sqlite3', 'CPU vs sqlite3'],
      ['node + modules only (baseline)', '-', '-', '-', baseline.maxRssMb.toFixed(0), '-', '-', '-'],
      ...([
        ['CSV (responses + answers files)', csv],
        ['XLSX (two sheets, streamed)', xlsx],
      ] as const).map(([what, r]) => [
        what,
        (r.ms / 1000).toFixed(2),
        (r.cpuMs / 1000).toFixed(2),
        Math.round(r.answers / (r.ms / 1000)).toLocaleString('en'),
        r.maxRssMb.toFixed(0),
        (r.bytes / 1e6).toFixed(1),
        floor ? ratio(r.ms, floor.ms) : noFloor,
        floor ? ratio(r.cpuMs, floor.cpuMs) : noFloor,
      ]),
      floor
        ? [
            'sqlite3 -csv, same two queries (floor)',
            (floor.ms / 1000).toFixed(2),
            floor.cpuMs === undefined ? 'n/a' : (floor.cpuMs / 1000).toFixed(2),
            Math.round(answers / (floor.ms / 1000)).toLocaleString('en'),
            '-',
            (floor.bytes / 1e6).toFixed(1),
            '1.0×',
            '1.0×',
          ]
        : ['sqlite3 -csv (floor)', `skipped: ${SQLITE3} not found`, '', '', '', '', '', ''],
    ];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
    for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    console.log(
      `\nExported ${csv.responses.toLocaleString('en')} responses and ${csv.answers.toLocaleString('en')} answers; export times exclude ` +
        `process start-up. Machine: ${cpus().length} CPU(s), load average ${loadavg()[0]!.toFixed(1)} at the end.`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
