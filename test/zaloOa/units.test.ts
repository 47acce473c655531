import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseJsonKeepingLargeIntegers } from '../../src/channels/zaloOa/json.ts';
import { normaliseOaEvent } from '../../src/channels/zaloOa/normalise.ts';
import { decodePayload, encodePayload, UNKNOWN_SCOPE } from '../../src/channels/zaloOa/payload.ts';
import { OA_MAX_TEXT, renderOaOutput } from '../../src/channels/zaloOa/render.ts';
import { checkOaSignature, oaSignature } from '../../src/channels/zaloOa/signature.ts';
import { windowOf } from '../../src/channels/zaloOa/window.ts';
import { parseConfig } from '../../src/config.ts';

/** The pure pieces of the OA channel: signature, lossless JSON, payloads, rendering, windows, config. */

describe('X-ZEvent-Signature', () => {
  const raw = '{"app_id":"123","event_name":"user_send_text","timestamp":"1700000000000"}';
  const base = { rawBody: new TextEncoder().encode(raw), bodyAppId: '123', bodyTimestamp: '1700000000000', appId: '123', oaSecretKey: 'k3y', toleranceMs: 300_000 };

  it('is mac= + sha256 hex of app_id + raw body + timestamp + OA secret key (not an HMAC)', () => {
    const expected = createHash('sha256').update(`123${raw}1700000000000k3y`).digest('hex');
    expect(oaSignature({ appId: '123', rawBody: raw, timestamp: '1700000000000', oaSecretKey: 'k3y' })).toBe(`mac=${expected}`);
  });

  it('accepts the right one within the window, and refuses stale, wrong-app and altered ones', () => {
    const header = oaSignature({ appId: '123', rawBody: raw, timestamp: '1700000000000', oaSecretKey: 'k3y' });
    const at = new Date(1_700_000_000_000 + 299_000);
    expect(checkOaSignature({ ...base, header, now: at })).toEqual({ ok: true, timestampMs: 1_700_000_000_000 });
    expect(checkOaSignature({ ...base, header: header.toUpperCase().replace('MAC=', ''), now: at }).ok).toBe(true);
    expect(checkOaSignature({ ...base, header, now: new Date(1_700_000_000_000 + 301_000) })).toEqual({ ok: false, reason: 'stale timestamp' });
    expect(checkOaSignature({ ...base, header, bodyAppId: '999', now: at })).toEqual({ ok: false, reason: 'wrong app_id' });
    expect(checkOaSignature({ ...base, header, rawBody: new TextEncoder().encode(`${raw} `), now: at })).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(checkOaSignature({ ...base, header, bodyTimestamp: undefined, now: at })).toEqual({ ok: false, reason: 'no timestamp' });
    expect(checkOaSignature({ ...base, header: undefined, now: at })).toEqual({ ok: false, reason: 'missing signature' });
  });
});

describe('lossless JSON', () => {
  it('quotes only integer literals beyond 2^53, outside strings', () => {
    const text = '{"a":8234567890123456789,"b":"8234567890123456789 \\" 9999999999999999999","c":[1,-9007199254740993,1.5e300,12.5],"d":9007199254740991}';
    expect(parseJsonKeepingLargeIntegers(text)).toEqual({
      a: '8234567890123456789',
      b: '8234567890123456789 " 9999999999999999999',
      c: [1, '-9007199254740993', 1.5e300, 12.5],
      d: 9007199254740991,
    });
    expect(() => parseJsonKeepingLargeIntegers('{"a": 1')).toThrow(SyntaxError);
  });
});

describe('button payloads', () => {
  const table = new Map<string, { scope: string; choiceId: string }>();
  const lookup = (t: string) => table.get(t);

  it('carry the prompt and the option, or a token for what does not fit', () => {
    expect(encodePayload('q12', 'yes')).toEqual({ payload: '#q|q12|yes' });
    expect(encodePayload(undefined, 'agree')).toEqual({ payload: '#q||agree' });
    const long = encodePayload('s'.repeat(250), 'opt');
    expect(long.payload).toMatch(/^#qt\|[A-Za-z0-9_-]{16}$/);
    table.set(long.token!.token, { scope: long.token!.scope, choiceId: long.token!.choiceId });
    expect(decodePayload(long.payload, lookup)).toEqual({ scope: 's'.repeat(250), choiceId: 'opt' });
    expect(decodePayload('#q|rm:41|done', lookup)).toEqual({ scope: 'rm:41', choiceId: 'done' });
    expect(decodePayload('#q||agree', lookup)).toEqual({ scope: undefined, choiceId: 'agree' });
    expect(decodePayload('#qt|unknowntoken0000', lookup)).toEqual({ scope: UNKNOWN_SCOPE, choiceId: '' });
    expect(decodePayload('#q|broken', lookup)).toEqual({ scope: UNKNOWN_SCOPE, choiceId: '' });
    expect(decodePayload('có', lookup)).toBeUndefined();
  });

  it('arrive as text in user_send_text and become choices; ids stay strings', () => {
    const event = { app_id: '1', event_name: 'user_send_text', timestamp: '1', sender: { id: 123 }, message: { msg_id: 'm1', text: '#q|y1|no' } };
    const out = normaliseOaEvent(event, new Date(0), lookup);
    expect(out).toMatchObject({ kind: 'message', event: { eventId: 'm1', userKey: '123', chatId: '123', input: { kind: 'choice', choiceId: 'no', scope: 'y1' } } });
    expect(normaliseOaEvent({ ...event, event_name: 'oa_send_text' }, new Date(0), lookup)).toMatchObject({ kind: 'ignored' });
    expect(normaliseOaEvent({ ...event, event_name: 'anonymous_send_text' }, new Date(0), lookup)).toMatchObject({ kind: 'ignored' });
    expect(normaliseOaEvent({ ...event, event_name: 'user_send_sticker', message: { msg_id: 'm2' } }, new Date(0), lookup)).toMatchObject({
      kind: 'message',
      event: { input: { kind: 'unsupported', what: 'sticker' } },
    });
  });
});

describe('rendering for the OA', () => {
  const choices = (n: number, label = (i: number) => `Lựa chọn ${i}`) => Array.from({ length: n }, (_, i) => ({ id: `o${i + 1}`, label: label(i + 1) }));

  it('shows up to 5 choices as oa.query.hide buttons, more as numbered lines without buttons', () => {
    const five = renderOaOutput({ kind: 'message', text: 'Chọn?', choices: choices(5), scope: 'q' });
    expect(five.messages).toHaveLength(1);
    expect(five.messages[0]!.attachment!.payload.buttons.map((b) => [b.type, b.payload])).toEqual(
      [1, 2, 3, 4, 5].map((i) => ['oa.query.hide', `#q|q|o${i}`]),
    );
    const six = renderOaOutput({ kind: 'message', text: 'Chọn?', choices: choices(6), scope: 'q' });
    expect(six.messages[0]!.attachment).toBeUndefined();
    expect(six.messages[0]!.text).toContain('1. Lựa chọn 1\n');
    expect(six.messages[0]!.text).toContain('6. Lựa chọn 6\n(Trả lời bằng số thứ tự hoặc nội dung)');
  });

  it('lists options in the text when a label is too long for a button title (100 characters)', () => {
    const r = renderOaOutput({ kind: 'message', text: 'Chọn?', choices: choices(2, (i) => `${'Rất dài '.repeat(14)}${i}`), scope: 'q' });
    const buttons = r.messages[0]!.attachment!.payload.buttons;
    expect(buttons.every((b) => b.title.length <= 100)).toBe(true);
    expect(buttons[0]!.title.startsWith('1. ')).toBe(true);
    expect(r.messages[0]!.text).toContain(`2. ${'Rất dài '.repeat(14)}2`);
  });

  it(`splits long text at ${OA_MAX_TEXT} characters and puts the buttons on the last part`, () => {
    const text = Array.from({ length: 60 }, (_, i) => `Dòng ${i}: ${'chữ '.repeat(15)}`).join('\n');
    const r = renderOaOutput({ kind: 'message', text, choices: choices(2), scope: 'q' });
    expect(r.messages.length).toBeGreaterThan(1);
    expect(r.messages.every((m) => m.text.length <= OA_MAX_TEXT)).toBe(true);
    expect(r.messages.slice(0, -1).every((m) => m.attachment === undefined)).toBe(true);
    expect(r.messages.at(-1)!.attachment!.payload.buttons).toHaveLength(2);
  });

  it('ends a reminder with a question; a result renders to nothing', () => {
    const r = renderOaOutput({ kind: 'message', text: 'Thông báo: Ngày Sách.' }, { reminder: true });
    expect(r.messages[0]!.text.endsWith('?')).toBe(true);
    expect(renderOaOutput({ kind: 'result', result: {} as never }).messages).toEqual([]);
  });
});

describe('messaging window', () => {
  const rules = { windowHours: 168, freeHours: 48 };
  const last = '2027-01-01T00:00:00.000Z';
  it('is free for 48 h, paid until 7 days, then closed', () => {
    expect(windowOf(last, new Date('2027-01-02T23:59:00Z'), rules).kind).toBe('free');
    expect(windowOf(last, new Date('2027-01-03T00:00:00Z'), rules).kind).toBe('paid');
    expect(windowOf(last, new Date('2027-01-08T00:00:00Z'), rules).kind).toBe('closed');
    expect(windowOf(null, new Date(), rules).kind).toBe('unknown');
  });
});

describe('configuration', () => {
  const keys = { ZALO_OA_APP_ID: '4318765432109876543', ZALO_OA_APP_SECRET: 'app-secret-XYZ', ZALO_OA_SECRET_KEY: 'oa-secret-ABC' };
  it('turns the OA on only with all three keys, and names what is missing without echoing secrets', () => {
    expect(parseConfig({}).zaloOa).toBeUndefined();
    expect(parseConfig(keys).zaloOa).toMatchObject({ apiRoot: 'https://openapi.zalo.me', oauthRoot: 'https://oauth.zaloapp.com', znsRoot: 'https://business.openapi.zalo.me', reminderFallback: ['early', 'zns', 'other_channel', 'list'] });
    expect(() => parseConfig({ ZALO_OA_APP_SECRET: 'app-secret-XYZ' })).toThrow(/ZALO_OA_APP_ID: required[\s\S]*ZALO_OA_SECRET_KEY: required/);
    try {
      parseConfig({ ...keys, ZALO_OA_SECRET_KEY: 'q7Zp' });
      expect.unreachable();
    } catch (e) {
      expect(String(e)).toContain('ZALO_OA_SECRET_KEY');
      expect(String(e)).not.toContain('q7Zp');
    }
    expect(() => parseConfig({ ...keys, ZALO_OA_REMINDER_FALLBACK: 'list,list' })).toThrow(/must not repeat/);
    expect(() => parseConfig({ ...keys, ZALO_OA_ZNS_TEMPLATE_DATA: 'a=unit_name' })).toThrow(/set ZALO_OA_ZNS_TEMPLATE_ID too/);
  });
});
