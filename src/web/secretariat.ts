import { createHash } from 'node:crypto';
import type { Output } from '../engine/types.ts';
import { fold } from '../engine/vietnamese.ts';
import type { Interceptor } from '../service/conversation.ts';
import { SecretariatStore } from '../store/secretariatStore.ts';
import type { Store } from '../store/store.ts';
import { newInviteCode } from '../units/invites.ts';

/**
 * Secretariat members in chat: "đăng ký thư ký <mã>" with a code from `npx xhht admin invite` makes
 * the person a member who receives the daily overdue digest; "hủy thư ký" ends it. Only people who
 * agreed to the data notice can join (nothing is stored for the others).
 */

export const SECRETARIAT_PURPOSE = 'nhận bản tin hằng ngày về các đơn vị quá hạn báo cáo (thành viên Văn phòng thường trực)';
export const SECRETARIAT_PURPOSE_VERSION = '2026-11';
export const DEFAULT_SECRETARIAT_INVITE_HOURS = 72;
const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 60 * 60 * 1000;

export function hashSecretariatCode(code: string): string {
  const canonical = code.toUpperCase().replace(/[^A-Z0-9]/g, '');
  return createHash('sha256').update(`xhht-secretariat-invite:${canonical}`).digest('hex');
}

/** Creates a single-use code, stored hashed; the code itself is shown once to whoever runs the command. */
export function createSecretariatInvite(store: Store, now: Date, hours = DEFAULT_SECRETARIAT_INVITE_HOURS): { code: string; expiresAt: string } {
  const code = newInviteCode();
  const expiresAt = new Date(now.getTime() + hours * 3600 * 1000).toISOString();
  new SecretariatStore(store.db).addInvite(hashSecretariatCode(code), now.toISOString(), expiresAt);
  return { code, expiresAt };
}

type SecretariatCommand = { kind: 'join'; code: string | undefined } | { kind: 'leave' };

/** "đăng ký thư ký ABCD-EFGH", "/dangkythuky ABCD-EFGH", "hủy thư ký". Accents and case do not matter. */
export function parseSecretariatCommand(text: string): SecretariatCommand | undefined {
  const f = fold(text.replace(/^\/(dangkythuky|huythuky)(@\S+)?/i, '$1 '));
  const join = /^(?:dang ky thu ky|dangkythuky)(?: (.+))?$/.exec(f);
  if (join) {
    const code = (join[1] ?? '').replace(/^ma /, '').replace(/\s+/g, '');
    return { kind: 'join', code: code || undefined };
  }
  if (['huy thu ky', 'huythuky', 'thoi thu ky', 'huy dang ky thu ky'].includes(f)) return { kind: 'leave' };
  return undefined;
}

const say = (text: string): Output => ({ kind: 'message', text });

export const secretariatInterceptor: Interceptor = ({ event, person, store, now, reply }) => {
  if (event.input.kind !== 'text') return false;
  const cmd = parseSecretariatCommand(event.input.text);
  if (!cmd) return false;
  const members = new SecretariatStore(store.db);
  const nowIso = now.toISOString();

  if (!person) {
    reply([
      say(
        'Để đăng ký nhận bản tin của Văn phòng thường trực, trước hết Anh/Chị vui lòng gửi "bắt đầu" và chọn "Đồng ý" với thông báo về dữ liệu. ' +
          'Sau đó Anh/Chị gửi lại "đăng ký thư ký <mã>".',
      ),
    ]);
    return true;
  }

  if (cmd.kind === 'leave') {
    reply([
      say(
        members.removeMember(person.id, nowIso)
          ? 'Anh/Chị đã thôi nhận bản tin hằng ngày về các đơn vị quá hạn.'
          : 'Anh/Chị hiện không đăng ký nhận bản tin của Văn phòng thường trực.',
      ),
    ]);
    return true;
  }

  if (members.isMember(person.id)) {
    reply([say('Anh/Chị đã là thành viên Văn phòng thường trực và đang nhận bản tin hằng ngày. Gửi "hủy thư ký" để thôi nhận.')]);
    return true;
  }
  if (!cmd.code) {
    reply([say('Vui lòng gửi kèm mã, ví dụ: đăng ký thư ký ABCD-EFGH. Mã do quản trị hệ thống cấp.')]);
    return true;
  }

  const who = createHash('sha256').update(`secretariat:${event.channel}:${event.userKey}`).digest('hex');
  const since = new Date(now.getTime() - FAILURE_WINDOW_MS).toISOString();
  if (store.units.registrationFailuresSince(who, since) >= MAX_FAILURES) {
    reply([say('Anh/Chị đã nhập sai mã nhiều lần. Vì an toàn, vui lòng thử lại sau 1 giờ hoặc xin mã mới.')]);
    return true;
  }
  const hash = hashSecretariatCode(cmd.code);
  const invite = members.invite(hash);
  const problem = !invite
    ? 'Mã không đúng. Anh/Chị kiểm tra lại mã (gồm 8 ký tự, ví dụ ABCD-EFGH) và gửi lại.'
    : invite.usedAt
      ? 'Mã này đã được sử dụng. Mỗi mã chỉ dùng được một lần; Anh/Chị vui lòng xin mã mới.'
      : invite.expiresAt <= nowIso
        ? 'Mã đã hết hạn. Anh/Chị vui lòng xin mã mới.'
        : !members.useInvite(hash, person.id, nowIso)
          ? 'Mã này đã được sử dụng. Mỗi mã chỉ dùng được một lần; Anh/Chị vui lòng xin mã mới.'
          : undefined;
  if (problem) {
    store.units.recordRegistrationFailure(who, nowIso);
    reply([say(problem)]);
    return true;
  }
  members.addMember(person.id, nowIso);
  // Sending the code is the person's own request for this purpose: it is recorded as its consent.
  store.recordConsent(person.id, SECRETARIAT_PURPOSE, SECRETARIAT_PURPOSE_VERSION, nowIso);
  reply([
    say(
      'Đăng ký thành công! Anh/Chị là thành viên Văn phòng thường trực. Hằng ngày bot sẽ gửi danh sách các đơn vị quá hạn báo cáo. ' +
        'Gửi "hủy thư ký" khi muốn thôi nhận.',
    ),
  ]);
  return true;
};
