/**
 * Vietnamese text handling shared by every channel: people type with or without diacritics,
 * in NFC or NFD (some Android keyboards), with "," as the decimal separator.
 */

export function nfc(text: string): string {
  return text.normalize('NFC');
}

/** The last text folded and its fold: a turn asks for the same text's fold about five times in a row. */
let lastText: string | undefined;
let lastFolded = '';

/** Lower-case, no diacritics, "đ" → "d", single spaces, no surrounding punctuation. For matching only. */
export function fold(text: string): string {
  if (text === lastText) return lastFolded;
  const folded = text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[.!?,;:"'“”‘’()[\]]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  lastText = text;
  lastFolded = folded;
  return folded;
}

/** Collapses whitespace and trims, keeping diacritics. */
export function tidy(text: string): string {
  return nfc(text).replace(/\s+/g, ' ').trim();
}

export type NumberParse =
  | { ok: true; value: number; percent: boolean }
  | { ok: false; reason: 'empty' | 'not_a_number' };

/**
 * Parses "12", "1.234" (thousands), "1 234", "85,5", "85.5", "1.234,5", "85%".
 * A lone "." followed by exactly three digits is read as a thousands separator, the Vietnamese habit.
 */
export function parseNumber(text: string): NumberParse {
  let s = tidy(text).replace(/\s+/g, '');
  if (s === '') return { ok: false, reason: 'empty' };
  let percent = false;
  if (s.endsWith('%')) {
    percent = true;
    s = s.slice(0, -1);
  }
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('−')) {
    sign = -1;
    s = s.slice(1);
  } else if (s.startsWith('+')) {
    s = s.slice(1);
  }
  if (!/^[0-9.,]+$/.test(s) || !/[0-9]/.test(s)) return { ok: false, reason: 'not_a_number' };
  const dots = (s.match(/\./g) ?? []).length;
  const commas = (s.match(/,/g) ?? []).length;
  let normal: string;
  if (dots > 0 && commas > 0) {
    // Whichever comes last is the decimal separator: "1.234,5" or "1,234.5".
    const decimalSep = s.lastIndexOf(',') > s.lastIndexOf('.') ? ',' : '.';
    const thousandSep = decimalSep === ',' ? '.' : ',';
    if (s.split(decimalSep).length !== 2) return { ok: false, reason: 'not_a_number' };
    const [intPart = '', frac = ''] = s.split(decimalSep);
    if (!isGroupedThousands(intPart, thousandSep)) return { ok: false, reason: 'not_a_number' };
    normal = `${intPart.split(thousandSep).join('')}.${frac}`;
  } else if (commas > 0) {
    if (commas === 1) normal = s.replace(',', '.');
    else if (isGroupedThousands(s, ',')) normal = s.split(',').join('');
    else return { ok: false, reason: 'not_a_number' };
  } else if (dots > 0) {
    if (dots > 1) {
      if (!isGroupedThousands(s, '.')) return { ok: false, reason: 'not_a_number' };
      normal = s.split('.').join('');
    } else {
      const [, frac = ''] = s.split('.');
      normal = frac.length === 3 && !s.startsWith('0.') ? s.replace('.', '') : s;
    }
  } else {
    normal = s;
  }
  if (normal.startsWith('.') || normal.endsWith('.')) return { ok: false, reason: 'not_a_number' };
  const value = Number(normal) * sign;
  if (!Number.isFinite(value)) return { ok: false, reason: 'not_a_number' };
  return { ok: true, value, percent };
}

function isGroupedThousands(s: string, sep: string): boolean {
  const groups = s.split(sep);
  return (
    groups.length >= 2 &&
    /^[0-9]{1,3}$/.test(groups[0] ?? '') &&
    groups.slice(1).every((g) => /^[0-9]{3}$/.test(g))
  );
}

export type DateParse = { ok: true; iso: string } | { ok: false };

/** Parses dd/mm/yyyy (also d/m/yyyy, with "-" or "." as separators) into an ISO calendar date. */
export function parseDate(text: string): DateParse {
  const m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(tidy(text).replace(/\s+/g, ''));
  if (!m) return { ok: false };
  const day = Number(m[1]);
  const month = Number(m[2]);
  const year = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || year < 1900 || year > 2200) return { ok: false };
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return { ok: false };
  return { ok: true, iso: `${year}-${pad2(month)}-${pad2(day)}` };
}

export function formatDateVi(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${d}/${m}/${y}`;
}

export function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** "85,5" — Vietnamese decimal comma, at most two decimals, no trailing zeros. */
export function formatNumberVi(n: number): string {
  const rounded = Math.round(n * 100) / 100;
  const [int = '0', frac] = String(Math.abs(rounded)).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `${rounded < 0 ? '-' : ''}${grouped}${frac ? `,${frac}` : ''}`;
}

export function formatPercentVi(ratio: number): string {
  return `${formatNumberVi(ratio * 100)}%`;
}
