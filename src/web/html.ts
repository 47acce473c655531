/**
 * HTML built with a tagged template that escapes every interpolated value unless it is already
 * markup made by this same tag. Synchronous and strictly typed (hono/html's tag may return a Promise).
 */

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
}

function render(v: HtmlValue): string {
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false || v === true) return '';
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** Marks trusted markup (constants written in this code base only, never user data). */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/** `selected`/`checked` attributes without string juggling at call sites. */
export function attrIf(condition: boolean, name: string): Html {
  return new Html(condition ? ` ${name}` : '');
}
