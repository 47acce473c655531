import { existsSync, readFileSync } from 'node:fs';

/**
 * The log scan: which of the given values appear in a log text. Values are searched as written and
 * as JSON would escape them (pino writes JSON), so an escaped form cannot slip through.
 */
export function leaksIn(logText: string, values: string[]): string[] {
  const found = new Set<string>();
  for (const value of values) {
    if (value.length < 4) throw new Error(`"${value}" is too short to scan for without false alarms`);
    const escaped = JSON.stringify(value).slice(1, -1);
    const ascii = escaped.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    if (logText.includes(value) || logText.includes(escaped) || logText.includes(ascii)) found.add(value);
  }
  return [...found];
}

/** Reads log files (missing ones count as empty) and returns their text and line count. */
export function readLogs(...files: string[]): { text: string; lines: number } {
  const text = files
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  return { text, lines: text.split('\n').filter((l) => l.trim() !== '').length };
}
