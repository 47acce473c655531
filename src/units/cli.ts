import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { loadFlowsOrThrow } from '../flow/load.ts';
import { Store } from '../store/store.ts';
import { formatImportReport, importUnitsFile, seedReferenceData } from './importUnits.ts';
import { createInvite, DEFAULT_INVITE_DAYS } from './invites.ts';
import { writeSubmissionSummary } from './summaryXlsx.ts';
import { TIER_LABELS, UNIT_TYPE_LABELS } from './types.ts';

export const UNITS_USAGE = `  xhht units import FILE.csv     load or update reporting units (id,name,type,tier,commune_code[,active])
  xhht units list                list reporting units and their focal points
  xhht units invite UNIT_ID [--days N]
                                 a single-use invite code for a unit's focal point (default ${DEFAULT_INVITE_DAYS} days)
  xhht summary SUBMISSION_ID --out FILE.xlsx
                                 the official summary table ("Bản tổng hợp") of a unit submission`;

function openStore(): { store: Store; dataDir: string; flowsDir: string } {
  const config = loadConfig();
  const store = new Store(config.dbPath, { synchronous: config.dbSynchronous });
  // Commune codes are checked against the administrative units, so keep them current first.
  seedReferenceData(store, config.dataDir, new Date());
  return { store, dataDir: config.dataDir, flowsDir: config.flowsDir };
}

export async function unitsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { days: { type: 'string' } } });
  if (sub === 'import') {
    const file = positionals[0];
    if (!file) {
      process.stderr.write(`Missing FILE.csv.\n${UNITS_USAGE}\n`);
      return 2;
    }
    const { store } = openStore();
    try {
      const report = importUnitsFile(store, file, new Date());
      process.stdout.write(`${formatImportReport(report)}\n`);
      return report.rejected.length > 0 ? 1 : 0;
    } finally {
      store.close();
    }
  }
  if (sub === 'list') {
    const { store } = openStore();
    try {
      for (const u of store.units.units()) {
        const fps = store.units.focalPointsOf(u.id).length;
        process.stdout.write(
          `${u.id}\t${u.name}\t${UNIT_TYPE_LABELS[u.type]}\t${TIER_LABELS[u.tier]}\t${u.communeCode}\t${fps} focal point(s)${u.active ? '' : '\t(inactive)'}\n`,
        );
      }
      return 0;
    } finally {
      store.close();
    }
  }
  if (sub === 'invite') {
    const unitId = positionals[0];
    const days = values.days === undefined ? DEFAULT_INVITE_DAYS : Number(values.days);
    if (!unitId || !Number.isInteger(days) || days < 1 || days > 365) {
      process.stderr.write(`Usage: xhht units invite UNIT_ID [--days 1-365]\n`);
      return 2;
    }
    const { store } = openStore();
    try {
      const unit = store.units.unit(unitId);
      if (!unit) {
        process.stderr.write(`Unknown unit "${unitId}". See: xhht units list\n`);
        return 1;
      }
      const { code, expiresAt } = createInvite(store, unitId, new Date(), days);
      process.stdout.write(
        `Invite code for ${unit.name}: ${code}\nValid until ${expiresAt} (single use).\n` +
          `The focal point sends this to the bot on Telegram, Zalo or the web chat:  đăng ký ${code}\n`,
      );
      return 0;
    } finally {
      store.close();
    }
  }
  process.stderr.write(`Unknown units command.\n${UNITS_USAGE}\n`);
  return 2;
}

export async function summaryCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' } } });
  const id = Number(positionals[0]);
  if (!Number.isInteger(id) || id < 1 || !values.out) {
    process.stderr.write('Usage: xhht summary SUBMISSION_ID --out FILE.xlsx\n');
    return 2;
  }
  const { store, flowsDir } = openStore();
  try {
    await writeSubmissionSummary(store, loadFlowsOrThrow(flowsDir), id, values.out);
    process.stdout.write(`Wrote ${values.out}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  } finally {
    store.close();
  }
}
