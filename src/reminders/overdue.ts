import type { Output } from '../engine/types.ts';
import { reminderStoreOf } from '../store/reminderStore.ts';
import type { Store } from '../store/store.ts';
import type { Unit } from '../units/types.ts';
import { type Deadline, type Occurrence, occurrenceFor, occurrencesBetween } from './calendar.ts';
import { addDays, daysBetween, formatDateVi, localDateOf } from './dates.ts';
import { dueLine, periodLabel } from './message.ts';
import type { ReminderSchedule } from './schedule.ts';

/**
 * The secretariat's overdue list: units that have not reported a deadline from
 * `overdueListAfterDays` days after its last day (and for `overdueListForDays` after that), and the
 * daily digest built from it.
 */

export interface OverdueEntry {
  occ: Occurrence;
  deadlineId: string;
  title: string;
  period: string;
  /** The date written in the source ("trước ngày …"). */
  date: string;
  lastDay: string;
  unit: Unit;
  daysOverdue: number;
  /** Focal points registered for the unit (0: nobody can be reminded in chat). */
  focalPoints: number;
}

export interface DigestRecipient {
  personId: number;
  channel: string;
  chatId: string;
}

/** Whether an occurrence's overdue list is open on `today`. */
export function onOverdueList(occ: Occurrence, schedule: ReminderSchedule, today: string): boolean {
  const { overdueListAfterDays, overdueListForDays } = schedule.settings.ladder;
  const late = daysBetween(occ.lastDay, today);
  return late >= overdueListAfterDays && late < overdueListAfterDays + overdueListForDays;
}

export function overdueList(p: { store: Store; schedule: ReminderSchedule; now: Date }): OverdueEntry[] {
  const { store, schedule } = p;
  const today = localDateOf(p.now);
  const { overdueListAfterDays, overdueListForDays } = schedule.settings.ladder;
  const from = addDays(today, -(overdueListAfterDays + overdueListForDays + 1));
  const units = store.units.units();
  const focal = new Map<string, number>();
  for (const fp of store.units.allFocalPoints()) focal.set(fp.unitId, (focal.get(fp.unitId) ?? 0) + 1);
  const out: OverdueEntry[] = [];
  for (const entry of schedule.enabledEntries()) {
    if (entry.kind !== 'deadline') continue;
    for (const occ of occurrencesBetween(entry, from, addDays(today, 1))) {
      if (!onOverdueList(occ, schedule, today)) continue;
      for (const unit of units) {
        if (!schedule.concerns(entry, unit) || schedule.fulfilment(store, occ, unit.id)) continue;
        out.push({
          occ,
          deadlineId: entry.id,
          title: entry.title,
          period: occ.period,
          date: occ.date,
          lastDay: occ.lastDay,
          unit,
          daysOverdue: daysBetween(occ.lastDay, today),
          focalPoints: focal.get(unit.id) ?? 0,
        });
      }
    }
  }
  return out;
}

export function buildDigestOutput(p: { list: OverdueEntry[]; now: Date; maxUnitsPerDeadline: number }): Output {
  const groups = new Map<string, OverdueEntry[]>();
  for (const e of p.list) {
    const k = `${e.deadlineId}|${e.period}`;
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  const lines = [`Danh sách đơn vị quá hạn chưa báo cáo (${formatDateVi(localDateOf(p.now))}): ${p.list.length} đơn vị.`];
  for (const entries of groups.values()) {
    const first = entries[0]!;
    lines.push('', `${first.title} — ${periodLabel(first.period)} (hạn ${dueLine(first.occ)}): ${entries.length} đơn vị`);
    const sorted = [...entries].sort((a, b) => b.daysOverdue - a.daysOverdue || a.unit.name.localeCompare(b.unit.name, 'vi'));
    for (const e of sorted.slice(0, p.maxUnitsPerDeadline)) {
      lines.push(`• ${e.unit.name}: quá hạn ${e.daysOverdue} ngày${e.focalPoints === 0 ? ' (chưa có đầu mối đăng ký)' : ''}`);
    }
    if (sorted.length > p.maxUnitsPerDeadline) lines.push(`… và ${sorted.length - p.maxUnitsPerDeadline} đơn vị khác (xem đầy đủ trên trang quản trị).`);
  }
  return { kind: 'message', text: lines.join('\n') };
}

/**
 * What the dashboard asks about a unit's deadline (src/web/deps.ts DeadlineInfo), answered for the
 * deadlines that the given flow fulfils.
 */
export function createDeadlineInfo(p: { store: Store; schedule: ReminderSchedule }): {
  isOverdue(q: { unitId: string; flowId: string; period: string; now: Date }): boolean | undefined;
  lastReminderAt(q: { unitId: string; flowId: string; period: string }): string | undefined;
} {
  const { store, schedule } = p;
  const deadlinesOf = (flowId: string) =>
    schedule.enabledEntries().filter((e): e is Deadline => e.kind === 'deadline' && e.flow === flowId);
  return {
    isOverdue({ unitId, flowId, period, now }) {
      const unit = store.units.unit(unitId);
      const occs = deadlinesOf(flowId).flatMap((d) => occurrenceFor(d, period) ?? []);
      if (!unit || occs.length === 0) return undefined;
      const today = localDateOf(now);
      return occs.some(
        (o) => schedule.concerns(o.entry, unit) && daysBetween(o.lastDay, today) >= schedule.settings.ladder.overdueListAfterDays && !schedule.fulfilment(store, o, unitId),
      );
    },
    lastReminderAt({ unitId, flowId, period }) {
      const times = deadlinesOf(flowId).flatMap((d) => reminderStoreOf(store).lastQueuedAt(d.id, period, unitId) ?? []);
      return times.length > 0 ? times.sort().at(-1) : undefined;
    },
  };
}
