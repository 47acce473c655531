import { CITIZEN_TURNS, citizenText } from '../../helpers/citizenScript.ts';
import { leanLoad } from './leanClient.ts';
import { percentile, type RunFigures } from './stats.ts';

/**
 * The load: many simulated citizens, each request a distinct update_id.
 *
 * CitizenPool (the turns benchmark): a citizen's next turn is sent only after the answer to its
 * previous one arrived, as a messenger delivers one chat's messages; a citizen who finished the
 * script makes room for a new one. Every conversation progresses in order — consent, the answers,
 * the result — and every turn of the script runs in proportion however long the run.
 *
 * scheduledTurn (the memory benchmark, a fixed amount): requests are numbered in sending order
 * and mapped to (citizen, turn) in waves of WAVE citizens taking turn 0 together, then turn 1 …
 */

export const WAVE = 200;

/**
 * Where the benchmarks' update ids start. Telegram's are large integers that increase one by one
 * (nine or ten digits for any bot that has run a while). Numbering from 1 made the ids cross from
 * four digits to five mid-run, so the inbox's text keys interleaved ("10010" sorts between "1001"
 * and "1002") and every batch wrote into old pages: a pattern no real bot sees.
 */
export const FIRST_UPDATE_ID = 730_000_001;

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

export class CitizenPool {
  /** Citizens waiting to send, oldest first, from `head` on (a queue without Array.shift's copying). */
  private ready: Array<{ citizen: number; turn: number }> = [];
  private head = 0;
  private nextCitizen: number;
  private nextUpdateId: number;
  /** Citizens whose last turn was answered 200. */
  finished = 0;

  constructor(o: { firstCitizen: number; size: number; firstUpdateId: number }) {
    this.nextCitizen = o.firstCitizen;
    this.nextUpdateId = o.firstUpdateId;
    for (let i = 0; i < o.size; i++) this.ready.push({ citizen: this.nextCitizen++, turn: 0 });
  }

  /** The next turn to send, from the citizen who has waited longest. */
  take(): ScheduledTurn {
    let c = { citizen: this.nextCitizen, turn: 0 };
    if (this.head < this.ready.length) c = this.ready[this.head++]!;
    else this.nextCitizen++;
    if (this.head >= 1024 && this.head * 2 >= this.ready.length) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
    return { citizen: c.citizen, turn: c.turn, updateId: this.nextUpdateId++ };
  }

  /** The answer to `t` arrived: the citizen moves on (or, after an error, sends the turn again). */
  answered(t: ScheduledTurn, ok: boolean): void {
    if (!ok) return void this.ready.push({ citizen: t.citizen, turn: t.turn });
    if (t.turn + 1 < CITIZEN_TURNS) return void this.ready.push({ citizen: t.citizen, turn: t.turn + 1 });
    this.finished++;
    this.ready.push({ citizen: this.nextCitizen++, turn: 0 });
  }
}

/**
 * A Telegram update carrying citizen `citizen`'s text for `turn`, as Telegram would post it. Written
 * as a template: the load client shares the machine with the server it measures, and building and
 * serialising this object for every request was a tenth of its work.
 */
export function telegramBody(t: ScheduledTurn): string {
  const userId = 10_000_000 + t.citizen;
  const date = Math.floor(Date.now() / 1000);
  return (
    `{"update_id":${t.updateId},"message":{"message_id":${t.updateId},"date":${date},` +
    `"chat":{"id":${userId},"type":"private","first_name":"Người","last_name":"Dân"},` +
    `"from":{"id":${userId},"is_bot":false,"first_name":"Người","last_name":"Dân","language_code":"vi"},` +
    `"text":${JSON.stringify(citizenText(t.citizen, t.turn))}}}`
  );
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
  /** Take turns from this pool instead of the numbered schedule. */
  pool?: CitizenPool;
}

/** Runs one slice of the schedule; `next` is where the following slice should start. */
export async function telegramLoad(o: LoadOptions): Promise<RunFigures & { non2xx: number; next: number }> {
  let n = o.startAt ?? 0;
  const url = new URL(o.url);
  const r = await leanLoad<ScheduledTurn>({
    host: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    headers: { 'Content-Type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': o.secret },
    connections: o.connections,
    ...(o.amount !== undefined ? { amount: o.amount } : { seconds: o.seconds ?? 10 }),
    timeoutMs: 30_000,
    next: () => {
      const t = o.pool ? o.pool.take() : scheduledTurn(n, o.firstCitizen, o.firstUpdateId, o.turnsPerCitizen);
      n++;
      return { body: telegramBody(t), context: t };
    },
    onAnswer: (status, t) => o.pool?.answered(t, status === 200),
  });
  const sorted = Array.from(r.latenciesMs).sort((a, b) => a - b);
  return {
    turns: r.ok,
    seconds: r.seconds,
    turnsPerSecond: r.ok / r.seconds,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    errors: r.errors + r.non2xx,
    non2xx: r.non2xx,
    next: n,
  };
}

/** Whole milliseconds above 1 ms, two decimals below (as the tables have always shown them). */
function round(ms: number): number {
  return ms >= 1 ? Math.round(ms) : Math.round(ms * 100) / 100;
}
