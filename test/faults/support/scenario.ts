import type Database from 'better-sqlite3';
import type { FakeTelegramApi } from '../../fakes/telegramApi.ts';
import type { FakeZaloApi } from '../../fakes/zaloApi.ts';
import { CITIZEN_ANSWERS, QUESTION_OF_TURN } from '../../helpers/citizenScript.ts';
import type { FaultBot } from './faultBot.ts';
import { CITIZEN_TURNS, type ChannelName, faultText, updateFor, userIdOf } from './values.ts';

export interface Citizen {
  channel: ChannelName;
  citizen: number;
}

export function citizensOn(channels: ChannelName[], perChannel: number, first = 1): Citizen[] {
  return channels.flatMap((channel, c) => Array.from({ length: perChannel }, (_, i) => ({ channel, citizen: first + c * 1000 + i })));
}

/**
 * Every citizen takes the whole script, citizens concurrently. With `copies: 3` each update is
 * delivered three times: twice at once, and once more late, together with the citizen's next
 * update — what a webhook retry after a lost 200 looks like. Every delivery must answer 200.
 */
export async function runCitizens(fb: FaultBot, citizens: Citizen[], opts: { copies: 1 | 3 }): Promise<void> {
  const failures: string[] = [];
  const post = async (c: Citizen, turn: number) => {
    const status = await fb.post(c.channel, updateFor(c.channel, c.citizen, turn));
    if (status !== 200) failures.push(`${c.channel} citizen ${c.citizen} turn ${turn}: HTTP ${status}`);
  };
  await Promise.all(
    citizens.map(async (c) => {
      for (let turn = 0; turn < CITIZEN_TURNS; turn++) {
        if (opts.copies === 1) {
          await post(c, turn);
          continue;
        }
        await Promise.all([post(c, turn), post(c, turn), ...(turn > 0 ? [post(c, turn - 1)] : [])]);
      }
      if (opts.copies === 3) await post(c, CITIZEN_TURNS - 1);
    }),
  );
  if (failures.length > 0) throw new Error(`deliveries not answered 200:\n${failures.slice(0, 10).join('\n')}`);
}

/** Texts each citizen's chat received, in order, as the fake platforms recorded them. */
export function deliveredTexts(fakes: { telegram: FakeTelegramApi; zalo: FakeZaloApi }, citizens: Citizen[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of citizens) {
    const chat = userIdOf(c.channel, c.citizen);
    const texts = c.channel === 'telegram' ? fakes.telegram.sentTo(chat).map((m) => m.text) : fakes.zalo.messagesTo(chat);
    out.set(`${c.channel}:${c.citizen}`, texts);
  }
  return out;
}

/**
 * What the database must hold for a citizen who went through the whole script: one submitted
 * response with exactly the 12 answers typed (none superseded, none twice), each with the text
 * typed. Returns the problems found (empty: all good).
 */
export function checkCitizenRecord(db: Database.Database, c: Citizen): string[] {
  const problems: string[] = [];
  const who = `${c.channel} citizen ${c.citizen}`;
  const person = db.prepare('SELECT id FROM people WHERE channel = ? AND external_id = ?').get(c.channel, userIdOf(c.channel, c.citizen)) as
    | { id: number }
    | undefined;
  if (!person) return [`${who}: no person`];
  const responses = db.prepare('SELECT id, status FROM responses WHERE person_id = ? ORDER BY id').all(person.id) as Array<{ id: number; status: string }>;
  if (responses.length !== 1 || responses[0]!.status !== 'submitted') {
    problems.push(`${who}: responses ${JSON.stringify(responses.map((r) => r.status))}, expected one submitted`);
  }
  const answers = db
    .prepare('SELECT a.question_id, a.raw, a.superseded_at FROM answers a JOIN responses r ON r.id = a.response_id WHERE r.person_id = ? ORDER BY a.id')
    .all(person.id) as Array<{ question_id: string; raw: string; superseded_at: string | null }>;
  if (answers.length !== CITIZEN_ANSWERS) problems.push(`${who}: ${answers.length} answer rows, expected ${CITIZEN_ANSWERS}`);
  QUESTION_OF_TURN.forEach((question, turn) => {
    if (!question) return;
    const rows = answers.filter((a) => a.question_id === question);
    const typed = faultText(c.citizen, turn);
    if (rows.length !== 1) problems.push(`${who}: ${rows.length} answers to ${question}`);
    else if (rows[0]!.superseded_at !== null) problems.push(`${who}: the answer to ${question} was superseded`);
    // Choices store the typed text ("2") as raw; text answers store it tidied (same here).
    else if (rows[0]!.raw !== typed) problems.push(`${who}: ${question} holds "${rows[0]!.raw}", typed "${typed}"`);
  });
  return problems;
}
