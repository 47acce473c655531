import { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvField, csvLine } from '../../src/export/csvWriter.ts';
import { type ExportOptions, exportResponses, SHEET_NAMES } from '../../src/export/exportResponses.ts';
import type { ExportFilters } from '../../src/export/filters.ts';
import { Collector, CITIZEN_FLOW, createFixture, type Fixture, flows, INJECTIONS, parseCsv, PHONE, removeTempDirs, UNIT_FLOW } from './fixture.ts';

let fx: Fixture;
beforeAll(() => {
  fx = createFixture();
});
afterAll(() => {
  fx.store.close();
  removeTempDirs();
});

async function csv(options: Partial<ExportOptions> = {}): Promise<{ text: string; answers?: string }> {
  const output = new Collector({ highWaterMark: 1024 });
  const answersOutput = options.table === 'answers' ? undefined : new Collector();
  await exportResponses({ store: fx.store, flows, scope: {}, format: 'csv', output, answersOutput, ...options });
  return { text: output.text, ...(answersOutput ? { answers: answersOutput.text } : {}) };
}

async function responseIds(filters: ExportFilters, scope: { communeCodes?: string[] } = {}): Promise<number[]> {
  const { text, answers } = await csv({ filters, scope });
  const ids = parseCsv(text).map((r) => Number(r['Mã phiếu']));
  // The answers file must always cover exactly the same responses.
  const answerIds = [...new Set(parseCsv(answers!).map((r) => Number(r['Mã phiếu'])))];
  expect(answerIds).toEqual(ids);
  return ids;
}

async function xlsx(options: Partial<ExportOptions> = {}): Promise<ExcelJS.Workbook> {
  const output = new Collector({ highWaterMark: 4096 });
  await exportResponses({ store: fx.store, flows, scope: {}, format: 'xlsx', output, ...options });
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(output.buffer as unknown as ExcelJS.Buffer);
  return workbook;
}

/** Each row as header → cell, for the rows after the header row. */
function sheetRows(sheet: ExcelJS.Worksheet): Array<Map<string, ExcelJS.Cell>> {
  const headers = (sheet.getRow(1).values as unknown[]).map((v) => cellText(v));
  const rows: Array<Map<string, ExcelJS.Cell>> = [];
  sheet.eachRow((row, n) => {
    if (n === 1) return;
    const map = new Map<string, ExcelJS.Cell>();
    headers.forEach((h, col) => col > 0 && map.set(h, row.getCell(col)));
    rows.push(map);
  });
  return rows;
}

function cellText(v: unknown): string {
  if (v && typeof v === 'object' && 'richText' in v) return (v as ExcelJS.CellRichTextValue).richText.map((r) => r.text).join('');
  return v === null || v === undefined ? '' : String(v);
}

const all = (f: Fixture) => Object.values(f.ids).flat().sort((a, b) => a - b);

describe('CSV', () => {
  it('starts with a BOM, uses CRLF and Vietnamese headers from the flows', async () => {
    const { text, answers } = await csv({ filters: { flowId: CITIZEN_FLOW } });
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(answers!.startsWith('\uFEFF')).toBe(true);
    const header = text.slice(1, text.indexOf('\r\n'));
    expect(header).not.toContain('\n');
    expect(header.split(',').slice(0, 3)).toEqual(['Mã phiếu', 'Kênh', 'Người trả lời (mã trên kênh)']);
    expect(header).toContain('Nhóm đối tượng [group]');
    expect(header).toContain('Xã/phường nơi cư trú [commune]');
    expect(header).toContain('TC1 – Năng lực tự học và học tập suốt đời');
    expect(header).toContain('"CS1 – Đọc, cập nhật thông tin và tri thức (điểm)"');
    // One flow: no flow prefix on its columns, and no columns of the other flow.
    expect(header).not.toContain(UNIT_FLOW);
    expect(text.split('\r\n').length - 2).toBe(parseCsv(text).length);
    const answerHeaders = Object.keys(parseCsv(answers!)[0]!);
    expect(answerHeaders).toEqual([
      'Mã phiếu',
      'Mã biểu mẫu',
      'Phiên bản biểu mẫu',
      'Mã câu hỏi',
      'Câu hỏi (như đã hỏi)',
      'Trả lời (nguyên văn)',
      'Giá trị chuẩn hóa',
      'Trả lời lúc (giờ Việt Nam)',
      'Bị thay thế lúc (giờ Việt Nam)',
    ]);
  });

  it('prefixes each flow’s columns with its id when several flows are exported', async () => {
    const header = (await csv()).text.split('\r\n')[0]!;
    expect(header).toContain(`${CITIZEN_FLOW} · Nhóm đối tượng [group]`);
    expect(header).toContain(`${UNIT_FLOW} · `);
  });

  it('neutralises every formula trigger and keeps the phone number as text', async () => {
    const rows = parseCsv((await csv({ filters: { flowId: CITIZEN_FLOW } })).text);
    const byId = new Map(rows.map((r) => [Number(r['Mã phiếu']), r]));
    INJECTIONS.forEach((payload, i) => {
      const row = byId.get(fx.ids.injections[i]!)!;
      expect(row['Xã/phường']).toBe(`'${payload}`);
      expect(row['Xã/phường nơi cư trú [commune]']).toBe(`'${payload}`);
    });
    expect(byId.get(fx.ids.phone)!['Xã/phường']).toBe(`'${PHONE}`);
    // Readable values are untouched.
    expect(byId.get(fx.ids.negative)!['Nhóm đối tượng [group]']).toBe('Nông dân, lao động nông thôn');
    expect(byId.get(fx.ids.negative)!['Xã/phường']).toBe('Phường Ba Đình');
  });

  it('writes numbers as numbers: a negative value keeps its minus sign and gets no quote', async () => {
    const { answers } = await csv({ filters: { flowId: CITIZEN_FLOW } });
    const balance = parseCsv(answers!).find((r) => r['Mã câu hỏi'] === 'balance')!;
    expect(balance['Giá trị chuẩn hóa']).toBe('-5');
    expect(balance['Trả lời (nguyên văn)']).toBe("'-5"); // what the person typed is text
    expect(answers).toContain(',-5,');
  });

  it('encodes fields per RFC 4180 and the OWASP rule', () => {
    expect(csvField(-2)).toBe('-2');
    expect(csvField(3.5)).toBe('3.5');
    expect(csvField('-2')).toBe("'-2");
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('@cmd')).toBe("'@cmd");
    expect(csvField('\t=1')).toBe("'\t=1");
    expect(csvField('\r=1')).toBe('"\'\r=1"');
    expect(csvField('a "b", c')).toBe('"a ""b"", c"');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField(' =1')).toBe(' =1');
    expect(csvField('1+1')).toBe('1+1');
    expect(csvField(null)).toBe('');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvLine(['a', 1, null])).toBe('a,1,\r\n');
  });

  it('marks replaced submissions and shows times in Vietnam time', async () => {
    const rows = parseCsv((await csv({ filters: { unitId: 'U1' } })).text);
    const old = rows.find((r) => Number(r['Mã phiếu']) === fx.ids.unit1Old)!;
    const current = rows.find((r) => Number(r['Mã phiếu']) === fx.ids.unit1New)!;
    expect(old['Trạng thái']).toBe('Đã nộp (đã có bản nộp sau thay thế)');
    expect(old['Bị thay thế lúc (giờ Việt Nam)']).toBe('2026-01-12 09:00:00');
    expect(current['Trạng thái']).toBe('Đã nộp');
    expect(current['Nộp lúc (giờ Việt Nam)']).toBe('2026-01-12 09:00:00');
    expect(current['Tên đơn vị']).toBe('Trường THCS Ba Đình');
    expect(current['Xã/phường']).toBe('Phường Ba Đình');
    expect(current['Mã xã/phường']).toBe('C01');
    expect(current['Loại đơn vị']).toBe('Cơ sở giáo dục phổ thông');
    expect(current['Mức đạt']).toBe('Mức 1');
    // Question columns are named by the flow's short label and end with the question id.
    const byQuestion = (id: string) => current[Object.keys(current).find((k) => k.endsWith(`[${id}]`))!];
    expect(byQuestion('thanh_vien')).toBe('40');
    expect(byQuestion('tc1_1')).toBe('Có');
  });

  it('keeps superseded answers in the answers table, marked', async () => {
    const { store } = fx;
    const responseId = fx.ids.inProgress;
    store.transaction(() =>
      store.recordAnswer({ responseId, flowId: CITIZEN_FLOW, flowVersion: '2026.1', questionId: 'q1', questionText: 'Câu hỏi q1?', raw: '2', value: 'weekly', now: '2026-06-10T04:00:00.000Z' }),
    );
    const { text, answers } = await csv({ filters: { flowId: CITIZEN_FLOW } });
    const q1 = parseCsv(answers!).filter((r) => Number(r['Mã phiếu']) === responseId && r['Mã câu hỏi'] === 'q1');
    expect(q1.map((r) => [r['Giá trị chuẩn hóa'], r['Bị thay thế lúc (giờ Việt Nam)']])).toEqual([
      ['daily', '2026-06-10 11:00:00'],
      ['weekly', ''],
    ]);
    const wide = parseCsv(text).find((r) => Number(r['Mã phiếu']) === responseId)!;
    expect(wide['Đọc, cập nhật thông tin [q1]']).toBe('Vài lần mỗi tuần');
    expect(wide['Trạng thái']).toBe('Đang làm');
  });
});

describe('filters', () => {
  it('without filters exports every response', async () => {
    expect(await responseIds({})).toEqual(all(fx));
  });

  it('--flow', async () => {
    expect(await responseIds({ flowId: UNIT_FLOW })).toEqual([fx.ids.unit1Old, fx.ids.unit1New, fx.ids.unit2]);
  });

  it('--period matches submissions of that year (Vietnam time)', async () => {
    expect(await responseIds({ period: '2025' })).toEqual([fx.ids.unit1Old, fx.ids.unit1New, fx.ids.unit2]);
    const y2026 = await responseIds({ period: '2026', flowId: CITIZEN_FLOW });
    expect(y2026).toContain(fx.ids.newYearsEve);
    expect(y2026).not.toContain(fx.ids.inProgress);
  });

  it('--from and --to are Vietnam calendar days, both included', async () => {
    expect(await responseIds({ from: '2026-01-01', to: '2026-01-01' })).toEqual([fx.ids.newYearsEve]);
    expect(await responseIds({ to: '2025-12-31' })).toEqual([]);
    expect(await responseIds({ from: '2026-05-08', to: '2026-05-09' })).toEqual([fx.ids.phone, fx.ids.negative]);
    // Never submitted: dated by its start.
    expect(await responseIds({ from: '2026-06-10' })).toEqual([fx.ids.inProgress, fx.ids.cancelled]);
  });

  it('--commune and --unit', async () => {
    expect(await responseIds({ communeCode: 'C02' })).toEqual([fx.ids.unit2]);
    expect(await responseIds({ unitId: 'U1' })).toEqual([fx.ids.unit1Old, fx.ids.unit1New]);
    expect(await responseIds({ unitId: 'U1', communeCode: 'C02' })).toEqual([]);
  });

  it('rejects malformed filters', async () => {
    await expect(csv({ filters: { from: '2026-02-30' } })).rejects.toThrow(/YYYY-MM-DD/);
    await expect(csv({ filters: { from: '2026-03-02', to: '2026-03-01' } })).rejects.toThrow(/after --to/);
    await expect(csv({ filters: { period: '25' } as ExportFilters })).rejects.toThrow(/YYYY/);
    await expect(csv({ filters: { flowId: "x' OR 1=1 --" } })).rejects.toThrow(/flow id/);
  });
});

describe('scope', () => {
  it('a commune officer gets only units of their communes, never citizens, in both tables and formats', async () => {
    expect(await responseIds({}, { communeCodes: ['C01'] })).toEqual([fx.ids.unit1Old, fx.ids.unit1New]);
    expect(await responseIds({ flowId: CITIZEN_FLOW }, { communeCodes: ['C01', 'C02'] })).toEqual([]);
    expect(await responseIds({ communeCode: 'C02' }, { communeCodes: ['C01'] })).toEqual([]);
    expect(await responseIds({ unitId: 'U2' }, { communeCodes: ['C01'] })).toEqual([]);
    expect(await responseIds({}, { communeCodes: [] })).toEqual([]);
    const { answers } = await csv({ scope: { communeCodes: ['C01'] } });
    expect(answers).not.toContain('Phường Ba Đình'); // a citizen's free-text commune
    const book = await xlsx({ scope: { communeCodes: ['C02'] } });
    const ids = sheetRows(book.getWorksheet(SHEET_NAMES.responses)!).map((r) => r.get('Mã phiếu')!.value);
    expect(ids).toEqual([fx.ids.unit2]);
    const answerIds = new Set(sheetRows(book.getWorksheet(SHEET_NAMES.answers)!).map((r) => r.get('Mã phiếu')!.value));
    expect([...answerIds]).toEqual([fx.ids.unit2]);
  });

  it('the province scope is everything', async () => {
    expect(await responseIds({}, {})).toEqual(all(fx));
  });
});

describe('XLSX', () => {
  it('has both sheets with the expected rows; text is never a formula; numbers stay numbers', async () => {
    const book = await xlsx({ filters: { flowId: CITIZEN_FLOW } });
    expect(book.worksheets.map((s) => s.name)).toEqual([SHEET_NAMES.responses, SHEET_NAMES.answers]);
    const responses = sheetRows(book.getWorksheet(SHEET_NAMES.responses)!);
    const expected = all(fx).filter((id) => ![fx.ids.unit1Old, fx.ids.unit1New, fx.ids.unit2].includes(id));
    expect(responses.map((r) => r.get('Mã phiếu')!.value)).toEqual(expected);
    const answers = sheetRows(book.getWorksheet(SHEET_NAMES.answers)!);
    expect(answers.length).toBe((await csv({ filters: { flowId: CITIZEN_FLOW } })).answers!.trim().split('\r\n').length - 1);

    for (const sheet of book.worksheets) {
      sheet.eachRow((row) =>
        row.eachCell((cell) => {
          expect(cell.type).not.toBe(ExcelJS.ValueType.Formula);
          expect(cell.formula).toBeUndefined();
        }),
      );
    }
    const byId = new Map(responses.map((r) => [r.get('Mã phiếu')!.value as number, r]));
    INJECTIONS.forEach((payload, i) => {
      const cell = byId.get(fx.ids.injections[i]!)!.get('Xã/phường')!;
      expect(cell.type).toBe(ExcelJS.ValueType.RichText);
      // XML turns a carriage return into a line feed (Excel's own line break in a cell); the quote stays first.
      expect(cell.text).toBe(`'${payload.replace('\r', '\n')}`);
    });
    expect(byId.get(fx.ids.phone)!.get('Xã/phường')!.text).toBe(`'${PHONE}`);
    expect(byId.get(fx.ids.phone)!.get('Mã phiếu')!.type).toBe(ExcelJS.ValueType.Number);
    expect(byId.get(fx.ids.phone)!.get('Điểm')!.value).toBe(80);
    expect(byId.get(fx.ids.phone)!.get('CS1 – Đọc, cập nhật thông tin và tri thức (điểm)')!.value).toBe(8);
    const balance = answers.find((r) => r.get('Mã câu hỏi')!.text === 'balance')!;
    expect(balance.get('Giá trị chuẩn hóa')!.value).toBe(-5);
  });

  it('writes inline strings, never the shared-string table', async () => {
    const output = new Collector();
    await exportResponses({ store: fx.store, flows, scope: {}, format: 'xlsx', output, filters: { flowId: UNIT_FLOW } });
    const zip = output.buffer.toString('latin1');
    expect(zip).toContain('xl/worksheets/sheet1.xml');
    expect(zip).toContain('xl/worksheets/sheet2.xml');
    expect(zip).not.toContain('xl/sharedStrings.xml');
  });
});

describe('a failing output', () => {
  class Breaking extends Writable {
    private written = 0;
    override _write(chunk: Buffer, _e: BufferEncoding, callback: (error?: Error | null) => void): void {
      this.written += chunk.length;
      setImmediate(() => callback(this.written > 2000 ? new Error('client went away') : null));
    }
  }

  it.each(['csv', 'xlsx'] as const)('stops a %s export with the error instead of hanging', async (format) => {
    const output = new Breaking({ highWaterMark: 256 });
    output.on('error', () => undefined);
    await expect(exportResponses({ store: fx.store, flows, scope: {}, format, output })).rejects.toThrow(/client went away|closed/);
  });
});
