import { describe, expect, it } from 'vitest';
import { SecretariatStore } from '../../src/store/secretariatStore.ts';
import { createSecretariatInvite, parseSecretariatCommand, SECRETARIAT_PURPOSE } from '../../src/web/secretariat.ts';
import { makeWebApp, type WebTestApp } from './webApp.ts';

function lastReply(t: WebTestApp, chatId: string, channel = 'telegram'): string {
  const rows = t.store.outboxRows(channel).filter((r) => r.chat_id === chatId);
  return (JSON.parse(rows.at(-1)!.payload) as { text: string }).text;
}

function agree(t: WebTestApp, userKey: string, channel = 'telegram') {
  t.send(userKey, 'xin chào', channel);
  t.send(userKey, { kind: 'choice', choiceId: 'agree', scope: 'consent' }, channel);
}

describe('parseSecretariatCommand', () => {
  it('reads the command with or without accents, and the leave command', () => {
    expect(parseSecretariatCommand('đăng ký thư ký ABCD-EFGH')).toEqual({ kind: 'join', code: 'abcd-efgh' });
    expect(parseSecretariatCommand('Dang ky thu ky  abcd efgh')).toEqual({ kind: 'join', code: 'abcdefgh' });
    expect(parseSecretariatCommand('/dangkythuky ABCD-EFGH')).toEqual({ kind: 'join', code: 'abcd-efgh' });
    expect(parseSecretariatCommand('đăng ký thư ký')).toEqual({ kind: 'join', code: undefined });
    expect(parseSecretariatCommand('hủy thư ký')).toEqual({ kind: 'leave' });
    expect(parseSecretariatCommand('đăng ký ABCD-EFGH')).toBeUndefined();
    expect(parseSecretariatCommand('thư ký')).toBeUndefined();
  });
});

describe('secretariat registration in chat', () => {
  it('makes a consenting person a member with a valid code, records the purpose, and lists them for the digest', async () => {
    const t = makeWebApp();
    agree(t, 'sec-1');
    const { code } = createSecretariatInvite(t.store, t.clock.now, 72);
    t.send('sec-1', `đăng ký thư ký ${code.toLowerCase()}`);
    expect(lastReply(t, 'sec-1')).toContain('Đăng ký thành công');
    const person = t.store.findPerson('telegram', 'sec-1')!;
    const members = new SecretariatStore(t.store.db);
    expect(members.activeMembers()).toEqual([{ personId: person.id, channel: 'telegram', externalId: 'sec-1', joinedAt: t.clock.now.toISOString() }]);
    expect(t.store.consentsOf(person.id).map((c) => c.purpose)).toContain(SECRETARIAT_PURPOSE);

    t.send('sec-1', 'đăng ký thư ký XXXX-YYYY');
    expect(lastReply(t, 'sec-1')).toContain('đã là thành viên');
    t.send('sec-1', 'hủy thư ký');
    expect(lastReply(t, 'sec-1')).toContain('thôi nhận');
    expect(members.activeMembers()).toEqual([]);
  });

  it('works on the web chat too', async () => {
    const t = makeWebApp();
    agree(t, 'browser-id', 'web');
    const { code } = createSecretariatInvite(t.store, t.clock.now);
    t.send('browser-id', `đăng ký thư ký ${code}`, 'web');
    expect(new SecretariatStore(t.store.db).activeMembers().map((m) => m.channel)).toEqual(['web']);
  });

  it('asks a person who has not agreed to the data notice to agree first, and stores nothing', async () => {
    const t = makeWebApp();
    const { code } = createSecretariatInvite(t.store, t.clock.now);
    t.send('stranger', `đăng ký thư ký ${code}`);
    expect(lastReply(t, 'stranger')).toContain('gửi "bắt đầu" và chọn "Đồng ý"');
    expect(t.store.findPerson('telegram', 'stranger')).toBeUndefined();
    // The code is still usable once they agree.
    agree(t, 'stranger');
    t.send('stranger', `đăng ký thư ký ${code}`);
    expect(lastReply(t, 'stranger')).toContain('Đăng ký thành công');
  });

  it('refuses wrong, used and expired codes, and pauses after repeated failures', async () => {
    const t = makeWebApp();
    agree(t, 'a');
    agree(t, 'b');
    const used = createSecretariatInvite(t.store, t.clock.now);
    t.send('a', `đăng ký thư ký ${used.code}`);
    t.send('b', `đăng ký thư ký ${used.code}`);
    expect(lastReply(t, 'b')).toContain('đã được sử dụng');
    const expired = createSecretariatInvite(t.store, t.clock.now, 1);
    t.clock.now = new Date(t.clock.now.getTime() + 2 * 3600 * 1000);
    t.send('b', `đăng ký thư ký ${expired.code}`);
    expect(lastReply(t, 'b')).toContain('hết hạn');
    t.send('b', 'đăng ký thư ký');
    expect(lastReply(t, 'b')).toContain('gửi kèm mã');
    // The "used" failure is now more than an hour old; "expired" and these four make five in the hour.
    for (let i = 0; i < 4; i++) t.send('b', 'đăng ký thư ký ABCD-2345');
    expect(lastReply(t, 'b')).toContain('Mã không đúng');
    const fresh = createSecretariatInvite(t.store, t.clock.now);
    t.send('b', `đăng ký thư ký ${fresh.code}`);
    expect(lastReply(t, 'b')).toContain('nhập sai mã nhiều lần');
    expect(new SecretariatStore(t.store.db).activeMembers().map((m) => m.externalId)).toEqual(['a']);
  });

  it('a member who deletes their data leaves the list', async () => {
    const t = makeWebApp();
    agree(t, 'sec');
    t.send('sec', `đăng ký thư ký ${createSecretariatInvite(t.store, t.clock.now).code}`);
    t.send('sec', 'xóa dữ liệu');
    t.send('sec', { kind: 'choice', choiceId: 'yes', scope: 'delete' });
    expect(new SecretariatStore(t.store.db).activeMembers()).toEqual([]);
  });
});
