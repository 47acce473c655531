import { GrammyError, HttpError } from 'grammy';
import { describe, expect, it } from 'vitest';
import { BOT_COMMANDS } from '../../src/channels/telegram/commands.ts';
import { callbackToken, decodeCallbackData, encodeCallbackData, MAX_CALLBACK_BYTES } from '../../src/channels/telegram/callbackData.ts';
import { describeTelegramError, sendOutcomeOf } from '../../src/channels/telegram/errors.ts';
import { normaliseUpdate } from '../../src/channels/telegram/normalise.ts';
import { MAX_TEXT_LENGTH, renderMessage, splitText } from '../../src/channels/telegram/render.ts';
import { parseCommand } from '../../src/engine/commands.ts';
import { callbackUpdate, FAKE_TOKEN, stickerUpdate, textUpdate } from '../fakes/telegramApi.ts';

const receivedAt = new Date('2026-11-20T03:00:00Z');
const noTokens = () => undefined;

describe('callback data', () => {
  it('carries the scope and the choice, and reads back', () => {
    const e = encodeCallbackData('q1', 'daily');
    expect(e.data).toBe('c|q1|daily');
    expect(decodeCallbackData(e.data, noTokens)).toEqual({ scope: 'q1', choiceId: 'daily' });
  });

  it('replaces data longer than 64 bytes by a content-derived token', () => {
    const scope = `q${'x'.repeat(47)}`;
    const choice = `o${'y'.repeat(47)}`;
    const e = encodeCallbackData(scope, choice);
    expect(Buffer.byteLength(e.data)).toBeLessThanOrEqual(MAX_CALLBACK_BYTES);
    expect(e.token).toEqual({ token: callbackToken(scope, choice), scope, choiceId: choice });
    expect(encodeCallbackData(scope, choice).data).toBe(e.data); // deterministic
    const table = new Map([[e.token!.token, { scope, choiceId: choice }]]);
    expect(decodeCallbackData(e.data, (t) => table.get(t))).toEqual({ scope, choiceId: choice });
    expect(decodeCallbackData(e.data, noTokens)).toBeUndefined();
  });

  it('counts bytes, not characters', () => {
    const scope = 'câu_hỏi_'.repeat(5); // 40 chars, 50 bytes
    expect(encodeCallbackData(scope, 'abcdefghijk').data.startsWith('h|')).toBe(true);
  });

  it('keeps "no scope" distinct and rejects foreign data', () => {
    expect(decodeCallbackData(encodeCallbackData(undefined, 'agree').data, noTokens)).toEqual({ scope: undefined, choiceId: 'agree' });
    expect(decodeCallbackData('menu:1', noTokens)).toBeUndefined();
    expect(decodeCallbackData('c|q1|', noTokens)).toBeUndefined();
  });
});

describe('splitText', () => {
  it('leaves a short text alone', () => {
    expect(splitText('Xin chào')).toEqual(['Xin chào']);
  });

  it('splits at line boundaries, each part within the limit, nothing lost', () => {
    const lines = Array.from({ length: 300 }, (_, i) => `Dòng ${i + 1}: các chỉ số của bộ tiêu chí "Công dân học tập".`);
    const text = lines.join('\n');
    const parts = splitText(text);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
    expect(parts.join('\n')).toBe(text);
    for (const p of parts) expect(p.startsWith('Dòng ')).toBe(true);
  });

  it('splits a single overlong line at spaces, and never inside a surrogate pair', () => {
    const words = 'học tập suốt đời '.repeat(600).trim();
    const parts = splitText(words, 1000);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(1000);
    expect(parts.join(' ')).toBe(words);
    const emoji = '😀'.repeat(3000);
    const eParts = splitText(emoji, 4095);
    expect(eParts.join('')).toBe(emoji);
    for (const p of eParts) expect(p).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
  });

  it('never returns an empty part', () => {
    expect(splitText('   ')).toEqual(['…']);
    expect(splitText(`${'a'.repeat(10)}\n\n\n\n${'b'.repeat(10)}`, 12)).toEqual(['a'.repeat(10), 'b'.repeat(10)]);
  });
});

describe('renderMessage', () => {
  it('puts choices on an inline keyboard with scoped callback data', () => {
    const r = renderMessage({ text: 'Câu 1/3', choices: [{ id: 'yes', label: 'Có' }, { id: 'no', label: 'Không' }], scope: 'q1' });
    expect(r.parts).toHaveLength(1);
    expect(r.parts[0]!.replyMarkup).toEqual({
      inline_keyboard: [[{ text: 'Có', callback_data: 'c|q1|yes' }, { text: 'Không', callback_data: 'c|q1|no' }]],
    });
  });

  it('lists long labels in the text as well, one button per row', () => {
    const long = 'Thành thạo (tự tra cứu, học trực tuyến, dùng dịch vụ công trực tuyến)';
    const r = renderMessage({ text: 'Câu 5', choices: [{ id: 'a', label: long }, { id: 'b', label: 'Cơ bản' }], scope: 'q5' });
    expect(r.parts[0]!.text).toContain(`1. ${long}`);
    expect(r.parts[0]!.replyMarkup!.inline_keyboard).toHaveLength(2);
  });

  it('puts the keyboard on the last part of a long text', () => {
    const text = Array.from({ length: 200 }, (_, i) => `${i}. ${'x'.repeat(40)}`).join('\n');
    const r = renderMessage({ text, choices: [{ id: 'submit', label: 'Gửi' }], scope: 'confirm' });
    expect(r.parts.length).toBeGreaterThan(1);
    expect(r.parts.slice(0, -1).every((p) => p.replyMarkup === undefined)).toBe(true);
    expect(r.parts.at(-1)!.replyMarkup).toBeDefined();
  });
});

describe('normaliseUpdate', () => {
  const opts = { receivedAt, lookupToken: noTokens };

  it('text and commands become text, with the ids as strings', () => {
    expect(normaliseUpdate(textUpdate(10, 777, '/start'), opts)).toMatchObject({
      ok: true,
      updateId: 10,
      event: { channel: 'telegram', eventId: '10', userKey: '777', chatId: '777', input: { kind: 'text', text: '/start' } },
    });
  });

  it('a button tap becomes a choice with its scope, and is answered', () => {
    expect(normaliseUpdate(callbackUpdate(11, 777, 'c|q3|never', 55), opts)).toMatchObject({
      ok: true,
      callbackQueryId: 'cbq-11',
      event: { eventId: '11', input: { kind: 'choice', choiceId: 'never', scope: 'q3' } },
    });
  });

  it('unknown callback data is a tap on no current prompt (a stale button), not an error', () => {
    const n = normaliseUpdate(callbackUpdate(12, 777, 'h|doesnotexist0000', 55), opts);
    expect(n).toMatchObject({ ok: true, event: { input: { kind: 'choice', scope: '?' } } });
  });

  it('stickers are unsupported input', () => {
    expect(normaliseUpdate(stickerUpdate(13, 777), opts)).toMatchObject({ event: { input: { kind: 'unsupported', what: 'sticker' } } });
  });

  it('ignores other update kinds, group chats and bots', () => {
    const edited = { update_id: 14, edited_message: { message_id: 1, date: 1, chat: { id: 1, type: 'private' }, text: 'x' } };
    expect(normaliseUpdate(edited, opts)).toEqual({ ok: true, updateId: 14, ignored: 'edited_message' });
    const group = textUpdate(15, 777, 'hi') as { message: { chat: { id: number; type: string } } };
    group.message.chat = { id: -100, type: 'supergroup' };
    expect(normaliseUpdate(group, opts)).toMatchObject({ ok: true, ignored: 'not a private chat' });
    expect(normaliseUpdate({ update_id: 16, message: { message_id: 'x' } }, opts)).toMatchObject({ ok: true, ignored: 'unreadable message' });
  });

  it('rejects what is not an update', () => {
    for (const bad of [null, [], 'x', 42, {}, { update_id: '1' }, { update_id: 1.5 }, { update_id: -1 }]) {
      expect(normaliseUpdate(bad, opts).ok).toBe(false);
    }
  });
});

describe('errors', () => {
  const grammy = (code: number, description: string, retry_after?: number) =>
    new GrammyError('Call failed', { ok: false, error_code: code, description, ...(retry_after ? { parameters: { retry_after } } : {}) }, 'sendMessage', {});

  it('maps Telegram answers to outbox outcomes', () => {
    expect(sendOutcomeOf(grammy(429, 'Too Many Requests: retry after 7', 7))).toMatchObject({ kind: 'retry', afterMs: 7000 });
    expect(sendOutcomeOf(grammy(502, 'Bad Gateway'))).toMatchObject({ kind: 'retry' });
    expect(sendOutcomeOf(grammy(403, 'Forbidden: bot was blocked by the user'))).toMatchObject({ kind: 'failed', unreachable: true });
    expect(sendOutcomeOf(grammy(403, 'Forbidden: user is deactivated'))).toMatchObject({ kind: 'failed', unreachable: true });
    // Any 403: Telegram will not let the bot write to that chat.
    expect(sendOutcomeOf(grammy(403, 'Forbidden: bot is not a member of the group chat'))).toMatchObject({ kind: 'failed', unreachable: true });
    expect(sendOutcomeOf(grammy(400, 'Bad Request: chat not found'))).toMatchObject({ kind: 'failed', unreachable: true });
    expect(sendOutcomeOf(grammy(400, 'Bad Request: message is too long'))).toEqual({
      kind: 'failed',
      error: 'sendMessage: 400 Bad Request: message is too long',
    });
    expect(sendOutcomeOf(grammy(401, 'Unauthorized'))).toMatchObject({ kind: 'retry' });
    expect(sendOutcomeOf(new HttpError('Network request for sendMessage failed!', new Error('x')))).toMatchObject({ kind: 'retry' });
  });

  it('never repeats a network error message (it may hold the URL, hence the token)', () => {
    const inner = Object.assign(new Error(`request to http://127.0.0.1/bot${FAKE_TOKEN}/sendMessage failed, reason: connect ECONNREFUSED`), {
      code: 'ECONNREFUSED',
    });
    const text = describeTelegramError(new HttpError("Network request for 'sendMessage' failed!", inner), FAKE_TOKEN);
    expect(text).toBe("Network request for 'sendMessage' failed (ECONNREFUSED)");
    expect(describeTelegramError(grammy(400, `Bad Request: ${FAKE_TOKEN}`), FAKE_TOKEN)).not.toContain(FAKE_TOKEN);
  });
});

describe('command menu', () => {
  it('only lists commands the engine understands', () => {
    for (const c of BOT_COMMANDS) {
      const parsed = parseCommand(`/${c.command}`);
      expect(parsed, c.command).toBeDefined();
      expect(parsed!.name, c.command).not.toBe('unknown');
    }
  });
});
