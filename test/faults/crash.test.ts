import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeTelegramApi } from '../fakes/telegramApi.ts';
import { FakeZaloApi } from '../fakes/zaloApi.ts';
import { CITIZEN_TURNS } from '../helpers/citizenScript.ts';
import { channelsOf, type ServerProcess, startServe } from './support/childServer.ts';
import { SECRET_HEADERS, SECRETS, startFaultBot } from './support/faultBot.ts';
import { mulberry32 } from './support/faultProxy.ts';
import { leaksIn, readLogs } from './support/logScan.ts';
import { checkCitizenRecord, type Citizen, deliveredTexts, runCitizens } from './support/scenario.ts';
import { type ChannelName, secretsAndPersonalValues, TG_TOKEN, updateFor, ZALO_TOKEN } from './support/values.ts';

/**
 * Crash: the real server process (`node bin/xhht.js serve`) is killed with SIGKILL at random
 * moments while citizens talk to it — every other time with a delivery in flight — and restarted,
 * round after round. Citizens behave like the
 * platforms: an update without a 200 is delivered again, with the same id, until it gets one.
 * After every kill the database must pass integrity_check; at the end every update that got a 200
 * has its effect, every conversation resumed and finished, the outbox drained, and every reply was
 * delivered in order — at least once: a crash between the platform's acceptance of a message and
 * the commit marking it sent re-sends that message once after the restart.
 */

const ROUNDS = Number(process.env.XHHT_CRASH_ROUNDS ?? 25);
const SEED = Number(process.env.XHHT_FAULT_SEED ?? 424242);
const MAX_CITIZENS = 16;
const CONCURRENT = 6;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), 'xhht-crash-'));
const dbPath = join(dir, 'bot.sqlite');
const logFile = join(dir, 'serve.log');
const baselineLogs: string[] = [];
const baselineDirs: string[] = [];

afterAll(() => {
  for (const d of [dir, ...baselineDirs]) rmSync(d, { recursive: true, force: true });
});

function integrity(path: string): string {
  const db = new Database(path);
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

function eventIdOf(c: Citizen, turn: number): string {
  const u = updateFor(c.channel, c.citizen, turn) as { update_id?: number; result?: { message: { message_id: string } } };
  return c.channel === 'telegram' ? String(u.update_id) : u.result!.message.message_id;
}

/** `expected` appears in `received` in order; extras are only repeats of what was expected. */
function deliveredInOrder(expected: string[], received: string[]): { ok: boolean; extras: number } {
  let i = 0;
  for (const text of received) if (i < expected.length && text === expected[i]) i++;
  const known = new Set(expected);
  return { ok: i === expected.length && received.every((t) => known.has(t)), extras: received.length - expected.length };
}

describe(`crash: SIGKILL at random points under load (${ROUNDS} rounds, seed ${SEED})`, () => {
  it('loses no committed turn, resumes every session and drains the outbox', async () => {
    const random = mulberry32(SEED);
    const telegram = await FakeTelegramApi.start(TG_TOKEN);
    const zalo = await FakeZaloApi.start({ token: ZALO_TOKEN });
    const env = { dbPath, telegramApiRoot: telegram.apiRoot, zaloApiRoot: zalo.apiRoot, logFile };
    try {
      // The gate holds the address of the running server; posts wait on it while the server is down.
      let openGate: (base: string) => void = () => undefined;
      let gate = new Promise<string>((r) => (openGate = r));
      const closeGate = () => {
        gate = new Promise<string>((r) => (openGate = r));
      };

      let server: ServerProcess = await startServe(env);
      const channels = (await channelsOf(server.base)).filter((c): c is ChannelName => c === 'telegram' || c === 'zalo');
      // `serve` starts the messengers listed in src/cli/channels.ts; Zalo at least must be there.
      expect(channels).toContain('zalo');
      openGate(server.base);

      const citizens: Citizen[] = [];
      const acked: Array<{ c: Citizen; turn: number }> = [];
      const unexpected: string[] = [];
      let interrupted = 0;
      let inFlight = 0;
      const running = new Set<Promise<void>>();
      let spawning = true;

      const post = async (base: string, c: Citizen, turn: number): Promise<number> => {
        inFlight++;
        try {
          const res = await fetch(`${base}/webhooks/${c.channel}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', [SECRET_HEADERS[c.channel]]: SECRETS[c.channel] },
            body: JSON.stringify(updateFor(c.channel, c.citizen, turn)),
            signal: AbortSignal.timeout(15_000),
          });
          await res.arrayBuffer();
          return res.status;
        } catch {
          return 0; // killed mid-request, or refused while down: deliver again later
        } finally {
          inFlight--;
        }
      };
      const talk = async (c: Citizen) => {
        for (let turn = 0; turn < CITIZEN_TURNS; turn++) {
          for (;;) {
            const status = await post(await gate, c, turn);
            if (status === 200) {
              acked.push({ c, turn });
              break;
            }
            if (status !== 0) unexpected.push(`${c.channel} ${c.citizen} turn ${turn}: HTTP ${status}`);
            else interrupted++;
            await sleep(10);
          }
          await sleep(100 + random() * 300);
        }
      };
      const spawn = () => {
        if (!spawning || citizens.length >= MAX_CITIZENS) return;
        const c: Citizen = { channel: channels[citizens.length % channels.length]!, citizen: 7000 + citizens.length };
        citizens.push(c);
        const p: Promise<void> = talk(c).finally(() => {
          running.delete(p);
          spawn();
        });
        running.add(p);
      };
      for (let i = 0; i < CONCURRENT; i++) spawn();

      const checks: string[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        if (round > 1) {
          server = await startServe(env);
          openGate(server.base);
        }
        await sleep(50 + random() * 750);
        // Every other kill waits for a delivery in flight (a turn between its commit and its 200);
        // the others land wherever they land (often between a send and its "sent" mark).
        if (round % 2 === 0) for (let waited = 0; inFlight === 0 && waited < 2000; waited++) await sleep(1);
        closeGate();
        server.child.kill('SIGKILL');
        const { signal } = await server.exited;
        expect(signal).toBe('SIGKILL');
        checks.push(integrity(dbPath));
      }
      expect(checks).toEqual(Array(ROUNDS).fill('ok'));

      // The last start: no more kills. Every citizen finishes; the outbox drains.
      spawning = false;
      server = await startServe(env);
      openGate(server.base);
      while (running.size > 0) await Promise.all([...running]);
      const deadline = Date.now() + 120_000;
      for (;;) {
        const health = (await (await fetch(`${server.base}/healthz`)).json()) as { channels: Record<string, { outbox?: { pending: number } }> };
        const pending = Object.values(health.channels).reduce((n, c) => n + (c.outbox?.pending ?? 0), 0);
        if (pending === 0) break;
        if (Date.now() > deadline) throw new Error(`outbox did not drain: ${JSON.stringify(health.channels)}`);
        await sleep(50);
      }
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);

      expect(unexpected).toEqual([]);
      expect(integrity(dbPath)).toBe('ok');
      const db = new Database(dbPath, { readonly: true });
      try {
        // Every update answered 200 is in the inbox, and its effects are there.
        const inInbox = db.prepare('SELECT 1 FROM inbox WHERE channel = ? AND event_id = ?');
        const missing = acked.filter(({ c, turn }) => !inInbox.get(c.channel, eventIdOf(c, turn)));
        expect(missing).toEqual([]);
        expect(acked.length).toBe(citizens.length * CITIZEN_TURNS);
        expect(citizens.flatMap((c) => checkCitizenRecord(db, c))).toEqual([]);
        const outbox = db.prepare('SELECT status, COUNT(*) AS n FROM outbox GROUP BY status').all() as Array<{ status: string; n: number }>;
        expect(outbox.map((r) => r.status)).toEqual(['sent']);
      } finally {
        db.close();
      }

      // Every reply arrived, in order per chat, compared with a run of the same script that never crashed.
      const bTelegram = await FakeTelegramApi.start(TG_TOKEN);
      const bZalo = await FakeZaloApi.start({ token: ZALO_TOKEN });
      const baseline = await startFaultBot({ telegramApiRoot: bTelegram.apiRoot, zaloApiRoot: bZalo.apiRoot, env: { DB_SYNCHRONOUS: 'NORMAL' } });
      try {
        await runCitizens(baseline, citizens, { copies: 1 });
        await baseline.idle(120_000);
        const expected = deliveredTexts({ telegram: bTelegram, zalo: bZalo }, citizens);
        const received = deliveredTexts({ telegram, zalo }, citizens);
        let resent = 0;
        for (const [chat, texts] of expected) {
          const got = deliveredInOrder(texts, received.get(chat) ?? []);
          expect(got.ok, `${chat}: every reply, in order`).toBe(true);
          resent += got.extras;
        }
        // At most the messages in flight at each kill (one per chat being served) come twice.
        expect(resent).toBeLessThanOrEqual(ROUNDS * CONCURRENT);
        console.info(
          `crash run: ${ROUNDS} kills, ${citizens.length} citizens on ${channels.join('+')}, ${acked.length} turns answered 200, ` +
            `${interrupted} deliveries refused or cut by a kill and delivered again, ${resent} replies sent twice`,
        );
      } finally {
        await baseline.close({ keepDir: true });
        baselineLogs.push(baseline.logFile);
        baselineDirs.push(baseline.dir);
        await Promise.all([bTelegram.close(), bZalo.close()]);
      }
    } finally {
      await Promise.all([telegram.close(), zalo.close()]);
    }
  }, 900_000);

  it('the server logs of all rounds hold no token, secret or personal value', () => {
    const { text, lines } = readLogs(logFile, ...baselineLogs);
    expect(lines).toBeGreaterThan(ROUNDS);
    expect(leaksIn(text, secretsAndPersonalValues([...Array(MAX_CITIZENS).keys()].map((i) => 7000 + i)))).toEqual([]);
  });
});
