import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { ConversationService, type InboundEvent } from '../../src/service/conversation.ts';
import { DashboardStore } from '../../src/store/dashboardStore.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { Store } from '../../src/store/store.ts';
import { loadFlow } from '../helpers/flows.ts';

const flow = loadFlow('test/fixtures/flows-valid/all-types.yaml');
const tempDb = () => join(mkdtempSync(join(tmpdir(), 'xhht-store-')), 'test.sqlite');

let counter = 0;
function event(text: string, user = 'u1', eventId = `e${++counter}`): InboundEvent {
  return { channel: 'test', eventId, userKey: user, chatId: `chat-${user}`, input: { kind: 'text', text }, receivedAt: new Date('2026-11-22T03:00:00Z') };
}

describe('store', () => {
  it('migrates an empty file to the latest version, with WAL and FULL sync', () => {
    const path = tempDb();
    const store = new Store(path);
    expect(store.schemaVersion()).toBe(MIGRATIONS.length);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(store.db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    store.close();
    // Re-opening does not re-run migrations.
    const again = new Store(path);
    expect(again.schemaVersion()).toBe(MIGRATIONS.length);
    expect(again.integrityCheck()).toBe('ok');
    again.close();
  });

  it('keeps every outbox message and its dedupe rule when migration 9 rebuilds the table', () => {
    const path = tempDb();
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    // The schema as it was before migration 9, holding messages of every status.
    db.transaction(() => {
      for (const sql of MIGRATIONS.slice(0, 8)) db.exec(sql);
    })();
    db.pragma('user_version = 8');
    const insert = db.prepare(
      'INSERT INTO outbox (channel, chat_id, kind, payload, dedupe_key, status, attempts, created_at, next_attempt_at, sent_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    insert.run('telegram', 'c1', 'reply', '{"a":1}', null, 'sent', 1, 't1', 't1', 't2', null);
    insert.run('telegram', 'c1', 'reminder', '{"a":2}', 'rem|1', 'pending', 0, 't3', 't3', null, null);
    insert.run('zalo', 'c2', 'reply', '{"a":3}', null, 'failed', 12, 't4', 't5', null, 'gave up');
    const before = db.prepare('SELECT * FROM outbox ORDER BY id').all();
    db.close();

    const store = new Store(path);
    expect(store.schemaVersion()).toBe(MIGRATIONS.length);
    expect(store.db.prepare('SELECT * FROM outbox ORDER BY id').all()).toEqual(before);
    expect(store.integrityCheck()).toBe('ok');
    // A dedupe key is still refused twice; messages without one are never refused.
    expect(store.enqueue({ channel: 'telegram', chatId: 'c1', personId: null, payload: '{}', dedupeKey: 'rem|1' }, 't6')).toBe(false);
    expect(store.enqueue({ channel: 'telegram', chatId: 'c1', personId: null, payload: '{}' }, 't6')).toBe(true);
    expect(store.enqueue({ channel: 'telegram', chatId: 'c1', personId: null, payload: '{}' }, 't6')).toBe(true);
    // The pending-only index answers what the sender asks.
    const plan = store.db.prepare("EXPLAIN QUERY PLAN SELECT MIN(next_attempt_at) FROM outbox WHERE channel = ? AND status = 'pending'").all('telegram') as Array<{ detail: string }>;
    expect(plan.map((r) => r.detail).join(' ')).toMatch(/outbox_due/);
    expect(store.dueOutbox('telegram', 't9', 10).map((r) => r.payload)).toEqual(['{"a":2}']);
    store.close();
  });

  it('migration 10: the sender and the web transcript read small partial indexes, with the same answers', () => {
    const store = new Store(tempDb());
    const dashboard = new DashboardStore(store.db);
    // The plans of the statements the store and the dashboard really run.
    const statements = (owner: object) => (owner as { stmts?: Record<string, Database.Statement>; s?: Record<string, Database.Statement> });
    const planOf = (stmt: Database.Statement) =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${stmt.source}`).all(...(stmt.source.match(/\?/g) ?? []).map(() => null)) as Array<{ detail: string }>)
        .map((r) => r.detail)
        .join(' | ');
    const { outboxDue, outboxPendingChat, outboxFailChat } = statements(store).stmts!;
    expect(planOf(outboxDue!)).toMatch(/outbox_due/);
    expect(planOf(outboxDue!)).toMatch(/outbox_pending_chat/);
    expect(planOf(outboxPendingChat!)).toMatch(/outbox_pending_chat/);
    expect(planOf(outboxFailChat!)).toMatch(/outbox_pending_chat/);
    expect(planOf(statements(dashboard).s!.webChatRecent!)).toMatch(/outbox_web_chat/);

    const enqueue = (chatId: string, channel = 'telegram') => {
      store.enqueue({ channel, chatId, personId: null, payload: JSON.stringify({ chatId }) }, 't1');
      return (store.db.prepare('SELECT MAX(id) AS id FROM outbox').get() as { id: number }).id;
    };
    const first = enqueue('c1');
    const second = enqueue('c1');
    const web = enqueue('w1', 'web');
    enqueue('w2', 'web');
    // Per-chat order: the second message of c1 waits until the first is marked sent.
    expect(store.dueOutbox('telegram', 'z', 10).map((r) => r.id)).toEqual([first]);
    store.transaction(() => store.applyOutboxWrites([{ op: 'sent', id: first, at: 't2' }]));
    expect(store.dueOutbox('telegram', 'z', 10).map((r) => r.id)).toEqual([second]);
    expect(store.pendingOutboxFor('telegram', 'c1').map((r) => r.id)).toEqual([second]);
    // A sent web message stays in its chat's transcript.
    store.transaction(() => store.applyOutboxWrites([{ op: 'sent', id: web, at: 't2' }]));
    expect(dashboard.webChatRecent('w1', 20).map((r) => r.id)).toEqual([web]);
    store.close();
  });

  it('refuses a database newer than the program', () => {
    const path = tempDb();
    const db = new Database(path);
    db.pragma('user_version = 999');
    db.close();
    expect(() => new Store(path)).toThrow(/newer than this program/);
  });

  it('claims an inbound event id once per channel', () => {
    const store = new Store(':memory:');
    expect(store.claimInbound('telegram', '42', 'now')).toBe(true);
    expect(store.claimInbound('telegram', '42', 'now')).toBe(false);
    expect(store.claimInbound('zalo', '42', 'now')).toBe(true);
  });

  it('rolls back every write of a failed transaction', () => {
    const store = new Store(':memory:');
    expect(() =>
      store.transaction(() => {
        store.claimInbound('test', 'x', 'now');
        store.enqueue({ channel: 'test', chatId: 'c', personId: null, payload: '{}' }, 'now');
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(store.hasInbound('test', 'x')).toBe(false);
    expect(store.outboxRows()).toEqual([]);
  });

  it('keeps per-chat order: only the oldest pending message of a chat is due', () => {
    const store = new Store(':memory:');
    const t = '2026-01-01T00:00:00.000Z';
    for (const [chat, n] of [['a', 1], ['a', 2], ['b', 1]] as const) {
      store.enqueue({ channel: 'test', chatId: chat, personId: null, payload: JSON.stringify(n) }, t);
    }
    const due = store.dueOutbox('test', t, 10);
    expect(due.map((r) => [r.chat_id, r.payload])).toEqual([['a', '1'], ['b', '1']]);
    store.markRetry(due[0]!.id, '2026-01-01T00:01:00.000Z', 'rate limited');
    // a#2 must not overtake a#1 while a#1 waits for its retry.
    expect(store.dueOutbox('test', t, 10).map((r) => r.chat_id)).toEqual(['b']);
  });

  it('an outbox dedupe key makes a second insert a no-op', () => {
    const store = new Store(':memory:');
    const m = { channel: 'test', chatId: 'c', personId: null, payload: '{}', dedupeKey: 'reminder:1' };
    expect(store.enqueue(m, 'now')).toBe(true);
    expect(store.enqueue(m, 'now')).toBe(false);
    expect(store.outboxRows()).toHaveLength(1);
  });
});

describe('conversation service', () => {
  const setup = () => {
    const store = new Store(tempDb());
    return { store, service: new ConversationService({ store, flows: [flow] }) };
  };

  it('stores nothing personal before consent', () => {
    const { store, service } = setup();
    service.handle(event('xin chào'));
    service.handle(event('Không đồng ý'));
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM people').get()).toEqual({ n: 0 });
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM sessions').get()).toEqual({ n: 0 });
    expect(store.outboxRows()).toHaveLength(2); // the replies still go out
  });

  it('one event = one transaction: answers, session and replies; a redelivery changes nothing', () => {
    const { store, service } = setup();
    service.handle(event('hi'));
    service.handle(event('đồng ý'));
    const e = event('Khá');
    expect(service.handle(e).status).toBe('processed');
    const before = store.outboxRows().length;
    expect(service.handle(e)).toEqual({ status: 'duplicate' });
    expect(store.outboxRows()).toHaveLength(before);
    const person = store.findPerson('test', 'u1')!;
    const [response] = store.responsesOf(person.id);
    expect(store.currentAnswers(response!.id).map((a) => [a.question_id, a.value, a.question_text, a.flow_version])).toEqual([
      ['pick', '"b"', 'Chọn một phương án', '1'],
    ]);
    expect(JSON.parse(store.loadSession(person.id)!).flow.current).toBe('yn');
    expect(store.consentsOf(person.id)).toHaveLength(1);
  });

  it('a failure inside the turn rolls back the inbox record too, so a redelivery is processed', () => {
    const { store, service } = setup();
    service.handle(event('hi'));
    service.handle(event('đồng ý'));
    const original = store.recordAnswer.bind(store);
    store.recordAnswer = () => {
      throw new Error('disk full');
    };
    const e = event('Khá');
    expect(() => service.handle(e)).toThrow('disk full');
    expect(store.hasInbound('test', e.eventId)).toBe(false);
    store.recordAnswer = original;
    expect(service.handle(e).status).toBe('processed');
  });

  it('edits keep history; submission stores the result, period and the final answers only', () => {
    const { store, service } = setup();
    for (const t of ['hi', 'đồng ý', 'Rất tốt', 'không', 'bận', '10', '9', '50', '01/01/2026']) service.handle(event(t));
    service.handle(event('sửa 2'));
    service.handle(event('có')); // closes the "why" branch
    service.handle(event('gửi'));
    const person = store.findPerson('test', 'u1')!;
    const [response] = store.responsesOf(person.id);
    expect(response).toMatchObject({ status: 'submitted', period: '2026', passed: 1, score: 100 });
    const current = store.currentAnswers(response!.id).map((a) => a.question_id);
    expect(current).toEqual(['pick', 'members', 'passed', 'rate', 'day', 'yn']);
    const all = store.allAnswers(response!.id);
    expect(all.filter((a) => a.question_id === 'yn')).toHaveLength(2);
    expect(all.find((a) => a.question_id === 'why')?.superseded_at).not.toBeNull();
  });

  it("an answer moves its response's updated_at to the minute, and its flow version at once", () => {
    const store = new Store(':memory:');
    const person = store.createPerson('test', 'u1', '2026-11-22T03:00:00.000Z');
    const responseId = store.openResponse({ personId: person.id, channel: 'test', flowId: 'f', flowVersion: '1', now: '2026-11-22T03:00:00.000Z' });
    const answer = (questionId: string, now: string, flowVersion = '1') =>
      store.recordAnswer({ responseId, flowId: 'f', flowVersion, questionId, questionText: 'Câu hỏi', raw: '1', value: 1, now });
    const row = () => store.getResponse(responseId)!;

    // Within the minute the row is not written again: every turn's commit would carry its page.
    answer('q1', '2026-11-22T03:00:20.000Z');
    answer('q2', '2026-11-22T03:00:59.999Z');
    expect(row()).toMatchObject({ updated_at: '2026-11-22T03:00:00.000Z', flow_version: '1' });
    answer('q3', '2026-11-22T03:01:05.000Z');
    expect(row().updated_at).toBe('2026-11-22T03:01:05.000Z');
    // A new flow version is recorded whatever the minute.
    answer('q4', '2026-11-22T03:01:30.000Z', '2');
    expect(row()).toMatchObject({ updated_at: '2026-11-22T03:01:30.000Z', flow_version: '2' });
    // Every answer is kept all the same.
    expect(store.currentAnswers(responseId).map((a) => a.question_id)).toEqual(['q1', 'q2', 'q3', 'q4']);
    store.close();
  });

  it('resumes where the person stopped, from the stored session', () => {
    const path = tempDb();
    const s1 = new Store(path);
    const svc1 = new ConversationService({ store: s1, flows: [flow] });
    for (const t of ['hi', 'đồng ý', 'Rất tốt']) svc1.handle(event(t, 'bob'));
    s1.close();
    const s2 = new Store(path);
    const svc2 = new ConversationService({ store: s2, flows: [flow] });
    const r = svc2.handle(event('bắt đầu', 'bob'));
    expect(r.status === 'processed' && r.outputs.some((o) => o.kind === 'message' && o.scope === 'yn')).toBe(true);
  });

  it('xóa dữ liệu deletes the person, consents, session, responses and answers', () => {
    const { store, service } = setup();
    for (const t of ['hi', 'đồng ý', 'Rất tốt', 'xóa dữ liệu', 'có']) service.handle(event(t, 'carol'));
    for (const table of ['people', 'consents', 'sessions', 'responses', 'answers']) {
      expect(store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get(), table).toEqual({ n: 0 });
    }
  });

  it('keeping recent states parsed changes nothing: the same turns as a service that parses every state', () => {
    const words = fc.constantFrom(
      'hi', 'đồng ý', 'Rất tốt', 'Khá', 'có', 'không', 'bận', '10', '9', '50', '01/01/2026', '0', 'sửa 1', 'sửa 2', 'quay lại',
      'xem lại', 'gửi', 'xem kết quả', 'làm lại', 'hủy', 'bắt đầu', 'xóa dữ liệu', 'trợ giúp', '',
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(words, fc.constantFrom('u1', 'u2')), { minLength: 1, maxLength: 45 }), (turns) => {
        const kept = new Store(':memory:');
        const fresh = new Store(':memory:');
        const keeping = new ConversationService({ store: kept, flows: [flow] });
        turns.forEach(([text, user], i) => {
          const e = event(text, user, `p${i}`);
          const a = keeping.handle(e);
          // A new service per turn has nothing kept: it always parses the stored state.
          const b = new ConversationService({ store: fresh, flows: [flow] }).handle(e);
          expect(a).toEqual(b);
        });
        // Equal but for the name of the save that wrote each row (each service names its own).
        const sessions = (s: Store) =>
          (s.db.prepare('SELECT person_id, state FROM sessions ORDER BY person_id').all() as Array<{ person_id: number; state: string }>).map(
            (r) => ({ ...r, state: r.state.replace(/,"save":"[^"]+"/, '') }),
          );
        const answers = (s: Store) => s.db.prepare('SELECT response_id, question_id, raw, value, superseded_at FROM answers ORDER BY id').all();
        expect(sessions(kept)).toEqual(sessions(fresh));
        expect(answers(kept)).toEqual(answers(fresh));
        kept.close();
        fresh.close();
      }),
      { numRuns: 60 },
    );
  });

  it('a session changed by someone else is read from its row, not from the state the service kept', () => {
    const { store, service } = setup();
    for (const t of ['hi', 'đồng ý', 'Rất tốt']) service.handle(event(t, 'eve'));
    const person = store.findPerson('test', 'eve')!;
    const stored = JSON.parse(store.loadSession(person.id)!);
    expect(stored.flow.current).toBe('yn');
    // Another writer (a second process, an interceptor) puts the person back on the first question.
    stored.flow.current = 'pick';
    store.saveSession(person.id, JSON.stringify(stored), 'now');
    service.handle(event('Khá', 'eve'));
    const [response] = store.responsesOf(person.id);
    expect(store.currentAnswers(response!.id).map((a) => [a.question_id, a.value])).toEqual([['pick', '"b"']]);
    expect(JSON.parse(store.loadSession(person.id)!).flow.current).toBe('yn');
  });

  it('answers changed by another service, with the person back where they were, are read from the table', () => {
    const store = new Store(':memory:');
    const first = new ConversationService({ store, flows: [flow] });
    const second = new ConversationService({ store, flows: [flow] });
    for (const t of ['hi', 'đồng ý', 'Rất tốt', 'có', '10', '9', '50', '01/01/2026']) first.handle(event(t, 'gil'));
    // The second one edits the first answer: the person is at the summary again, as `first` left them.
    for (const t of ['sửa 1', 'Khá']) second.handle(event(t, 'gil'));
    const r = first.handle(event('xem lại', 'gil'));
    const summary = r.status === 'processed' ? r.outputs.map((o) => (o.kind === 'message' ? o.text : '')).join('\n') : '';
    expect(summary).toContain('1. Chọn một phương án: Khá');
    store.close();
  });

  it('the session row holds the cursor, not the answers: they are the open response’s current rows', () => {
    const { store, service } = setup();
    const rows: string[] = [];
    const person = () => store.findPerson('test', 'hal')!;
    for (const t of ['hi', 'đồng ý', 'Rất tốt', 'có', '10', '9']) {
      service.handle(event(t, 'hal'));
      if (t !== 'hi') rows.push(store.loadSession(person().id)!);
    }
    const last = JSON.parse(rows.at(-1)!);
    expect(last.flow).not.toHaveProperty('answers');
    expect(last.flow.current).toBe('rate');
    // The row does not grow with the answers: the same size at every step but for the question's id.
    const sizes = rows.map((text) => text.replace(/"current":"[a-z]*"/, '').replace(/"save":"[^"]+"/, '').length);
    expect(new Set(sizes).size).toBe(1);
  });

  it('an answer an edit takes back stops being current in that turn, and a restarted service never shows it', () => {
    const path = tempDb();
    const s1 = new Store(path);
    const svc1 = new ConversationService({ store: s1, flows: [flow] });
    for (const t of ['hi', 'đồng ý', 'Rất tốt', 'không', 'bận', '10', '9', '50', '01/01/2026', 'sửa 2', 'có']) svc1.handle(event(t, 'ivy'));
    const person = s1.findPerson('test', 'ivy')!;
    const [response] = s1.responsesOf(person.id);
    expect(response!.status).toBe('in_progress');
    expect(s1.currentAnswers(response!.id).map((a) => a.question_id)).toEqual(['pick', 'members', 'passed', 'rate', 'day', 'yn']);
    s1.close();
    const s2 = new Store(path);
    const r = new ConversationService({ store: s2, flows: [flow] }).handle(event('xem lại', 'ivy'));
    const text = r.status === 'processed' && r.outputs[0]?.kind === 'message' ? r.outputs[0].text : '';
    expect(text).toContain('2. Anh/Chị có đồng ý không?: Có');
    expect(text).not.toContain('bận');
    s2.close();
  });

  it('a row written before the answers left it is read as it was, and the table is settled to its answers', () => {
    const { store, service } = setup();
    for (const t of ['hi', 'đồng ý', 'Rất tốt', 'có', '10', '9', '50', '01/01/2026']) service.handle(event(t, 'joe'));
    const person = store.findPerson('test', 'joe')!;
    const [response] = store.responsesOf(person.id);
    // The old form: the answers in the row, where the last two are gone (as a flow change or an edit
    // can leave it), while the table, superseding only at submission then, still holds them.
    const answer = (raw: string, value: string | number) => ({ raw, value });
    const old = {
      v: 1,
      consent: 'given',
      flow: {
        flowId: 'all-types',
        flowVersion: '1',
        current: 'rate',
        answers: { pick: answer('Rất tốt', 'a'), yn: answer('có', 'yes'), members: answer('10', 10), passed: answer('9', 9) },
        startedAt: '2026-11-22T03:00:00.000Z',
        context: {},
      },
    };
    store.saveSession(person.id, JSON.stringify(old), 'then');
    const fresh = () => new ConversationService({ store, flows: [flow] });
    const r = fresh().handle(event('60', 'joe'));
    expect(r.status === 'processed' && r.outputs.some((o) => o.kind === 'message' && o.scope === 'day')).toBe(true);
    expect(store.currentAnswers(response!.id).map((a) => a.question_id)).toEqual(['pick', 'yn', 'members', 'passed', 'rate']);
    expect(JSON.parse(store.loadSession(person.id)!).flow).not.toHaveProperty('answers');
    // From here the table is the answers: a new service still asks for the day.
    const next = fresh().handle(event('trợ giúp', 'joe'));
    expect(next.status === 'processed' && next.outputs.some((o) => o.kind === 'message' && o.scope === 'day')).toBe(true);
  });

  // The turn fails before its state is saved (the answer) or after (the reply): both roll back.
  it.each(['recordAnswer', 'enqueue'] as const)(
    'after a turn that rolled back (%s failed), the next turn starts from the stored state, not the half-made one',
    (failing) => {
      const { store, service } = setup();
      for (const t of ['hi', 'đồng ý', 'Rất tốt']) service.handle(event(t, 'fay'));
      const failure = vi.spyOn(store, failing).mockImplementation(() => {
        throw new Error('disk full');
      });
      // The engine moves the state past "yn" in place before the write fails.
      expect(() => service.handle(event('không', 'fay'))).toThrow('disk full');
      failure.mockRestore();
      const person = store.findPerson('test', 'fay')!;
      expect(JSON.parse(store.loadSession(person.id)!).flow.current).toBe('yn');
      // The same answer again is taken as the answer to "yn" (then "why" follows), not to "why".
      const r = service.handle(event('không', 'fay'));
      expect(r.status === 'processed' && r.outputs.some((o) => o.kind === 'message' && o.scope === 'why')).toBe(true);
      const [response] = store.responsesOf(person.id);
      expect(store.currentAnswers(response!.id).map((a) => [a.question_id, a.value])).toEqual([
        ['pick', '"a"'],
        ['yn', '"no"'],
      ]);
    },
  );

  it('an unreadable stored session restarts the conversation instead of crashing', () => {
    const { store, service } = setup();
    service.handle(event('hi', 'dan'));
    service.handle(event('đồng ý', 'dan'));
    const person = store.findPerson('test', 'dan')!;
    store.saveSession(person.id, '{not json', 'now');
    const r = service.handle(event('bắt đầu', 'dan'));
    expect(r.status).toBe('processed');
  });
});
