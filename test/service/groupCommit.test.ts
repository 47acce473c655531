import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createConversationService } from '../../src/app.ts';
import { loadFlowsOrThrow } from '../../src/flow/load.ts';
import type { InboundEvent, InboundOutcome } from '../../src/service/conversation.ts';
import { GroupCommit, type TurnHandler } from '../../src/service/groupCommit.ts';
import { Store } from '../../src/store/store.ts';
import { telegramChannel } from '../../src/channels/telegram/index.ts';
import { FAKE_BOT, FakeTelegramApi, FLOWS_DIR, startTelegramBot } from '../fakes/telegramApi.ts';
import { CITIZEN_TURNS, citizenText } from '../helpers/citizenScript.ts';

const dirs: string[] = [];
const closers: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(maxBatch?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'xhht-gc-'));
  dirs.push(dir);
  const path = join(dir, 'bot.sqlite');
  const store = new Store(path);
  const service = createConversationService(store, loadFlowsOrThrow(FLOWS_DIR));
  // A second connection sees only what was committed.
  const reader = new Database(path, { readonly: true });
  closers.push(
    () => void reader.close(),
    () => store.close(),
  );
  const committed = (eventId: string) => reader.prepare('SELECT 1 FROM inbox WHERE event_id = ?').get(eventId) !== undefined;
  const make = (handler: TurnHandler) => new GroupCommit({ store, service: handler, ...(maxBatch ? { maxBatch } : {}) });
  return { store, service, committed, make };
}

let n = 0;
function event(user: string, text: string, eventId = `e${++n}`): InboundEvent {
  return { channel: 'telegram', eventId, userKey: user, chatId: user, input: { kind: 'text', text }, receivedAt: new Date() };
}

/** Counts BEGIN … COMMIT pairs (outer transactions) on the store. */
function countTransactions(store: Store): () => number {
  let outer = 0;
  const original = store.transaction.bind(store);
  store.transaction = <T>(fn: () => T): T => {
    if (!store.db.inTransaction) outer++;
    return original(fn);
  };
  return () => outer;
}

describe('GroupCommit', () => {
  it('settles a turn only after the COMMIT that holds it', async () => {
    const { service, committed, make } = setup();
    const seenInside: boolean[] = [];
    const turns = make({
      handle(e) {
        const outcome = service.handle(e);
        seenInside.push(committed(e.eventId));
        return outcome;
      },
    });
    const events = [event('a', 'xin chào'), event('b', 'xin chào'), event('c', 'xin chào')];
    const settledWhileCommitted = await Promise.all(events.map((e) => turns.handle(e).then(() => committed(e.eventId))));
    expect(seenInside).toEqual([false, false, false]);
    expect(settledWhileCommitted).toEqual([true, true, true]);
  });

  it('puts the turns that arrive together into one transaction, at most maxBatch each', async () => {
    const one = setup();
    const countOne = countTransactions(one.store);
    const turnsOne = one.make(one.service);
    await Promise.all(Array.from({ length: 10 }, (_, i) => turnsOne.handle(event(`u${i}`, 'xin chào'))));
    expect(countOne()).toBe(1);

    const small = setup(4);
    const countSmall = countTransactions(small.store);
    const turnsSmall = small.make(small.service);
    await Promise.all(Array.from({ length: 10 }, (_, i) => turnsSmall.handle(event(`u${i}`, 'xin chào'))));
    expect(countSmall()).toBe(3);
  });

  it('rolls back a failing turn alone: the others of its batch commit, and it can be delivered again', async () => {
    const { service, committed, make } = setup();
    let fail = true;
    const turns = make({
      handle(e) {
        const outcome = service.handle(e);
        if (fail && e.userKey === 'bad') throw new Error('boom after writing');
        return outcome;
      },
    });
    const good1 = event('g1', 'xin chào');
    const bad = event('bad', 'xin chào');
    const good2 = event('g2', 'xin chào');
    const results = await Promise.allSettled([turns.handle(good1), turns.handle(bad), turns.handle(good2)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect([committed(good1.eventId), committed(bad.eventId), committed(good2.eventId)]).toEqual([true, false, true]);
    fail = false;
    const again = await turns.handle(bad);
    expect(again.status).toBe('processed');
    expect(committed(bad.eventId)).toBe(true);
  });

  it('runs a batch without failures once; after a failure it runs the rest again, keeping each write once', async () => {
    const { store, service, committed, make } = setup();
    const calls = new Map<string, number>();
    const turns = make({
      handle(e) {
        calls.set(e.userKey, (calls.get(e.userKey) ?? 0) + 1);
        const outcome = service.handle(e);
        if (e.userKey === 'bad') throw new Error('boom after writing');
        return outcome;
      },
    });
    await Promise.all(['o1', 'o2', 'o3'].map((u) => turns.handle(event(u, 'xin chào'))));
    expect([...calls.values()]).toEqual([1, 1, 1]);

    calls.clear();
    const batch = [event('g1', 'xin chào'), event('bad', 'xin chào'), event('g2', 'xin chào')];
    const results = await Promise.allSettled(batch.map((e) => turns.handle(e)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // The first attempt stopped at the failing turn and was rolled back whole; the second ran the
    // batch again turn by turn.
    expect(Object.fromEntries(calls)).toEqual({ g1: 2, bad: 2, g2: 1 });
    expect(batch.map((e) => committed(e.eventId))).toEqual([true, false, true]);
    const replies = (chat: string) => store.pendingOutboxFor('telegram', chat).length;
    expect([replies('g1'), replies('bad'), replies('g2')]).toEqual([replies('o1'), 0, replies('o1')]);
    expect(replies('o1')).toBeGreaterThan(0);
  });

  it('fails every turn of a batch whose transaction SQLite abandoned, commits none, and recovers', async () => {
    const { store, service, committed, make } = setup();
    const turns = make({
      handle(e) {
        const outcome = service.handle(e);
        if (e.userKey === 'fatal') {
          // What SQLite does on SQLITE_FULL or an I/O error: the whole transaction is rolled back.
          store.db.exec('ROLLBACK');
          throw new Error('disk full');
        }
        return outcome;
      },
    });
    const batch = [event('x1', 'xin chào'), event('fatal', 'xin chào'), event('x2', 'xin chào')];
    const results = await Promise.allSettled(batch.map((e) => turns.handle(e)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(batch.map((e) => committed(e.eventId))).toEqual([false, false, false]);
    expect(store.db.inTransaction).toBe(false);
    const next = event('x3', 'xin chào');
    expect((await turns.handle(next)).status).toBe('processed');
    expect(committed(next.eventId)).toBe(true);
  });

  it('keeps the order of one person’s turns and recognises a duplicate inside a batch', async () => {
    const { store, service, make } = setup();
    const turns = make(service);
    const hello = event('p', 'xin chào');
    const outcomes: InboundOutcome[] = await Promise.all([turns.handle(hello), turns.handle(hello), turns.handle(event('p', '1')), turns.handle(event('p', '2'))]);
    expect(outcomes.map((o) => o.status)).toEqual(['processed', 'duplicate', 'processed', 'processed']);
    const person = store.findPerson('telegram', 'p')!;
    const [response] = store.responsesOf(person.id);
    expect(store.currentAnswers(response!.id).map((a) => [a.question_id, a.value])).toEqual([['group', '"cong_nhan"']]);
  });
});

describe('the Telegram webhook with group commit', () => {
  it('answers 200 for every concurrent turn, each committed, and every self-check completes with its 12 answers', async () => {
    const fake = await FakeTelegramApi.start();
    closers.push(() => fake.close());
    const h = await startTelegramBot({ factory: telegramChannel({ botInfo: FAKE_BOT }), fake, env: { OUTBOX_POLL_MS: '1000' } });
    closers.push(() => h.close());
    const reader = new Database(h.bot.config.dbPath, { readonly: true });
    closers.push(() => void reader.close());
    const citizens = 12;
    let updateId = 0;
    let notCommitted = 0;
    for (let turn = 0; turn < CITIZEN_TURNS; turn++) {
      // All citizens' turn n at once: they share batches.
      await Promise.all(
        Array.from({ length: citizens }, async (_, c) => {
          const id = ++updateId;
          const status = await h.post({
            update_id: id,
            message: { message_id: id, date: 1, chat: { id: 500 + c, type: 'private' }, from: { id: 500 + c, is_bot: false, first_name: 'A' }, text: citizenText(c, turn) },
          });
          expect(status).toBe(200);
          if (!reader.prepare('SELECT 1 FROM inbox WHERE event_id = ?').get(String(id))) notCommitted++;
        }),
      );
    }
    expect(notCommitted).toBe(0);
    const submitted = reader.prepare("SELECT COUNT(*) AS n FROM responses WHERE status = 'submitted'").get() as { n: number };
    const answers = reader.prepare('SELECT COUNT(*) AS n FROM answers WHERE superseded_at IS NULL').get() as { n: number };
    expect(submitted.n).toBe(citizens);
    expect(answers.n).toBe(citizens * 12);
  });
});
