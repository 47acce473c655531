import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelegramChannel } from '../../src/channels/telegram/index.ts';
import { staleButtonText, unsupportedInFlow } from '../../src/engine/messages.ts';
import type { ConversationState } from '../../src/engine/types.ts';
import {
  buttonsOf,
  callbackUpdate,
  FakeTelegramApi,
  startTelegramBot,
  stickerUpdate,
  type TelegramHarness,
  textUpdate,
} from '../fakes/telegramApi.ts';

/** Whole conversations through the webhook, against flows/ (the "Công dân học tập" self-check). */

let h: TelegramHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

let updateId = 1000;
const nextId = () => ++updateId;

async function deliver(harness: TelegramHarness, update: unknown): Promise<void> {
  expect(await harness.post(update)).toBe(200);
  await harness.idle();
}

function last(harness: TelegramHarness, chat: number) {
  const all = harness.fake.sentTo(chat);
  const m = all.at(-1);
  if (!m) throw new Error('no message sent yet');
  return m;
}

function stateOf(harness: TelegramHarness, user: number): ConversationState {
  const person = harness.bot.store.findPerson('telegram', String(user));
  if (!person) throw new Error('no person');
  return JSON.parse(harness.bot.store.loadSession(person.id) ?? '{}') as ConversationState;
}

/** Starts and agrees; returns the first question's message. */
async function startAndAgree(harness: TelegramHarness, user: number) {
  await deliver(harness, textUpdate(nextId(), user, '/start'));
  const consent = last(harness, user);
  const agree = buttonsOf(consent).find((b) => b.text === 'Đồng ý');
  expect(agree?.data).toBe('c|consent|agree');
  await deliver(harness, callbackUpdate(nextId(), user, agree!.data, consent.message_id));
  const next = last(harness, user);
  // Should more citizen flows appear in flows/, the person picks the self-check from a menu.
  const pick = buttonsOf(next).find((b) => b.data === 'c|menu|cong-dan-hoc-tap');
  if (pick) await deliver(harness, callbackUpdate(nextId(), user, pick.data, next.message_id));
  return last(harness, user);
}

describe('a self-check on Telegram', () => {
  it('runs from consent to the explained result by buttons alone (typed where a question needs text)', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel });
    const user = 7001;
    const flow = h.bot.flows.find((f) => f.id === 'cong-dan-hoc-tap')!;
    expect(flow).toBeDefined();
    let prompt = await startAndAgree(h, user);
    const callbackIds: string[] = [];
    const seen = new Set<string>();
    for (let turn = 0; turn < 40; turn++) {
      const buttons = buttonsOf(prompt);
      if (buttons.some((b) => b.data === 'c|confirm|submit')) break;
      const current = stateOf(h, user).flow?.current;
      expect(current, 'a question is on screen').toBeTruthy();
      expect(seen.has(current!), `question ${current} asked twice`).toBe(false);
      seen.add(current!);
      if (buttons.length > 0) {
        // Every button names the question it belongs to.
        for (const b of buttons) expect(b.data.startsWith(`c|${current}|`)).toBe(true);
        const update = callbackUpdate(nextId(), user, buttons[0]!.data, prompt.message_id);
        callbackIds.push((update as { callback_query: { id: string } }).callback_query.id);
        await deliver(h, update);
      } else {
        const q = flow.questions.find((x) => x.id === current)!;
        expect(['text', 'commune']).toContain(q.type);
        await deliver(h, textUpdate(nextId(), user, 'Phường Ba Đình'));
      }
      prompt = last(h, user);
    }
    const summary = prompt;
    expect(summary.text).toMatch(/Tóm tắt câu trả lời/);
    const sentBefore = h.fake.callsTo('sendMessage').length;
    await deliver(h, callbackUpdate(nextId(), user, 'c|confirm|submit', summary.message_id));

    // The result output sends nothing itself; its explanation follows as one message.
    const after = h.fake.callsTo('sendMessage', { okOnly: true }).slice(sentBefore);
    expect(after).toHaveLength(1);
    const result = last(h, user);
    expect(result.text).toMatch(/^KẾT QUẢ — Tự đánh giá "Công dân học tập"/);
    expect(result.text).toMatch(/Tổng điểm: 100\/100/);
    expect(result.text).toMatch(/ĐẠT/);
    expect(result.reply_markup).toBeUndefined();
    // The summary's buttons are gone: "Gửi" cannot be tapped twice.
    expect(h.fake.keyboardOf(user, summary.message_id)).toBeUndefined();

    const person = h.bot.store.findPerson('telegram', String(user))!;
    const [response] = h.bot.store.responsesOf(person.id);
    expect(response).toMatchObject({ status: 'submitted', passed: 1, score: 100, flow_id: 'cong-dan-hoc-tap' });
    const answers = h.bot.store.currentAnswers(response!.id);
    expect(answers.map((a) => a.question_id).sort()).toEqual([...seen].sort());
    expect(answers.find((a) => a.question_id === 'commune')?.raw).toBe('Phường Ba Đình');
    expect(h.bot.store.consentsOf(person.id)).toHaveLength(1);

    // Every tap was answered, so no button kept spinning.
    await h.fake.waitFor(
      () => callbackIds.every((id) => h!.fake.callsTo('answerCallbackQuery').some((c) => c.params.callback_query_id === id)),
      'every callback query answered',
    );
    // Every message went out exactly once and nothing is left failed.
    expect(h.bot.store.outboxCounts()).toEqual({ sent: h.bot.store.outboxRows('telegram').length });
  });

  it('processes an update delivered three times once: one answer, one set of replies', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel });
    const user = 7002;
    const start = textUpdate(nextId(), user, '/start');
    for (let i = 0; i < 3; i++) expect(await h.post(start)).toBe(200);
    await h.idle();
    expect(h.fake.sentTo(user)).toHaveLength(1);
    const consent = last(h, user);
    const agree = callbackUpdate(nextId(), user, 'c|consent|agree', consent.message_id);
    for (let i = 0; i < 3; i++) expect(await h.post(agree)).toBe(200);
    await h.idle();
    const q1 = last(h, user);
    expect(q1.text).toMatch(/^Câu 1\//);
    const person = h.bot.store.findPerson('telegram', String(user))!;
    expect(h.bot.store.consentsOf(person.id)).toHaveLength(1);
    expect(h.fake.sentTo(user).filter((m) => m.text.startsWith('Câu 1/'))).toHaveLength(1);

    // Concurrent redeliveries of a tap (Telegram retrying while the first is still in flight).
    const tap = callbackUpdate(nextId(), user, buttonsOf(q1)[1]!.data, q1.message_id);
    const statuses = await Promise.all([h.post(tap), h.post(tap), h.post(tap)]);
    expect(statuses).toEqual([200, 200, 200]);
    await h.idle();
    const [response] = h.bot.store.responsesOf(person.id);
    expect(h.bot.store.allAnswers(response!.id)).toHaveLength(1);
    expect(h.fake.sentTo(user).filter((m) => m.text.startsWith('Câu 2/'))).toHaveLength(1);
    const tapId = (tap as { callback_query: { id: string } }).callback_query.id;
    await h.fake.waitFor(() => h!.fake.callsTo('answerCallbackQuery').some((c) => c.params.callback_query_id === tapId), 'the tap answered');
    expect(h.fake.callsTo('answerCallbackQuery').filter((c) => c.params.callback_query_id === tapId)).toHaveLength(1);
  });

  it('records a double tap once; the second tap gets the stale-button message', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel });
    const user = 7003;
    const q1 = await startAndAgree(h, user);
    const [first, second] = buttonsOf(q1);
    // Two taps on the same keyboard before the bot could remove it: two different update_ids.
    expect(await h.post(callbackUpdate(nextId(), user, first!.data, q1.message_id))).toBe(200);
    expect(await h.post(callbackUpdate(nextId(), user, second!.data, q1.message_id))).toBe(200);
    await h.idle();
    const person = h.bot.store.findPerson('telegram', String(user))!;
    const [response] = h.bot.store.responsesOf(person.id);
    const answers = h.bot.store.allAnswers(response!.id);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ question_id: 'group', value: JSON.stringify(first!.data.split('|')[2]), superseded_at: null });
    const texts = h.fake.sentTo(user).map((m) => m.text);
    expect(texts.filter((t) => t.includes(staleButtonText))).toHaveLength(1);
    expect(stateOf(h, user).flow?.current).toBe('commune');
  });

  it('removes the keyboard of a question once it is answered, by tap or by typing, also across a restart', async () => {
    const fake = await FakeTelegramApi.start();
    const dir = mkdtempSync(join(tmpdir(), 'xhht-tg-kb-'));
    try {
      h = await startTelegramBot({ factory: createTelegramChannel, fake, dir });
      const user = 7004;
      await deliver(h, textUpdate(nextId(), user, '/start'));
      const consent = last(h, user);
      expect(fake.keyboardOf(user, consent.message_id)).toBeDefined();
      await deliver(h, callbackUpdate(nextId(), user, 'c|consent|agree', consent.message_id));
      expect(fake.keyboardOf(user, consent.message_id)).toBeUndefined();
      const edit = fake.callsTo('editMessageReplyMarkup', { okOnly: true }).at(-1)!;
      expect(edit.params).toEqual({ chat_id: String(user), message_id: consent.message_id, reply_markup: { inline_keyboard: [] } });

      // q1 answered by typing its number: its buttons disappear too.
      const q1 = last(h, user);
      expect(buttonsOf(q1).length).toBeGreaterThan(1);
      await deliver(h, textUpdate(nextId(), user, '2'));
      expect(fake.keyboardOf(user, q1.message_id)).toBeUndefined();
      const person = h.bot.store.findPerson('telegram', String(user))!;
      expect(h.bot.store.currentAnswers(h.bot.store.responsesOf(person.id)[0]!.id)[0]!.value).toBe('"cong_nhan"');

      // A text question (commune) shows no keyboard; answering it brings q1 of the indicators.
      await deliver(h, textUpdate(nextId(), user, 'Xã Tân Phú'));
      const q3 = last(h, user);
      expect(buttonsOf(q3).length).toBe(4);

      // Restart: the keyboard on screen is remembered in the database, not in memory.
      await h.close();
      h = await startTelegramBot({ factory: createTelegramChannel, fake, dir });
      await deliver(h, callbackUpdate(nextId(), user, buttonsOf(q3)[0]!.data, q3.message_id));
      expect(fake.keyboardOf(user, q3.message_id)).toBeUndefined();
      // Only the newest prompt has live buttons.
      const live = fake.sentTo(user).filter((m) => fake.keyboardOf(user, m.message_id) !== undefined);
      expect(live.map((m) => m.message_id)).toEqual([last(h, user).message_id]);

      // A tap on an old, already removed keyboard (a client that had not refreshed) is refused.
      const before = h.bot.store.allAnswers(h.bot.store.responsesOf(person.id)[0]!.id).length;
      await deliver(h, callbackUpdate(nextId(), user, buttonsOf(q1)[3]!.data, q1.message_id));
      expect(last(h, user).text).toContain(staleButtonText);
      expect(h.bot.store.allAnswers(h.bot.store.responsesOf(person.id)[0]!.id)).toHaveLength(before);
    } finally {
      await h?.close();
      h = undefined;
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves the question keyboard alone for a message that is not a reply (a reminder), and retires both later', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel });
    const user = 7007;
    const q1 = await startAndAgree(h, user);
    const reminder = {
      kind: 'message',
      text: 'Nhắc hạn: báo cáo tự đánh giá.',
      choices: [{ id: 'done', label: 'Đã nộp' }, { id: 'later', label: 'Nhắc lại sau' }],
      scope: 'rm:1',
    };
    h.bot.store.enqueue(
      { channel: 'telegram', chatId: String(user), personId: null, kind: 'reminder', payload: JSON.stringify(reminder) },
      new Date().toISOString(),
    );
    h.bot.sender.wake();
    await h.idle();
    const sent = last(h, user);
    expect(sent.text).toBe(reminder.text);
    expect(buttonsOf(sent).map((b) => b.data)).toEqual(['c|rm:1|done', 'c|rm:1|later']);
    expect(h.fake.keyboardOf(user, q1.message_id)).toBeDefined();
    // The person answers the question: the reply retires every keyboard still on screen.
    await deliver(h, callbackUpdate(nextId(), user, buttonsOf(q1)[0]!.data, q1.message_id));
    expect(h.fake.keyboardOf(user, q1.message_id)).toBeUndefined();
    expect(h.fake.keyboardOf(user, sent.message_id)).toBeUndefined();
  });

  it('answers a sticker with a polite "text only" and asks the question again', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel });
    const user = 7005;
    const q1 = await startAndAgree(h, user);
    await deliver(h, stickerUpdate(nextId(), user));
    const reply = last(h, user);
    expect(h.fake.sentTo(user).some((m) => m.text.includes(unsupportedInFlow))).toBe(true);
    expect(reply.text).toContain(q1.text.split('\n')[0]!);
    expect(buttonsOf(reply)).toEqual(buttonsOf(q1));
  });

  it('passes /commands to the engine as text (/back, /help)', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel });
    const user = 7006;
    const q1 = await startAndAgree(h, user);
    await deliver(h, callbackUpdate(nextId(), user, buttonsOf(q1)[0]!.data, q1.message_id));
    expect(stateOf(h, user).flow?.current).toBe('commune');
    await deliver(h, textUpdate(nextId(), user, '/back'));
    expect(stateOf(h, user).flow?.current).toBe('group');
    expect(last(h, user).text).toMatch(/Câu trả lời hiện tại/);
    await deliver(h, textUpdate(nextId(), user, '/help@xhht_test_bot'));
    expect(h.fake.sentTo(user).some((m) => m.text.startsWith('Các lệnh Anh/Chị có thể dùng'))).toBe(true);
  });
});
