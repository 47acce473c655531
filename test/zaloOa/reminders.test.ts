import { afterEach, describe, expect, it } from 'vitest';
import { REMINDER_QUESTION } from '../../src/channels/zaloOa/render.ts';
import { cannotReachOnZalo } from '../../src/channels/zaloOa/status.ts';
import { followEvent } from '../fakes/zaloOaApi.ts';
import { APP_ID, type OaHarness, type OaUser, startOaHarness } from './harness.ts';

/**
 * Reminder rows (as the planner and its routing write them) going through the OA transport: the
 * question at the end, the buttons, the paid part of the window, and what happens when Zalo refuses
 * (-230) or the person unfollows: a fallback, never a silent drop.
 */

let h: OaHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A consenting person on the OA, focal point of unit A. */
async function focalPoint(x: OaHarness, id: string): Promise<{ user: OaUser; personId: number }> {
  const user = x.user(id);
  await user.say('xin chào');
  await user.tap('Đồng ý');
  const personId = user.person()!.id;
  const now = new Date().toISOString();
  x.bot.store.units.upsertUnit({ id: 'A', name: 'Trường THCS Đơn vị A', type: 'school', tier: 'province', communeCode: '00001', active: true }, now);
  x.bot.store.units.joinUnit(personId, 'A', now);
  return { user, personId };
}

function queueReminder(x: OaHarness, p: { chatId: string; personId: number; step?: string; znsData?: Record<string, string>; notBefore?: string }): void {
  const payload = {
    kind: 'message',
    text: 'Nhắc hạn: Hồ sơ đề nghị công nhận “Đơn vị học tập” — năm 2026\nĐơn vị: Trường THCS Đơn vị A',
    choices: [
      { id: 'done', label: 'Đã nộp' },
      { id: 'snooze', label: 'Nhắc lại sau' },
      { id: 'start', label: 'Bắt đầu' },
    ],
    scope: 'rm:41',
    ...(p.znsData ? { znsData: p.znsData } : {}),
  };
  x.bot.store.enqueue(
    {
      channel: 'zalo_oa',
      chatId: p.chatId,
      personId: p.personId,
      kind: 'reminder',
      payload: JSON.stringify(payload),
      dedupeKey: `rm|ho-so-dvht|2026|A|${p.personId}|${p.step ?? 'd-7'}`,
      ...(p.notBefore ? { notBefore: p.notBefore } : {}),
    },
    new Date().toISOString(),
  );
  x.bot.sender.wake();
}

describe('reminders on the OA', () => {
  it('end with a question and carry the reminder buttons (scope rm:<id>)', async () => {
    h = await startOaHarness();
    const { user, personId } = await focalPoint(h, '6001');
    queueReminder(h, { chatId: user.id, personId });
    await h.settled(user.id);
    const last = h.fake.messagesTo(user.id).at(-1)!;
    expect(last.text.endsWith(REMINDER_QUESTION)).toBe(true);
    expect(last.buttons.map((b) => [b.title, b.payload])).toEqual([
      ['Đã nộp', '#q|rm:41|done'],
      ['Nhắc lại sau', '#q|rm:41|snooze'],
      ['Bắt đầu', '#q|rm:41|start'],
    ]);
  });

  it('logs a consultation message sent in the paid part of the window (48 h – 7 days after the last message)', async () => {
    h = await startOaHarness();
    const { user, personId } = await focalPoint(h, '6002');
    h.bot.store.touchPerson(personId, new Date(Date.now() - 72 * 3_600_000).toISOString());
    queueReminder(h, { chatId: user.id, personId });
    await h.settled(user.id);
    const line = h.logs.find((l) => l.includes('paid part of the window'));
    expect(line && JSON.parse(line)).toMatchObject({ channel: 'zalo_oa', kind: 'reminder', hoursSinceLastMessage: 72 });
  });

  it('a reminder refused with -230 goes on the secretariat list, with the reason', async () => {
    h = await startOaHarness();
    const { user, personId } = await focalPoint(h, '6003');
    const before = h.fake.messagesTo(user.id).length;
    h.fake.windowClosed.add(user.id);
    queueReminder(h, { chatId: user.id, personId });
    await h.settled(user.id);
    expect(h.fake.messagesTo(user.id)).toHaveLength(before);
    expect(h.fake.calls.filter((c) => c.error === -230)).toHaveLength(1);
    const row = h.bot.store.outboxRows('zalo_oa').find((r) => r.kind === 'reminder')!;
    expect(row.status).toBe('failed');
    expect(row.last_error).toMatch(/^window_closed: zalo oa message\/cs: -230 /);
    expect(cannotReachOnZalo(h.bot.store).map((e) => [e.unitName, e.step, e.reason, e.personId])).toEqual([
      ['Trường THCS Đơn vị A', 'd-7', 'window_closed', personId],
    ]);
    expect(h.logs.some((l) => l.includes('reminder not delivered on the Zalo OA; fallback'))).toBe(true);
  });

  it('with a ZNS template configured, a reminder refused with -230 is sent as the template instead', async () => {
    h = await startOaHarness({
      env: { ZALO_OA_REMINDER_FALLBACK: 'zns,list', ZALO_OA_ZNS_TEMPLATE_ID: '345678', ZALO_OA_ZNS_TEMPLATE_DATA: 'ten_don_vi=unit_name,han_nop=due_date', ZALO_OA_ZNS_MODE: 'development' },
    });
    const { user, personId } = await focalPoint(h, '6004');
    h.fake.windowClosed.add(user.id);
    queueReminder(h, { chatId: user.id, personId, znsData: { ten_don_vi: 'Trường THCS Đơn vị A', han_nop: '15/01/2027' } });
    await h.fake.waitFor('a ZNS send', () => h!.fake.znsSent().length === 1);
    expect(h.fake.znsSent()[0]!.body).toEqual({
      user_id: user.id,
      template_id: '345678',
      template_data: { ten_don_vi: 'Trường THCS Đơn vị A', han_nop: '15/01/2027' },
      tracking_id: 'xhht-41',
      mode: 'development',
    });
    await h.settled(user.id);
    expect(h.bot.store.outboxRows('zalo_oa').filter((r) => r.kind === 'zns').map((r) => r.status)).toEqual(['sent']);
    expect(cannotReachOnZalo(h.bot.store)).toEqual([]);
  });

  it('a reminder still pending when the person unfollows is listed, not sent and not lost', async () => {
    h = await startOaHarness();
    const { user, personId } = await focalPoint(h, '6005');
    const before = h.fake.messagesTo(user.id).length;
    queueReminder(h, { chatId: user.id, personId, notBefore: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await h.post(followEvent({ appId: APP_ID, userId: user.id, event: 'unfollow' }))).status).toBe(200);
    expect(cannotReachOnZalo(h.bot.store).map((e) => [e.step, e.reason])).toEqual([['d-7', 'unfollowed']]);
    expect(h.fake.messagesTo(user.id)).toHaveLength(before);
  });
});
