import type { Writable } from 'node:stream';
import type { Flow } from '../flow/schema.ts';
import { ExportReader } from '../store/exportStore.ts';
import type { Store } from '../store/store.ts';
import { CsvWriter } from './csvWriter.ts';
import { type ExportFilters, exportFiltersSchema, type ExportScope, exportScopeSchema, toQueryFilters, toQueryScope } from './filters.ts';
import type { Cell } from './neutralise.ts';
import { createPseudonymiser } from './pseudonymise.ts';
import { buildLongTable, buildWideTable, type Table } from './tables.ts';
import { XlsxWriter } from './xlsxWriter.ts';

/** The export behind `xhht export` and the dashboard's downloads. */

export type ExportFormat = 'csv' | 'xlsx';
/** "responses": one row per response (wide); "answers": one row per answer (long). */
export type ExportTable = 'responses' | 'answers';

export interface ExportOptions {
  store: Store;
  /** The flows of FLOWS_DIR: they give the question and outcome columns and their headers. */
  flows: Flow[];
  filters?: ExportFilters | undefined;
  /** The caller's reach: a commune officer passes their commune codes; the province passes {}. */
  scope: ExportScope;
  format: ExportFormat;
  /** Ended when the export is complete (CSV to a shared stream such as stdout: set endOutput false). */
  output: Writable;
  endOutput?: boolean;
  /** CSV: which table goes to `output` (default "responses"). XLSX always holds both, one sheet each. */
  table?: ExportTable;
  /** CSV: when given, the answers table goes here, read from the same snapshot as `output`. */
  answersOutput?: Writable | undefined;
  /** Replaces person ids and free-text answers with HMAC tokens under this key (see resolvePseudonymKey). */
  pseudonymKey?: string | undefined;
}

export interface ExportCounts {
  responses: number;
  answers: number;
  /** Flows with responses in the export but no file in FLOWS_DIR: their answers are only in the long table. */
  unknownFlows: string[];
}

export const SHEET_NAMES = { responses: 'Phiếu trả lời', answers: 'Câu trả lời' } as const;

export async function exportResponses(options: ExportOptions): Promise<ExportCounts> {
  const filters = toQueryFilters(exportFiltersSchema.parse(options.filters ?? {}));
  const scope = toQueryScope(exportScopeSchema.parse(options.scope));
  const pseudonymiser = options.pseudonymKey ? createPseudonymiser(options.pseudonymKey) : undefined;
  const reader = new ExportReader(options.store);
  const outputs = [options.output, options.answersOutput].filter((o): o is Writable => o !== undefined);
  try {
    const flowIds = reader.flowIds(filters, scope);
    const present = options.flows.filter((f) => flowIds.includes(f.id));
    const known = new Set(options.flows.map((f) => f.id));
    const counts: ExportCounts = { responses: 0, answers: 0, unknownFlows: flowIds.filter((id) => !known.has(id)) };
    const wide = buildWideTable(present, pseudonymiser);
    const long = buildLongTable(options.flows, pseudonymiser);

    if (options.format === 'xlsx') {
      const xlsx = new XlsxWriter(options.output);
      xlsx.startSheet({ name: SHEET_NAMES.responses, headers: wide.headers, widths: wide.widths });
      counts.responses = await pour(reader.wideRows(filters, scope), wide, xlsx);
      xlsx.startSheet({ name: SHEET_NAMES.answers, headers: long.headers, widths: long.widths });
      counts.answers = await pour(reader.longRows(filters, scope), long, xlsx);
      await xlsx.end();
      return counts;
    }

    const endOutput = options.endOutput ?? true;
    if ((options.table ?? 'responses') === 'answers') {
      counts.answers = await pourCsv(reader.longRows(filters, scope), long, options.output, endOutput);
      return counts;
    }
    counts.responses = await pourCsv(reader.wideRows(filters, scope), wide, options.output, endOutput);
    if (options.answersOutput) counts.answers = await pourCsv(reader.longRows(filters, scope), long, options.answersOutput, true);
    return counts;
  } catch (err) {
    // A half-written file must not pass for a complete one: the reader of the stream sees the error.
    for (const o of outputs) if (!o.destroyed && o !== process.stdout) o.destroy(err as Error);
    throw err;
  } finally {
    reader.close();
  }
}

interface RowSink {
  row(cells: readonly Cell[]): Promise<void> | undefined;
}

async function pour<Row>(rows: IterableIterator<Row>, table: Table<Row>, sink: RowSink): Promise<number> {
  let n = 0;
  for (const row of rows) {
    const wait = sink.row(table.cells(row));
    if (wait) await wait;
    n++;
  }
  return n;
}

async function pourCsv<Row>(rows: IterableIterator<Row>, table: Table<Row>, output: Writable, endOutput: boolean): Promise<number> {
  const csv = new CsvWriter(output);
  csv.row(table.headers);
  const n = await pour(rows, table, csv);
  await csv.end(endOutput);
  return n;
}
