import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import { CalendarLoadError } from '../../src/reminders/calendar.ts';
import { createReminders } from '../../src/reminders/setup.ts';
import { Store } from '../../src/store/store.ts';
import { ROOT } from '../helpers/flows.ts';
import { FLOWS, vn } from './helpers.ts';

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

function dataDir(withCalendar: string | 'shipped' | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'xhht-remsetup-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  if (withCalendar === 'shipped') copyFileSync(join(ROOT, 'data', 'deadlines.yaml'), join(dir, 'deadlines.yaml'));
  else if (withCalendar !== undefined) writeFileSync(join(dir, 'deadlines.yaml'), withCalendar);
  return dir;
}

function store(): Store {
  const s = new Store(':memory:');
  cleanup.push(() => s.close());
  return s;
}

describe('createReminders (the server’s wiring)', () => {
  it('builds the planner, the interceptor and the dashboard answers from DATA_DIR/deadlines.yaml', async () => {
    const s = store();
    const now = vn('2027-01-07T08:00');
    let woken = 0;
    const r = createReminders({
      config: { dataDir: dataDir('shipped'), reminders: { enabled: true, intervalMs: 60_000 } },
      store: s,
      flows: FLOWS,
      logger: silentLogger,
      wakeSender: () => woken++,
      now: () => now,
    })!;
    const iso = now.toISOString();
    s.units.upsertUnit({ id: 'A', name: 'Trường A', type: 'school', tier: 'province', communeCode: '1', active: true }, iso);
    s.units.joinUnit(s.createPerson('telegram', '1', iso).id, 'A', iso);
    expect((await r.planner.tick()).queued).toBe(1);
    expect(woken).toBe(1);
    expect(typeof r.interceptor).toBe('function');
    expect(r.deadlineInfo.isOverdue({ unitId: 'A', flowId: 'don-vi-hoc-tap-tt24', period: '2026', now })).toBe(false);
  });

  it('is off when disabled or when there is no calendar, and refuses an invalid calendar', () => {
    const base = { store: store(), flows: FLOWS, logger: silentLogger };
    expect(createReminders({ ...base, config: { dataDir: dataDir('shipped'), reminders: { enabled: false, intervalMs: 60_000 } } })).toBeUndefined();
    expect(createReminders({ ...base, config: { dataDir: dataDir(undefined), reminders: { enabled: true, intervalMs: 60_000 } } })).toBeUndefined();
    expect(() => createReminders({ ...base, config: { dataDir: dataDir('version: 2\n'), reminders: { enabled: true, intervalMs: 60_000 } } })).toThrow(
      CalendarLoadError,
    );
  });

  it('the planner runs every interval once started and stops cleanly', async () => {
    const s = store();
    const r = createReminders({
      config: { dataDir: dataDir('shipped'), reminders: { enabled: true, intervalMs: 1000 } },
      store: s,
      flows: FLOWS,
      logger: silentLogger,
      now: () => vn('2027-01-07T08:00'),
    })!;
    const iso = new Date().toISOString();
    s.units.upsertUnit({ id: 'A', name: 'Trường A', type: 'school', tier: 'province', communeCode: '1', active: true }, iso);
    s.units.joinUnit(s.createPerson('telegram', '1', iso).id, 'A', iso);
    r.planner.start();
    for (let i = 0; i < 100 && s.outboxRows().length === 0; i++) await new Promise((res) => setTimeout(res, 20));
    await r.planner.stop();
    expect(s.outboxRows().map((o) => o.kind)).toEqual(['reminder']);
  });
});
