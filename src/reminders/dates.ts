/**
 * Calendar arithmetic in Vietnam time (UTC+7, no daylight saving). Local dates are plain
 * "yyyy-mm-dd" strings, local times "HH:MM"; instants are Dates (stored as UTC ISO strings).
 */

const OFFSET_MS = 7 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export const WEEKDAYS_VI = ['Chủ nhật', 'thứ Hai', 'thứ Ba', 'thứ Tư', 'thứ Năm', 'thứ Sáu', 'thứ Bảy'] as const;

/** The local date of an instant in Vietnam. */
export function localDateOf(instant: Date): string {
  return new Date(instant.getTime() + OFFSET_MS).toISOString().slice(0, 10);
}

/** Minutes since local midnight in Vietnam. */
export function localMinutesOf(instant: Date): number {
  const local = new Date(instant.getTime() + OFFSET_MS);
  return local.getUTCHours() * 60 + local.getUTCMinutes();
}

export function parseHhmm(hhmm: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!m) throw new RangeError(`not a time of day: ${hhmm}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** The instant at which it is `hhmm` on `date` in Vietnam. */
export function atLocal(date: string, hhmm: string | number): Date {
  const minutes = typeof hhmm === 'number' ? hhmm : parseHhmm(hhmm);
  return new Date(Date.parse(`${date}T00:00:00Z`) - OFFSET_MS + minutes * 60_000);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from `a` to `b` (positive when b is later). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}

/** "thứ Tư, 25/11/2026" */
export function formatDateVi(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  return `${WEEKDAYS_VI[d.getUTCDay()]}, ${date.slice(8, 10)}/${date.slice(5, 7)}/${date.slice(0, 4)}`;
}

/** "08:00" */
export function formatTimeVi(instant: Date): string {
  const m = localMinutesOf(instant);
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** "thứ Tư, 25/11/2026 lúc 08:00" */
export function formatInstantVi(instant: Date): string {
  return `${formatDateVi(localDateOf(instant))} lúc ${formatTimeVi(instant)}`;
}

/** A real calendar date (rejects 2026-02-30). */
export function isRealDate(date: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return false;
  const t = Date.parse(`${date}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === date;
}
