import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type BenchChild, startChild } from './lib/children.ts';
import { processCpuMs } from './lib/cpu.ts';
import { CitizenPool, FIRST_UPDATE_ID, telegramLoad } from './lib/load.ts';
import { median, type RunFigures, ratio, table } from './lib/stats.ts';

/**
 * Benchmark 1: turns per second end to end at 40 concurrent connections on loopback —
 * HTTP webhook → verify → dedupe → engine → SQLite commit (FULL) → 200 — for xhht-bot (as it is,
 * and with group commit), the grammY peer and the SQLite floor, in one run.
 *
 * fsync latency on a shared or virtual disk drifts by an order of magnitude within minutes, and
 * every contender here is bound by it. So the contenders are not run one after the other: all
 * start, then take turns in short slices, round after round, in a rotating order, and each figure
 * is the aggregate of its slices (turns/s) or the median of its slices (latencies). A ratio then
 * compares contenders that saw the same disk. A contender waiting for its slice is frozen
 * (SIGSTOP), so its background work (xhht-bot's outbox sender) does not slow the one measured.
 * A slice is a number of requests (its contender's last rate × the slice length), not a duration:
 * the load client then waits for every answer, so no request is left half-done across a freeze, and
 * a citizen's next turn never overtakes the previous one. Besides throughput, each contender's own
 * CPU time per turn is measured (its process, all threads): the cost of a turn, which noise from
 * other tenants of the machine moves much less than turns per second.
 */

export const TOKEN = '123456:BENCH-token_abcdefghijklmnop';
export const SECRET = 'bench-secret_0123456789';

export interface TurnsOptions {
  rounds: number;
  sliceSeconds: number;
  warmupSeconds: number;
  connections: number;
  instantApiRoot: string;
}

type Name = 'ours' | 'peer' | 'floor';
const LABELS: Record<Name, string> = {
  ours: 'xhht-bot (webhook → group commit → 200)',
  peer: 'peer: grammY conversations + SQLite',
  floor: 'floor: bare SQLite, 1 tx per turn',
};

interface Contender {
  name: Name;
  freeze(frozen: boolean): void;
  /** Runs about `seconds` of load (the floor: exactly). */
  slice(seconds: number): Promise<RunFigures>;
  stop(): Promise<void>;
  /** Throws when the contender's database contradicts what the HTTP answers said. */
  check?(): void;
}

export interface TurnsReport {
  text: string;
  figures: Record<Name, RunFigures>;
  slices: Record<Name, RunFigures[]>;
}

export async function runTurnsBench(o: TurnsOptions): Promise<TurnsReport> {
  const dir = mkdtempSync(join(tmpdir(), 'xhht-bench-turns-'));
  const contenders: Contender[] = [];
  try {
    contenders.push(await floorContender(join(dir, 'floor.sqlite')));
    contenders.push(await serverContender(o, 'peer', 'servers/peer.ts', join(dir, 'peer.sqlite'), {}));
    contenders.push(await serverContender(o, 'ours', 'servers/ours.ts', join(dir, 'ours.sqlite'), {}));
    const measure = async (c: Contender, seconds: number) => {
      for (const other of contenders) other.freeze(other !== c);
      try {
        return await c.slice(seconds);
      } finally {
        for (const other of contenders) other.freeze(false);
      }
    };
    for (const c of contenders) await measure(c, o.warmupSeconds);

    const slices = { ours: [], peer: [], floor: [] } as Record<Name, RunFigures[]>;
    for (let round = 0; round < o.rounds; round++) {
      for (let i = 0; i < contenders.length; i++) {
        const c = contenders[(i + round) % contenders.length]!;
        slices[c.name].push(await measure(c, o.sliceSeconds));
      }
    }
    const figures = Object.fromEntries(Object.entries(slices).map(([name, runs]) => [name, aggregate(runs)])) as Record<Name, RunFigures>;
    for (const c of contenders) c.check?.();
    return { text: render(o, figures, slices), figures, slices };
  } finally {
    for (const c of contenders) await c.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

function aggregate(runs: RunFigures[]): RunFigures {
  const turns = runs.reduce((a, r) => a + r.turns, 0);
  const seconds = runs.reduce((a, r) => a + r.seconds, 0);
  return {
    turns,
    seconds,
    turnsPerSecond: turns / seconds,
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    errors: runs.reduce((a, r) => a + (r.errors ?? 0), 0),
    ...(runs.every((r) => r.cpuMs !== undefined) ? { cpuMs: runs.reduce((a, r) => a + r.cpuMs!, 0) } : {}),
  };
}

/** Runs a slice and adds the CPU time the contender's process used during it. */
async function withCpu(pid: number | undefined, slice: () => Promise<RunFigures>): Promise<RunFigures> {
  const before = processCpuMs(pid);
  const r = await slice();
  const after = processCpuMs(pid);
  return before === undefined || after === undefined ? r : { ...r, cpuMs: after - before };
}

function render(o: TurnsOptions, f: Record<Name, RunFigures>, slices: Record<Name, RunFigures[]>): string {
  const cpu = (name: Name) => (f[name].cpuMs === undefined ? '—' : Math.round((f[name].cpuMs! * 1000) / f[name].turns));
  const row = (name: Name) => [LABELS[name], f[name].turnsPerSecond, f[name].p50Ms, f[name].p99Ms, cpu(name), f[name].turns, f[name].errors ?? 0];
  /** Spread of the ratio over the rounds (same disk conditions within a round). */
  const spread = (a: Name, b: Name) => {
    const rs = slices[a].map((s, i) => s.turnsPerSecond / (slices[b][i]?.turnsPerSecond ?? NaN)).filter(Number.isFinite);
    return rs.length > 1 ? `${Math.min(...rs).toFixed(2)}–${Math.max(...rs).toFixed(2)}` : '';
  };
  return [
    `Turns per second, end to end: Công dân học tập flow, ${o.connections} connections on 127.0.0.1, synchronous=FULL + WAL,`,
    `${o.rounds} rounds × ${o.sliceSeconds} s per contender in rotating order after ${o.warmupSeconds} s warm-up (latencies: median of the rounds)`,
    table([['contender', 'turns/s', 'p50 ms', 'p99 ms', 'CPU µs/turn', 'turns', 'errors'], row('ours'), row('peer'), row('floor')]),
    '',
    table([
      ['', '/ peer', 'per round', '/ floor', 'per round'],
      ['xhht-bot', ratio(f.ours.turnsPerSecond, f.peer.turnsPerSecond), spread('ours', 'peer'), ratio(f.ours.turnsPerSecond, f.floor.turnsPerSecond), spread('ours', 'floor')],
      ['target', '≥ 5×', '', '≥ 0.7×', ''],
    ]),
    ...(typeof cpu('ours') === 'number' && typeof cpu('peer') === 'number'
      ? ['', `CPU per turn, relative to xhht-bot: the peer ${ratio(cpu('peer') as number, cpu('ours') as number)}, the floor ${ratio(cpu('floor') as number, cpu('ours') as number)}.`]
      : []),
  ].join('\n');
}

async function floorContender(db: string): Promise<Contender> {
  const child = await startChild('servers/floor.ts', { BENCH_DB: db });
  return {
    name: 'floor',
    freeze: (frozen) => child.freeze(frozen),
    slice: (seconds) => withCpu(child.process.pid, () => child.run<RunFigures>({ seconds })),
    stop: () => child.stop(),
  };
}

async function serverContender(o: TurnsOptions, name: Name, script: string, db: string, env: Record<string, string>): Promise<Contender> {
  const child: BenchChild<{ port: number }> = await startChild(script, {
    BENCH_DB: db,
    BENCH_TOKEN: TOKEN,
    BENCH_SECRET: SECRET,
    BENCH_API_ROOT: o.instantApiRoot,
    ...env,
  });
  const url = `http://127.0.0.1:${child.ready.port}/webhooks/telegram`;
  // 400 citizens talk at once, ten per connection; each sends its next turn after the last answer.
  const pool = new CitizenPool({ firstCitizen: 0, size: 400, firstUpdateId: FIRST_UPDATE_ID });
  let next = 0;
  let answered = 0;
  // Requests per second, learnt from each slice; the first slice is a short warm-up anyway.
  let rate = 100;
  return {
    name,
    freeze: (frozen) => child.freeze(frozen),
    async slice(seconds) {
      const amount = Math.max(o.connections * 5, Math.round(rate * seconds));
      const r = await withCpu(child.process.pid, () => telegramLoad({ url, secret: SECRET, connections: o.connections, amount, firstCitizen: 0, firstUpdateId: FIRST_UPDATE_ID, pool }));
      next += amount;
      answered += r.turns;
      rate = r.turnsPerSecond;
      return r;
    },
    stop: () => child.stop(),
    // The work was really done: every citizen whose last turn was sent has a stored result (the
    // peer) or a submitted response (xhht-bot); and for xhht-bot every 200 is a committed turn.
    check() {
      const { finished } = pool;
      const read = new Database(db, { readonly: true });
      try {
        const one = (sql: string) => (read.prepare(sql).get() as { n: number }).n;
        const results = one(script.endsWith('ours.ts') ? "SELECT COUNT(*) AS n FROM responses WHERE status = 'submitted'" : 'SELECT COUNT(*) AS n FROM peer_results');
        if (results !== finished) throw new Error(`${LABELS[name]}: ${results} self-checks stored, ${finished} finished`);
        if (script.endsWith('ours.ts')) {
          const committed = one('SELECT COUNT(*) AS n FROM inbox');
          if (committed < answered || committed > next) throw new Error(`${LABELS[name]}: ${committed} turns committed for ${answered} answered 200 and ${next} sent`);
        }
      } finally {
        read.close();
      }
    },
  };
}
