import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { answersPathFor, exportCommand } from '../../src/export/cli.ts';
import { SHEET_NAMES } from '../../src/export/exportResponses.ts';
import { ROOT } from '../helpers/flows.ts';
import { CITIZEN_FLOW, createFixture, type Fixture, parseCsv, removeTempDirs } from './fixture.ts';

let fx: Fixture;
beforeAll(() => {
  fx = createFixture();
});
afterAll(() => {
  fx.store.close();
  removeTempDirs();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/export/runExportCli.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, DB_PATH: fx.dbPath, EXPORT_PSEUDONYM_KEY: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`export ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('xhht export', () => {
  it('writes CSV to standard output, and the answers table with --long', async () => {
    const wide = await run(['--flow', CITIZEN_FLOW]);
    expect(wide.code).toBe(0);
    expect(wide.stdout.startsWith('\uFEFF')).toBe(true);
    expect(parseCsv(wide.stdout).every((r) => r['Mã biểu mẫu'] === CITIZEN_FLOW)).toBe(true);
    expect(wide.stderr).toMatch(/^Exported 11 response\(s\) and 0 answer\(s\) to standard output\.$/m);
    const long = await run(['--long', '--unit', 'U2', '--db', fx.dbPath]);
    expect(long.code).toBe(0);
    expect(parseCsv(long.stdout).map((r) => r['Mã câu hỏi'])).toEqual(['thanh_vien', 'tc1_1']);
  });

  it('writes FILE and FILE-answers.csv, or one XLSX with both sheets, and leaves no partial file', async () => {
    const dir = dirname(fx.dbPath);
    const csvPath = join(dir, 'report.csv');
    const csv = await run(['--format', 'csv', '--out', csvPath, '--commune', 'C01']);
    expect(csv.code).toBe(0);
    expect(parseCsv(readFileSync(csvPath, 'utf8')).map((r) => Number(r['Mã phiếu']))).toEqual([fx.ids.unit1Old, fx.ids.unit1New]);
    expect(parseCsv(readFileSync(join(dir, 'report-answers.csv'), 'utf8'))).toHaveLength(4);

    const xlsxPath = join(dir, 'report.xlsx');
    const xlsx = await run(['--out', xlsxPath, '--pseudonymise']);
    expect(xlsx.code).toBe(0);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(xlsxPath);
    expect(book.worksheets.map((s) => s.name)).toEqual([SHEET_NAMES.responses, SHEET_NAMES.answers]);
    expect(book.getWorksheet(SHEET_NAMES.responses)!.rowCount).toBe(1 + Object.values(fx.ids).flat().length);
    const text = readFileSync(xlsxPath);
    expect(text.length).toBeGreaterThan(0);
    expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([]);
  });

  it('keeps pseudonyms stable between runs with the key it stored', async () => {
    const first = await run(['--pseudonymise']);
    const second = await run(['--pseudonymise']);
    expect(first.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    for (const id of fx.externalIds) expect(first.stdout).not.toContain(id);
    const keyed = await run(['--pseudonymise'], { EXPORT_PSEUDONYM_KEY: 'k'.repeat(32) });
    expect(keyed.stdout).not.toBe(first.stdout);
  });
});

describe('xhht export with bad arguments', () => {
  it.each([
    [['--format', 'pdf'], /--format: must be csv or xlsx/],
    [['--from', '2026-13-01'], /--from: must be a date as YYYY-MM-DD/],
    [['--to', '2026-02-29'], /--to: must be a date as YYYY-MM-DD/],
    [['--from', '2026-03-02', '--to', '2026-03-01'], /--from: must not be after --to/],
    [['--period', '26'], /--period: must be a year as YYYY/],
    [['--unit', 'a b'], /--unit: must be a unit id/],
    [['--format', 'xlsx'], /--out: is required for XLSX/],
    [['--out', 'x.xlsx', '--long'], /--long: applies to CSV only/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--flow'], /argument missing/],
  ])('%j exits with 2 and says why in English', async (args, message) => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await exportCommand(args)).toBe(2);
      const said = stderr.mock.calls.map((c) => String(c[0])).join('');
      expect(said).toMatch(message);
      expect(said).toContain('Usage:');
    } finally {
      stderr.mockRestore();
    }
  });

  it('exits with 1 when the database does not exist, and creates none', async () => {
    const missing = join(dirname(fx.dbPath), 'missing.sqlite');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await exportCommand(['--db', missing])).toBe(1);
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(/Database not found/);
      expect(existsSync(missing)).toBe(false);
    } finally {
      stderr.mockRestore();
    }
  });

  it('names the answers file after the responses file', () => {
    expect(answersPathFor('out/report.csv')).toBe('out/report-answers.csv');
    expect(answersPathFor('report.CSV')).toBe('report-answers.csv');
    expect(answersPathFor('report')).toBe('report-answers.csv');
  });
});
