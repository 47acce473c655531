import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import type { FlowResult } from '../../src/engine/types.ts';
import { loadFlowsOrThrow } from '../../src/flow/load.ts';
import { Store } from '../../src/store/store.ts';
import { ROOT } from '../helpers/flows.ts';
import { citizenResult, seedResponse } from './seed.ts';

/** A small province: two communes, two units, citizens with tricky answers, and unit submissions. */

export const flows = loadFlowsOrThrow(join(ROOT, 'flows'));
export const CITIZEN_FLOW = 'cong-dan-hoc-tap';
export const UNIT_FLOW = 'don-vi-hoc-tap-tt24';

/** Texts a spreadsheet would run as formulas, and a phone number that must survive as text. */
export const INJECTIONS = ['=1+1', '+SUM(A1:A2)', '-2+3', '@cmd', '\t=1+1', '\r=1+1'];
export const PHONE = '+84 912 345 678';

export interface Fixture {
  store: Store;
  dbPath: string;
  /** Response ids by role. */
  ids: {
    injections: number[];
    phone: number;
    negative: number;
    inProgress: number;
    cancelled: number;
    newYearsEve: number;
    unit1Old: number;
    unit1New: number;
    unit2: number;
  };
  /** External ids of every citizen, to check none leaks into a pseudonymised export. */
  externalIds: string[];
}

const tempDirs: string[] = [];

export function tempDbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xhht-export-'));
  tempDirs.push(dir);
  return join(dir, 'test.sqlite');
}

/** Removes every folder tempDbPath() made in this test file (call after closing the stores). */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function createFixture(): Fixture {
  const dbPath = tempDbPath();
  const store = new Store(dbPath);
  const now = '2026-01-01T00:00:00.000Z';
  store.transaction(() => {
    for (const [code, name] of [['C01', 'Phường Ba Đình'], ['C02', 'Xã Đông Anh']] as const) {
      store.units.upsertAdminUnit({ code, name, level: 'commune', parentCode: 'P01', effectiveFrom: '2025-07-01', effectiveTo: null, legacyDistrict: null });
    }
    store.units.upsertUnit({ id: 'U1', name: 'Trường THCS Ba Đình', type: 'school', tier: 'commune', communeCode: 'C01', active: true }, now);
    store.units.upsertUnit({ id: 'U2', name: 'UBND xã Đông Anh', type: 'commune_pc', tier: 'commune', communeCode: 'C02', active: true }, now);
  });
  const citizenFlow = flows.find((f) => f.id === CITIZEN_FLOW)!;
  const result = citizenResult(citizenFlow);
  const externalIds: string[] = [];
  let n = 0;
  const citizen = (p: { commune: string; startedAt: string; submittedAt?: string; cancelled?: boolean; extra?: Record<string, { raw: string; value: string | number }> }) => {
    const externalId = String(987_650_000 + ++n);
    externalIds.push(externalId);
    return seedResponse(store, {
      personChannel: 'telegram',
      personId: externalId,
      flowId: CITIZEN_FLOW,
      startedAt: p.startedAt,
      ...(p.submittedAt ? { submittedAt: p.submittedAt, result } : {}),
      ...(p.cancelled ? { cancelled: true } : {}),
      answers: { group: { raw: 'Nông dân', value: 'nong_dan' }, commune: { raw: p.commune, value: p.commune }, q1: { raw: '1', value: 'daily' }, ...p.extra },
    });
  };

  const injections = INJECTIONS.map((text, i) =>
    citizen({ commune: text, startedAt: `2026-05-0${i + 1}T01:00:00.000Z`, submittedAt: `2026-05-0${i + 1}T02:00:00.000Z` }),
  );
  const phone = citizen({ commune: PHONE, startedAt: '2026-05-08T01:00:00.000Z', submittedAt: '2026-05-08T02:00:00.000Z' });
  // A flow may ask for a signed number; its value must stay a number in both formats.
  const negative = citizen({
    commune: 'Phường Ba Đình',
    startedAt: '2026-05-09T01:00:00.000Z',
    submittedAt: '2026-05-09T02:00:00.000Z',
    extra: { balance: { raw: '-5', value: -5 } },
  });
  const inProgress = citizen({ commune: 'Xã Đông Anh', startedAt: '2026-06-10T03:00:00.000Z' });
  const cancelled = citizen({ commune: 'Xã Đông Anh', startedAt: '2026-06-11T03:00:00.000Z', cancelled: true });
  // 17:30 UTC on 31 December is 00:30 on 1 January in Vietnam.
  const newYearsEve = citizen({ commune: 'Phường Ba Đình', startedAt: '2025-12-31T17:00:00.000Z', submittedAt: '2025-12-31T17:30:00.000Z' });

  const unitResult: FlowResult = { flow: UNIT_FLOW, flowVersion: '2026.1', passed: true, score: null, maxScore: null, level: '1', criteria: [], indicators: [] };
  const unit = (unitId: string, focal: string, submittedAt: string) =>
    seedResponse(store, {
      personChannel: 'zalo',
      personId: focal,
      flowId: UNIT_FLOW,
      unitId,
      period: '2025',
      startedAt: submittedAt,
      submittedAt,
      result: unitResult,
      answers: { thanh_vien: { raw: '40', value: 40 }, tc1_1: { raw: 'Có', value: 'yes' } },
    });
  const unit1Old = unit('U1', 'zalo-focal-1', '2026-01-10T02:00:00.000Z');
  const unit1New = unit('U1', 'zalo-focal-1', '2026-01-12T02:00:00.000Z');
  const unit2 = unit('U2', 'zalo-focal-2', '2026-02-01T02:00:00.000Z');
  externalIds.push('zalo-focal-1', 'zalo-focal-2');

  return {
    store,
    dbPath,
    ids: { injections, phone, negative, inProgress, cancelled, newYearsEve, unit1Old, unit1New, unit2 },
    externalIds,
  };
}

/** A Writable that keeps everything written to it. */
export class Collector extends Writable {
  private readonly chunks: Buffer[] = [];

  constructor(options: { highWaterMark?: number } = {}) {
    super(options);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    // Asynchronous on purpose, so the writers meet backpressure.
    setImmediate(callback);
  }

  get buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get text(): string {
    return this.buffer.toString('utf8');
  }
}

export function parseCsv(text: string): Array<Record<string, string>> {
  return parse(text, { bom: true, columns: true, relax_column_count: false }) as Array<Record<string, string>>;
}
