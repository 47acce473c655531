import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { drained, nextTurn } from './drain.ts';
import { type Cell, neutraliseCell } from './neutralise.ts';

/**
 * Streaming XLSX through exceljs' WorkbookWriter: each row is serialised and zipped as it comes, so
 * memory does not grow with the number of rows.
 *
 * - Styles are off: with them on, exceljs renders and hashes a style for every cell (a sixth of the
 *   time); the header row is marked by a frozen pane and filter buttons instead of bold type.
 * - Shared strings are off: the shared-string table is held in memory until the end, which would
 *   grow with every distinct id, date and free text.
 * - Text is written as an inline string (t="inlineStr"): exceljs would otherwise write t="str",
 *   the type the format reserves for a formula's cached result. Neither kind has an <f> element, so
 *   no cell is ever a formula; the formula-injection prefix is still applied (see neutralise.ts),
 *   because Excel re-reads a text cell as a formula when someone edits it and presses Enter, and a
 *   sheet saved again as CSV loses the cell types altogether.
 * - Backpressure: exceljs writes each 64 KB of a sheet into the zip without looking at write()'s
 *   result, so every few hundred rows we yield and wait until the zip's input and the output drain.
 */

const ROWS_PER_CHECK = 256;

export interface SheetSpec {
  name: string;
  headers: string[];
  widths: number[];
}

export class XlsxWriter {
  private readonly workbook: ExcelJS.stream.xlsx.WorkbookWriter;
  private sheet: ExcelJS.Worksheet | undefined;
  private rowsSinceCheck = 0;

  /** Rejects when the output fails or closes early, so a wait on the zip cannot outlive its reader. */
  private readonly outputFailed: Promise<never>;

  constructor(private readonly output: Writable) {
    this.outputFailed = new Promise<never>((_, reject) => {
      output.once('error', reject);
      output.once('close', () => {
        if (!output.writableFinished) reject(new Error('the export output was closed before the export finished'));
      });
    });
    this.outputFailed.catch(() => undefined);
    this.workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output, useSharedStrings: false, useStyles: false });
    this.workbook.creator = 'xhht-bot';
  }

  startSheet(spec: SheetSpec): void {
    this.sheet?.commit();
    const sheet = this.workbook.addWorksheet(spec.name, { views: [{ state: 'frozen', ySplit: 1 }] });
    sheet.columns = spec.widths.map((width) => ({ width }));
    sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: spec.headers.length } };
    sheet.addRow(spec.headers.map(inlineText)).commit();
    this.sheet = sheet;
    this.rowsSinceCheck = 0;
  }

  row(cells: readonly Cell[]): Promise<void> | undefined {
    if (!this.sheet) throw new Error('startSheet() must come before row()');
    this.sheet.addRow(cells.map(toXlsxValue)).commit();
    if (++this.rowsSinceCheck < ROWS_PER_CHECK) return undefined;
    this.rowsSinceCheck = 0;
    return this.relieve();
  }

  async end(): Promise<void> {
    this.sheet?.commit();
    await this.workbook.commit();
  }

  private async relieve(): Promise<void> {
    await nextTurn();
    const zipInput = zipInputOf(this.sheet);
    if (zipInput?._writableState?.needDrain) {
      await Promise.race([new Promise<void>((resolve) => zipInput.once('drain', () => resolve())), this.outputFailed]);
    }
    await drained(this.output);
  }
}

type XlsxValue = number | ExcelJS.CellRichTextValue | null;

function toXlsxValue(cell: Cell): XlsxValue {
  const safe = neutraliseCell(cell);
  return typeof safe === 'string' ? inlineText(safe) : safe;
}

/** A one-run rich text is how exceljs writes an inline string without the shared-string table. */
function inlineText(text: string): ExcelJS.CellRichTextValue {
  return { richText: [{ text }] };
}

/** What exceljs 4.4 pipes a sheet into: archiver's PassThrough, from readable-stream (no writableNeedDrain). */
interface ZipInput {
  _writableState?: { needDrain?: boolean };
  once(event: 'drain', listener: () => void): unknown;
}

/**
 * The stream the zip reads the sheet from (the worksheet's StreamBuf pipes into one PassThrough
 * created by archiver). If a later exceljs moves it, we fall back to yielding only.
 */
function zipInputOf(sheet: ExcelJS.Worksheet | undefined): ZipInput | undefined {
  const pipes = (sheet as unknown as { stream?: { pipes?: unknown[] } } | undefined)?.stream?.pipes;
  const first = pipes?.[0] as Partial<ZipInput> | undefined;
  return first && typeof first.once === 'function' && typeof first._writableState === 'object' ? (first as ZipInput) : undefined;
}
