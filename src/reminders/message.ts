import type { Choice, Output } from '../engine/types.ts';
import type { Unit } from '../units/types.ts';
import { type DeadlineCalendar, type Occurrence, recipientOffice } from './calendar.ts';
import { daysBetween, formatDateVi, localDateOf } from './dates.ts';

/** What a reminder says, in Vietnamese: what is due, by when, to whom, and what the person can do. */

export const REMINDER_CHOICE_LABELS = { done: 'Đã nộp', snooze: 'Nhắc lại sau', start: 'Bắt đầu' } as const;
export type ReminderChoiceId = keyof typeof REMINDER_CHOICE_LABELS;

/** The prompt scope of a reminder's buttons: short enough for Telegram's 64-byte callback data. */
export const reminderScope = (logId: number): string => `rm:${logId}`;

export function parseReminderScope(scope: string | undefined): number | undefined {
  const m = scope ? /^rm:(\d{1,12})$/.exec(scope) : null;
  return m ? Number(m[1]) : undefined;
}

export function reminderChoices(withStart: boolean): Choice[] {
  const ids: ReminderChoiceId[] = withStart ? ['done', 'snooze', 'start'] : ['done', 'snooze'];
  return ids.map((id) => ({ id, label: REMINDER_CHOICE_LABELS[id] }));
}

export function periodLabel(period: string): string {
  return /^\d{4}$/.test(period) ? `năm ${period}` : `giai đoạn ${period}`;
}

function dueStatus(occ: Occurrence, now: Date): string {
  const days = daysBetween(localDateOf(now), occ.lastDay);
  if (days > 1) return `còn ${days} ngày`;
  if (days === 1) return 'ngày mai là ngày cuối';
  if (days === 0) return 'hôm nay là ngày cuối';
  return `đã quá hạn ${-days} ngày`;
}

export function dueLine(occ: Occurrence): string {
  return occ.entry.kind === 'deadline' && occ.entry.before ? `trước ngày ${formatDateVi(occ.date)}` : `hết ngày ${formatDateVi(occ.date)}`;
}

export function buildReminderOutput(p: {
  calendar: DeadlineCalendar;
  occ: Occurrence;
  unit: Unit;
  now: Date;
  /** The flow that fulfils the deadline, when it is loaded: offers "Bắt đầu". */
  flowTitle: string | undefined;
  logId: number;
}): Output {
  const { occ, unit, now } = p;
  const entry = occ.entry;
  if (entry.kind !== 'deadline') throw new Error('buildReminderOutput: not a deadline');
  const late = daysBetween(localDateOf(now), occ.lastDay) < 0;
  const lines = [
    `${late ? 'Đã quá hạn' : 'Nhắc hạn'}: ${entry.title} — ${periodLabel(occ.period)}`,
    `Đơn vị: ${unit.name}`,
    `Cần gửi: ${entry.what}`,
    `Gửi đến: ${recipientOffice(p.calendar, entry, unit.tier)}`,
    `Hạn: ${dueLine(occ)} (${dueStatus(occ, now)}).`,
    `Căn cứ: ${entry.source.document}, ${entry.source.clause}.`,
    '',
    p.flowTitle ? 'Để tự đánh giá ngay trên bot, Anh/Chị chọn “Bắt đầu”.' : undefined,
    `Nếu đơn vị đã gửi, xin chọn “Đã nộp” để dừng nhắc cho cả đơn vị; chọn “Nhắc lại sau” để được nhắc lại sau ${p.calendar.settings.snoozeDays} ngày.`,
  ].filter((l): l is string => l !== undefined);
  return { kind: 'message', text: lines.join('\n'), choices: reminderChoices(p.flowTitle !== undefined), scope: reminderScope(p.logId) };
}

export function buildAnnouncementOutput(p: { occ: Occurrence; now: Date }): Output {
  const { occ, now } = p;
  const entry = occ.entry;
  const days = daysBetween(localDateOf(now), occ.date);
  const when =
    occ.endDay === occ.date ? formatDateVi(occ.date) : `từ ${formatDateVi(occ.date)} đến ${formatDateVi(occ.endDay)}`;
  const status = days > 1 ? `còn ${days} ngày` : days === 1 ? 'ngày mai' : days === 0 ? 'hôm nay' : 'đang diễn ra';
  const lines = [
    `Thông báo: ${entry.title} ${periodLabel(occ.period)}`,
    entry.what,
    `Thời gian: ${when} (${status}).`,
    `Căn cứ: ${entry.source.document}, ${entry.source.clause}.`,
  ];
  return { kind: 'message', text: lines.join('\n') };
}
