/** Vietnam time (UTC+7, no daylight saving) for what people see; instants are stored in UTC ISO strings. */

export const VIETNAM_TZ = 'Asia/Ho_Chi_Minh';
const OFFSET_MS = 7 * 60 * 60 * 1000;

/** The calendar date in Vietnam of an instant, as yyyy-mm-dd. */
export function vietnamDate(instant: Date): string {
  return new Date(instant.getTime() + OFFSET_MS).toISOString().slice(0, 10);
}

export function vietnamYear(instant: Date): string {
  return vietnamDate(instant).slice(0, 4);
}

/** "thứ Hai, 25/11/2026 lúc 08:30" */
export function formatVietnamDateTime(instant: Date): string {
  const local = new Date(instant.getTime() + OFFSET_MS);
  const days = ['Chủ nhật', 'thứ Hai', 'thứ Ba', 'thứ Tư', 'thứ Năm', 'thứ Sáu', 'thứ Bảy'];
  const dd = String(local.getUTCDate()).padStart(2, '0');
  const mm = String(local.getUTCMonth() + 1).padStart(2, '0');
  const hh = String(local.getUTCHours()).padStart(2, '0');
  const mi = String(local.getUTCMinutes()).padStart(2, '0');
  return `${days[local.getUTCDay()]}, ${dd}/${mm}/${local.getUTCFullYear()} lúc ${hh}:${mi}`;
}
