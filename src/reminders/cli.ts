import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { loadFlowsFromDir } from '../flow/load.ts';
import { Store } from '../store/store.ts';
import type { FocalPointRow } from '../store/unitStore.ts';
import { TIER_LABELS, TIERS, type Tier, UNIT_TYPE_LABELS, UNIT_TYPES, type Unit, type UnitType } from '../units/types.ts';
import { type CalendarEntry, type DeadlineCalendar, loadCalendar, occurrencesBetween, recipientOffice } from './calendar.ts';
import { addDays, atLocal, formatDateVi, formatInstantVi, isRealDate, localDateOf } from './dates.ts';
import type { LadderStep, ShiftReason } from './ladder.ts';
import { dueLine, periodLabel } from './message.ts';
import { previewReminders } from './preview.ts';
import { ReminderSchedule } from './schedule.ts';
import { calendarPath } from './setup.ts';

/**
 * `xhht deadlines` (the calendar of a year, with sources) and `xhht remind --dry-run` (what would be
 * sent when, to whom and why). The output is for the secretariat, so it is in Vietnamese.
 */

export const REMINDERS_USAGE = `  xhht deadlines [--year YYYY] [--all]
                                 the deadline calendar of a year with its sources and reminder dates
                                 (--all: the entries the province has not enabled too)
  xhht remind --dry-run [--at YYYY-MM-DD] [--days N] [--unit ID] [--as-type TYPE --as-tier TIER]
                                 what the reminder planner would send from that day (default today)
                                 for N days (default 1): when, to whom and why; nothing is sent.
                                 --as-type/--as-tier preview a sample unit with one focal point`;

export interface CliIo {
  stdout?: { write(s: string): unknown };
  stderr?: { write(s: string): unknown };
  now?: () => Date;
  /** Environment overrides for loadConfig (tests). */
  env?: Record<string, string | undefined>;
}

const SHIFT_LABELS: Record<ShiftReason, string> = {
  quiet: 'dời khỏi giờ nghỉ đêm',
  tet: 'dời vì nghỉ Tết Nguyên đán',
  configured: 'dời vì ngày nghỉ đã cấu hình',
};

function describeStep(step: LadderStep, entry: CalendarEntry): string {
  if (step.offset === null) return 'nhắc lại theo yêu cầu “Nhắc lại sau” của đầu mối';
  const o = step.offset;
  if (entry.kind === 'event') return o === 0 ? 'ngày diễn ra' : `${-o} ngày trước ngày diễn ra`;
  if (o < 0) return `${-o} ngày trước ngày cuối`;
  if (o === 0) return 'sáng ngày cuối';
  return `quá hạn ${o} ngày`;
}

function stepWhy(step: LadderStep, entry: CalendarEntry): string {
  const parts = [`bước ${step.key}: ${describeStep(step, entry)}`];
  if (step.shift) parts.push(`${SHIFT_LABELS[step.shift]} (dự kiến ${formatInstantVi(step.plannedAt)})`);
  if (step.merges.length > 0) parts.push(`gộp bước ${step.merges.join(', ')} (bị dời qua hạn hoặc trùng thời điểm)`);
  return parts.join('; ');
}

function loadSchedule(io: CliIo): { schedule: ReminderSchedule; file: string; dbPath: string; synchronous: 'FULL' | 'NORMAL' | 'EXTRA'; flowIds: Set<string> } {
  const config = loadConfig(io.env ?? {});
  const file = calendarPath(config.dataDir);
  const calendar = loadCalendar(file);
  const { flows } = loadFlowsFromDir(config.flowsDir);
  return { schedule: new ReminderSchedule(calendar, flows), file, dbPath: config.dbPath, synchronous: config.dbSynchronous, flowIds: new Set(flows.map((f) => f.id)) };
}

function concernsLine(entry: CalendarEntry): string {
  if (entry.concerns === 'all') return 'mọi đơn vị';
  const parts: string[] = [];
  if (entry.concerns.unitTypes) parts.push(entry.concerns.unitTypes.map((t) => UNIT_TYPE_LABELS[t]).join(', '));
  if (entry.concerns.tiers) parts.push(entry.concerns.tiers.map((t) => TIER_LABELS[t]).join(', '));
  return parts.join('; ');
}

function sendToLine(calendar: DeadlineCalendar, entry: CalendarEntry): string | undefined {
  if (entry.kind !== 'deadline') return undefined;
  if (typeof entry.sendTo === 'string') return recipientOffice(calendar, entry, 'commune');
  return TIERS.map((t) => `${TIER_LABELS[t]}: ${recipientOffice(calendar, entry, t)}`).join('; ');
}

export async function deadlinesCommand(args: string[], io: CliIo = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const { values } = parseArgs({ args, options: { year: { type: 'string' }, all: { type: 'boolean', default: false } } });
  const now = io.now?.() ?? new Date();
  const year = values.year ?? localDateOf(now).slice(0, 4);
  if (!/^\d{4}$/.test(year)) {
    (io.stderr ?? process.stderr).write('--year must be a year like 2026.\n');
    return 2;
  }
  const { schedule, file, flowIds } = loadSchedule(io);
  const { calendar } = schedule;
  const entries = calendar.deadlines.filter((d) => values.all || d.enabled);
  const occs = entries
    .flatMap((e) => occurrencesBetween(e, `${year}-01-01`, `${year}-12-31`))
    .sort((a, b) => a.date.localeCompare(b.date));
  const lines = [
    `Lịch hạn và sự kiện năm ${year} (${file}; giờ Việt Nam).`,
    `Đang bật ${calendar.deadlines.filter((d) => d.enabled).length}/${calendar.deadlines.length} mục${values.all ? '' : ' (thêm --all để xem cả các mục đang tắt)'}.`,
  ];
  for (const occ of occs) {
    const e = occ.entry;
    const steps = schedule.ladder(occ).filter((s) => !s.mergedInto);
    lines.push('');
    lines.push(`${formatDateVi(occ.date)} — ${e.title} — ${periodLabel(occ.period)} [${e.id}]${e.enabled ? '' : ' (đang tắt)'}`);
    if (e.kind === 'deadline') {
      lines.push(`    Hạn: ${dueLine(occ)}${e.before ? ` (ngày cuối: ${formatDateVi(occ.lastDay)})` : ''}`);
      lines.push(`    Đơn vị: ${concernsLine(e)}`);
      lines.push(`    Gửi đến: ${sendToLine(calendar, e)}`);
      lines.push(`    Cần gửi: ${e.what}`);
      if (e.flow) lines.push(`    Tự đánh giá trên bot: ${e.flow}${flowIds.has(e.flow) ? '' : ' (chưa nạp quy trình này)'}`);
    } else {
      lines.push(`    Sự kiện (thông báo): ${occ.endDay === occ.date ? formatDateVi(occ.date) : `${formatDateVi(occ.date)} – ${formatDateVi(occ.endDay)}`}; đơn vị: ${concernsLine(e)}`);
      lines.push(`    Nội dung: ${e.what}`);
    }
    lines.push(`    Căn cứ: ${e.source.document}, ${e.source.clause} [${e.source.confidence}]${e.source.note ? ` — ${e.source.note}` : ''}`);
    lines.push(`    Nhắc: ${steps.map((s) => `${s.key} ${formatInstantVi(s.at)}${s.shift ? ` (${SHIFT_LABELS[s.shift]})` : ''}`).join('; ')}`);
  }
  if (occs.length === 0) lines.push('', 'Không có mục nào trong năm này.');
  out.write(`${lines.join('\n')}\n`);
  return 0;
}

export async function remindCommand(args: string[], io: CliIo = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  const { values } = parseArgs({
    args,
    options: {
      'dry-run': { type: 'boolean', default: false },
      at: { type: 'string' },
      days: { type: 'string' },
      unit: { type: 'string' },
      'as-type': { type: 'string' },
      'as-tier': { type: 'string' },
      list: { type: 'string' },
    },
  });
  if (!values['dry-run']) {
    err.write('Only a preview is available here: add --dry-run. The server (xhht serve) sends the reminders itself.\n');
    return 2;
  }
  const now = io.now?.() ?? new Date();
  const at = values.at ?? localDateOf(now);
  const days = values.days === undefined ? 1 : Number(values.days);
  const maxList = values.list === undefined ? 10 : Number(values.list);
  if (!isRealDate(at)) return usageError(err, '--at must be a date YYYY-MM-DD.');
  if (!Number.isInteger(days) || days < 1 || days > 400) return usageError(err, '--days must be a whole number from 1 to 400.');
  if (!Number.isInteger(maxList) || maxList < 1) return usageError(err, '--list must be a whole number of at least 1.');
  const asType = values['as-type'];
  const asTier = values['as-tier'];
  if ((asType === undefined) !== (asTier === undefined)) return usageError(err, '--as-type and --as-tier go together.');
  if (asType !== undefined && !(UNIT_TYPES as readonly string[]).includes(asType)) return usageError(err, `--as-type must be one of ${UNIT_TYPES.join(', ')}.`);
  if (asTier !== undefined && !(TIERS as readonly string[]).includes(asTier)) return usageError(err, `--as-tier must be one of ${TIERS.join(', ')}.`);

  const { schedule, dbPath, synchronous } = loadSchedule(io);
  // A preview must not create a database where there is none.
  const store = new Store(existsSync(dbPath) ? dbPath : ':memory:', { synchronous });
  try {
    let units: Unit[];
    let focalPoints: (unitId: string) => FocalPointRow[];
    if (asType !== undefined) {
      const type = asType as UnitType;
      const tier = asTier as Tier;
      units = [{ id: 'don-vi-mau', name: `Đơn vị mẫu (${UNIT_TYPE_LABELS[type]}, ${TIER_LABELS[tier]})`, type, tier, communeCode: '', active: true }];
      const sample: FocalPointRow = { unitId: 'don-vi-mau', personId: 0, channel: 'mẫu', externalId: '', joinedAt: '' };
      focalPoints = () => [sample];
    } else {
      units = store.units.units().filter((u) => u.active && (!values.unit || u.id === values.unit));
      if (values.unit && units.length === 0) return usageError(err, `No active unit with id "${values.unit}".`);
      const byUnit = new Map<string, FocalPointRow[]>();
      for (const fp of store.units.allFocalPoints()) byUnit.set(fp.unitId, [...(byUnit.get(fp.unitId) ?? []), fp]);
      focalPoints = (id) => byUnit.get(id) ?? [];
    }
    const from = atLocal(at, 0);
    const to = atLocal(addDays(at, days), 0);
    const preview = previewReminders({ schedule, store, from, to, units, focalPoints });
    const lines = [
      `Xem trước nhắc hạn từ ${formatDateVi(at)} đến hết ${formatDateVi(addDays(at, days - 1))} (giờ Việt Nam) — chỉ xem, không gửi gì.`,
      `Đơn vị xét: ${units.length}. Giả định máy chủ chạy liên tục và chưa đơn vị nào nộp thêm.`,
    ];
    if (units.length === 0) lines.push('Chưa có đơn vị nào: nạp đơn vị (xhht units import) hoặc xem mẫu với --as-type và --as-tier.');
    for (const s of groupSends(preview.sends)) {
      const e = s.occ.entry;
      lines.push('');
      lines.push(`${formatInstantVi(s.at)} — ${e.kind === 'event' ? 'Thông báo' : 'Nhắc hạn'}: ${e.title} — ${periodLabel(s.occ.period)}`);
      const eventDays = s.occ.endDay === s.occ.date ? formatDateVi(s.occ.date) : `${formatDateVi(s.occ.date)} – ${formatDateVi(s.occ.endDay)}`;
      lines.push(`    ${e.kind === 'deadline' ? `Hạn: ${dueLine(s.occ)}` : `Thời gian: ${eventDays}`}`);
      const people = s.units.reduce((n, u) => n + u.recipients.length, 0);
      lines.push(`    Gửi tới: ${people} đầu mối của ${s.units.length} đơn vị`);
      for (const u of s.units.slice(0, maxList)) {
        const who =
          asType !== undefined
            ? 'đầu mối mẫu'
            : u.recipients.length > 0
              ? u.recipients.map((r) => `đầu mối #${r.personId} (${r.channel})`).join(', ')
              : u.alreadySent > 0
                ? 'không còn ai cần gửi'
                : 'chưa có đầu mối đăng ký — không gửi được';
        const office = e.kind === 'deadline' ? `; nộp về ${recipientOffice(schedule.calendar, e, u.unit.tier)}` : '';
        lines.push(`      • ${u.unit.name}: ${who}${u.alreadySent > 0 ? `; đã gửi trước đó cho ${u.alreadySent} người` : ''}${office}`);
      }
      if (s.units.length > maxList) lines.push(`      … và ${s.units.length - maxList} đơn vị khác (--list N để xem thêm)`);
      lines.push(`    Vì: ${stepWhy(s.step, e)}${e.kind === 'deadline' ? '; đơn vị chưa nộp, chưa báo “đã nộp”' : ''}.`);
    }
    if (preview.sends.length === 0) lines.push('', 'Không có nhắc hạn nào trong khoảng này.');
    const skips = preview.skips.filter((k) => schedule.ladder(k.occ).some((st) => !st.mergedInto && st.at >= from && st.at < to));
    if (skips.length > 0) {
      lines.push('', `Không nhắc (đơn vị đã nộp): ${skips.length}`);
      for (const k of skips.slice(0, maxList)) lines.push(`    • ${k.unit.name} — ${k.occ.entry.title} (${periodLabel(k.occ.period)}): ${k.reason}`);
    }
    out.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    store.close();
  }
}

function usageError(err: { write(s: string): unknown }, message: string): number {
  err.write(`${message}\n\nUsage:\n${REMINDERS_USAGE}\n`);
  return 2;
}

/** One line per (time, occurrence, step), listing the units it goes to. */
function groupSends(sends: ReturnType<typeof previewReminders>['sends']) {
  const groups = new Map<string, { at: Date; occ: (typeof sends)[number]['occ']; step: LadderStep; units: typeof sends }>();
  for (const s of sends) {
    const key = `${s.at.toISOString()}|${s.occ.entry.id}|${s.occ.period}|${s.step.key}`;
    const g = groups.get(key) ?? { at: s.at, occ: s.occ, step: s.step, units: [] };
    g.units.push(s);
    groups.set(key, g);
  }
  return [...groups.values()];
}
