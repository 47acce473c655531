import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Flow } from '../flow/schema.ts';
import { type Tier, TIERS, type Unit, UNIT_TYPES } from '../units/types.ts';
import { addDays, isRealDate } from './dates.ts';

/**
 * The deadline calendar (data/deadlines.yaml): what is due, when, for which units, where it goes,
 * which flow fulfils it and which document says so; plus the province's reminder settings.
 * Parsed with zod at start: an invalid file stops the server with every problem named.
 */

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be 1-40 characters of a-z 0-9 -');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day HH:MM');
const isoDate = z.string().refine(isRealDate, 'must be a real date yyyy-mm-dd');
const dayMonth = z
  .string()
  .regex(/^\d{2}\/\d{2}$/, 'must be dd/mm')
  // 29/02 would skip three years in four; no deadline uses it.
  .refine((v) => v !== '29/02' && isRealDate(`2025-${v.slice(3, 5)}-${v.slice(0, 2)}`), 'must be a real day of the year (not 29/02)')
  .transform((v) => ({ day: Number(v.slice(0, 2)), month: Number(v.slice(3, 5)) }));

const offsets = z
  .array(z.number().int().min(-90).max(30))
  .min(1)
  .refine((a) => a.every((v, i) => i === 0 || v > a[i - 1]!), 'must be in increasing order, without repeats');

const settingsSchema = z.strictObject({
  ladder: z
    .strictObject({
      /** Days relative to the last day: negative before, 0 the morning of the day, positive overdue. */
      offsets: offsets.default([-14, -7, -3, -1, 0, 1]),
      sendAt: hhmm.default('08:00'),
      /** From this many days after the last day, the unit is on the secretariat's overdue list. */
      overdueListAfterDays: z.number().int().min(1).max(60).default(3),
      /** …and stays there this many days (then the digest stops repeating it). */
      overdueListForDays: z.number().int().min(1).max(366).default(60),
    })
    .prefault({}),
  announcements: z.strictObject({ offsets: offsets.default([-7, 0]), sendAt: hhmm.default('08:00') }).prefault({}),
  snoozeDays: z.number().int().min(1).max(14).default(2),
  quietHours: z
    .strictObject({ from: hhmm.default('21:00'), to: hhmm.default('07:00'), resumeAt: hhmm.default('07:30') })
    .prefault({}),
  tet: z
    .strictObject({
      daysBefore: z.number().int().min(0).max(10).default(1),
      daysAfter: z.number().int().min(0).max(15).default(3),
      /** Pins mùng 1 Tết of a year where the library's (Chinese) date differs from Vietnam's. */
      overrides: z.record(z.string().regex(/^\d{4}$/), isoDate).default({}),
    })
    .prefault({}),
  blackoutDates: z.array(isoDate).default([]),
  digest: z.strictObject({ sendAt: hhmm.default('08:00'), maxUnitsPerDeadline: z.number().int().min(1).max(500).default(30) }).prefault({}),
});

const sourceSchema = z.strictObject({
  document: z.string().trim().min(1),
  clause: z.string().trim().min(1),
  /** [H] legal text read, [M] secondary source, [L] inference — as in criteria.md. */
  confidence: z.enum(['H', 'M', 'L']),
  note: z.string().trim().optional(),
});

const ruleSchema = z.union([z.strictObject({ yearly: dayMonth }), z.strictObject({ date: isoDate })]);

const concernsSchema = z.union([
  z.literal('all'),
  z
    .strictObject({ unitTypes: z.array(z.enum(UNIT_TYPES)).min(1).optional(), tiers: z.array(z.enum(TIERS)).min(1).optional() })
    .refine((c) => c.unitTypes || c.tiers, 'name unitTypes or tiers, or write "all"'),
]);

const sendToSchema = z.union([id, z.strictObject({ commune: id, province: id })]);

const deadlineSchema = z.strictObject({
  id,
  kind: z.literal('deadline'),
  title: z.string().trim().min(1).max(200),
  rule: ruleSchema,
  /** The text says "trước ngày …": the last day to send is the day before the date. */
  before: z.boolean().default(true),
  /** previous-year (data of the year before, e.g. dossiers due 15/01), same-year, or a literal label. */
  period: z.union([z.enum(['previous-year', 'same-year']), z.string().trim().regex(/^\d{4}(-\d{4})?$/)]),
  concerns: concernsSchema,
  what: z.string().trim().min(1).max(400),
  sendTo: sendToSchema,
  flow: id.optional(),
  source: sourceSchema,
  enabled: z.boolean(),
});

const eventSchema = z.strictObject({
  id,
  kind: z.literal('event'),
  title: z.string().trim().min(1).max(200),
  rule: ruleSchema,
  lastsDays: z.number().int().min(1).max(31).default(1),
  period: z.union([z.literal('same-year'), z.string().trim().regex(/^\d{4}(-\d{4})?$/)]).default('same-year'),
  concerns: concernsSchema,
  what: z.string().trim().min(1).max(400),
  source: sourceSchema,
  enabled: z.boolean(),
});

export const calendarSchema = z
  .strictObject({
    version: z.literal(1),
    settings: settingsSchema.prefault({}),
    offices: z.record(id, z.string().trim().min(1).max(200)),
    deadlines: z.array(z.discriminatedUnion('kind', [deadlineSchema, eventSchema])).min(1),
  })
  .superRefine((cal, ctx) => {
    const seen = new Set<string>();
    cal.deadlines.forEach((d, i) => {
      if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: ['deadlines', i, 'id'], message: `duplicate id "${d.id}"` });
      seen.add(d.id);
      const literalPeriod = d.period !== 'previous-year' && d.period !== 'same-year';
      if ('yearly' in d.rule && literalPeriod) {
        ctx.addIssue({ code: 'custom', path: ['deadlines', i, 'period'], message: 'a yearly rule needs period previous-year or same-year' });
      }
      if (d.kind === 'deadline') {
        const offices = typeof d.sendTo === 'string' ? [d.sendTo] : [d.sendTo.commune, d.sendTo.province];
        for (const o of offices) {
          if (!(o in cal.offices)) ctx.addIssue({ code: 'custom', path: ['deadlines', i, 'sendTo'], message: `unknown office "${o}"` });
        }
      }
    });
    const q = cal.settings.quietHours;
    if (q.from === q.to) ctx.addIssue({ code: 'custom', path: ['settings', 'quietHours'], message: 'from and to must differ' });
    const inQuiet = (t: string) => (q.from > q.to ? t >= q.from || t < q.to : t >= q.from && t < q.to);
    if (inQuiet(q.resumeAt)) ctx.addIssue({ code: 'custom', path: ['settings', 'quietHours', 'resumeAt'], message: 'must be outside the quiet hours' });
  });

export type DeadlineCalendar = z.output<typeof calendarSchema>;
export type CalendarSettings = DeadlineCalendar['settings'];
export type CalendarEntry = DeadlineCalendar['deadlines'][number];
export type Deadline = Extract<CalendarEntry, { kind: 'deadline' }>;
export type CalendarEvent = Extract<CalendarEntry, { kind: 'event' }>;

export class CalendarLoadError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CalendarLoadError';
  }
}

export function parseCalendar(text: string, file = 'deadlines.yaml'): DeadlineCalendar {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new CalendarLoadError(file, [`not valid YAML: ${err instanceof Error ? err.message : String(err)}`]);
  }
  const parsed = calendarSchema.safeParse(raw);
  if (!parsed.success) {
    throw new CalendarLoadError(
      file,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`),
    );
  }
  return parsed.data;
}

export function loadCalendar(file: string): DeadlineCalendar {
  return parseCalendar(readFileSync(file, 'utf8'), file);
}

/** Deadlines naming a flow that is not loaded: reminders still go out, without "Bắt đầu" or the submission check. */
export function missingFlows(calendar: DeadlineCalendar, flows: Flow[]): Array<{ deadline: string; flow: string }> {
  const ids = new Set(flows.map((f) => f.id));
  return calendar.deadlines.flatMap((d) => (d.kind === 'deadline' && d.flow && !ids.has(d.flow) ? [{ deadline: d.id, flow: d.flow }] : []));
}

// --- occurrences ---------------------------------------------------------------------------

/** One instance of a calendar entry: the 2026 dossier due before 15/01/2027, say. */
export interface Occurrence {
  entry: CalendarEntry;
  /** The period it concerns ("2026", "2023-2025"). */
  period: string;
  /** The date written in the source. */
  date: string;
  /** Deadlines: the last day to send (the day before `date` for "trước ngày"). Events: the first day. */
  lastDay: string;
  /** Events: the last day of the event. */
  endDay: string;
}

export function occurrenceKey(o: Pick<Occurrence, 'entry' | 'period'>): string {
  return `${o.entry.id}|${o.period}`;
}

function occurrenceOn(entry: CalendarEntry, date: string): Occurrence {
  const year = Number(date.slice(0, 4));
  const period =
    entry.period === 'previous-year' ? String(year - 1) : entry.period === 'same-year' ? String(year) : entry.period;
  if (entry.kind === 'deadline') {
    const lastDay = entry.before ? addDays(date, -1) : date;
    return { entry, period, date, lastDay, endDay: lastDay };
  }
  return { entry, period, date, lastDay: date, endDay: addDays(date, entry.lastsDays - 1) };
}

/** Occurrences whose date falls in [from, to] (local dates). */
export function occurrencesBetween(entry: CalendarEntry, from: string, to: string): Occurrence[] {
  if ('date' in entry.rule) return entry.rule.date >= from && entry.rule.date <= to ? [occurrenceOn(entry, entry.rule.date)] : [];
  const { day, month } = entry.rule.yearly;
  const out: Occurrence[] = [];
  for (let y = Number(from.slice(0, 4)); y <= Number(to.slice(0, 4)); y++) {
    const date = `${y}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    if (date >= from && date <= to) out.push(occurrenceOn(entry, date));
  }
  return out;
}

/** The occurrence for a period ("2026" of the dossier due 15/01/2027), if the entry has one. */
export function occurrenceFor(entry: CalendarEntry, period: string): Occurrence | undefined {
  if ('date' in entry.rule) {
    const o = occurrenceOn(entry, entry.rule.date);
    return o.period === period ? o : undefined;
  }
  if (!/^\d{4}$/.test(period)) return undefined;
  const year = Number(period) + (entry.period === 'previous-year' ? 1 : 0);
  const { day, month } = entry.rule.yearly;
  return occurrenceOn(entry, `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`);
}

// --- who it concerns, where it goes --------------------------------------------------------

export function concernsUnit(entry: CalendarEntry, unit: Unit): boolean {
  if (!unit.active) return false;
  if (entry.concerns === 'all') return true;
  const { unitTypes, tiers } = entry.concerns;
  return (!unitTypes || unitTypes.includes(unit.type)) && (!tiers || tiers.includes(unit.tier));
}

export function recipientOffice(calendar: DeadlineCalendar, deadline: Deadline, tier: Tier): string {
  const officeId = typeof deadline.sendTo === 'string' ? deadline.sendTo : deadline.sendTo[tier];
  return calendar.offices[officeId] ?? officeId;
}
