/**
 * JSON.parse that keeps integers beyond Number.MAX_SAFE_INTEGER exact, as strings. Zalo user and
 * message ids are 18–19 digit numbers; if a body ever carries one unquoted, plain JSON.parse would
 * round it to a different id (and a different person). Node 20 has no reviver source access, so the
 * text is scanned once and such literals are quoted before parsing. Throws SyntaxError like JSON.parse.
 */
export function parseJsonKeepingLargeIntegers(text: string): unknown {
  let out = '';
  let last = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      // Skip a string literal, honouring escapes.
      i++;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === 0x5c /* \ */) i += 2;
        else if (c === 0x22) break;
        else i++;
      }
      i++;
      continue;
    }
    if (ch === 0x2d /* - */ || (ch >= 0x30 && ch <= 0x39)) {
      const start = i;
      i++;
      while (i < n && /[0-9eE.+-]/.test(text[i]!)) i++;
      const literal = text.slice(start, i);
      if (/^-?\d{16,}$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
        out += `${text.slice(last, start)}"${literal}"`;
        last = i;
      }
      continue;
    }
    i++;
  }
  return JSON.parse(last === 0 ? text : out + text.slice(last));
}
