/**
 * Reminder benchmark: one deadline step for 10,000 focal points, planned into the outbox and sent
 * through the real OutboxSender and TelegramTransport to a fake Bot API on 127.0.0.1 that accepts N
 * messages per second and answers 429 with retry_after beyond that. Telegram does not publish how it
 * counts, so the fake has two limiters: `window` (at most N in any sliding second: the strictest
 * reading) and `bucket` (a token bucket of N per second holding up to N).
 *
 *   node --import tsx test/bench/reminders.bench.ts [--rate 30] [--focal 10000] [--limiter window|bucket]
 *
 * Figures: elapsed / (focal / N) — the target is ≤ 1.05 —, duplicates and lost messages (both
 * must be 0), 429s answered, peak memory, and how long the planner took. Two planners run the same
 * step at once on two connections, so duplicates also covers the planner's exactly-once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Api } from 'grammy';
import { TelegramTransport } from '../../src/channels/telegram/transport.ts';
import { loadFlowsOrThrow } from '../../src/flow/load.ts';
import { silentLogger } from '../../src/log.ts';
import { type ChannelTransport, OutboxSender } from '../../src/outbox/sender.ts';
import { loadCalendar } from '../../src/reminders/calendar.ts';
import { ReminderPlanner } from '../../src/reminders/planner.ts';
import { ReminderSchedule } from '../../src/reminders/schedule.ts';
import { Store } from '../../src/store/store.ts';
import { formatNumber, table } from './lib/stats.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const TOKEN = '123456:BENCH-token_abcdefghijklmnop';
/** The morning of the d-7 step of the "Đơn vị học tập" dossier (due before 15/01/2027). */
const STEP_AT = new Date('2027-01-07T08:00:00+07:00');
/** A run that has not drained by then is reported as such rather than waited for. */
const MAX_SECONDS_FACTOR = 3;

const { values } = parseArgs({
  options: { rate: { type: 'string', default: '30' }, focal: { type: 'string', default: '10000' }, limiter: { type: 'string', default: 'window' } },
});
const RATE = Number(values.rate);
const FOCAL = Number(values.focal);
const LIMITER = values.limiter;
if (!(RATE > 0) || !(FOCAL > 0)) throw new Error('--rate and --focal must be positive numbers');
if (LIMITER !== 'window' && LIMITER !== 'bucket') throw new Error('--limiter must be window or bucket');

/** A Bot API stand-in that enforces RATE sendMessage calls per second and counts deliveries per chat. */
class RateLimitedTelegram {
  readonly delivered = new Map<string, number>();
  rejected429 = 0;
  private readonly window: number[] = [];
  private tokens = RATE;
  private last = performance.now();
  private nextMessageId = 1;
  private readonly server = createServer((req, res) => this.onRequest(req, res));

  async start(): Promise<string> {
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private admit(now: number): boolean {
    if (LIMITER === 'bucket') {
      this.tokens = Math.min(RATE, this.tokens + ((now - this.last) / 1000) * RATE);
      this.last = now;
      if (this.tokens < 1) return false;
      this.tokens -= 1;
      return true;
    }
    while (this.window.length > 0 && this.window[0]! <= now - 1000) this.window.shift();
    if (this.window.length >= RATE) return false;
    this.window.push(now);
    return true;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = (req.url ?? '').split('?')[0]!.split('/').pop();
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (method !== 'sendMessage') return reply(200, { ok: true, result: true });
      if (!this.admit(performance.now())) {
        this.rejected429++;
        return reply(429, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { chat_id: number | string };
      const chat = String(body.chat_id);
      this.delivered.set(chat, (this.delivered.get(chat) ?? 0) + 1);
      reply(200, {
        ok: true,
        result: { message_id: this.nextMessageId++, date: Math.floor(Date.now() / 1000), chat: { id: Number(chat), type: 'private' }, text: '.' },
      });
    });
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'xhht-bench-rem-'));
  const fake = new RateLimitedTelegram();
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const sampler = setInterval(sample, 50);
  try {
    const store = new Store(join(dir, 'bench.sqlite'));
    const seedAt = new Date('2026-12-01T00:00:00Z').toISOString();
    store.transaction(() => {
      for (let i = 0; i < FOCAL; i++) {
        const id = `u${i}`;
        store.units.upsertUnit({ id, name: `Trường ${i}`, type: 'school', tier: 'province', communeCode: '1', active: true }, seedAt);
        const person = store.createPerson('telegram', String(1_000_000 + i), seedAt);
        store.units.joinUnit(person.id, id, seedAt);
      }
    });
    const schedule = new ReminderSchedule(loadCalendar(join(ROOT, 'data', 'deadlines.yaml')), loadFlowsOrThrow(join(ROOT, 'flows')));

    // Two planners on two connections, at once: the step must be queued exactly once per person.
    const second = new Store(store.path);
    const planStarted = performance.now();
    const reports = await Promise.all(
      [store, second].map((s) => new ReminderPlanner({ store: s, schedule, logger: silentLogger, now: () => STEP_AT }).tick()),
    );
    const planMs = performance.now() - planStarted;
    second.close();
    const queued = reports.reduce((n, r) => n + r.queued, 0);
    sample();

    const apiRoot = await fake.start();
    const telegram = new TelegramTransport({ api: new Api(TOKEN, { apiRoot }), store, logger: silentLogger, token: TOKEN, now: () => STEP_AT });
    // The real transport declares Telegram's 30/s; for another N the sender is told N.
    const transport: ChannelTransport =
      RATE === telegram.maxPerSecond ? telegram : { channel: telegram.channel, maxPerSecond: RATE, send: (row, payload) => telegram.send(row, payload) };
    // The outbox rows are due at STEP_AT; the sender's clock runs from there.
    const offset = STEP_AT.getTime() - Date.now();
    const sender = new OutboxSender({ store, transports: [transport], logger: silentLogger, pollMs: 20, now: () => new Date(Date.now() + offset) });
    const ideal = FOCAL / RATE;
    const started = performance.now();
    sender.start();
    let drained = false;
    while (performance.now() - started < ideal * MAX_SECONDS_FACTOR * 1000) {
      await new Promise((r) => setTimeout(r, 50));
      if (!store.outboxCounts().pending) {
        drained = true;
        break;
      }
    }
    const elapsed = (performance.now() - started) / 1000;
    await sender.stop();
    sample();

    let duplicates = 0;
    for (const n of fake.delivered.values()) duplicates += n - 1;
    const lost = FOCAL - fake.delivered.size;
    const counts = store.outboxCounts();
    // What the planner costs every minute while the step is open and everything is already queued.
    const idleStarted = performance.now();
    const idle = await new ReminderPlanner({ store, schedule, logger: silentLogger, now: () => new Date(STEP_AT.getTime() + 3600_000) }).tick();
    const idleMs = performance.now() - idleStarted;
    store.close();

    process.stdout.write(
      `Reminders: one deadline step to ${formatNumber(FOCAL)} focal points on Telegram, fake Bot API at ${RATE} messages/s (${LIMITER} limiter)\n` +
        `(Node ${process.version}; ${drained ? 'outbox drained' : `NOT drained within ${MAX_SECONDS_FACTOR}× the ideal time`})\n\n`,
    );
    process.stdout.write(
      `${table([
        ['figure', 'value', 'target'],
        ['planner: reminders queued (two planners at once)', queued, FOCAL],
        ['planner: time for both ticks (s)', (planMs / 1000).toFixed(2), '—'],
        [`planner: a later tick, all queued (ms; queued ${idle.queued})`, idleMs.toFixed(0), '—'],
        ['sending: elapsed (s)', elapsed.toFixed(1), '—'],
        [`sending: ideal = ${FOCAL} / ${RATE} (s)`, ideal.toFixed(1), '—'],
        ['sending: elapsed / ideal', (elapsed / ideal).toFixed(3), '≤ 1.05'],
        ['429 answers (each retried after retry_after)', fake.rejected429, '—'],
        ['duplicates delivered', duplicates, 0],
        ['lost (never delivered)', lost, 0],
        ['outbox sent / pending / failed', `${counts.sent ?? 0} / ${counts.pending ?? 0} / ${counts.failed ?? 0}`, `${FOCAL} / 0 / 0`],
        ['peak RSS (MB)', (peakRss / 1048576).toFixed(0), '—'],
        ['peak heap used (MB)', (peakHeap / 1048576).toFixed(0), '—'],
      ])}\n`,
    );
  } finally {
    clearInterval(sampler);
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
