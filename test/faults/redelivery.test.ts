import { rmSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeTelegramApi } from '../fakes/telegramApi.ts';
import { FakeZaloApi } from '../fakes/zaloApi.ts';
import { CITIZEN_TURNS } from '../helpers/citizenScript.ts';
import { type FaultBot, startFaultBot } from './support/faultBot.ts';
import { leaksIn, readLogs } from './support/logScan.ts';
import { checkCitizenRecord, type Citizen, citizensOn, deliveredTexts, runCitizens } from './support/scenario.ts';
import { secretsAndPersonalValues, TG_TOKEN, ZALO_TOKEN } from './support/values.ts';

/**
 * Redelivery: the same scripted load twice, once with every update delivered once and once with
 * every update delivered three times (two at once, one late, interleaved with other citizens and the
 * citizen's next update). The second run must leave exactly what the first left: the same answers,
 * the same outbox, and the same replies, each sent once.
 */

// The fakes' per-channel rate limits (Telegram 30/s, Zalo 10/s) set the pace: keep the load small.
const citizens: Citizen[] = citizensOn(['telegram', 'zalo'], 5);
const logs: string[] = [];
const dirs: string[] = [];

async function run(copies: 1 | 3) {
  const telegram = await FakeTelegramApi.start(TG_TOKEN);
  const zalo = await FakeZaloApi.start({ token: ZALO_TOKEN });
  const fb: FaultBot = await startFaultBot({ telegramApiRoot: telegram.apiRoot, zaloApiRoot: zalo.apiRoot });
  try {
    await runCitizens(fb, citizens, { copies });
    await fb.idle();
    const db = fb.bot.store.db;
    return {
      texts: deliveredTexts({ telegram, zalo }, citizens),
      inbox: (db.prepare('SELECT COUNT(*) AS n FROM inbox').get() as { n: number }).n,
      outbox: db.prepare('SELECT channel, chat_id, kind, payload, status FROM outbox ORDER BY id').all() as Array<Record<string, unknown>>,
      answers: (db.prepare('SELECT COUNT(*) AS n FROM answers').get() as { n: number }).n,
      problems: citizens.flatMap((c) => checkCitizenRecord(db as Database.Database, c)),
      sendCalls: telegram.callsTo('sendMessage', { okOnly: true }).length + zalo.callsTo('sendMessage').filter((c) => c.status === 200).length,
    };
  } finally {
    await fb.close({ keepDir: true });
    logs.push(fb.logFile);
    dirs.push(fb.dir);
    await telegram.close();
    await zalo.close();
  }
}

describe('redelivery: every update three times, interleaved', () => {
  let once: Awaited<ReturnType<typeof run>>;
  let thrice: Awaited<ReturnType<typeof run>>;

  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('leaves exactly what single delivery leaves: answers once, replies once', async () => {
    // Two independent bots, run side by side to halve the wall time.
    [once, thrice] = await Promise.all([run(1), run(3)]);

    expect(once.problems).toEqual([]);
    expect(thrice.problems).toEqual([]);
    expect(thrice.inbox).toBe(citizens.length * CITIZEN_TURNS);
    expect(thrice.answers).toBe(once.answers);
    // Same outbox rows, same order per chat, all sent.
    const strip = (rows: Array<Record<string, unknown>>) => rows.map((r) => `${r.channel}|${r.chat_id}|${r.kind}|${r.payload}|${r.status}`).sort();
    expect(strip(thrice.outbox)).toEqual(strip(once.outbox));
    expect(thrice.outbox.every((r) => r.status === 'sent')).toBe(true);
    // Every chat received the same texts, in the same order, each once.
    for (const [chat, texts] of once.texts) {
      expect(texts.length, `${chat} got replies`).toBeGreaterThan(CITIZEN_TURNS);
      expect(thrice.texts.get(chat), chat).toEqual(texts);
    }
    expect(thrice.sendCalls).toBe(once.sendCalls);
  }, 120_000);

  it('its logs hold no token, secret or personal value', () => {
    const { text, lines } = readLogs(...logs);
    expect(lines).toBeGreaterThan(100);
    expect(leaksIn(text, secretsAndPersonalValues(citizens.map((c) => c.citizen)))).toEqual([]);
  });
});
