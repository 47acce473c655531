import { createHash } from 'node:crypto';
import { consentPrompt } from '../../engine/prompts.ts';
import type { Output } from '../../engine/types.ts';
import { fold } from '../../engine/vietnamese.ts';
import type { Interceptor } from '../../service/conversation.ts';
import { channelLinkStoreOf } from '../../store/channelLinkStore.ts';
import type { PersonRow, Store } from '../../store/store.ts';
import { unitOfPerson } from '../../units/access.ts';
import { newInviteCode } from '../../units/invites.ts';

/**
 * One human on several channels (channel-neutral; it lives here because the Zalo OA is what made it
 * necessary). A person row is one channel identity; to tell the bot that a Telegram account and a
 * Zalo account are the same focal point, the person asks for a code on one channel and types it on
 * the other:
 *
 *   "liên kết"                → a one-time code (15 minutes), shown on this channel
 *   "liên kết ABCD-EFGH"      → on the other channel: both identities now belong to one human; an
 *                                identity that is not yet a focal point joins the other's unit
 *   "nhận nhắc qua Zalo"      → reminders on that channel (also "… qua Telegram", "… qua kênh này")
 *   "nhận nhắc tự động"       → reminders on the channel used last (the default)
 *   "kênh nhắc"               → which channels are linked and where reminders go
 *   "hủy liên kết"            → this identity leaves the group
 *
 * Reminder routing (reminderRouting.ts) reads the groups and the preference.
 */

export const LINK_CODE_MINUTES = 15;
const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 3_600_000;

export const CHANNEL_LABELS: Record<string, string> = {
  telegram: 'Telegram',
  zalo: 'Zalo',
  zalo_oa: 'Zalo (Official Account)',
  local: 'trò chuyện trên máy',
  web: 'trò chuyện trên web',
};
const label = (channel: string) => CHANNEL_LABELS[channel] ?? channel;

type LinkCommand =
  | { kind: 'issue' }
  | { kind: 'redeem'; code: string }
  | { kind: 'unlink' }
  | { kind: 'status' }
  | { kind: 'prefer'; channel: 'zalo' | 'telegram' | 'here' | 'auto' };

export function parseLinkCommand(text: string): LinkCommand | undefined {
  const f = fold(text.replace(/^\/(lienket|huylienket|kenhnhac)(@\S+)?/i, '$1 ')).trim();
  const m = /^(?:lien ket|lienket)(?: (?:ma )?([a-z0-9]{4}-?[a-z0-9]{4}))?$/.exec(f);
  if (m) return m[1] ? { kind: 'redeem', code: m[1] } : { kind: 'issue' };
  if (['huy lien ket', 'huylienket', 'bo lien ket'].includes(f)) return { kind: 'unlink' };
  if (['kenh nhac', 'kenhnhac', 'kenh nhan nhac'].includes(f)) return { kind: 'status' };
  const p = /^nhan nhac (?:qua |tren |bang )?(.+)$/.exec(f);
  if (p) {
    const want = p[1]!.trim();
    if (want === 'zalo' || want === 'zalo oa') return { kind: 'prefer', channel: 'zalo' };
    if (want === 'telegram') return { kind: 'prefer', channel: 'telegram' };
    if (['kenh nay', 'day', 'o day'].includes(want)) return { kind: 'prefer', channel: 'here' };
    if (['tu dong', 'kenh dung gan nhat', 'kenh gan nhat'].includes(want)) return { kind: 'prefer', channel: 'auto' };
  }
  return undefined;
}

/** Codes are stored hashed, like invite codes, so a copied database holds no usable code. */
export function hashLinkCode(code: string): string {
  return createHash('sha256').update(`xhht-link:${code.toUpperCase().replace(/[^A-Z0-9]/g, '')}`).digest('hex');
}

const say = (text: string): Output => ({ kind: 'message', text });

export const channelLinkInterceptor: Interceptor = ({ event, person, store, now, reply }) => {
  if (event.input.kind !== 'text') return false;
  const cmd = parseLinkCommand(event.input.text);
  if (!cmd) return false;
  if (!person) {
    reply([consentPrompt('Để liên kết các kênh nhắn tin, trước hết Anh/Chị vui lòng đồng ý với việc lưu thông tin dưới đây, rồi gửi lại lệnh.')]);
    return true;
  }
  const links = channelLinkStoreOf(store);
  const nowIso = now.toISOString();

  switch (cmd.kind) {
    case 'issue': {
      const code = newInviteCode();
      links.addCode(hashLinkCode(code), person.id, nowIso, new Date(now.getTime() + LINK_CODE_MINUTES * 60_000).toISOString());
      reply([
        say(
          `Mã liên kết của Anh/Chị: ${code} (dùng một lần, hiệu lực ${LINK_CODE_MINUTES} phút).\n` +
            `Trên kênh còn lại (Zalo hoặc Telegram), Anh/Chị gửi: liên kết ${code}\n` +
            'Sau khi liên kết, bot nhắc hạn qua kênh Anh/Chị dùng gần nhất. Anh/Chị có thể chọn cố định bằng cách gửi “nhận nhắc qua Zalo” hoặc “nhận nhắc qua Telegram”.',
        ),
      ]);
      return true;
    }
    case 'redeem':
      reply([say(redeem({ store, person, code: cmd.code, now, who: `${event.channel}:${event.userKey}` }))]);
      return true;
    case 'unlink':
      reply([
        say(
          links.unlink(person.id)
            ? 'Đã hủy liên kết tài khoản này với các kênh khác. Bot sẽ nhắc Anh/Chị trên từng kênh Anh/Chị đã đăng ký.'
            : 'Tài khoản này chưa liên kết với kênh nào khác.',
        ),
      ]);
      return true;
    case 'status':
      reply([say(statusText(store, person))]);
      return true;
    case 'prefer':
      reply([say(prefer(store, person, cmd.channel, event.channel, nowIso))]);
      return true;
  }
};

function redeem(p: { store: Store; person: PersonRow; code: string; now: Date; who: string }): string {
  const { store, person, now } = p;
  const links = channelLinkStoreOf(store);
  const nowIso = now.toISOString();
  const who = createHash('sha256').update(`link:${p.who}`).digest('hex');
  if (store.units.registrationFailuresSince(who, new Date(now.getTime() - FAILURE_WINDOW_MS).toISOString()) >= MAX_FAILURES) {
    return 'Anh/Chị đã nhập sai mã nhiều lần. Vì an toàn, vui lòng thử lại sau 1 giờ.';
  }
  const hash = hashLinkCode(p.code);
  const code = links.code(hash);
  if (!code || code.used_at || code.expires_at <= nowIso) {
    store.units.recordRegistrationFailure(who, nowIso);
    return 'Mã liên kết không đúng hoặc đã hết hạn. Anh/Chị gửi “liên kết” trên kênh kia để nhận mã mới (hiệu lực 15 phút).';
  }
  if (code.person_id === person.id) return 'Mã này được tạo từ chính tài khoản này. Anh/Chị vui lòng nhập mã trên kênh còn lại.';
  const other = store.getPerson(code.person_id);
  if (!other) return 'Mã liên kết không còn hiệu lực. Anh/Chị gửi “liên kết” trên kênh kia để nhận mã mới.';
  const mine = unitOfPerson(store, person.id);
  const theirs = unitOfPerson(store, other.id);
  if (mine && theirs && mine.id !== theirs.id) {
    return (
      `Không thể liên kết: tài khoản này là đầu mối của ${mine.name}, còn tài khoản kia là đầu mối của ${theirs.name}. ` +
      'Nếu Anh/Chị đã đổi đơn vị, gửi “rời đơn vị” trên tài khoản cũ rồi liên kết lại.'
    );
  }
  if (!links.useCode(hash, nowIso)) return 'Mã liên kết đã được sử dụng. Anh/Chị gửi “liên kết” trên kênh kia để nhận mã mới.';
  links.link(other.id, person.id, nowIso);
  // Both identities represent the same unit, so a reminder answered on either one counts.
  const unit = mine ?? theirs;
  if (unit && !mine) store.units.joinUnit(person.id, unit.id, nowIso);
  if (unit && !theirs) store.units.joinUnit(other.id, unit.id, nowIso);
  const lines = [`Đã liên kết: ${links.identitiesOf(person).map((p) => label(p.channel)).join(', ')}.`];
  if (unit) lines.push(`Cả hai tài khoản là đầu mối của ${unit.name}; mỗi nhắc hạn chỉ gửi một lần, qua kênh Anh/Chị dùng gần nhất.`);
  lines.push('Gửi “nhận nhắc qua Zalo” hoặc “nhận nhắc qua Telegram” để chọn cố định một kênh; “kênh nhắc” để xem lại.');
  return lines.join('\n');
}

function statusText(store: Store, person: PersonRow): string {
  const links = channelLinkStoreOf(store);
  const group = links.groupOf(person.id);
  if (group === undefined) {
    return `Anh/Chị đang nhận nhắc qua ${label(person.channel)}. Để nhận nhắc qua kênh khác nữa, gửi “liên kết” để lấy mã rồi nhập mã đó trên kênh kia.`;
  }
  const preferred = links.preference(group);
  const names = links.identitiesOf(person).map((p) => label(p.channel)).join(', ');
  return preferred
    ? `Các kênh đã liên kết: ${names}. Bot nhắc hạn qua ${label(preferred)} (Anh/Chị đã chọn). Gửi “nhận nhắc tự động” để nhận qua kênh dùng gần nhất.`
    : `Các kênh đã liên kết: ${names}. Bot nhắc hạn qua kênh Anh/Chị dùng gần nhất.`;
}

function prefer(store: Store, person: PersonRow, want: 'zalo' | 'telegram' | 'here' | 'auto', here: string, nowIso: string): string {
  const links = channelLinkStoreOf(store);
  const group = links.groupOf(person.id);
  if (group === undefined) {
    return `Anh/Chị mới dùng bot qua một kênh (${label(person.channel)}), nên bot nhắc qua kênh này. Để chọn kênh khác, trước hết gửi “liên kết” để liên kết tài khoản trên kênh kia.`;
  }
  if (want === 'auto') {
    links.setPreference(group, undefined, nowIso);
    return 'Vâng. Bot sẽ nhắc hạn qua kênh Anh/Chị dùng gần nhất.';
  }
  const identities = links.identitiesOf(person);
  const matches = identities.filter((p) => (want === 'here' ? p.channel === here : want === 'zalo' ? p.channel.startsWith('zalo') : p.channel === want));
  const chosen = matches.sort((a, b) => (b.last_inbound_at ?? '').localeCompare(a.last_inbound_at ?? ''))[0];
  if (!chosen) {
    return `Anh/Chị chưa liên kết tài khoản ${want === 'zalo' ? 'Zalo' : 'Telegram'}. Gửi “liên kết” trên kênh này rồi nhập mã trên ${want === 'zalo' ? 'Zalo' : 'Telegram'}.`;
  }
  links.setPreference(group, chosen.channel, nowIso);
  return `Vâng. Từ nay bot nhắc hạn qua ${label(chosen.channel)}. Khi kênh này không gửi được, bot dùng kênh còn lại.`;
}
