import { afterEach, describe, expect, it } from 'vitest';
import { createConversationService } from '../../src/app.ts';
import { decodeCallbackData, encodeCallbackData } from '../../src/channels/telegram/callbackData.ts';
import type { Input } from '../../src/engine/types.ts';
import { createReminderInterceptor } from '../../src/reminders/interceptor.ts';
import type { ConversationService } from '../../src/service/conversation.ts';
import { reminderStoreOf } from '../../src/store/reminderStore.ts';
import { createWorld, FLOWS, vn, type World } from './helpers.ts';

let world: World;
afterEach(() => world?.close());

let eventCounter = 0;

/** A unit with focal points, and the d-7 reminder queued to each of them at 08:00 on 07/01/2027. */
async function setUp(channel = 'telegram', n = 2): Promise<{ service: ConversationService; people: number[] }> {
  world = createWorld();
  const people = world.addUnit('A', { n, channel });
  world.clock.now = vn('2027-01-07T08:00');
  await world.planner().tick();
  const service = createConversationService(world.store, FLOWS, [createReminderInterceptor({ schedule: world.schedule })]);
  return { service, people };
}

function send(service: ConversationService, personId: number, input: Input | string, at = '2027-01-07T09:00') {
  const person = world.store.getPerson(personId)!;
  const outcome = service.handle({
    channel: person.channel,
    eventId: `e${++eventCounter}`,
    userKey: person.external_id,
    chatId: person.external_id,
    input: typeof input === 'string' ? { kind: 'text', text: input } : input,
    receivedAt: vn(at),
  });
  if (outcome.status !== 'processed') throw new Error('duplicate event');
  return outcome.outputs.map((o) => (o.kind === 'message' ? o.text : '')).join('\n');
}

const scopeOf = (personId: number) => world.reminders().find((r) => r.personId === personId)!.scope!;
const ack = () => reminderStoreOf(world.store).ack('ho-so-dvht', '2026', 'A');

describe('replies to a reminder', () => {
  it('a tap on “Đã nộp” records who and when and stops the ladder for the whole unit', async () => {
    const { service, people } = await setUp();
    const [p1, p2] = people as [number, number];
    const reply = send(service, p2, { kind: 'choice', choiceId: 'done', scope: scopeOf(p2) });
    expect(reply).toBe(
      'Cảm ơn Anh/Chị. Đã ghi nhận Đơn vị A đã nộp (thứ Năm, 07/01/2027 lúc 09:00): Hồ sơ đề nghị công nhận “Đơn vị học tập” — năm 2026. Bot dừng nhắc hạn này cho cả đơn vị.',
    );
    expect(ack()).toEqual({ personId: p2, channel: 'telegram', ackedAt: vn('2027-01-07T09:00').toISOString() });
    world.clock.now = vn('2027-01-11T08:00');
    expect((await world.planner().tick()).queued).toBe(0);
    // A second tap, by the other focal point, says it is already recorded.
    expect(send(service, p1, { kind: 'choice', choiceId: 'done', scope: scopeOf(p1) })).toContain('đã được ghi nhận là đã nộp');
  });

  it('the buttons fit Telegram’s callback data as they are, for any reminder id', () => {
    for (const choice of ['done', 'snooze', 'start']) {
      const encoded = encodeCallbackData('rm:999999999999', choice);
      expect(encoded.token).toBeUndefined();
      expect(decodeCallbackData(encoded.data, () => undefined)).toEqual({ scope: 'rm:999999999999', choiceId: choice });
    }
  });

  it('a tap on someone else’s reminder, or an unknown one, changes nothing', async () => {
    const { service, people } = await setUp();
    const [p1, p2] = people as [number, number];
    expect(send(service, p1, { kind: 'choice', choiceId: 'done', scope: scopeOf(p2) })).toBe('Nhắc nhở này không còn hiệu lực.');
    expect(send(service, p1, { kind: 'choice', choiceId: 'done', scope: 'rm:999999' })).toBe('Nhắc nhở này không còn hiệu lực.');
    expect(ack()).toBeUndefined();
  });

  it('“Nhắc lại sau” snoozes only that person, until 2 days later at 08:00', async () => {
    const { service, people } = await setUp();
    const [p1, p2] = people as [number, number];
    expect(send(service, p1, { kind: 'choice', choiceId: 'snooze', scope: scopeOf(p1) })).toContain('vào thứ Bảy, 09/01/2027 lúc 08:00');
    const snoozes = reminderStoreOf(world.store).snoozesOf('ho-so-dvht', '2026');
    expect([...snoozes.keys()]).toEqual([`A|${p1}`]);
    world.clock.now = vn('2027-01-09T08:00');
    await world.planner().tick();
    expect(world.reminders().filter((r) => r.key.endsWith('z202701090800')).map((r) => r.personId)).toEqual([p1]);
    expect(world.reminders().filter((r) => r.personId === p2)).toHaveLength(1);
  });

  it('“Bắt đầu” starts the flow that fulfils the deadline', async () => {
    const { service, people } = await setUp();
    const reply = send(service, people[0]!, { kind: 'choice', choiceId: 'start', scope: scopeOf(people[0]!) });
    expect(reply).toContain('Đơn vị học tập');
    const open = world.store.openResponseOf(people[0]!, 'don-vi-hoc-tap-tt24');
    expect(open?.status).toBe('in_progress');
  });

  it('on Zalo, the option number typed right after the reminder picks that option', async () => {
    const { service, people } = await setUp('zalo', 1);
    expect(send(service, people[0]!, '2')).toContain('Bot sẽ nhắc lại Anh/Chị');
    expect(send(service, people[0]!, 'Đã nộp', '2027-01-07T10:00')).toContain('Đã ghi nhận');
    expect(ack()?.personId).toBe(people[0]);
  });

  it('a number is not taken for the reminder once the person has written since; nor words during a flow', async () => {
    const { service, people } = await setUp('zalo', 1);
    expect(send(service, people[0]!, 'xin chào')).toContain('phần tự đánh giá nào');
    // "1" answers the engine's menu: it starts the first unit flow instead of acknowledging.
    send(service, people[0]!, '1', '2027-01-07T09:05');
    expect(ack()).toBeUndefined();
    expect(world.store.openResponseOf(people[0]!, 'don-vi-hoc-tap-tt24')?.status).toBe('in_progress');
    send(service, people[0]!, 'đã nộp', '2027-01-07T09:10');
    expect(ack()).toBeUndefined();
  });

  it('“đã nộp” typed later still counts when no flow is in progress', async () => {
    const { service, people } = await setUp('zalo', 1);
    expect(send(service, people[0]!, 'đơn vị')).toContain('Anh/Chị đang là đầu mối của: Đơn vị A');
    expect(send(service, people[0]!, 'da nop', '2027-01-07T09:10')).toContain('Đã ghi nhận');
    expect(ack()?.personId).toBe(people[0]);
  });

  it('typed “bắt đầu” right after a reminder starts its flow; later it is the engine’s own command', async () => {
    const { service, people } = await setUp('zalo', 1);
    send(service, people[0]!, 'bắt đầu');
    expect(world.store.openResponseOf(people[0]!, 'don-vi-hoc-tap-tt24')?.status).toBe('in_progress');
  });

  it('a focal point who left the unit is told the reminder no longer concerns them', async () => {
    const { service, people } = await setUp();
    world.store.units.leaveUnit(people[0]!, new Date().toISOString());
    expect(send(service, people[0]!, { kind: 'choice', choiceId: 'done', scope: scopeOf(people[0]!) })).toContain('không còn là đầu mối của Đơn vị A');
    expect(ack()).toBeUndefined();
  });
});
