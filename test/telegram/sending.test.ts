import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTelegramChannel } from '../../src/channels/telegram/index.ts';
import { buttonsOf, callbackUpdate, startTelegramBot, type TelegramHarness, textUpdate } from '../fakes/telegramApi.ts';

/** The outbox path: Telegram's failures (429, 5xx, dropped connections, a blocked bot) and its limits. */

let h: TelegramHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

let updateId = 5000;
const nextId = () => ++updateId;

async function deliver(harness: TelegramHarness, update: unknown, idleMs = 5000): Promise<void> {
  expect(await harness.post(update)).toBe(200);
  await harness.idle(idleMs);
}

function last(harness: TelegramHarness, chat: number) {
  return harness.fake.sentTo(chat).at(-1)!;
}

async function consented(harness: TelegramHarness, user: number) {
  await deliver(harness, textUpdate(nextId(), user, '/start'));
  await deliver(harness, callbackUpdate(nextId(), user, 'c|consent|agree', last(harness, user).message_id));
  return last(harness, user);
}

describe('sending through the outbox', () => {
  it('waits retry_after on a 429, then delivers every message once and in order', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel });
    const user = 8001;
    await deliver(h, textUpdate(nextId(), user, '/start'));
    const consent = last(h, user);
    h.fake.failNext('sendMessage', 1, { kind: 'rateLimit', retryAfter: 1 });
    const before = h.fake.callsTo('sendMessage').length;
    await deliver(h, callbackUpdate(nextId(), user, 'c|consent|agree', consent.message_id));

    const calls = h.fake.callsTo('sendMessage').slice(before);
    expect(calls.map((c) => c.status)).toEqual([429, 200, 200, 200]);
    // The retry honoured retry_after (1 s), and the outbox, not grammY, did the waiting.
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(950);
    // Exactly the queued replies, each once, in the order the turn produced them.
    const rows = h.bot.store.outboxRows('telegram');
    const queued = rows.slice(1).map((r) => (JSON.parse(r.payload) as { text: string }).text);
    expect(queued).toHaveLength(3);
    const sent = h.fake.sentTo(user).slice(1).map((m) => m.text);
    expect(sent).toHaveLength(3);
    // (Long option labels are also listed under the question text on Telegram.)
    sent.forEach((text, i) => expect(text.startsWith(queued[i]!), `message ${i}`).toBe(true));
    expect(queued[0]).toBe('Cảm ơn Anh/Chị đã đồng ý.');
    expect(queued[2]).toMatch(/^Câu 1\//);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    expect(rows.find((r) => r.last_error?.includes('429'))?.attempts).toBe(2);
  });

  it('retries a 500 and a dropped connection, and sends a message only once when it succeeds', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel });
    const user = 8002;
    h.fake.failNext('sendMessage', 1, { kind: 'serverError' });
    h.fake.failNext('sendMessage', 1, { kind: 'drop' });
    await deliver(h, textUpdate(nextId(), user, '/start'), 8000);
    expect(h.fake.callsTo('sendMessage').map((c) => c.status)).toEqual([500, 0, 200]);
    expect(h.fake.sentTo(user)).toHaveLength(1);
  });

  it('stops writing to a person who blocked the bot, and resumes when they write again', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel });
    const user = 8003;
    const q1 = await consented(h, user);
    h.fake.failNext('sendMessage', 1, { kind: 'blocked' });
    const before = h.fake.callsTo('sendMessage').length;
    // The answer is still recorded: the person's data never depends on the send.
    await deliver(h, callbackUpdate(nextId(), user, buttonsOf(q1)[0]!.data, q1.message_id));
    const person = h.bot.store.findPerson('telegram', String(user))!;
    expect(h.bot.store.getPerson(person.id)!.unreachable_at).not.toBeNull();
    expect(h.bot.store.currentAnswers(h.bot.store.responsesOf(person.id)[0]!.id)).toHaveLength(1);
    // One attempt, then nothing left to retry: the reply is failed, not pending.
    expect(h.fake.callsTo('sendMessage').slice(before).map((c) => c.status)).toEqual([403]);
    const rows = h.bot.store.outboxRows('telegram').filter((r) => r.chat_id === String(user));
    expect(rows.filter((r) => r.status === 'pending')).toEqual([]);
    expect(rows.at(-1)).toMatchObject({ status: 'failed', attempts: 1 });

    // Unblocking and writing again makes the person reachable and gets a reply.
    await deliver(h, textUpdate(nextId(), user, 'Phường Hải Châu'));
    expect(h.bot.store.getPerson(person.id)!.unreachable_at).toBeNull();
    expect(last(h, user).text).toMatch(/^Câu 3\//);
  });

  it('treats a block discovered while removing an old keyboard the same way', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel });
    const user = 8004;
    const q1 = await consented(h, user);
    h.fake.failNext('editMessageReplyMarkup', 1, { kind: 'blocked' });
    const before = h.fake.callsTo('sendMessage').length;
    await deliver(h, callbackUpdate(nextId(), user, buttonsOf(q1)[0]!.data, q1.message_id));
    expect(h.fake.callsTo('sendMessage').length).toBe(before);
    expect(h.bot.store.findPerson('telegram', String(user))!.unreachable_at).not.toBeNull();
  });

  it('fails a message Telegram rejects (400) without retrying it, and goes on with the next', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel });
    const user = 8005;
    await deliver(h, textUpdate(nextId(), user, '/start'));
    h.fake.failNext('sendMessage', 1, { kind: 'error', code: 400, description: 'Bad Request: message is too long' });
    await deliver(h, callbackUpdate(nextId(), user, 'c|consent|agree', last(h, user).message_id));
    const rows = h.bot.store.outboxRows('telegram');
    expect(rows.map((r) => r.status)).toEqual(['sent', 'failed', 'sent', 'sent']);
    expect(rows[1]!.last_error).toBe('sendMessage: 400 Bad Request: message is too long');
    expect(h.bot.store.findPerson('telegram', String(user))!.unreachable_at).toBeNull();
  });
});

describe("Telegram's limits", () => {
  const longQ = `q${'_question_id_'.repeat(4)}`.slice(0, 48);
  const longA = `a${'_option_identifier'.repeat(3)}`.slice(0, 48);
  const longB = `b${'_option_identifier'.repeat(3)}`.slice(0, 48);
  let flowsDir: string;

  beforeAll(() => {
    flowsDir = mkdtempSync(join(tmpdir(), 'xhht-tg-flows-'));
    mkdirSync(flowsDir, { recursive: true });
    const help = Array.from({ length: 70 }, (_, i) => `      Dòng hướng dẫn số ${i + 1}: đọc kỹ từng ý trước khi trả lời câu hỏi này nhé.`).join('\n');
    writeFileSync(
      join(flowsDir, 'limits.yaml'),
      [
        'id: limits',
        'version: "1"',
        'title: Bộ câu hỏi giới hạn',
        'intro: Kiểm thử giới hạn của Telegram.',
        'sources: [{ id: s, title: Nguồn, confidence: H }]',
        'criteria: [{ id: C1, title: Tiêu chí, cite: { source: s, clause: "1" } }]',
        'indicators: [{ id: I1, criterion: C1, title: Chỉ số, cite: { source: s, clause: "1.1" }, advice: Làm tốt hơn. }]',
        'questions:',
        `  - id: ${longQ}`,
        '    type: single',
        '    indicator: I1',
        '    text: Câu hỏi có mã rất dài?',
        '    options:',
        `      - { id: ${longA}, label: "Phương án A", points: 10 }`,
        `      - { id: ${longB}, label: "Phương án B", points: 0 }`,
        '  - id: long_help',
        '    type: yesno',
        '    text: Câu hỏi có phần hướng dẫn rất dài?',
        '    help: |',
        help,
        'scoring: { kind: points, maxTotal: 10, pass: { minTotal: 5, minPerIndicator: 0 } }',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(flowsDir, { recursive: true, force: true }));

  it('keeps callback data within 64 bytes for 48-character ids, and the tap still answers', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel, flowsDir });
    const user = 8101;
    const q = await consented(h, user);
    const buttons = buttonsOf(q);
    expect(buttons.map((b) => b.text)).toEqual(['Phương án A', 'Phương án B']);
    for (const b of buttons) expect(Buffer.byteLength(b.data)).toBeLessThanOrEqual(64);
    expect(buttons[0]!.data).toMatch(/^h\|/);
    await deliver(h, callbackUpdate(nextId(), user, buttons[1]!.data, q.message_id));
    const person = h.bot.store.findPerson('telegram', String(user))!;
    const answers = h.bot.store.currentAnswers(h.bot.store.responsesOf(person.id)[0]!.id);
    expect(answers).toMatchObject([{ question_id: longQ, value: JSON.stringify(longB) }]);
  });

  it('splits a text over 4096 characters at line boundaries, with the keyboard on the last part', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel, flowsDir });
    const user = 8102;
    const q = await consented(h, user);
    const before = h.fake.sentTo(user).length;
    await deliver(h, callbackUpdate(nextId(), user, buttonsOf(q)[0]!.data, q.message_id));
    const parts = h.fake.sentTo(user).slice(before);
    expect(parts.length).toBe(2);
    expect(parts[0]!.text).toMatch(/^Câu 2\/2\. Câu hỏi có phần hướng dẫn rất dài\?/);
    for (const p of parts) expect(p.text.length).toBeLessThanOrEqual(4096);
    expect(parts[0]!.reply_markup).toBeUndefined();
    expect(buttonsOf(parts[1]).map((b) => b.data)).toEqual(['c|long_help|yes', 'c|long_help|no']);
    // Split at a line boundary: the second part starts with a whole line.
    expect(parts[1]!.text).toMatch(/^Dòng hướng dẫn số \d+:/);
    const lines = `${parts[0]!.text}\n${parts[1]!.text}`.split('\n').filter((l) => l.includes('Dòng hướng dẫn'));
    expect(lines).toHaveLength(70);
  });

  it('resumes a split message after the parts already delivered when the next part gets a 429', async () => {
    h = await startTelegramBot({ factory: createTelegramChannel, flowsDir });
    const user = 8103;
    const q = await consented(h, user);
    const before = h.fake.sentTo(user).length;
    const calls = h.fake.callsTo('sendMessage').length;
    h.fake.failNext('sendMessage', 1, { kind: 'rateLimit', retryAfter: 1 }, { after: 1 });
    await deliver(h, callbackUpdate(nextId(), user, buttonsOf(q)[0]!.data, q.message_id));
    expect(h.fake.callsTo('sendMessage').slice(calls).map((c) => c.status)).toEqual([200, 429, 200]);
    const parts = h.fake.sentTo(user).slice(before);
    expect(parts).toHaveLength(2);
    expect(parts[0]!.text).toMatch(/^Câu 2\/2\./);
    expect(parts[1]!.text).not.toMatch(/^Câu 2\/2\./);
    expect(buttonsOf(parts[1])).toHaveLength(2);
  });
});
