import type { Output } from '../engine/types.ts';
import { fold } from '../engine/vietnamese.ts';
import type { InterceptContext, Interceptor } from '../service/conversation.ts';
import { type ReminderLogRow, reminderStoreOf } from '../store/reminderStore.ts';
import { occurrenceFor } from './calendar.ts';
import { formatInstantVi } from './dates.ts';
import { snoozeUntil } from './ladder.ts';
import { parseReminderScope, periodLabel, type ReminderChoiceId } from './message.ts';
import type { ReminderSchedule } from './schedule.ts';

/**
 * Replies to a reminder: a tap on its buttons (scope "rm:<id>"), or typed "đã nộp", "nhắc lại sau",
 * "bắt đầu", or the option's number (Zalo shows numbered lines). A number or "bắt đầu" counts only
 * when the reminder is the last thing the bot said (no message from the person since), so a flow's
 * own numbered options are never taken for it; "đã nộp" and "nhắc lại sau" also count later, unless
 * the person is in the middle of a flow.
 */

const DONE_WORDS = new Set(['da nop', 'da nop roi', 'da gui', 'da gui roi', 'da nop ho so', 'da bao cao']);
const SNOOZE_WORDS = new Set(['nhac lai sau', 'nhac sau', 'de sau', 'nhac lai']);
const START_WORDS = new Set(['bat dau']);

const say = (text: string): Output => ({ kind: 'message', text });

export interface ReminderInterceptorOptions {
  schedule: ReminderSchedule;
  /** Typed replies refer to a reminder queued at most this many days ago (default 30). */
  answerWithinDays?: number;
}

export function createReminderInterceptor(opts: ReminderInterceptorOptions): Interceptor {
  const withinMs = (opts.answerWithinDays ?? 30) * 86_400_000;
  return (ctx) => {
    const { event, person, store } = ctx;
    const reminders = reminderStoreOf(store);
    if (event.input.kind === 'choice') {
      const id = parseReminderScope(event.input.scope);
      if (id === undefined) return false;
      const row = person ? reminders.logById(id) : undefined;
      const choice = row ? offered(row, event.input.choiceId) : undefined;
      if (!row || !person || row.person_id !== person.id || !choice) {
        ctx.reply([say('Nhắc nhở này không còn hiệu lực.')]);
        return true;
      }
      return answer(ctx, opts.schedule, row, choice);
    }
    if (event.input.kind !== 'text' || !person) return false;
    const latest = reminders.latestQueuedFor(person.id);
    if (!latest || latest.choices === '' || ctx.now.getTime() - Date.parse(latest.created_at) > withinMs) return false;
    const lastWord = latest.created_at > (person.last_inbound_at ?? '');
    const typed = typedChoice(event.input.text, lastWord);
    if (typed === undefined) return false;
    if (!lastWord && flowInProgress(ctx)) return false;
    // A number picks the option shown at that position.
    const id = typeof typed === 'number' ? latest.choices.split(',')[typed - 1] : typed;
    const choice = id ? offered(latest, id) : undefined;
    if (!choice) return false;
    return answer(ctx, opts.schedule, latest, choice);
  };
}

function offered(row: ReminderLogRow, choiceId: string): ReminderChoiceId | undefined {
  return row.choices.split(',').includes(choiceId) ? (choiceId as ReminderChoiceId) : undefined;
}

/** The choice a typed reply names, or the option number; numbers only when the reminder is the bot's last word. */
function typedChoice(text: string, lastWord: boolean): ReminderChoiceId | number | undefined {
  const f = fold(text);
  if (DONE_WORDS.has(f)) return 'done';
  if (SNOOZE_WORDS.has(f)) return 'snooze';
  if (!lastWord) return undefined;
  if (START_WORDS.has(f)) return 'start';
  const n = /^(\d)$/.exec(f)?.[1];
  return n ? Number(n) : undefined;
}

function flowInProgress(ctx: InterceptContext): boolean {
  const raw = ctx.person ? ctx.store.loadSession(ctx.person.id) : undefined;
  if (!raw) return false;
  try {
    return Boolean((JSON.parse(raw) as { flow?: unknown }).flow);
  } catch {
    return false;
  }
}

function answer(ctx: InterceptContext, schedule: ReminderSchedule, row: ReminderLogRow, choice: ReminderChoiceId): boolean {
  const { store, now, reply } = ctx;
  const person = ctx.person!;
  const entry = schedule.entry(row.deadline_id);
  const occ = entry ? occurrenceFor(entry, row.period) : undefined;
  const unit = store.units.unit(row.unit_id);
  if (!entry || entry.kind !== 'deadline' || !occ || !unit) {
    reply([say('Nhắc nhở này không còn hiệu lực.')]);
    return true;
  }
  if (store.units.activeUnitOf(person.id) !== unit.id) {
    reply([say(`Anh/Chị không còn là đầu mối của ${unit.name}, nên không cần thao tác với nhắc nhở này.`)]);
    return true;
  }
  const what = `${entry.title} — ${periodLabel(occ.period)}`;
  if (choice === 'start') {
    const flow = schedule.flowOf(entry);
    if (!flow) {
      reply([say(`Hạn này (${what}) chưa có phần tự đánh giá trên bot. Anh/Chị chuẩn bị hồ sơ theo hướng dẫn trong nhắc nhở.`)]);
      return true;
    }
    ctx.runEngine({ kind: 'text', text: `/start ${flow.id}` });
    return true;
  }
  const done = schedule.fulfilment(store, occ, unit.id);
  if (done) {
    reply([
      say(
        done.by === 'ack'
          ? `${unit.name} đã được ghi nhận là đã nộp (${formatInstantVi(new Date(done.at))}): ${what}. Bot không nhắc hạn này nữa.`
          : `${unit.name} đã gửi kết quả tự đánh giá trên bot (${formatInstantVi(new Date(done.at))}): ${what}. Bot không nhắc hạn này nữa.`,
      ),
    ]);
    return true;
  }
  const reminders = reminderStoreOf(store);
  const nowIso = now.toISOString();
  if (choice === 'done') {
    reminders.recordAck({ deadlineId: entry.id, period: occ.period, unitId: unit.id, personId: person.id, channel: person.channel, now: nowIso });
    reply([say(`Cảm ơn Anh/Chị. Đã ghi nhận ${unit.name} đã nộp (${formatInstantVi(now)}): ${what}. Bot dừng nhắc hạn này cho cả đơn vị.`)]);
    return true;
  }
  const until = snoozeUntil(now, schedule.settings, schedule.rules);
  reminders.snooze({ deadlineId: entry.id, period: occ.period, unitId: unit.id, personId: person.id, until: until.toISOString(), now: nowIso });
  reply([say(`Vâng. Bot sẽ nhắc lại Anh/Chị vào ${formatInstantVi(until)} về hạn: ${what}.`)]);
  return true;
}
