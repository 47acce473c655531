/**
 * Outbox cost per reply: what one reply costs the store (enqueued in a group of 20, the sender's
 * due query, its "sent" mark in the next group), with replies going to 50,000 different chats, on a
 * database that starts empty and on one that starts with HISTORY messages already sent, as after
 * months of use (each round adds its own messages). Migration 10 exists for this: the index that
 * keeps per-chat order held every message ever sent, so each reply and each mark wrote into a
 * different part of a large index; now it holds the pending messages only and stays a few pages
 * small. Both layouts run the same Store code side by side in rotating rounds ("before" re-creates
 * migration 9's index on a migrated database). *
 *   node --import tsx test/bench/outboxHistory.bench.ts [--history 300000] [--messages 20000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { OutboxWrite } from '../../src/store/store.ts';
import { Store } from '../../src/store/store.ts';
import { median, table } from './lib/stats.ts';

const { values } = parseArgs({ options: { history: { type: 'string', default: '300000' }, messages: { type: 'string', default: '20000' } } });
const HISTORY = Number(values.history);
const MESSAGES = Number(values.messages);
const CHATS = 50_000;
const GROUP = 20;
const ROUNDS = 3;
const PAYLOAD = JSON.stringify({ kind: 'message', text: 'Câu 7/12. Anh/Chị sử dụng Internet cho việc học tập ở mức nào?'.repeat(4), scope: 'q5' });

type Layout = 'before' | 'after';

function openStore(dir: string, layout: Layout, history: number): Store {
  const store = new Store(join(dir, `${layout}-${history}.sqlite`));
  // Seeding only: rows as the sender leaves them, written in one go rather than one send at a time.
  const seed = store.db.prepare(
    "INSERT INTO outbox (channel, chat_id, kind, payload, status, attempts, created_at, next_attempt_at, sent_at) VALUES ('telegram', ?, 'reply', ?, 'sent', 1, ?, ?, ?)",
  );
  const at = '2026-01-01T00:00:00.000Z';
  store.db.transaction(() => {
    for (let i = 0; i < history; i++) seed.run(String(10_000_000 + ((i * 7919) % CHATS)), PAYLOAD, at, at, at);
  })();
  if (layout === 'before') {
    store.db.exec(`
      DROP INDEX outbox_pending_chat;
      DROP INDEX outbox_web_chat;
      CREATE INDEX outbox_chat ON outbox(channel, chat_id, status, id);`);
  }
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  return store;
}

/** µs per message: groups of GROUP enqueued together, with the previous group's marks and a due query. */
function measure(store: Store, messages: number, seed: number): number {
  let marks: OutboxWrite[] = [];
  let random = seed;
  const chat = () => {
    random = (random * 1_103_515_245 + 12_345) % 2 ** 31;
    return String(10_000_000 + (random % CHATS));
  };
  const now = new Date().toISOString();
  const t0 = performance.now();
  for (let g = 0; g < messages / GROUP; g++) {
    store.transaction(() => {
      store.applyOutboxWrites(marks);
      marks = [];
      for (let i = 0; i < GROUP; i++) store.enqueue({ channel: 'telegram', chatId: chat(), personId: null, payload: PAYLOAD }, now);
    });
    for (const row of store.dueOutbox('telegram', now, GROUP)) marks.push({ op: 'sent', id: row.id, at: now });
  }
  return ((performance.now() - t0) * 1000) / messages;
}

const dir = mkdtempSync(join(tmpdir(), 'xhht-bench-outbox-'));
try {
  const cases = (['before', 'after'] as const).flatMap((layout) => [0, HISTORY].map((history) => ({ layout, history })));
  const stores = new Map(cases.map((c) => [`${c.layout}/${c.history}`, openStore(dir, c.layout, c.history)]));
  const figures = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(i + round) % cases.length]!;
      const key = `${c.layout}/${c.history}`;
      figures.set(key, [...(figures.get(key) ?? []), measure(stores.get(key)!, MESSAGES, round + 1)]);
    }
  }
  for (const store of stores.values()) store.close();
  const us = (layout: Layout, history: number) => median(figures.get(`${layout}/${history}`)!);
  const row = (layout: Layout, label: string) => [label, us(layout, 0).toFixed(1), us(layout, HISTORY).toFixed(1), `${(us(layout, HISTORY) / us(layout, 0)).toFixed(2)}×`];
  process.stdout.write(
    [
      `Outbox cost per reply to one of ${CHATS.toLocaleString('en')} chats (enqueue in groups of ${GROUP}, due query, "sent" mark; synchronous=FULL;`,
      `median of ${ROUNDS} rounds × ${MESSAGES.toLocaleString('en')} messages, each round adding its own)`,
      table([
        ['index layout', 'µs, started empty', `µs, started with ${HISTORY.toLocaleString('en')} sent`, 'ratio'],
        row('before', 'migration 9: chat index over every message'),
        row('after', 'migration 10: chat index over pending ones'),
      ]),
      `Migration 10 makes a reply's outbox work ${(us('before', 0) / us('after', 0)).toFixed(2)}× cheaper on the database that started empty, ${(us('before', HISTORY) / us('after', HISTORY)).toFixed(2)}× with the history.`,
      '',
    ].join('\n'),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
