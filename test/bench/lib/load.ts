import autocannon from 'autocannon';
import { CITIZEN_TURNS, citizenText } from '../../helpers/citizenScript.ts';
import type { RunFigures } from './stats.ts';

/**
 * The load: many simulated citizens, each request a distinct update_id. Requests are numbered in
 * the order autocannon sends them and mapped to (citizen, turn) in waves of WAVE citizens taking
 * turn 0 together, then turn 1, and so on: with far fewer requests in flight (40) than citizens in a
 * wave, a citizen's turn n+1 leaves only after turn n was answered, so every conversation
 * progresses — consent, then the answers, then the result — and every turn of the script is run
 * in proportion, however long the run.
 */

export const WAVE = 200;

export interface ScheduledTurn {
  citizen: number;
  turn: number;
  updateId: number;
}

/** `turns`: how far into the script each citizen goes (the whole conversation by default). */
export function scheduledTurn(n: number, firstCitizen: number, firstUpdateId: number, turns = CITIZEN_TURNS): ScheduledTurn {
  const perWave = WAVE * turns;
  const wave = Math.floor(n / perWave);
  const r = n % perWave;
  return { citizen: firstCitizen + wave * WAVE + (r % WAVE), turn: Math.floor(r / WAVE), updateId: firstUpdateId + n };
}

/** A Telegram update carrying citizen `citizen`'s text for `turn`, as Telegram would post it. */
export function telegramBody(t: ScheduledTurn): string {
  const userId = 10_000_000 + t.citizen;
  const from = { id: userId, is_bot: false, first_name: 'Người', last_name: 'Dân', language_code: 'vi' };
  return JSON.stringify({
    update_id: t.updateId,
    message: {
      message_id: t.updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: userId, type: 'private', first_name: 'Người', last_name: 'Dân' },
      from,
      text: citizenText(t.citizen, t.turn),
    },
  });
}

export interface LoadOptions {
  url: string;
  secret: string;
  connections: number;
  seconds?: number;
  /** Stop after this many requests instead of after `seconds`. */
  amount?: number;
  firstCitizen: number;
  firstUpdateId: number;
  /** Index of the first request in the schedule (a later slice continues where the last stopped). */
  startAt?: number;
  /** Turns per citizen (default: the whole script). */
  turnsPerCitizen?: number;
}

/** Runs one slice of the schedule; `next` is where the following slice should start. */
export async function telegramLoad(o: LoadOptions): Promise<RunFigures & { non2xx: number; next: number }> {
  let n = o.startAt ?? 0;
  const result = await autocannon({
    url: o.url,
    connections: o.connections,
    ...(o.amount !== undefined ? { amount: o.amount } : { duration: o.seconds ?? 10 }),
    timeout: 30,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': o.secret },
    requests: [{ setupRequest: (req) => ({ ...req, body: telegramBody(scheduledTurn(n++, o.firstCitizen, o.firstUpdateId, o.turnsPerCitizen)) }) }],
  });
  const ok = result['2xx'];
  return {
    turns: ok,
    seconds: result.duration,
    turnsPerSecond: ok / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    non2xx: result.non2xx,
    next: n,
  };
}
