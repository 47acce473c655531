import { createHash } from 'node:crypto';
import { consentPrompt } from '../engine/prompts.ts';
import type { Output } from '../engine/types.ts';
import { fold } from '../engine/vietnamese.ts';
import type { Interceptor } from '../service/conversation.ts';
import { flowsForPerson, unitOfPerson } from './access.ts';
import { redeemInvite } from './invites.ts';
import { TIER_LABELS, UNIT_TYPE_LABELS } from './types.ts';

/** Wrong codes allowed per person in the window before registration is paused for them. */
export const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 60 * 60 * 1000;

type Registration = { kind: 'register'; code?: string } | { kind: 'leave' } | { kind: 'whoami' };

/** "đăng ký ABCD-EFGH", "/dangky ABCD-EFGH", "rời đơn vị", "đơn vị của tôi". */
export function parseRegistration(text: string): Registration | undefined {
  const f = fold(text.replace(/^\/(dangky|roidonvi|donvi)(@\S+)?/i, '$1 '));
  const m = /^(?:dang ky|dangky)(?: (.+))?$/.exec(f);
  if (m) {
    const rest = (m[1] ?? '').trim();
    if (rest.startsWith('thu ky')) return undefined; // secretariat registration is handled elsewhere
    const code = rest.replace(/^ma /, '').replace(/\s+/g, '');
    return code ? { kind: 'register', code } : { kind: 'register' };
  }
  if (['roi don vi', 'roidonvi', 'thoi lam dau moi', 'roi khoi don vi'].includes(f)) return { kind: 'leave' };
  if (['don vi', 'donvi', 'don vi cua toi'].includes(f)) return { kind: 'whoami' };
  return undefined;
}

const say = (text: string, extra: Partial<Extract<Output, { kind: 'message' }>> = {}): Output => ({ kind: 'message', text, ...extra });

/** Focal-point registration by invite code, leaving a unit, and "which unit am I registered to". */
export const registrationInterceptor: Interceptor = ({ event, person, store, now, flows, reply }) => {
  if (event.input.kind !== 'text') return false;
  const cmd = parseRegistration(event.input.text);
  if (!cmd) return false;
  const nowIso = now.toISOString();

  if (!person) {
    reply([
      consentPrompt(
        'Để đăng ký làm đầu mối của đơn vị, trước hết Anh/Chị vui lòng đồng ý với việc lưu thông tin dưới đây. ' +
          'Sau khi đồng ý, Anh/Chị gửi lại lệnh "đăng ký <mã mời>".',
      ),
    ]);
    return true;
  }

  if (cmd.kind === 'whoami') {
    const unit = unitOfPerson(store, person.id);
    reply([
      say(
        unit
          ? `Anh/Chị đang là đầu mối của: ${unit.name} (${UNIT_TYPE_LABELS[unit.type]}, ${TIER_LABELS[unit.tier]}). Gửi "rời đơn vị" nếu không còn phụ trách.`
          : 'Anh/Chị chưa đăng ký làm đầu mối của đơn vị nào. Gửi "đăng ký <mã mời>" để đăng ký.',
      ),
    ]);
    return true;
  }

  if (cmd.kind === 'leave') {
    const unit = unitOfPerson(store, person.id);
    const left = store.units.leaveUnit(person.id, nowIso);
    reply([
      say(
        left
          ? `Anh/Chị đã thôi là đầu mối của ${unit?.name ?? 'đơn vị'}. Các kết quả đơn vị đã gửi vẫn được giữ cho đơn vị.`
          : 'Anh/Chị hiện không là đầu mối của đơn vị nào.',
      ),
    ]);
    return true;
  }

  if (!cmd.code) {
    reply([say('Vui lòng gửi kèm mã mời, ví dụ: đăng ký ABCD-EFGH. Mã mời do Văn phòng thường trực xã hội học tập cấp cho đơn vị.')]);
    return true;
  }

  const who = createHash('sha256').update(`${event.channel}:${event.userKey}`).digest('hex');
  const since = new Date(now.getTime() - FAILURE_WINDOW_MS).toISOString();
  if (store.units.registrationFailuresSince(who, since) >= MAX_FAILURES) {
    reply([say('Anh/Chị đã nhập sai mã nhiều lần. Vì an toàn, vui lòng thử lại sau 1 giờ hoặc liên hệ Văn phòng thường trực để được cấp mã mới.')]);
    return true;
  }

  const redeemed = redeemInvite(store, cmd.code, person.id, now);
  if (!redeemed.ok) {
    store.units.recordRegistrationFailure(who, nowIso);
    const why = {
      unknown: 'Mã mời không đúng. Anh/Chị kiểm tra lại mã (gồm 8 ký tự, ví dụ ABCD-EFGH) và gửi lại.',
      expired: 'Mã mời đã hết hạn. Anh/Chị vui lòng liên hệ Văn phòng thường trực xã hội học tập để được cấp mã mới.',
      used: 'Mã mời này đã được sử dụng. Mỗi mã chỉ dùng được một lần; Anh/Chị vui lòng xin mã mới.',
    }[redeemed.reason];
    reply([say(why)]);
    return true;
  }

  const previous = unitOfPerson(store, person.id);
  store.units.joinUnit(person.id, redeemed.unitId, nowIso);
  const unit = store.units.unit(redeemed.unitId)!;
  const unitFlows = flowsForPerson(store, flows, person).filter((f) => f.audience === 'unit');
  const lines = [
    `Đăng ký thành công! Anh/Chị là đầu mối của: ${unit.name} (${UNIT_TYPE_LABELS[unit.type]}, ${TIER_LABELS[unit.tier]}).`,
  ];
  if (previous && previous.id !== unit.id) lines.push(`Anh/Chị không còn là đầu mối của ${previous.name}.`);
  lines.push('Bot sẽ nhắc Anh/Chị trước các hạn báo cáo của đơn vị.');
  if (unitFlows.length > 0) {
    lines.push('Anh/Chị có thể tự đánh giá đơn vị ngay bây giờ:');
    reply([say(lines.join('\n'), { choices: unitFlows.map((f) => ({ id: f.id, label: f.title })), scope: 'menu' })]);
  } else {
    reply([say(lines.join('\n'))]);
  }
  return true;
};
