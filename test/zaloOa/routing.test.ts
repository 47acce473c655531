import { afterEach, describe, expect, it } from 'vitest';
import { createConversationService } from '../../src/app.ts';
import { channelLinkInterceptor } from '../../src/channels/zaloOa/channelLinks.ts';
import { createReminderRouting } from '../../src/channels/zaloOa/reminderRouting.ts';
import { cannotReachOnZalo } from '../../src/channels/zaloOa/status.ts';
import { parseConfig } from '../../src/config.ts';
import type { Input } from '../../src/engine/types.ts';
import { silentLogger } from '../../src/log.ts';
import { localDateOf } from '../../src/reminders/dates.ts';
import { createReminderInterceptor } from '../../src/reminders/interceptor.ts';
import type { ReminderPlanner } from '../../src/reminders/planner.ts';
import { channelLinkStoreOf } from '../../src/store/channelLinkStore.ts';
import { reminderStoreOf } from '../../src/store/reminderStore.ts';
import { createWorld, FLOWS, stepOf, vn, type World } from '../reminders/helpers.ts';

/**
 * The planner with the OA routing hooks, on a fake clock. The deadline's ladder (last day 14/01/2027):
 * d-14 31/12, d-7 07/01, d-3 11/01, d-1 13/01, d0 14/01, d+1 15/01, each at 08:00.
 */

let world: World;
afterEach(() => world?.close());

const OA_ENV = { ZALO_OA_APP_ID: '4318765432109876543', ZALO_OA_APP_SECRET: 'app-secret-XYZ-987654', ZALO_OA_SECRET_KEY: 'oa-secret-key-ABC-123456' };

function plannerWith(w: World, env: Record<string, string>): ReminderPlanner {
  const routing = createReminderRouting({ oa: parseConfig({ ...OA_ENV, ...env }).zaloOa, logger: silentLogger });
  return w.planner({ routeReminder: routing.routeReminder, sendEarly: routing.sendEarly });
}

async function runClock(w: World, planner: ReminderPlanner, from: string, to: string, everyMinutes = 60): Promise<void> {
  for (let t = vn(from).getTime(); t <= vn(to).getTime(); t += everyMinutes * 60_000) {
    w.clock.now = new Date(t);
    await planner.tick();
  }
}

/** "yyyy-mm-dd HH:MM step channel kind" of every reminder row, in order. */
function sent(w: World): string[] {
  return w.store
    .outboxRows()
    .filter((r) => r.kind === 'reminder' || r.kind === 'zns')
    .map((r) => `${localDateOf(new Date(r.created_at))} ${new Date(new Date(r.created_at).getTime() + 7 * 3_600_000).toISOString().slice(11, 16)} ${stepOf(r.dedupe_key!)} ${r.channel} ${r.kind}`);
}

/** An OA focal point of unit A whose last message to the OA was at `lastInbound` (Vietnam time). */
function oaFocalPoint(w: World, lastInbound: string, unit = 'A'): number {
  const [id] = w.addUnit(unit, { channel: 'zalo_oa' });
  w.store.touchPerson(id!, vn(lastInbound).toISOString());
  return id!;
}

describe('a Zalo OA focal point whose messaging window closes before a reminder', () => {
  it('early: the next step goes out in the last day of the window; later steps, with the window closed, are listed', async () => {
    world = createWorld();
    const p = oaFocalPoint(world, '2027-01-01T20:00'); // window closes 08/01 20:00
    const planner = plannerWith(world, { ZALO_OA_REMINDER_FALLBACK: 'early,list' });
    await runClock(world, planner, '2027-01-07T07:00', '2027-01-15T12:00');
    expect(sent(world)).toEqual([
      '2027-01-07 08:00 d-7 zalo_oa reminder',
      // d-3 (due 11/01) pulled forward to the first tick of the window's last 24 hours.
      '2027-01-07 20:00 d-3 zalo_oa reminder',
    ]);
    expect(cannotReachOnZalo(world.store).map((e) => [e.step, e.reason])).toEqual([
      ['d+1', 'window_closed'],
      ['d0', 'window_closed'],
      ['d-1', 'window_closed'],
    ]);
    const early = world.reminders().find((r) => stepOf(r.key) === 'd-3')!;
    expect(early.text).toContain('Hạn: trước ngày thứ Sáu, 15/01/2027 (còn 7 ngày).');
    expect(reminderStoreOf(world.store).latestQueuedFor(p)?.step).toBe('d-3');
  });

  it('an answer to the early reminder reopens the window, and the ladder continues normally', async () => {
    world = createWorld();
    const p = oaFocalPoint(world, '2027-01-01T20:00');
    const planner = plannerWith(world, { ZALO_OA_REMINDER_FALLBACK: 'early,list' });
    await runClock(world, planner, '2027-01-07T08:00', '2027-01-07T21:00');
    world.store.touchPerson(p, vn('2027-01-07T21:30').toISOString()); // "nhắc lại sau", any reply
    await runClock(world, planner, '2027-01-08T07:00', '2027-01-15T12:00');
    // The window now closes 14/01 21:30: d0 that morning was the last chance to reply (no second,
    // early d+1 beside it), so d+1 is listed.
    expect(sent(world).map((s) => s.split(' ')[2])).toEqual(['d-7', 'd-3', 'd-1', 'd0']);
    expect(cannotReachOnZalo(world.store).map((e) => e.step)).toEqual(['d+1']);
  });

  it('zns: with an approved template configured, the reminder goes out as a ZNS row filled from the mapping', async () => {
    world = createWorld();
    oaFocalPoint(world, '2026-12-01T09:00');
    const planner = plannerWith(world, {
      ZALO_OA_REMINDER_FALLBACK: 'zns,list',
      ZALO_OA_ZNS_TEMPLATE_ID: '345678',
      ZALO_OA_ZNS_TEMPLATE_DATA: 'ten_don_vi=unit_name,noi_dung=deadline_title,han_nop=due_date,tinh_trang=due_status,noi_nhan=office',
    });
    await runClock(world, planner, '2027-01-07T07:00', '2027-01-07T09:00');
    expect(sent(world)).toEqual(['2027-01-07 08:00 d-7 zalo_oa zns']);
    const row = world.store.outboxRows().find((r) => r.kind === 'zns')!;
    expect(JSON.parse(row.payload)).toEqual({
      kind: 'zns',
      templateId: '345678',
      templateData: {
        ten_don_vi: 'Đơn vị A',
        noi_dung: 'Hồ sơ đề nghị công nhận “Đơn vị học tập”',
        han_nop: '15/01/2027',
        tinh_trang: 'còn 7 ngày',
        noi_nhan: 'Sở Giáo dục và Đào tạo',
      },
      trackingId: expect.stringMatching(/^xhht-\d+$/),
      development: false,
    });
    expect(cannotReachOnZalo(world.store)).toEqual([]);
  });

  it('zns is skipped when no template is configured: the next option applies', async () => {
    world = createWorld();
    oaFocalPoint(world, '2026-12-01T09:00');
    await runClock(world, plannerWith(world, { ZALO_OA_REMINDER_FALLBACK: 'zns,list' }), '2027-01-07T07:00', '2027-01-07T09:00');
    expect(sent(world)).toEqual([]);
    expect(cannotReachOnZalo(world.store).map((e) => e.step)).toEqual(['d-7']);
  });

  it('other_channel: sent once, to the Telegram identity the person linked, with buttons that work there', async () => {
    world = createWorld();
    const oa = oaFocalPoint(world, '2026-12-20T09:00'); // used last, window closed by 07/01
    const [tg] = world.addUnit('A', { channel: 'telegram' });
    world.store.touchPerson(tg!, vn('2026-12-10T09:00').toISOString());
    channelLinkStoreOf(world.store).link(tg!, oa, vn('2026-12-20T09:00').toISOString());
    const planner = plannerWith(world, { ZALO_OA_REMINDER_FALLBACK: 'early,other_channel,list' });
    await runClock(world, planner, '2027-01-07T07:00', '2027-01-07T09:00');
    const rows = world.reminders();
    expect(rows.map((r) => [r.personId, stepOf(r.key)])).toEqual([[tg, 'd-7']]);
    expect(world.store.outboxRows().filter((r) => r.kind === 'reminder').map((r) => r.channel)).toEqual(['telegram']);
    // Its buttons belong to the Telegram identity: "Đã nộp" tapped there is accepted.
    const tgLog = reminderStoreOf(world.store).latestQueuedFor(tg!)!;
    expect(rows[0]!.scope).toBe(`rm:${tgLog.id}`);
    const service = createConversationService(world.store, FLOWS, [createReminderInterceptor({ schedule: world.schedule })]);
    const person = world.store.getPerson(tg!)!;
    const out = service.handle({ channel: 'telegram', eventId: 'tap-1', userKey: person.external_id, chatId: person.external_id, input: { kind: 'choice', choiceId: 'done', scope: rows[0]!.scope! }, receivedAt: vn('2027-01-07T09:30') });
    expect(out.status === 'processed' && out.outputs[0]?.kind === 'message' && out.outputs[0].text).toMatch(/^Cảm ơn Anh\/Chị\. Đã ghi nhận Đơn vị A đã nộp/);
    await runClock(world, planner, '2027-01-08T07:00', '2027-01-16T09:00');
    expect(world.reminders()).toHaveLength(1);
  });

  it('list: with nothing else possible, the secretariat sees the unit, deadline, step and why — and nothing is queued', async () => {
    world = createWorld();
    const p = oaFocalPoint(world, '2026-11-01T09:00');
    await runClock(world, plannerWith(world, {}), '2027-01-07T07:00', '2027-01-07T09:00');
    expect(sent(world)).toEqual([]);
    const [entry] = cannotReachOnZalo(world.store);
    expect(entry).toMatchObject({
      deadlineId: 'ho-so-dvht',
      period: '2026',
      unitId: 'A',
      unitName: 'Đơn vị A',
      step: 'd-7',
      personId: p,
      channel: 'zalo_oa',
      reason: 'window_closed',
      reasonLabel: 'quá 7 ngày kể từ tin nhắn cuối của người nhận (Zalo không cho gửi tin tư vấn)',
    });
  });

  it('a person inside the window gets the reminder on the OA as usual', async () => {
    world = createWorld();
    oaFocalPoint(world, '2027-01-05T09:00');
    await runClock(world, plannerWith(world, {}), '2027-01-07T07:00', '2027-01-07T09:00');
    expect(sent(world)).toEqual(['2027-01-07 08:00 d-7 zalo_oa reminder']);
  });
});

describe('one human on several channels', () => {
  let n = 0;
  function say(w: World, personId: number, text: string, at: string) {
    const service = createConversationService(w.store, FLOWS, [channelLinkInterceptor]);
    const person = w.store.getPerson(personId)!;
    const input: Input = { kind: 'text', text };
    const out = service.handle({ channel: person.channel, eventId: `l${++n}`, userKey: person.external_id, chatId: person.external_id, input, receivedAt: vn(at) });
    return out.status === 'processed' ? out.outputs.map((o) => (o.kind === 'message' ? o.text : '')).join('\n') : 'duplicate';
  }

  it('links Telegram and Zalo with a one-time code; the new identity joins the unit; reminders go to the channel used last', async () => {
    world = createWorld();
    const [tg] = world.addUnit('A', { channel: 'telegram' });
    const zalo = world.store.createPerson('zalo', 'z-123', vn('2026-12-01T09:00').toISOString());
    const issued = say(world, tg!, 'liên kết', '2027-01-05T09:00');
    const code = /Mã liên kết của Anh\/Chị: ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(issued)![1]!;
    expect(say(world, zalo.id, 'liên kết 1234-5678', '2027-01-05T09:05')).toContain('Mã liên kết không đúng hoặc đã hết hạn');
    const linked = say(world, zalo.id, `lien ket ${code.toLowerCase()}`, '2027-01-05T09:06');
    expect(linked).toContain('Đã liên kết: Telegram, Zalo.');
    expect(linked).toContain('Cả hai tài khoản là đầu mối của Đơn vị A');
    expect(world.store.units.activeUnitOf(zalo.id)).toBe('A');
    expect(say(world, zalo.id, `liên kết ${code}`, '2027-01-05T09:07')).toContain('Mã liên kết không đúng hoặc đã hết hạn'); // used once

    const planner = plannerWith(world, {});
    await runClock(world, planner, '2027-01-07T07:00', '2027-01-07T09:00');
    // Zalo was used last (09:07, after Telegram's 09:00): one reminder, there.
    expect(world.reminders().map((r) => [r.personId, stepOf(r.key)])).toEqual([[zalo.id, 'd-7']]);

    expect(say(world, zalo.id, 'nhận nhắc qua Telegram', '2027-01-08T10:00')).toContain('Từ nay bot nhắc hạn qua Telegram');
    expect(say(world, tg!, 'kênh nhắc', '2027-01-08T10:01')).toContain('Bot nhắc hạn qua Telegram (Anh/Chị đã chọn)');
    await runClock(world, planner, '2027-01-11T07:00', '2027-01-11T09:00');
    expect(world.reminders().map((r) => [r.personId, stepOf(r.key)])).toEqual([
      [zalo.id, 'd-7'],
      [tg, 'd-3'],
    ]);

    expect(say(world, tg!, 'hủy liên kết', '2027-01-12T10:00')).toContain('Đã hủy liên kết');
    await runClock(world, planner, '2027-01-13T07:00', '2027-01-13T09:00');
    // Unlinked, each identity is a focal point of its own: both receive d-1.
    expect(world.reminders().filter((r) => stepOf(r.key) === 'd-1').map((r) => r.personId).sort()).toEqual([tg, zalo.id].sort());
  });

  it('refuses to link two identities registered for different units', async () => {
    world = createWorld();
    const [a] = world.addUnit('A', { channel: 'telegram' });
    const [b] = world.addUnit('B', { channel: 'zalo' });
    const code = /: ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(say(world, a!, 'liên kết', '2027-01-05T09:00'))![1]!;
    expect(say(world, b!, `liên kết ${code}`, '2027-01-05T09:01')).toContain('Không thể liên kết');
    expect(channelLinkStoreOf(world.store).groupOf(b!)).toBeUndefined();
  });
});
