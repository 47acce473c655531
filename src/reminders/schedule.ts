import type { Flow } from '../flow/schema.ts';
import { reminderStoreOf } from '../store/reminderStore.ts';
import type { Store } from '../store/store.ts';
import type { Unit } from '../units/types.ts';
import {
  type CalendarEntry,
  concernsUnit,
  type DeadlineCalendar,
  type Occurrence,
  occurrenceKey,
  occurrencesBetween,
} from './calendar.ts';
import { addDays } from './dates.ts';
import { buildLadder, type LadderStep, type SendRules, sendRulesOf } from './ladder.ts';

/**
 * The calendar at run time: enabled entries, their occurrences around a date, each occurrence's
 * ladder (cached: it depends only on the calendar), and whether a unit has fulfilled a deadline.
 */
export class ReminderSchedule {
  readonly rules: SendRules;
  private readonly ladders = new Map<string, LadderStep[]>();
  private readonly flowTitles: Map<string, string>;

  constructor(
    readonly calendar: DeadlineCalendar,
    flows: Flow[],
  ) {
    this.rules = sendRulesOf(calendar.settings);
    this.flowTitles = new Map(flows.map((f) => [f.id, f.title]));
  }

  get settings(): DeadlineCalendar['settings'] {
    return this.calendar.settings;
  }

  enabledEntries(): CalendarEntry[] {
    return this.calendar.deadlines.filter((d) => d.enabled);
  }

  entry(id: string): CalendarEntry | undefined {
    return this.calendar.deadlines.find((d) => d.id === id);
  }

  /** The flow that fulfils an entry, only when it is loaded (otherwise there is nothing to start or check). */
  flowOf(entry: CalendarEntry): { id: string; title: string } | undefined {
    if (entry.kind !== 'deadline' || !entry.flow) return undefined;
    const title = this.flowTitles.get(entry.flow);
    return title ? { id: entry.flow, title } : undefined;
  }

  /**
   * Occurrences of enabled entries that may have a step, a late step or a snooze around `today`:
   * generous bounds, since holidays shift steps by up to a few weeks.
   */
  occurrencesAround(today: string): Occurrence[] {
    const before = Math.max(0, ...this.settings.ladder.offsets.map((o) => -o), ...this.settings.announcements.offsets.map((o) => -o));
    const after = Math.max(0, ...this.settings.ladder.offsets, this.settings.ladder.overdueListAfterDays);
    const from = addDays(today, -(after + 45));
    const to = addDays(today, before + 45);
    return this.enabledEntries().flatMap((e) => occurrencesBetween(e, from, to));
  }

  ladder(occ: Occurrence): LadderStep[] {
    const key = occurrenceKey(occ);
    let steps = this.ladders.get(key);
    if (!steps) {
      steps = buildLadder(occ, this.settings, this.rules);
      this.ladders.set(key, steps);
    }
    return steps;
  }

  concerns(entry: CalendarEntry, unit: Unit): boolean {
    return concernsUnit(entry, unit);
  }

  /** Whether the unit reported: the linked flow submitted for the period, or a focal point's "đã nộp". */
  fulfilment(store: Store, occ: Occurrence, unitId: string): { by: 'submission' | 'ack'; at: string } | undefined {
    if (occ.entry.kind !== 'deadline') return undefined;
    const ack = reminderStoreOf(store).ack(occ.entry.id, occ.period, unitId);
    if (ack) return { by: 'ack', at: ack.ackedAt };
    // Checked even when the flow is not loaded now: a submission made earlier still counts.
    const flowId = occ.entry.flow;
    const submission = flowId ? store.units.currentSubmission(unitId, flowId, occ.period) : undefined;
    return submission ? { by: 'submission', at: submission.submitted_at } : undefined;
  }
}
