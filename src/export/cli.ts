import { createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../config.ts';
import { loadFlowsOrThrow } from '../flow/load.ts';
import { Store } from '../store/store.ts';
import { exportResponses } from './exportResponses.ts';
import { exportFiltersSchema } from './filters.ts';
import { resolvePseudonymKey } from './pseudonymise.ts';

/** The lines for the main usage text of `xhht` (src/cli/main.ts). */
export const EXPORT_USAGE_LINES = `  xhht export [--format csv|xlsx] [--flow ID] [--period YYYY] [--from DATE] [--to DATE]
              [--commune CODE] [--unit ID] [--out FILE] [--long] [--pseudonymise] [--db PATH]
                                 export responses and answers for Excel (xhht export --help)`;

export const EXPORT_USAGE = `Usage:
  xhht export [--format csv|xlsx] [--flow ID] [--period YYYY] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
              [--commune CODE] [--unit ID] [--out FILE] [--long] [--pseudonymise] [--db PATH]

  --format        csv (default, or xlsx when FILE ends in .xlsx) or xlsx
  --flow          only this flow (e.g. cong-dan-hoc-tap)
  --period        only submissions for this year
  --from, --to    Vietnam calendar days, both included; a response is dated by its submission,
                  or by its start when it was never submitted
  --commune       only units of this commune (citizens have no commune code yet)
  --unit          only this unit
  --out           the file to write. XLSX: required; one sheet per table. CSV: FILE gets one row per
                  response and FILE-answers.csv (FILE without .csv, plus -answers.csv) one row per answer.
                  Without --out, CSV goes to standard output.
  --long          CSV only: write just the table of answers (one row per answer) to FILE or stdout
  --pseudonymise  replace person ids and free-text answers with stable tokens (EXPORT_PSEUDONYM_KEY)
  --db            database file (default: DB_PATH)`;

const argsSchema = z
  .object({
    format: z.enum(['csv', 'xlsx'], { message: 'must be csv or xlsx' }).optional(),
    out: z.string().min(1, 'must not be empty').optional(),
    long: z.boolean(),
    pseudonymise: z.boolean(),
    db: z.string().min(1, 'must not be empty').optional(),
  })
  .transform((a) => ({ ...a, format: a.format ?? (a.out && /\.xlsx$/i.test(a.out) ? 'xlsx' : 'csv') }))
  .superRefine((a, ctx) => {
    if (a.format === 'xlsx' && !a.out) ctx.addIssue({ code: 'custom', path: ['out'], message: 'is required for XLSX (a workbook cannot go to a terminal)' });
    if (a.format === 'xlsx' && a.long) ctx.addIssue({ code: 'custom', path: ['long'], message: 'applies to CSV only: an XLSX file holds both tables' });
  });

const OPTION_OF: Record<string, string> = { flowId: 'flow', communeCode: 'commune', unitId: 'unit' };

class UsageError extends Error {}

/** `xhht export …`: 0 when written, 2 on bad arguments, 1 when the export itself failed. */
export async function exportCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${EXPORT_USAGE}\n`);
    return 0;
  }
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(args);
  } catch (err) {
    if (err instanceof UsageError || (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`${err.message}\n\n${EXPORT_USAGE}\n`);
      return 2;
    }
    throw err;
  }
  const { options, filters } = parsed;
  const config = loadConfig(options.db ? { DB_PATH: options.db } : {});
  if (config.dbPath !== ':memory:' && !existsSync(config.dbPath)) {
    process.stderr.write(`Database not found: ${config.dbPath} (set DB_PATH or pass --db).\n`);
    return 1;
  }
  const flows = loadFlowsOrThrow(config.flowsDir);
  const store = new Store(config.dbPath, { synchronous: config.dbSynchronous });
  const files = new PendingFiles();
  try {
    const pseudonymKey = options.pseudonymise ? resolvePseudonymKey(store, config.exportPseudonymKey) : undefined;
    const common = { store, flows, filters, scope: {}, pseudonymKey };
    let written: string;
    let counts;
    if (options.format === 'xlsx') {
      counts = await exportResponses({ ...common, format: 'xlsx', output: files.open(options.out!) });
      written = options.out!;
    } else if (!options.out) {
      counts = await exportResponses({ ...common, format: 'csv', output: process.stdout, endOutput: false, table: options.long ? 'answers' : 'responses' });
      written = 'standard output';
    } else if (options.long) {
      counts = await exportResponses({ ...common, format: 'csv', output: files.open(options.out), table: 'answers' });
      written = options.out;
    } else {
      const answersPath = answersPathFor(options.out);
      counts = await exportResponses({ ...common, format: 'csv', output: files.open(options.out), answersOutput: files.open(answersPath) });
      written = `${options.out} and ${answersPath}`;
    }
    await files.commit();
    for (const id of counts.unknownFlows) {
      process.stderr.write(`Note: flow "${id}" is not in ${config.flowsDir}; its answers are only in the table of answers.\n`);
    }
    process.stderr.write(`Exported ${counts.responses} response(s) and ${counts.answers} answer(s) to ${written}.\n`);
    return 0;
  } catch (err) {
    files.abandon();
    process.stderr.write(`Export failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    store.close();
  }
}

function parseCommandLine(args: string[]) {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      format: { type: 'string' },
      flow: { type: 'string' },
      period: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      commune: { type: 'string' },
      unit: { type: 'string' },
      out: { type: 'string' },
      long: { type: 'boolean', default: false },
      pseudonymise: { type: 'boolean', default: false },
      db: { type: 'string' },
    },
  });
  const options = argsSchema.safeParse(values);
  if (!options.success) throw new UsageError(describe(options.error));
  const filters = exportFiltersSchema.safeParse({
    flowId: values.flow,
    period: values.period,
    from: values.from,
    to: values.to,
    communeCode: values.commune,
    unitId: values.unit,
  });
  if (!filters.success) throw new UsageError(describe(filters.error));
  return { options: options.data, filters: filters.data };
}

function describe(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const key = String(issue.path[0] ?? '');
      return `--${OPTION_OF[key] ?? key}: ${issue.message}`;
    })
    .join('\n');
}

/** report.csv → report-answers.csv */
export function answersPathFor(out: string): string {
  return `${out.replace(/\.csv$/i, '')}-answers.csv`;
}

/** Files are written under a temporary name and renamed when complete, so a failed export leaves nothing. */
class PendingFiles {
  private readonly files: Array<{ final: string; temp: string; stream: Writable }> = [];

  open(final: string): Writable {
    const temp = `${final}.partial-${process.pid}`;
    const stream = createWriteStream(temp);
    this.files.push({ final, temp, stream });
    return stream;
  }

  async commit(): Promise<void> {
    for (const f of this.files) await finished(f.stream);
    for (const f of this.files) renameSync(f.temp, f.final);
  }

  abandon(): void {
    for (const f of this.files) {
      f.stream.destroy();
      rmSync(f.temp, { force: true });
    }
  }
}
