import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as msg from '../../src/engine/messages.ts';
import { followEvent, mediaEvent, postSigned, textEvent, zaloSignature } from '../fakes/zaloOaApi.ts';
import { APP_ID, OA_SECRET, type OaHarness, startOaHarness } from './harness.ts';

/** The OA channel end to end: signed webhooks in, consultation messages with buttons out (fake OA API). */

let h: OaHarness;
beforeAll(async () => {
  h = await startOaHarness();
});
afterAll(async () => {
  await h?.close();
});

const titles = (m: { buttons: Array<{ title: string }> }) => m.buttons.map((b) => b.title);

describe('conversation on the OA', () => {
  it('shows choices as oa.query.hide buttons whose payload names the prompt and option; taps and typed answers both work', async () => {
    const u = h.user('9001');
    const hello = await u.say('xin chào');
    expect(hello).toHaveLength(1);
    expect(hello[0]!.text).toContain('Anh/Chị có đồng ý không?');
    expect(hello[0]!.buttons).toEqual([
      { title: 'Đồng ý', type: 'oa.query.hide', payload: '#q|consent|agree' },
      { title: 'Không đồng ý', type: 'oa.query.hide', payload: '#q|consent|decline' },
    ]);
    expect(u.person(), 'nothing stored before consent').toBeUndefined();

    const start = await u.tap('Đồng ý');
    expect(start[0]!.text).toBe(msg.consentThanks);
    const q1 = start.at(-1)!;
    expect(q1.text).toMatch(/^Câu 1\/3\. /);
    expect(q1.buttons.map((b) => b.payload)).toEqual(['#q|y1|yes', '#q|y1|no']);

    // A typed answer is still accepted next to the buttons.
    const q2 = (await u.say('co')).at(-1)!;
    expect(q2.text).toMatch(/^Câu 2\/3\. /);
    expect(titles(q2)).toEqual(['Dưới 2 giờ', 'Từ 2 đến 5 giờ', 'Trên 5 giờ']);

    // More options than buttons fit: numbered text, no buttons, answered by number.
    const q3 = (await u.tap('Trên 5 giờ')).at(-1)!;
    expect(q3.text).toMatch(/^Câu 3\/3\. /);
    expect(q3.buttons).toEqual([]);
    expect(q3.text).toContain('1. Sách báo\n2. Truyền hình\n3. Internet\n4. Lớp học\n5. Câu lạc bộ\n6. Nơi làm việc\n7. Nguồn khác');
    const summary = (await u.say('3')).at(-1)!;
    expect(summary.text).toContain('Tóm tắt câu trả lời');
    const result = await u.tap('Gửi');
    expect(result[0]!.text).toMatch(/^KẾT QUẢ — /);

    const response = h.bot.store.responsesOf(u.person()!.id)[0]!;
    const answers = h.bot.store.currentAnswers(response.id).map((a) => [a.question_id, JSON.parse(a.value)]);
    expect(answers).toEqual([
      ['y1', 'yes'],
      ['s1', 'high'],
      ['s7', 'web'],
    ]);
  });

  it('treats a tap on the button of an earlier question as stale', async () => {
    const u = h.user('9002');
    await u.say('chào');
    await u.tap('Đồng ý');
    const stale = await u.say('#q|consent|agree');
    expect(stale[0]!.text.startsWith(msg.staleButtonText)).toBe(true);
    expect(stale[0]!.text).toMatch(/Câu 1\/3\. /);
    // An unreadable payload token is stale too, not an answer.
    const unknown = await u.say('#qt|AAAAAAAAAAAAAAAA');
    expect(unknown[0]!.text.startsWith(msg.staleButtonText)).toBe(true);
    expect(h.bot.store.currentAnswers(h.bot.store.responsesOf(u.person()!.id)[0]!.id)).toEqual([]);
  });

  it('answers a photo or sticker with a request to answer in text', async () => {
    const u = h.user('9003');
    await u.say('chào');
    await u.tap('Đồng ý');
    const res = await h.post(mediaEvent({ appId: APP_ID, userId: u.id, msgId: '9003-img', kind: 'image' }));
    expect(res.status).toBe(200);
    await h.settled(u.id);
    const last = h.fake.messagesTo(u.id).slice(-2);
    expect(last[0]!.text).toBe(msg.unsupportedInFlow);
    expect(last[1]!.text).toMatch(/^Câu 1\/3\. /);
  });

  it('keeps an unquoted 19-digit user id exact (JSON numbers would round it)', async () => {
    const bigId = '8234567890123456789';
    expect(String(Number(bigId))).not.toBe(bigId);
    const ts = String(Date.now());
    const raw = `{"app_id":"${APP_ID}","event_name":"user_send_text","timestamp":"${ts}","sender":{"id":${bigId}},"recipient":{"id":579745863508352884},"message":{"msg_id":"big-1","text":"xin chào"}}`;
    const res = await postSigned(h.url, raw, { appId: APP_ID, secretKey: OA_SECRET, timestamp: ts });
    expect(res.status).toBe(200);
    await h.settled(bigId);
    expect(h.fake.messagesTo(bigId)).toHaveLength(1);
    await h.user(bigId).tap('Đồng ý');
    expect(h.bot.store.findPerson('zalo_oa', bigId)?.external_id).toBe(bigId);
  });
});

describe('webhook authenticity', () => {
  const event = (msgId: string, text = 'xin chào', timestamp = Date.now()) => textEvent({ appId: APP_ID, userId: '9100', msgId, text, timestamp });

  it('refuses a tampered body, a wrong key, a missing or malformed signature, with 401 and nothing stored', async () => {
    const raw = JSON.stringify(event('tamper-1'));
    const ts = String(JSON.parse(raw).timestamp);
    const tampered = raw.replace('xin chào', 'xin chao');
    const sigOfOriginal = zaloSignature(APP_ID, raw, ts, OA_SECRET);
    const results = await Promise.all([
      postSigned(h.url, tampered, { appId: APP_ID, secretKey: OA_SECRET, timestamp: ts, signature: sigOfOriginal }),
      postSigned(h.url, raw, { appId: APP_ID, secretKey: 'another-oa-secret-key', timestamp: ts }),
      postSigned(h.url, raw, { appId: APP_ID, secretKey: OA_SECRET, timestamp: ts, signature: null }),
      postSigned(h.url, raw, { appId: APP_ID, secretKey: OA_SECRET, timestamp: ts, signature: 'mac=' }),
      postSigned(h.url, raw, { appId: APP_ID, secretKey: OA_SECRET, timestamp: ts, signature: sigOfOriginal.slice(0, -1) }),
    ]);
    expect(results.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    expect(h.bot.store.hasInbound('zalo_oa', 'tamper-1')).toBe(false);
    // The genuine one, signed without the "mac=" prefix, is accepted.
    const ok = await postSigned(h.url, raw, { appId: APP_ID, secretKey: OA_SECRET, timestamp: ts, signature: sigOfOriginal.slice(4) });
    expect(ok.status).toBe(200);
    expect(h.bot.store.hasInbound('zalo_oa', 'tamper-1')).toBe(true);
  });

  it('refuses a body re-serialised after signing (same JSON value, other bytes): the signature covers the raw bytes', async () => {
    const e = event('reserialised-1');
    const pretty = JSON.stringify(e, null, 2);
    const ts = String(e.timestamp);
    const signature = zaloSignature(APP_ID, pretty, ts, OA_SECRET);
    const compact = JSON.stringify(JSON.parse(pretty));
    expect(JSON.parse(compact)).toEqual(JSON.parse(pretty));
    const res = await postSigned(h.url, compact, { appId: APP_ID, secretKey: OA_SECRET, timestamp: ts, signature });
    expect(res.status).toBe(401);
    const asSigned = await postSigned(h.url, pretty, { appId: APP_ID, secretKey: OA_SECRET, timestamp: ts, signature });
    expect(asSigned.status).toBe(200);
  });

  it('refuses a correctly signed event whose timestamp is outside ±5 minutes, and one for another app', async () => {
    const old = event('stale-1', 'xin chào', Date.now() - 6 * 60_000);
    const future = event('future-1', 'xin chào', Date.now() + 6 * 60_000);
    const otherApp: Record<string, unknown> = { ...event('other-app-1'), app_id: '1111111111111111111' };
    const raw = JSON.stringify(otherApp);
    const [a, b, c] = await Promise.all([
      h.post(old),
      h.post(future),
      postSigned(h.url, raw, { appId: '1111111111111111111', secretKey: OA_SECRET, timestamp: String(otherApp.timestamp) }),
    ]);
    expect([a.status, b.status, c.status]).toEqual([401, 401, 401]);
    expect(h.bot.store.hasInbound('zalo_oa', 'stale-1')).toBe(false);
    expect(h.logs.some((l) => l.includes('"reason":"stale timestamp"'))).toBe(true);
  });

  it('answers a replayed msg_id 200 without a second turn or reply', async () => {
    const u = h.user('9101');
    const e = textEvent({ appId: APP_ID, userId: u.id, msgId: 'replay-1', text: 'xin chào' });
    expect((await h.post(e)).status).toBe(200);
    await h.settled(u.id);
    expect((await h.post(e)).status).toBe(200);
    await h.settled(u.id);
    expect(h.fake.messagesTo(u.id)).toHaveLength(1);
  });

  it('answers 413 to a body over MAX_BODY_BYTES and 400 to a signed body that is not JSON', async () => {
    const big = JSON.stringify(textEvent({ appId: APP_ID, userId: '9102', msgId: 'big-body', text: 'x'.repeat(5000) }));
    const tooLarge = await postSigned(h.url, big, { appId: APP_ID, secretKey: OA_SECRET, timestamp: '1' });
    expect(tooLarge.status).toBe(413);
    const notJson = await postSigned(h.url, '{"app_id": oops', { appId: APP_ID, secretKey: OA_SECRET, timestamp: '1' });
    expect(notJson.status).toBe(400);
  });
});

describe('follow and unfollow', () => {
  it('greets a new follower with the data notice (nothing stored yet)', async () => {
    const res = await h.post(followEvent({ appId: APP_ID, userId: '9200', event: 'follow' }));
    expect(res.status).toBe(200);
    await h.settled('9200');
    const [greeting] = h.fake.messagesTo('9200');
    expect(greeting!.text).toContain('Anh/Chị có đồng ý không?');
    expect(h.bot.store.findPerson('zalo_oa', '9200')).toBeUndefined();
  });

  it('stops all sending to a person who unfollows, until they write again', async () => {
    const u = h.user('9201');
    await u.say('chào');
    await u.tap('Đồng ý');
    const person = u.person()!;
    const sentBefore = h.fake.messagesTo(u.id).length;
    // Held back so it is still pending when the unfollow arrives.
    const later = new Date(Date.now() + 3_600_000).toISOString();
    h.bot.store.enqueue({ channel: 'zalo_oa', chatId: u.id, personId: person.id, kind: 'broadcast', payload: JSON.stringify({ kind: 'message', text: 'Thông báo 1' }), notBefore: later }, new Date().toISOString());
    expect((await h.post(followEvent({ appId: APP_ID, userId: u.id, event: 'unfollow' }))).status).toBe(200);
    expect(h.bot.store.findPerson('zalo_oa', u.id)?.unreachable_at).not.toBeNull();
    expect(h.bot.store.pendingOutboxFor('zalo_oa', u.id)).toEqual([]);
    expect(h.bot.store.outboxRows('zalo_oa').filter((r) => r.chat_id === u.id && r.kind === 'broadcast')[0]!.status).toBe('failed');

    // Something queued after the unfollow is not sent either.
    h.bot.store.enqueue({ channel: 'zalo_oa', chatId: u.id, personId: person.id, kind: 'broadcast', payload: JSON.stringify({ kind: 'message', text: 'Thông báo 2' }) }, new Date().toISOString());
    h.bot.sender.wake();
    await h.settled(u.id);
    expect(h.fake.messagesTo(u.id)).toHaveLength(sentBefore);
    expect(h.bot.store.outboxRows('zalo_oa').filter((r) => r.chat_id === u.id && r.kind === 'broadcast').map((r) => r.status)).toEqual(['failed', 'failed']);

    // Writing again makes them reachable (the conversation service records the new message).
    await u.say('tiếp tục');
    expect(h.fake.messagesTo(u.id).length).toBeGreaterThan(sentBefore);
    expect(u.person()?.unreachable_at).toBeNull();
  });
});
