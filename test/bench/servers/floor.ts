import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { serveParent } from '../lib/children.ts';
import { summarise } from '../lib/stats.ts';

/**
 * The FLOOR: what one durable turn costs SQLite alone. A bare loop, no HTTP, no engine: one
 * BEGIN IMMEDIATE … COMMIT per turn at synchronous=FULL (WAL), holding the writes a turn makes —
 * inbox insert, session upsert, answer insert, outbox insert. Each `run` request loops for its
 * `seconds` and reports.
 */

const path = process.env.BENCH_DB!;
for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${process.env.BENCH_SYNC ?? 'FULL'}`);
db.exec(`
  CREATE TABLE inbox (channel TEXT NOT NULL, event_id TEXT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY (channel, event_id)) WITHOUT ROWID;
  CREATE TABLE sessions (person_id INTEGER PRIMARY KEY, state TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE answers (id INTEGER PRIMARY KEY, response_id INTEGER NOT NULL, question_id TEXT NOT NULL, raw TEXT NOT NULL, value TEXT NOT NULL, answered_at TEXT NOT NULL);
  CREATE INDEX answers_response ON answers(response_id, question_id);
  CREATE TABLE outbox (id INTEGER PRIMARY KEY, channel TEXT NOT NULL, chat_id TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending', created_at TEXT NOT NULL, next_attempt_at TEXT NOT NULL);
  CREATE INDEX outbox_due ON outbox(channel, status, next_attempt_at);
`);
const inbox = db.prepare('INSERT INTO inbox (channel, event_id, received_at) VALUES (?, ?, ?)');
const session = db.prepare(
  'INSERT INTO sessions (person_id, state, updated_at) VALUES (?, ?, ?) ON CONFLICT(person_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at',
);
const answer = db.prepare('INSERT INTO answers (response_id, question_id, raw, value, answered_at) VALUES (?, ?, ?, ?, ?)');
const outbox = db.prepare('INSERT INTO outbox (channel, chat_id, payload, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)');
// Sizes like a real turn: a session state of ~600 bytes, a reply of ~400.
const state = JSON.stringify({ v: 1, consent: 'given', flow: { flowId: 'cong-dan-hoc-tap', current: 'q5', answers: {} }, pad: 'x'.repeat(500) });
const reply = JSON.stringify({ kind: 'message', text: 'Câu 7/12. '.padEnd(400, 'x') });
const turn = db.transaction((i: number, now: string) => {
  const person = i % 2000;
  inbox.run('telegram', String(i), now);
  session.run(person, state, now);
  answer.run(person, `q${i % 12}`, '1', '"daily"', now);
  outbox.run('telegram', String(person), reply, now, now);
});

let n = 0;

function run(seconds: number) {
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  for (let t = start; t < end; ) {
    const now = new Date().toISOString();
    const t0 = performance.now();
    turn.immediate(n++, now);
    t = performance.now();
    latencies.push(t - t0);
  }
  return summarise(latencies, (performance.now() - start) / 1000);
}

serveParent({
  stats: () => ({ turns: n }),
  run: (args) => ({ ...run(Number(args.seconds)) }),
  stop: async () => {
    db.close();
  },
});
process.send?.({ type: 'ready' });
