/**
 * Formula-injection defence (OWASP "CSV Injection"): a text cell that starts with = + - @, a tab or a
 * carriage return gets a leading single quote, so no spreadsheet reads it as a formula.
 *
 * Only text is touched. Numbers are written as numbers by the CSV and XLSX writers, never through
 * here, so -2 stays the number -2 while the text "-2+3" becomes "'-2+3". A phone number typed as text,
 * "+84 912 345 678", becomes "'+84 912 345 678": still text, its digits intact, and the quote is
 * removable by anyone who needs the bare value (it is only ever added before those six characters).
 */

export type Cell = string | number | null;

const FORMULA_TRIGGER = /^[=+\-@\t\r]/;

export function neutralise(text: string): string {
  return FORMULA_TRIGGER.test(text) ? `'${text}` : text;
}

/** Numbers pass unchanged (NaN and infinities become empty cells: no spreadsheet can hold them). */
export function neutraliseCell(cell: Cell): Cell {
  if (cell === null) return null;
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : null;
  return neutralise(cell);
}
