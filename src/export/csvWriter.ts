import type { Writable } from 'node:stream';
import { drained } from './drain.ts';
import { type Cell, neutraliseCell } from './neutralise.ts';

/**
 * RFC 4180 CSV for Excel: UTF-8 with a byte-order mark (without it Excel reads Vietnamese as
 * Windows-1252), CRLF line ends, quotes only where a field holds a quote, comma or line break.
 * Rows are gathered into chunks of about 64 KB, and a chunk waits for the output to drain.
 */

const BOM = '\uFEFF';
const CHUNK_CHARS = 64 * 1024;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(cell: Cell): string {
  const safe = neutraliseCell(cell);
  if (safe === null) return '';
  if (typeof safe === 'number') return String(safe);
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function csvLine(cells: readonly Cell[]): string {
  return `${cells.map(csvField).join(',')}\r\n`;
}

export class CsvWriter {
  private parts: string[] = [BOM];
  private chars = 0;

  constructor(private readonly output: Writable) {}

  /** Returns a promise only when the caller must wait (a full chunk met a busy output). */
  row(cells: readonly Cell[]): Promise<void> | undefined {
    const line = csvLine(cells);
    this.parts.push(line);
    this.chars += line.length;
    return this.chars >= CHUNK_CHARS ? this.flush() : undefined;
  }

  private async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.chars = 0;
    if (!this.output.write(chunk, 'utf8')) await drained(this.output);
  }

  /** Writes what is left; ends the output unless it is shared (stdout). */
  async end(endOutput: boolean): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (endOutput) this.output.end(done);
      else this.output.write('', done);
    });
  }
}
