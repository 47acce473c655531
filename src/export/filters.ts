import { z } from 'zod';
import type { ExportQueryFilters, ExportQueryScope } from '../store/exportStore.ts';

/** What an export may be narrowed to, as the command line and the dashboard give it. */

const VIETNAM_OFFSET = '+07:00';

/** zod's ISO date also rejects days that do not exist (2026-02-30, 2026-02-29). */
const calendarDay = z.iso.date({ message: 'must be a date as YYYY-MM-DD' });

export const exportFiltersSchema = z
  .strictObject({
    flowId: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,47}$/, 'must be a flow id such as cong-dan-hoc-tap').optional(),
    period: z.string().regex(/^\d{4}$/, 'must be a year as YYYY').optional(),
    /** Vietnam calendar days, both inclusive. */
    from: calendarDay.optional(),
    to: calendarDay.optional(),
    communeCode: z.string().trim().min(1, 'must not be empty').max(40, 'is too long').optional(),
    unitId: z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, 'must be a unit id (1-40 characters of A-Z a-z 0-9 _ . -)').optional(),
  })
  .refine((f) => f.from === undefined || f.to === undefined || f.from <= f.to, {
    message: 'must not be after --to',
    path: ['from'],
  });
export type ExportFilters = z.output<typeof exportFiltersSchema>;

export const exportScopeSchema = z.strictObject({
  /** Undefined: everything (province secretariat). A list: only units of these communes. */
  communeCodes: z.array(z.string().min(1)).optional(),
});
export type ExportScope = z.output<typeof exportScopeSchema>;

/** Turns Vietnam calendar days into the UTC instants stored in the database. */
export function toQueryFilters(f: ExportFilters): ExportQueryFilters {
  return {
    flowId: f.flowId,
    period: f.period,
    fromInstant: f.from === undefined ? undefined : startOfVietnamDay(f.from),
    toInstant: f.to === undefined ? undefined : startOfVietnamDay(nextDay(f.to)),
    communeCode: f.communeCode,
    unitId: f.unitId,
  };
}

export function toQueryScope(s: ExportScope): ExportQueryScope {
  return { communeCodes: s.communeCodes };
}

function startOfVietnamDay(day: string): string {
  return new Date(`${day}T00:00:00${VIETNAM_OFFSET}`).toISOString();
}

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
