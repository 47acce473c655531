import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Store } from '../store/store.ts';
import { adminUnitRowSchema, type Unit, unitRowSchema } from './types.ts';

export interface ImportReport {
  inserted: number;
  updated: number;
  rejected: Array<{ line: number; reasons: string[] }>;
}

function readCsv(text: string): Array<{ line: number; row: Record<string, string> }> {
  const records = parse(text, { columns: true, bom: true, skip_empty_lines: true, trim: true, info: true, relax_column_count: false }) as Array<{
    record: Record<string, string>;
    info: { lines: number };
  }>;
  return records.map((r) => ({ line: r.info.lines, row: r.record }));
}

/**
 * Loads or updates reporting units from CSV (id,name,type,tier,commune_code[,active]). Valid rows are
 * written in one transaction; every rejected row is reported with its line and reasons.
 */
export function importUnitsCsv(store: Store, text: string, now: Date): ImportReport {
  const report: ImportReport = { inserted: 0, updated: 0, rejected: [] };
  let rows: Array<{ line: number; row: Record<string, string> }>;
  try {
    rows = readCsv(text);
  } catch (err) {
    report.rejected.push({ line: 0, reasons: [`not a readable CSV file: ${(err as Error).message}`] });
    return report;
  }
  const knownCommunes = new Set(store.units.adminUnits().filter((a) => a.level === 'commune').map((a) => a.code));
  const seen = new Set<string>();
  const valid: Unit[] = [];
  for (const { line, row } of rows) {
    const parsed = unitRowSchema.safeParse(row);
    if (!parsed.success) {
      report.rejected.push({ line, reasons: parsed.error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown column(s): ${i.keys.join(', ')}` : i.message)) });
      continue;
    }
    const r = parsed.data;
    const reasons: string[] = [];
    if (knownCommunes.size > 0 && !knownCommunes.has(r.commune_code)) reasons.push(`commune_code: "${r.commune_code}" is not a known commune (data/admin-units.csv)`);
    if (seen.has(r.id)) reasons.push(`id: "${r.id}" appears twice in the file`);
    seen.add(r.id);
    if (reasons.length) {
      report.rejected.push({ line, reasons });
      continue;
    }
    valid.push({ id: r.id, name: r.name, type: r.type, tier: r.tier, communeCode: r.commune_code, active: r.active });
  }
  store.transaction(() => {
    for (const u of valid) {
      if (store.units.upsertUnit(u, now.toISOString())) report.inserted++;
      else report.updated++;
    }
  });
  return report;
}

export function importUnitsFile(store: Store, file: string, now: Date): ImportReport {
  return importUnitsCsv(store, readFileSync(file, 'utf8'), now);
}

/** Synchronises the administrative units (two-tier since 01/07/2025, with effective dates) from CSV. */
export function importAdminUnitsCsv(store: Store, text: string): ImportReport {
  const report: ImportReport = { inserted: 0, updated: 0, rejected: [] };
  const rows = readCsv(text);
  store.transaction(() => {
    for (const { line, row } of rows) {
      const parsed = adminUnitRowSchema.safeParse(row);
      if (!parsed.success) {
        report.rejected.push({ line, reasons: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
        continue;
      }
      const a = parsed.data;
      const existed = store.units.adminUnit(a.code) !== undefined;
      store.units.upsertAdminUnit({
        code: a.code,
        name: a.name,
        level: a.level,
        parentCode: a.parent_code,
        effectiveFrom: a.effective_from,
        effectiveTo: a.effective_to,
        legacyDistrict: a.legacy_district,
      });
      if (existed) report.updated++;
      else report.inserted++;
    }
  });
  return report;
}

/**
 * Reference data at start: administrative units are synchronised from data/admin-units.csv; the sample
 * roster is loaded only into an empty database, so the bot runs out of the box and a real roster
 * imported later is never overwritten.
 */
export function seedReferenceData(store: Store, dataDir: string, now: Date): { adminUnits: ImportReport; units?: ImportReport } {
  const adminUnits = importAdminUnitsCsv(store, readFileSync(`${dataDir}/admin-units.csv`, 'utf8'));
  if (store.units.unitCount() > 0) return { adminUnits };
  return { adminUnits, units: importUnitsFile(store, `${dataDir}/units.sample.csv`, now) };
}

export function formatImportReport(r: ImportReport): string {
  const lines = [`${r.inserted} inserted, ${r.updated} updated, ${r.rejected.length} rejected`];
  for (const x of r.rejected) lines.push(`  line ${x.line}: ${x.reasons.join('; ')}`);
  return lines.join('\n');
}
