import type { CalendarSettings, Occurrence } from './calendar.ts';
import { addDays, atLocal, localDateOf, localMinutesOf, parseHhmm } from './dates.ts';
import { type BlackoutCheck, type BlackoutReason, createBlackoutCheck } from './holidays.ts';

/**
 * The reminder ladder as pure functions of a fake-able clock: which steps an occurrence has, when
 * each may go out (quiet hours, Tết and blackout dates shift it; a step shifted past the deadline
 * is merged into the next), until when a late send still makes sense, and how a person's snooze
 * moves their next reminder.
 */

export type ShiftReason = 'quiet' | BlackoutReason;

export interface LadderStep {
  /** "d-14", "d0", "d+1"; a snooze step is "z<yyyymmddHHMM>". */
  key: string;
  /** Days from the last day (deadlines) or the first day (events); null for a snooze step. */
  offset: number | null;
  plannedAt: Date;
  /** When it goes out, after quiet hours and holidays. */
  at: Date;
  /** A step missed (server down) is still sent late before this instant; after it, skipped. */
  validUntil: Date;
  shift?: ShiftReason | undefined;
  /** Earlier steps folded into this one. */
  merges: string[];
  /** Set when this step is not sent: it was folded into that later step (or into a snooze). */
  mergedInto?: string | undefined;
}

/** When sending is allowed: quiet hours and blackout days, precomputed from the settings. */
export interface SendRules {
  quietFrom: number;
  quietTo: number;
  resumeAt: number;
  isBlackout: BlackoutCheck;
}

export function sendRulesOf(settings: CalendarSettings): SendRules {
  return {
    quietFrom: parseHhmm(settings.quietHours.from),
    quietTo: parseHhmm(settings.quietHours.to),
    resumeAt: parseHhmm(settings.quietHours.resumeAt),
    isBlackout: createBlackoutCheck(settings),
  };
}

export function isQuiet(instant: Date, rules: SendRules): boolean {
  const m = localMinutesOf(instant);
  return rules.quietFrom > rules.quietTo ? m >= rules.quietFrom || m < rules.quietTo : m >= rules.quietFrom && m < rules.quietTo;
}

/** Why nothing may be sent at this instant, if so. */
export function blockedReason(instant: Date, rules: SendRules): ShiftReason | undefined {
  return rules.isBlackout(localDateOf(instant)) ?? (isQuiet(instant, rules) ? 'quiet' : undefined);
}

/**
 * The first instant at or after `instant` when sending is allowed. A blackout day moves to the next
 * day at `dayStart` (the ladder's send time); quiet hours move to `resumeAt` (07:30).
 */
export function shiftToAllowed(instant: Date, rules: SendRules, dayStart: number): { at: Date; reason?: ShiftReason | undefined } {
  let at = instant;
  let reason: ShiftReason | undefined;
  // Bounded: Tết plus configured dates never span more than a few weeks.
  for (let i = 0; i < 400; i++) {
    const date = localDateOf(at);
    const blackout = rules.isBlackout(date);
    if (blackout) {
      reason ??= blackout;
      at = atLocal(addDays(date, 1), dayStart);
      continue;
    }
    if (isQuiet(at, rules)) {
      reason ??= 'quiet';
      const sameDay = atLocal(date, rules.resumeAt);
      at = sameDay > at ? sameDay : atLocal(addDays(date, 1), rules.resumeAt);
      continue;
    }
    return { at, reason };
  }
  throw new Error('no allowed sending time within 400 days: check quietHours and blackoutDates');
}

export function stepKey(offset: number): string {
  return offset === 0 ? 'd0' : offset < 0 ? `d${offset}` : `d+${offset}`;
}

/** A late step is not sent when the next one is due within this time: the next one says it all. */
const LATE_GAP_MS = 12 * 3600_000;
/** …but a step sent on time always goes (steps are at least a day apart unless merged). */
const ON_TIME_MS = 3600_000;

const endOfDay = (instant: Date) => atLocal(addDays(localDateOf(instant), 1), 0);
const later = (a: Date, b: Date) => (a > b ? a : b);

/** Every step of an occurrence, in order, including the merged ones (they explain the dry-run). */
export function buildLadder(occ: Occurrence, settings: CalendarSettings, rules: SendRules): LadderStep[] {
  const isEvent = occ.entry.kind === 'event';
  const cfg = isEvent ? settings.announcements : settings.ladder;
  const sendAt = parseHhmm(cfg.sendAt);
  const steps: LadderStep[] = cfg.offsets.map((offset) => {
    const plannedAt = atLocal(addDays(occ.lastDay, offset), sendAt);
    const shifted = shiftToAllowed(plannedAt, rules, sendAt);
    return {
      key: stepKey(offset),
      offset,
      plannedAt,
      at: shifted.at,
      validUntil: shifted.at,
      shift: shifted.reason,
      merges: [],
    };
  });

  // From the last step backwards: a step that now lands on or after the next one, or a reminder
  // before the deadline that a holiday pushed past it, is folded into the next surviving step.
  let next: LadderStep | undefined;
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i]!;
    const pushedPastDeadline = !isEvent && s.offset! <= 0 && localDateOf(s.at) > occ.lastDay;
    if (next && (s.at >= next.at || pushedPastDeadline)) {
      s.mergedInto = next.key;
      next.merges.unshift(s.key, ...s.merges);
      continue;
    }
    next = s;
  }

  const live = steps.filter((s) => !s.mergedInto);
  live.forEach((s, i) => {
    const following = live[i + 1];
    if (following) {
      s.validUntil = later(new Date(following.at.getTime() - LATE_GAP_MS), new Date(s.at.getTime() + ON_TIME_MS));
    } else if (isEvent) {
      s.validUntil = later(atLocal(addDays(occ.endDay, 1), 0), endOfDay(s.at));
    } else {
      // The overdue reminder makes sense until the unit goes on the secretariat's overdue list.
      s.validUntil = later(atLocal(addDays(occ.lastDay, settings.ladder.overdueListAfterDays), 0), endOfDay(s.at));
    }
  });
  for (const s of steps) if (s.mergedInto) s.validUntil = s.at;
  return steps;
}

export function snoozeKey(at: Date): string {
  const m = localMinutesOf(at);
  return `z${localDateOf(at).replaceAll('-', '')}${String(Math.floor(m / 60)).padStart(2, '0')}${String(m % 60).padStart(2, '0')}`;
}

/** When a snooze requested at `now` ends: N days later at the ladder's send time, shifted if needed. */
export function snoozeUntil(now: Date, settings: CalendarSettings, rules: SendRules): Date {
  const sendAt = parseHhmm(settings.ladder.sendAt);
  return shiftToAllowed(atLocal(addDays(localDateOf(now), settings.snoozeDays), sendAt), rules, sendAt).at;
}

export function parseSnooze(row: { since: string; until: string } | undefined): { since: Date; until: Date } | undefined {
  return row ? { since: new Date(row.since), until: new Date(row.until) } : undefined;
}

/**
 * One person's ladder after a snooze asked at `since` until `until`: the regular steps between are
 * not sent to them, and a snooze step at `until` takes their place, unless a regular step falls that
 * same day.
 */
export function withSnooze(steps: LadderStep[], snooze: { since: Date; until: Date } | undefined): LadderStep[] {
  if (!snooze) return steps;
  const { since, until } = snooze;
  const live = steps.filter((s) => !s.mergedInto);
  const nextRegular = live.find((s) => s.at >= until);
  const key = snoozeKey(until);
  const sameDay = nextRegular && localDateOf(nextRegular.at) === localDateOf(until);
  const out: LadderStep[] = steps.map((s) =>
    !s.mergedInto && s.at > since && s.at < until ? { ...s, mergedInto: sameDay ? nextRegular!.key : key, validUntil: s.at } : s,
  );
  if (!sameDay) {
    const lastLive = live[live.length - 1];
    out.push({
      key,
      offset: null,
      plannedAt: until,
      at: until,
      validUntil: nextRegular ? nextRegular.at : later(new Date(until.getTime() + 24 * 3600_000), lastLive?.validUntil ?? until),
      merges: [],
    });
    out.sort((a, b) => a.at.getTime() - b.at.getTime());
  }
  return out;
}

/** The step to send at `now` (its window is open), if any. */
export function currentStep(steps: LadderStep[], now: Date): LadderStep | undefined {
  let found: LadderStep | undefined;
  for (const s of steps) if (!s.mergedInto && s.at <= now && now < s.validUntil) found = s;
  return found;
}

/** Steps whose window closed before `now` (missed while the server was down, if never sent). */
export function passedSteps(steps: LadderStep[], now: Date): LadderStep[] {
  return steps.filter((s) => !s.mergedInto && s.validUntil <= now);
}
