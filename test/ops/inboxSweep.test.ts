import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createConversationService } from '../../src/app.ts';
import { InboxSweeper } from '../../src/ops/inboxSweep.ts';
import type { InboundEvent } from '../../src/service/conversation.ts';
import { Store } from '../../src/store/store.ts';
import { loadFlow } from '../helpers/flows.ts';

const tempStore = () => new Store(join(mkdtempSync(join(tmpdir(), 'xhht-sweep-')), 'test.sqlite'));
const DAY = 86_400_000;
const NOW = new Date('2026-11-23T03:00:00Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * DAY).toISOString();
const inboxKeys = (store: Store) =>
  (store.db.prepare('SELECT channel, event_id FROM inbox ORDER BY channel, event_id').all() as Array<{ channel: string; event_id: string }>).map(
    (r) => `${r.channel}/${r.event_id}`,
  );

function logSink() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

describe('inbox sweep', () => {
  it('deletes the dedupe records past the retention, batch by batch in key order, and keeps the rest', () => {
    const store = tempStore();
    const expected: string[] = [];
    for (let i = 0; i < 23; i++) {
      const channel = i % 2 ? 'telegram' : 'zalo';
      const age = i % 3 === 0 ? 9 : i % 3 === 1 ? 6 : 0.5;
      store.claimInbound(channel, String(1000 + i), daysAgo(age));
      if (age < 7) expected.push(`${channel}/${1000 + i}`);
    }
    const { logger, lines } = logSink();
    const sweep = new InboxSweeper({ store, logger, retentionDays: 7, batch: 4, now: () => NOW });
    let steps = 1;
    while (!sweep.step()) steps++;
    expect(steps).toBe(6); // 23 records, 4 a step: the sixth step reads the last 3 and ends the sweep
    expect(inboxKeys(store)).toEqual(expected.sort());
    expect(lines.filter((l) => l.msg === 'old dedupe records deleted').map((l) => l.deleted)).toEqual([8]);

    // The next sweep starts from the beginning and finds nothing more to delete (nor to log).
    while (!sweep.step());
    expect(inboxKeys(store)).toEqual(expected.sort());
    expect(lines.filter((l) => l.msg === 'old dedupe records deleted')).toHaveLength(1);
    store.close();
  });

  it('a redelivery within the retention stays a duplicate; an id seen again after it is a new message', () => {
    const store = tempStore();
    const service = createConversationService(store, [loadFlow('test/fixtures/flows-valid/all-types.yaml')]);
    const event = (receivedAt: Date): InboundEvent => ({
      channel: 'telegram',
      eventId: '777',
      userKey: 'u1',
      chatId: 'u1',
      input: { kind: 'text', text: 'xin chào' },
      receivedAt,
    });
    let clock = NOW;
    const sweep = new InboxSweeper({ store, logger: logSink().logger, retentionDays: 7, now: () => clock });
    expect(service.handle(event(NOW)).status).toBe('processed');

    clock = new Date(NOW.getTime() + 1 * DAY);
    while (!sweep.step());
    expect(service.handle(event(clock)).status).toBe('duplicate');

    // Telegram picks update ids at random after a week without updates: the same id can come back.
    clock = new Date(NOW.getTime() + 8 * DAY);
    while (!sweep.step());
    expect(service.handle(event(clock)).status).toBe('processed');
    store.close();
  });

  it('runs by itself once started, and stops', async () => {
    const store = tempStore();
    for (let i = 0; i < 10; i++) store.claimInbound('telegram', String(i), daysAgo(i < 5 ? 30 : 1));
    const sweep = new InboxSweeper({ store, logger: logSink().logger, retentionDays: 7, batch: 3, stepMs: 5, restMs: 5, now: () => NOW });
    sweep.start();
    const deadline = Date.now() + 5000;
    while (inboxKeys(store).length > 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    sweep.stop();
    expect(inboxKeys(store)).toEqual(['telegram/5', 'telegram/6', 'telegram/7', 'telegram/8', 'telegram/9']);
    // Stopped: an old record now stays (running, the next sweep would take it within milliseconds).
    store.claimInbound('telegram', 'late', daysAgo(30));
    await new Promise((r) => setTimeout(r, 100));
    expect(inboxKeys(store)).toContain('telegram/late');
    store.close();
  });
});
