import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Update } from 'grammy/types';
import { createConversationService } from '../../src/app.ts';
import { loadFlowsOrThrow } from '../../src/flow/load.ts';
import { Store } from '../../src/store/store.ts';
import { writeFortyQuestionFlow, peerFlowOf } from './lib/flows.ts';
import { FIRST_UPDATE_ID } from './lib/load.ts';
import { median, table } from './lib/stats.ts';
import { createPeerBot, instantBotApi } from './peer/checkupBot.ts';
import { openPeerDatabase } from './peer/sqliteStorage.ts';

/**
 * Benchmark 2: the cost of one step early and late in a 40-question flow. xhht-bot loads one session
 * row, runs one engine step and writes it back, whatever the step; the peer's conversation function
 * is replayed from its first `wait` on every update, so its step 40 replays 40 waits. Both run in
 * this process, no HTTP: the bot's service.handle against its store, the peer's bot.handleUpdate
 * with its Bot API calls answered by a transformer (no network). Same SQLite settings for both.
 * Step k is the turn that answers question k. Figures are medians over many citizens.
 */

export interface PerStepOptions {
  /** Citizens per durability setting. */
  citizens: { FULL: number; OFF: number };
}

export interface StepFigures {
  step1Ms: number;
  step20Ms: number;
  step39Ms: number;
  /** The last answer: the turn also renders the summary of all 40 answers. */
  step40Ms: number;
}

export async function runPerStepBench(o: PerStepOptions): Promise<{ text: string; figures: Record<string, StepFigures> }> {
  const { dir: flowsDir, flow } = writeFortyQuestionFlow();
  const work = mkdtempSync(join(tmpdir(), 'xhht-bench-step-'));
  const figures: Record<string, StepFigures> = {};
  try {
    for (const sync of ['FULL', 'OFF'] as const) {
      figures[`ours ${sync}`] = await oursSteps(join(work, `ours-${sync}.sqlite`), flowsDir, sync, o.citizens[sync]);
      figures[`peer ${sync}`] = await peerSteps(join(work, `peer-${sync}.sqlite`), flow, sync, o.citizens[sync]);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(flowsDir, { recursive: true, force: true });
  }
  const row = (label: string, f: StepFigures, target: string) => [
    label,
    f.step1Ms,
    f.step20Ms,
    f.step39Ms,
    f.step40Ms,
    `${(f.step40Ms / f.step1Ms).toFixed(2)}×`,
    target,
  ];
  const text = [
    `Per-step cost in a 40-question flow (median ms of one turn; in process, no HTTP; ${o.citizens.FULL} citizens at FULL, ${o.citizens.OFF} at OFF)`,
    table([
      ['contender', 'step 1', 'step 20', 'step 39', 'step 40*', 'step 40 / step 1', 'target'],
      row('xhht-bot, synchronous=FULL', figures['ours FULL']!, '≤ 1.2×'),
      row('peer, synchronous=FULL', figures['peer FULL']!, ''),
      row('xhht-bot, synchronous=OFF (CPU only)', figures['ours OFF']!, '(none)'),
      row('peer, synchronous=OFF (CPU only)', figures['peer OFF']!, ''),
    ]),
    '* step 40 answers the last question, so that turn also sends the summary of the 40 answers (the peer: a one-line summary).',
    'The target is for the bot as it runs, at synchronous=FULL; the OFF rows show the CPU alone (no fsync).',
  ].join('\n');
  return { text, figures };
}

const STEPS = [1, 20, 39, 40];

async function oursSteps(path: string, flowsDir: string, sync: 'FULL' | 'OFF', citizens: number): Promise<StepFigures> {
  const store = new Store(path);
  // The store only offers durable settings; OFF isolates the CPU cost for the second table.
  store.db.pragma(`synchronous = ${sync}`);
  const service = createConversationService(store, loadFlowsOrThrow(flowsDir));
  const times = new Map<number, number[]>(STEPS.map((s) => [s, []]));
  // Telegram-like ids (see FIRST_UPDATE_ID): numbered from 1, the inbox's keys interleave.
  let eventId = FIRST_UPDATE_ID;
  try {
    for (let c = 0; c < citizens; c++) {
      const say = (text: string) =>
        service.handle({ channel: 'telegram', eventId: String(++eventId), userKey: `c${c}`, chatId: `c${c}`, input: { kind: 'text', text }, receivedAt: new Date() });
      say('xin chào');
      say('1');
      for (let step = 1; step <= 40; step++) {
        const t0 = performance.now();
        const outcome = say(String(1 + (step % 4)));
        const ms = performance.now() - t0;
        if (outcome.status !== 'processed') throw new Error(`step ${step} was not processed`);
        times.get(step)?.push(ms);
      }
      assertOursAtSummary(store, `c${c}`);
    }
  } finally {
    store.close();
  }
  return figuresOf(times);
}

/** The bench measures what it claims only if every answer was taken: the person is at the summary. */
function assertOursAtSummary(store: Store, userKey: string): void {
  const person = store.findPerson('telegram', userKey)!;
  const state = JSON.parse(store.loadSession(person.id) ?? '{}') as { flow?: { flowId: string; current: string | null } };
  const responseId = state.flow ? store.openResponseIdOf(person.id, state.flow.flowId) : undefined;
  const answered = responseId === undefined ? 0 : store.currentAnswers(responseId).length;
  if (state.flow?.current !== null || answered !== 40) throw new Error('the 40-question run did not reach the summary');
}

async function peerSteps(path: string, flow: ReturnType<typeof writeFortyQuestionFlow>['flow'], sync: 'FULL' | 'OFF', citizens: number): Promise<StepFigures> {
  const db = openPeerDatabase(path, sync);
  const api = instantBotApi();
  const bot = createPeerBot({ token: '654321:PEER-token', client: { fetch: api.fetch }, db, flow: peerFlowOf(flow) });
  const times = new Map<number, number[]>(STEPS.map((s) => [s, []]));
  let updateId = FIRST_UPDATE_ID;
  try {
    for (let c = 0; c < citizens; c++) {
      const userId = 20_000_000 + c;
      const say = (text: string) => bot.handleUpdate(textUpdate(++updateId, userId, text));
      await say('xin chào');
      await say('1');
      for (let step = 1; step <= 40; step++) {
        const before = api.calls();
        const t0 = performance.now();
        await say(String(1 + (step % 4)));
        const ms = performance.now() - t0;
        if (api.calls() === before) throw new Error(`the peer did not answer step ${step}`);
        times.get(step)?.push(ms);
      }
    }
  } finally {
    db.close();
  }
  return figuresOf(times);
}

function figuresOf(times: Map<number, number[]>): StepFigures {
  return { step1Ms: median(times.get(1)!), step20Ms: median(times.get(20)!), step39Ms: median(times.get(39)!), step40Ms: median(times.get(40)!) };
}

function textUpdate(updateId: number, userId: number, text: string): Update {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: userId, type: 'private', first_name: 'Người' },
      from: { id: userId, is_bot: false, first_name: 'Người' },
      text,
    },
  } as Update;
}
