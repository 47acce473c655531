/** Cell formatting shared by both tables: Vietnam time, stored answer values. */

const VIETNAM_OFFSET_MS = 7 * 60 * 60 * 1000;

const UTC_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;
/** Rows come in time order, so the shifted hour of the previous cell is nearly always the one needed. */
let lastUtcHour = '';
let lastVietnamHour = '';

/** "2026-11-22 10:05:00" in Vietnam time: sortable as text, and Excel reads it as a date and time. */
export function vietnamTimestamp(iso: string | null): string | null {
  if (iso === null) return null;
  if (UTC_ISO.test(iso)) {
    const utcHour = iso.slice(0, 13);
    if (utcHour !== lastUtcHour) {
      lastUtcHour = utcHour;
      lastVietnamHour = shift(`${utcHour}:00:00Z`).slice(0, 13);
    }
    return `${lastVietnamHour}${iso.slice(13, 19)}`;
  }
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : shift(iso).slice(0, 19);
}

function shift(iso: string): string {
  return new Date(Date.parse(iso) + VIETNAM_OFFSET_MS).toISOString().replace('T', ' ');
}

/** Answers store their normalised value as JSON (an option id, a number, a text or an ISO date). */
export function storedValue(json: string): string | number {
  try {
    const v: unknown = JSON.parse(json);
    if (typeof v === 'number' || typeof v === 'string') return v;
  } catch {
    // not JSON: keep the text as stored
  }
  return json;
}
