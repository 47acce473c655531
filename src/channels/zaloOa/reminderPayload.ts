import type { ZnsFact } from '../../config.ts';
import { recipientOffice } from '../../reminders/calendar.ts';
import { daysBetween, localDateOf } from '../../reminders/dates.ts';
import { periodLabel } from '../../reminders/message.ts';
import type { ReminderToRoute } from '../../reminders/planner.ts';

/**
 * Reading and adjusting a reminder's outbox payload (the engine output as JSON) when routing moves
 * it: its buttons' scope, its choices, and the ZNS template parameters it carries.
 */

/** The template parameters, filled from the reminder's facts and cut to a length ZNS accepts. */
export function znsTemplateData(r: ReminderToRoute, mapping: Record<string, ZnsFact>): Record<string, string> {
  const { occ, unit, now, schedule } = r;
  const entry = occ.entry;
  const days = daysBetween(localDateOf(now), occ.lastDay);
  const facts: Record<ZnsFact, string> = {
    unit_name: unit.name,
    deadline_title: entry.title,
    period: periodLabel(occ.period),
    due_date: `${occ.date.slice(8, 10)}/${occ.date.slice(5, 7)}/${occ.date.slice(0, 4)}`,
    due_status: days > 1 ? `còn ${days} ngày` : days === 1 ? 'ngày mai là ngày cuối' : days === 0 ? 'hôm nay là ngày cuối' : `đã quá hạn ${-days} ngày`,
    office: entry.kind === 'deadline' ? recipientOffice(schedule.calendar, entry, unit.tier) : '',
  };
  return Object.fromEntries(Object.entries(mapping).map(([param, fact]) => [param, facts[fact].slice(0, 200)]));
}

/** OA reminders carry their ZNS parameters along, so a send-time fallback can still use the template. */
export function withZnsData(payload: string, data: Record<string, string> | undefined): string {
  if (!data) return payload;
  return JSON.stringify({ ...(JSON.parse(payload) as object), znsData: data });
}

export function znsDataOf(payload: string): Record<string, string> | undefined {
  try {
    const p = JSON.parse(payload) as { znsData?: unknown; templateData?: unknown };
    const d = p.znsData ?? p.templateData;
    return d && typeof d === 'object' ? (d as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

export function withScope(payload: string, scope: string): string {
  const p = JSON.parse(payload) as { scope?: unknown };
  return typeof p.scope === 'string' && /^rm:\d+$/.test(p.scope) ? JSON.stringify({ ...p, scope }) : payload;
}

export function scopeLogId(payload: string): number | undefined {
  try {
    const m = /^rm:(\d+)$/.exec(String((JSON.parse(payload) as { scope?: unknown }).scope ?? ''));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function choiceIdsOf(payload: string): string[] {
  try {
    const p = JSON.parse(payload) as { choices?: Array<{ id?: unknown }> };
    return (p.choices ?? []).map((c) => String(c.id ?? '')).filter((id) => id !== '');
  } catch {
    return [];
  }
}
