import { afterEach, describe, expect, it } from 'vitest';
import { createDeadlineInfo, overdueList } from '../../src/reminders/overdue.ts';
import { reminderStoreOf } from '../../src/store/reminderStore.ts';
import { createWorld, vn, type World } from './helpers.ts';

let world: World;
afterEach(() => world?.close());

describe('the secretariat’s overdue list', () => {
  it('lists units that have not reported from 3 days after the last day, for 60 days', () => {
    world = createWorld();
    world.addUnit('A');
    const [b1] = world.addUnit('B');
    const [c1] = world.addUnit('C');
    world.submit('B', b1!, '2026');
    reminderStoreOf(world.store).recordAck({ deadlineId: 'ho-so-dvht', period: '2026', unitId: 'C', personId: c1!, channel: 'telegram', now: new Date().toISOString() });
    const list = (local: string) => overdueList({ store: world.store, schedule: world.schedule, now: vn(local) }).map((e) => `${e.unit.id} ${e.period} ${e.daysOverdue}`);
    expect(list('2027-01-16T23:00')).toEqual([]);
    expect(list('2027-01-17T00:00')).toEqual(['A 2026 3']);
    expect(list('2027-03-17T12:00')).toEqual(['A 2026 62']);
    expect(list('2027-03-18T12:00')).toEqual([]);
  });

  it('answers the dashboard’s questions by flow and period', async () => {
    world = createWorld();
    world.addUnit('A');
    const info = createDeadlineInfo({ store: world.store, schedule: world.schedule });
    const q = { unitId: 'A', flowId: 'don-vi-hoc-tap-tt24', period: '2026' };
    expect(info.isOverdue({ ...q, now: vn('2027-01-16T12:00') })).toBe(false);
    expect(info.isOverdue({ ...q, now: vn('2027-01-18T12:00') })).toBe(true);
    expect(info.isOverdue({ ...q, flowId: 'cong-dan-hoc-tap', now: vn('2027-01-18T12:00') })).toBeUndefined();
    expect(info.lastReminderAt(q)).toBeUndefined();
    world.clock.now = vn('2027-01-11T08:00');
    await world.planner().tick();
    expect(info.lastReminderAt(q)).toBe(vn('2027-01-11T08:00').toISOString());
  });
});
