import type { Output } from '../../engine/types.ts';

/** Zalo's sendMessage takes 1–2000 characters. */
export const ZALO_MAX_TEXT = 2000;

export const CHOICE_HINT = '(Trả lời bằng số thứ tự hoặc nội dung)';

/**
 * One engine output → the texts to send, in order, each within Zalo's limit. The Bot Platform has
 * no buttons, so choices become numbered lines; the engine's parser accepts the number, the label,
 * or the label typed without diacritics. A `result` output is data for the store: the
 * human-readable result is a message of its own, so it renders to nothing.
 */
export function renderOutput(output: Output, max = ZALO_MAX_TEXT): string[] {
  if (output.kind !== 'message') return [];
  let text = output.text.trimEnd();
  if (output.choices && output.choices.length > 0) {
    const lines = output.choices.map((c, i) => `${i + 1}. ${c.label}`);
    text = `${text}\n\n${lines.join('\n')}\n${CHOICE_HINT}`;
  }
  return splitText(text, max);
}

/**
 * Splits a text into parts of at most `max` UTF-16 units (never more characters than Zalo counts).
 * Parts break at line ends; a line longer than `max` breaks at spaces, and only a single word
 * longer than `max` is cut inside (never inside a surrogate pair). Blank parts are dropped.
 */
export function splitText(text: string, max = ZALO_MAX_TEXT): string[] {
  if (max < 2) throw new RangeError('max must be at least 2');
  const parts: string[] = [];
  let current = '';
  const flush = () => {
    if (current.trim() !== '') parts.push(current.replace(/^\n+/, '').replace(/\s+$/, ''));
    current = '';
  };
  for (const line of text.split('\n')) {
    const candidate = current === '' ? line : `${current}\n${line}`;
    if (candidate.length <= max) {
      current = candidate;
      continue;
    }
    flush();
    if (line.length <= max) {
      current = line;
      continue;
    }
    // One line longer than a whole message: fill parts word by word.
    for (const word of line.split(' ')) {
      const next = current === '' ? word : `${current} ${word}`;
      if (next.length <= max) {
        current = next;
        continue;
      }
      flush();
      let rest = word;
      while (rest.length > max) {
        const cut = isHighSurrogate(rest.charCodeAt(max - 1)) ? max - 1 : max;
        parts.push(rest.slice(0, cut));
        rest = rest.slice(cut);
      }
      current = rest;
    }
  }
  flush();
  return parts;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
