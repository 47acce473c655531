import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild } from './lib/children.ts';
import { FIRST_UPDATE_ID, telegramLoad } from './lib/load.ts';
import { table } from './lib/stats.ts';
import { SECRET, TOKEN } from './turns.ts';

/**
 * Benchmark 3: resident memory after 10,000 open conversations (each citizen greeted the bot and
 * agreed, so a session is stored and the first question is on screen). Each server runs in its own
 * process started with --expose-gc; RSS and the V8 heap are read after a forced GC, before and
 * after the load — for xhht-bot after its outbox sender stopped, since the 40,000 replies queued by
 * the load drain at Telegram's 30 messages/s long after it and sends in flight are not conversations.
 * synchronous=NORMAL here: memory does not depend on fsync, and it keeps the run short.
 */

interface MemoryFigures {
  rssStartMb: number;
  rssAfterMb: number;
  heapStartMb: number;
  heapAfterMb: number;
}

export async function runMemoryBench(o: { conversations: number; connections: number; instantApiRoot: string }): Promise<{ text: string; figures: Record<string, MemoryFigures> }> {
  const dir = mkdtempSync(join(tmpdir(), 'xhht-bench-mem-'));
  const figures: Record<string, MemoryFigures> = {};
  const mb = (bytes: number) => bytes / 1024 / 1024;
  try {
    for (const [label, script] of [
      ['xhht-bot', 'servers/ours.ts'],
      ['peer', 'servers/peer.ts'],
    ] as const) {
      type Memory = { rss: number; heapUsed: number };
      const child = await startChild<{ port: number; baseline: Memory }>(
        script,
        { BENCH_DB: join(dir, `${label}.sqlite`), BENCH_SYNC: 'NORMAL', BENCH_TOKEN: TOKEN, BENCH_SECRET: SECRET, BENCH_API_ROOT: o.instantApiRoot },
        { exposeGc: true },
      );
      try {
        const url = `http://127.0.0.1:${child.ready.port}/webhooks/telegram`;
        const turns = 2;
        const r = await telegramLoad({ url, secret: SECRET, connections: o.connections, amount: o.conversations * turns, turnsPerCitizen: turns, firstCitizen: 0, firstUpdateId: FIRST_UPDATE_ID });
        if (r.turns !== o.conversations * turns) throw new Error(`${label}: ${r.turns} of ${o.conversations * turns} turns answered 200`);
        const after = await child.stats<Memory>({ quiesce: true });
        const start = child.ready.baseline;
        figures[label] = { rssStartMb: mb(start.rss), rssAfterMb: mb(after.rss), heapStartMb: mb(start.heapUsed), heapAfterMb: mb(after.heapUsed) };
      } finally {
        await child.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const row = (label: string) => {
    const f = figures[label]!;
    return [label, f.rssStartMb, f.rssAfterMb, f.rssAfterMb - f.rssStartMb, f.heapStartMb, f.heapAfterMb, f.heapAfterMb - f.heapStartMb];
  };
  const text = [
    `Memory after ${o.conversations.toLocaleString('en-US')} open conversations (MB, after a forced GC; synchronous=NORMAL)`,
    table([['server', 'RSS at start', 'RSS after', 'RSS growth', 'heap at start', 'heap after', 'heap growth'], row('xhht-bot'), row('peer')]),
  ].join('\n');
  return { text, figures };
}
