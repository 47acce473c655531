import { describe, expect, it } from 'vitest';
import { normaliseUpdate } from '../../src/channels/zalo/normalise.ts';
import { imageUpdate, stickerUpdate, textUpdate, unsupportedUpdate, webhookBody } from '../fakes/zaloApi.ts';

const at = new Date('2026-11-20T03:00:00Z');
const who = { messageId: '2d758cb5e222177a4e35', userId: '6ede9afa66b88fe6d6a9' };

/** The example body of the Zalo Bot Platform docs, verbatim in shape. */
const documentedExample = {
  ok: true,
  result: {
    event_name: 'message.text.received',
    message: {
      from: { id: '6ede9afa66b88fe6d6a9', display_name: 'Ted', is_bot: false },
      chat: { id: '6ede9afa66b88fe6d6a9', chat_type: 'PRIVATE' },
      text: 'Xin chào',
      message_id: '2d758cb5e222177a4e35',
      date: 1750316131602,
    },
  },
};

describe('normaliseUpdate', () => {
  it('reads the documented webhook envelope', () => {
    expect(normaliseUpdate(documentedExample, at)).toEqual({
      kind: 'event',
      eventName: 'message.text.received',
      event: {
        channel: 'zalo',
        eventId: '2d758cb5e222177a4e35',
        userKey: '6ede9afa66b88fe6d6a9',
        chatId: '6ede9afa66b88fe6d6a9',
        input: { kind: 'text', text: 'Xin chào' },
        receivedAt: at,
      },
    });
  });

  it('reads the bare update (getUpdates result, and webhooks that arrive unwrapped) the same way', () => {
    const bare = normaliseUpdate(documentedExample.result, at);
    expect(bare).toEqual(normaliseUpdate(documentedExample, at));
  });

  it('normalises text to NFC (some keyboards send decomposed Vietnamese)', () => {
    const out = normaliseUpdate(textUpdate({ ...who, text: 'Đồng ý'.normalize('NFD') }), at);
    expect(out.kind === 'event' && out.event.input).toEqual({ kind: 'text', text: 'Đồng ý' });
  });

  it('turns numeric ids into strings', () => {
    const u = textUpdate({ ...who, text: 'a' });
    const numeric = { ...u, message: { ...u.message, message_id: 42, from: { id: 7 }, chat: { id: 8 } } };
    const out = normaliseUpdate(numeric, at);
    expect(out.kind === 'event' && [out.event.eventId, out.event.userKey, out.event.chatId]).toEqual(['42', '7', '8']);
  });

  it.each([
    ['sticker', stickerUpdate(who)],
    ['image', imageUpdate(who)],
    ['unsupported', unsupportedUpdate(who)],
    ['voice', { event_name: 'message.voice.received', message: { ...unsupportedUpdate(who).message, voice_url: 'https://v.example/a.aac' } }],
  ])('maps a %s message to an unsupported input', (what, update) => {
    const out = normaliseUpdate(webhookBody(update), at);
    expect(out.kind).toBe('event');
    expect(out.kind === 'event' && out.event.input).toEqual({ kind: 'unsupported', what });
  });

  it('accepts an unsupported event without a message_id by keying it on its timestamp', () => {
    const u = unsupportedUpdate(who);
    const { message_id: _drop, ...message } = u.message;
    const out = normaliseUpdate({ ...u, message }, at);
    expect(out.kind === 'event' && out.event.eventId).toBe(`message.unsupported.received:${who.userId}:${u.message.date}`);
  });

  it('ignores events that are not messages, and messages from bots', () => {
    expect(normaliseUpdate({ event_name: 'bot.added.to.group', group: {} }, at)).toMatchObject({ kind: 'ignored' });
    const fromBot = textUpdate({ ...who, text: 'hi' });
    fromBot.message.from.is_bot = true;
    expect(normaliseUpdate(fromBot, at)).toMatchObject({ kind: 'ignored' });
  });

  it.each([
    ['a string', 'hello'],
    ['an array', [documentedExample]],
    ['null', null],
    ['no event_name', { ok: true, result: { message: documentedExample.result.message } }],
    ['an error envelope', { ok: false, result: documentedExample.result }],
    ['a result that is not an object', { ok: true, result: 'x' }],
    ['a message without chat', { event_name: 'message.text.received', message: { from: { id: 'u' }, message_id: 'm', text: 'x' } }],
    ['a message without from', { event_name: 'message.text.received', message: { chat: { id: 'c' }, message_id: 'm', text: 'x' } }],
    ['a text event without text', { event_name: 'message.text.received', message: { from: { id: 'u' }, chat: { id: 'c' }, message_id: 'm' } }],
    ['a message with neither message_id nor date', { event_name: 'message.image.received', message: { from: { id: 'u' }, chat: { id: 'c' } } }],
    ['an empty id', { event_name: 'message.text.received', message: { from: { id: '' }, chat: { id: 'c' }, message_id: 'm', text: 'x' } }],
  ])('rejects %s as malformed', (_name, payload) => {
    expect(normaliseUpdate(payload, at).kind).toBe('malformed');
  });
});
