import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import { localDateOf } from '../../src/reminders/dates.ts';
import { ReminderPlanner } from '../../src/reminders/planner.ts';
import { ReminderSchedule } from '../../src/reminders/schedule.ts';
import { reminderStoreOf } from '../../src/store/reminderStore.ts';
import { SecretariatStore } from '../../src/store/secretariatStore.ts';
import { Store } from '../../src/store/store.ts';
import { createWorld, FLOWS, stepOf, testCalendar, vn, type World } from './helpers.ts';

let world: World;
afterEach(() => world?.close());

/** Ticks the planner every `everyMinutes` from `from` to `to` (Vietnam local times). */
async function runClock(w: World, planner: ReminderPlanner, from: string, to: string, everyMinutes = 60): Promise<void> {
  for (let t = vn(from).getTime(); t <= vn(to).getTime(); t += everyMinutes * 60_000) {
    w.clock.now = new Date(t);
    await planner.tick();
  }
}

/** "2027-01-07 d-7" for each reminder to a person, from the outbox rows' creation days. */
function sentDays(w: World, personId: number): string[] {
  return w.store
    .outboxRows()
    .filter((r) => r.kind === 'reminder' && r.person_id === personId && r.dedupe_key?.includes('ho-so-dvht'))
    .map((r) => `${localDateOf(new Date(r.created_at))} ${stepOf(r.dedupe_key!)}`);
}

describe('the planner across a deadline (fake clock)', () => {
  it('sends each step once, on its day, to every focal point of each unit that has not reported', async () => {
    world = createWorld();
    const [a1, a2] = world.addUnit('A', { n: 2 });
    const [b1] = world.addUnit('B', { channel: 'zalo' });
    const planner = world.planner();
    await runClock(world, planner, '2026-12-30T00:00', '2027-01-20T00:00', 30);
    const ladder = ['2026-12-31 d-14', '2027-01-07 d-7', '2027-01-11 d-3', '2027-01-13 d-1', '2027-01-14 d0', '2027-01-15 d+1'];
    expect(sentDays(world, a1!)).toEqual(ladder);
    expect(sentDays(world, a2!)).toEqual(ladder);
    expect(sentDays(world, b1!)).toEqual(ladder);
    // Each at 08:00 (the tick at or after it), on the person's own channel and chat.
    const rows = world.store.outboxRows().filter((r) => r.person_id === b1);
    expect(rows.every((r) => r.channel === 'zalo' && r.created_at.slice(11, 16) === '01:00')).toBe(true);
    const first = world.reminders().find((r) => r.personId === a1)!;
    expect(first.text).toContain('Nhắc hạn: Hồ sơ đề nghị công nhận “Đơn vị học tập” — năm 2026');
    expect(first.text).toContain('Hạn: trước ngày thứ Sáu, 15/01/2027 (còn 14 ngày).');
    expect(first.text).toContain('Gửi đến: Sở Giáo dục và Đào tạo');
    expect(first.choices).toEqual(['done', 'snooze', 'start']);
    expect(first.scope).toMatch(/^rm:\d+$/);
    const overdue = world.reminders().filter((r) => r.personId === a1).at(-1)!;
    expect(overdue.text).toMatch(/^Đã quá hạn: .*\n[\s\S]*đã quá hạn 1 ngày/);
  });

  it('stops for the whole unit once the linked flow is submitted for that period', async () => {
    world = createWorld();
    const [a1, a2] = world.addUnit('A', { n: 2 });
    const [b1] = world.addUnit('B');
    const planner = world.planner();
    await runClock(world, planner, '2027-01-07T07:00', '2027-01-07T09:00');
    world.submit('A', a1!, '2026');
    // A submission for another period does not stop B.
    world.submit('B', b1!, '2025');
    await runClock(world, planner, '2027-01-07T10:00', '2027-01-20T00:00');
    expect(sentDays(world, a1!)).toEqual(['2027-01-07 d-7']);
    expect(sentDays(world, a2!)).toEqual(['2027-01-07 d-7']);
    expect(sentDays(world, b1!)).toEqual(['2027-01-07 d-7', '2027-01-11 d-3', '2027-01-13 d-1', '2027-01-14 d0', '2027-01-15 d+1']);
  });

  it('stops for the whole unit on a focal point’s “đã nộp”, recorded with who and when', async () => {
    world = createWorld();
    const [a1, a2] = world.addUnit('A', { n: 2 });
    const planner = world.planner();
    await runClock(world, planner, '2027-01-11T08:00', '2027-01-11T08:00');
    reminderStoreOf(world.store).recordAck({ deadlineId: 'ho-so-dvht', period: '2026', unitId: 'A', personId: a2!, channel: 'telegram', now: vn('2027-01-11T09:00').toISOString() });
    await runClock(world, planner, '2027-01-11T10:00', '2027-01-20T00:00');
    expect(sentDays(world, a1!)).toEqual(['2027-01-11 d-3']);
    expect(reminderStoreOf(world.store).ack('ho-so-dvht', '2026', 'A')).toEqual({ personId: a2, channel: 'telegram', ackedAt: '2027-01-11T02:00:00.000Z' });
  });

  it('snooze moves only that person’s next reminder', async () => {
    world = createWorld();
    const [a1, a2] = world.addUnit('A', { n: 2 });
    const planner = world.planner();
    await runClock(world, planner, '2027-01-13T07:00', '2027-01-13T09:00');
    // a1 snoozes on the d-1 day: 2 days later is the d+1 morning, so a1 gets no d0 reminder.
    reminderStoreOf(world.store).snooze({
      deadlineId: 'ho-so-dvht', period: '2026', unitId: 'A', personId: a1!, until: vn('2027-01-15T08:00').toISOString(), now: vn('2027-01-13T09:30').toISOString(),
    });
    await runClock(world, planner, '2027-01-13T10:00', '2027-01-20T00:00');
    expect(sentDays(world, a1!)).toEqual(['2027-01-13 d-1', '2027-01-15 d+1']);
    expect(sentDays(world, a2!)).toEqual(['2027-01-13 d-1', '2027-01-14 d0', '2027-01-15 d+1']);
  });

  it('a snooze between two steps brings one extra reminder on the snooze day', async () => {
    world = createWorld();
    const [a1] = world.addUnit('A');
    const planner = world.planner();
    await runClock(world, planner, '2026-12-31T07:00', '2026-12-31T09:00');
    reminderStoreOf(world.store).snooze({
      deadlineId: 'ho-so-dvht', period: '2026', unitId: 'A', personId: a1!, until: vn('2027-01-02T08:00').toISOString(), now: vn('2026-12-31T09:30').toISOString(),
    });
    await runClock(world, planner, '2026-12-31T10:00', '2027-01-08T00:00');
    expect(sentDays(world, a1!)).toEqual(['2026-12-31 d-14', '2027-01-02 z202701020800', '2027-01-07 d-7']);
  });

  it('sends nothing in quiet hours nor on Tết; a reminder due then goes out at the first allowed minute', async () => {
    world = createWorld({ calendar: testCalendar('  ladder: { sendAt: "06:00" }') });
    world.addUnit('A');
    const planner = world.planner();
    world.clock.now = vn('2027-01-07T06:30');
    expect(await planner.tick()).toMatchObject({ queued: 0, blocked: 'quiet' });
    world.clock.now = vn('2027-01-07T07:29');
    expect((await planner.tick()).queued).toBe(0);
    world.clock.now = vn('2027-01-07T07:30');
    expect((await planner.tick()).queued).toBe(1);
    // Tết Đinh Mùi: mùng 1 is 06/02/2027; nothing is sent that day, even at noon.
    world.clock.now = vn('2027-02-06T12:00');
    expect(await planner.tick()).toMatchObject({ queued: 0, blocked: 'tet' });
  });
});

describe('exactly once', () => {
  it('running twice queues nothing new', async () => {
    world = createWorld();
    world.addUnit('A', { n: 3 });
    const planner = world.planner();
    world.clock.now = vn('2027-01-07T08:00');
    expect((await planner.tick()).queued).toBe(3);
    expect((await planner.tick()).queued).toBe(0);
    expect((await world.planner().tick()).queued).toBe(0);
    expect(world.reminders()).toHaveLength(3);
  });

  it('two planners at once on one database (two connections) queue each reminder once', async () => {
    world = createWorld({ file: true });
    for (let i = 0; i < 40; i++) world.addUnit(`U${i}`, { n: 2 });
    const other = new Store(world.store.path, { synchronous: 'NORMAL' });
    try {
      const schedule = new ReminderSchedule(testCalendar(), FLOWS);
      const now = vn('2027-01-07T08:00');
      const p1 = world.planner({ batchSize: 3 });
      const p2 = new ReminderPlanner({ store: other, schedule, logger: silentLogger, now: () => now, batchSize: 5 });
      world.clock.now = now;
      const reports = await Promise.all([p1.tick(), p2.tick(), p1.tick()]);
      expect(reports.reduce((n, r) => n + r.queued, 0)).toBe(80);
      const rows = world.reminders();
      expect(rows).toHaveLength(80);
      expect(new Set(rows.map((r) => r.key)).size).toBe(80);
      expect(new Set(rows.map((r) => r.chatId)).size).toBe(80);
    } finally {
      other.close();
    }
  });

  it('a crash mid-run leaves whole batches; the restarted planner finishes without duplicates', async () => {
    world = createWorld({ file: true });
    for (let i = 0; i < 10; i++) world.addUnit(`U${i}`, { n: 2 });
    world.clock.now = vn('2027-01-07T08:00');
    const crashing = world.planner({
      batchSize: 3,
      beforeBatch: (i) => {
        if (i === 2) throw new Error('power cut');
      },
    });
    await expect(crashing.tick()).rejects.toThrow('power cut');
    // Two batches of 3 units × 2 focal points were committed before the crash.
    expect(world.reminders()).toHaveLength(12);
    const restarted = new Store(world.store.path, { synchronous: 'NORMAL' });
    try {
      const p = new ReminderPlanner({ store: restarted, schedule: world.schedule, logger: silentLogger, now: () => world.clock.now });
      expect((await p.tick()).queued).toBe(8);
      expect((await p.tick()).queued).toBe(0);
    } finally {
      restarted.close();
    }
    const rows = world.reminders();
    expect(rows).toHaveLength(20);
    expect(new Set(rows.map((r) => r.key)).size).toBe(20);
  });

  it('a step that passed while the server was down is sent late only while it still makes sense', async () => {
    world = createWorld();
    const [a1] = world.addUnit('A');
    const planner = world.planner();
    // Down from 30/12 to 12/01 10:00: d-14 and d-7 are superseded, d-3 (window until d-1) goes out late once.
    world.clock.now = vn('2027-01-12T10:00');
    expect(await planner.tick()).toMatchObject({ queued: 1, skipped: 2 });
    expect(sentDays(world, a1!)).toEqual(['2027-01-12 d-3']);
    const log = reminderStoreOf(world.store);
    expect(log.logCounts()).toEqual({ queued: 1, skipped: 2 });
    expect(await planner.tick()).toMatchObject({ queued: 0, skipped: 0 });
  });

  it('after the overdue step’s window nothing is sent late: skipped and logged', async () => {
    world = createWorld();
    const [a1] = world.addUnit('A');
    world.clock.now = vn('2027-01-15T10:00');
    const fresh = world.planner();
    expect(await fresh.tick()).toMatchObject({ queued: 1, skipped: 5 });
    expect(sentDays(world, a1!)).toEqual(['2027-01-15 d+1']);

    world = createWorld();
    const [b1] = world.addUnit('B');
    world.clock.now = vn('2027-01-17T08:00');
    expect(await world.planner().tick()).toMatchObject({ queued: 0, skipped: 6 });
    expect(sentDays(world, b1!)).toEqual([]);
  });
});

describe('announcements and the secretariat digest', () => {
  it('announces an event to every focal point, without reply options', async () => {
    world = createWorld();
    world.addUnit('A', { n: 2 });
    world.clock.now = vn('2027-04-14T08:00');
    expect((await world.planner().tick()).queued).toBe(2);
    const [r] = world.reminders();
    expect(r!.text).toContain('Thông báo: Ngày Sách và Văn hóa đọc Việt Nam năm 2027');
    expect(r!.text).toContain('Thời gian: thứ Tư, 21/04/2027 (còn 7 ngày).');
    expect(r!.choices).toEqual([]);
  });

  it('sends the overdue digest once a day from 3 days overdue, only to registered secretariat members', async () => {
    world = createWorld();
    world.addUnit('A');
    const [b1] = world.addUnit('B');
    world.addUnit('C', { n: 0 });
    world.submit('B', b1!, '2026');
    const member = world.store.createPerson('telegram', '777', new Date().toISOString());
    const recipients = () => new SecretariatStore(world.store.db).activeMembers().map((m) => ({ personId: m.personId, channel: m.channel, chatId: m.externalId }));
    const planner = world.planner({ digestRecipients: recipients });
    const digests = () => world.store.outboxRows().filter((r) => r.kind === 'digest');

    world.clock.now = vn('2027-01-16T09:00'); // 2 days after the last day: not yet on the list
    await planner.tick();
    expect(digests()).toHaveLength(0);
    world.clock.now = vn('2027-01-17T08:30');
    expect((await planner.tick()).digests).toBe(0); // nobody registered: nothing is sent
    new SecretariatStore(world.store.db).addMember(member.id, new Date().toISOString());
    world.clock.now = vn('2027-01-18T08:00');
    expect((await planner.tick()).digests).toBe(1);
    world.clock.now = vn('2027-01-18T15:00');
    expect((await planner.tick()).digests).toBe(0);
    expect((await world.planner({ digestRecipients: recipients }).tick()).digests).toBe(0);
    const [d] = digests();
    expect(d!.chat_id).toBe('777');
    const text = (JSON.parse(d!.payload) as { text: string }).text;
    expect(text).toContain('Đơn vị A: quá hạn 4 ngày');
    expect(text).toContain('Đơn vị C: quá hạn 4 ngày (chưa có đầu mối đăng ký)');
    expect(text).not.toContain('Đơn vị B');
  });
});
