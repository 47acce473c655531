import { describe, expect, it } from 'vitest';
import { occurrenceFor, occurrencesBetween } from '../../src/reminders/calendar.ts';
import { formatInstantVi, localDateOf } from '../../src/reminders/dates.ts';
import { createBlackoutCheck, tetDate } from '../../src/reminders/holidays.ts';
import { buildLadder, currentStep, sendRulesOf, shiftToAllowed, snoozeUntil, withSnooze } from '../../src/reminders/ladder.ts';
import { testCalendar, vn } from './helpers.ts';

const live = (steps: ReturnType<typeof buildLadder>) => steps.filter((s) => !s.mergedInto);
const when = (steps: ReturnType<typeof buildLadder>) => live(steps).map((s) => `${s.key} ${formatInstantVi(s.at)}`);

describe('Tết from the lunar calendar', () => {
  it('matches the known Vietnamese Tết dates 2024–2030', () => {
    const known = { 2024: '2024-02-10', 2025: '2025-01-29', 2026: '2026-02-17', 2027: '2027-02-06', 2028: '2028-01-26', 2029: '2029-02-13', 2030: '2030-02-03' };
    for (const [year, date] of Object.entries(known)) expect(tetDate(Number(year)), year).toBe(date);
  });

  it('blocks the last day of the lunar year to mùng 4 by default, configured dates, and honours an override', () => {
    const check = createBlackoutCheck({ tet: { daysBefore: 1, daysAfter: 3, overrides: {} }, blackoutDates: ['2026-09-02'] });
    expect(['2026-02-15', '2026-02-16', '2026-02-20', '2026-02-21'].map(check)).toEqual([undefined, 'tet', 'tet', undefined]);
    expect(check('2026-09-02')).toBe('configured');
    // 2007: Vietnam celebrated on 17/02, the Chinese calendar on 18/02.
    expect(tetDate(2007)).toBe('2007-02-18');
    const pinned = createBlackoutCheck({ tet: { daysBefore: 0, daysAfter: 0, overrides: { '2007': '2007-02-17' } }, blackoutDates: [] });
    expect([pinned('2007-02-17'), pinned('2007-02-18')]).toEqual(['tet', undefined]);
  });
});

describe('the ladder across a deadline', () => {
  const cal = testCalendar();
  const rules = sendRulesOf(cal.settings);
  const dvht = cal.deadlines[0]!;

  it('reminds 14, 7, 3, 1 days before, on the morning of the last day and 1 day after, at 08:00 Vietnam time', () => {
    // "trước ngày 15/01/2027": the last day is thứ Năm, 14/01/2027; the dossier is about 2026.
    const occ = occurrenceFor(dvht, '2026')!;
    expect(occ.lastDay).toBe('2027-01-14');
    const steps = buildLadder(occ, cal.settings, rules);
    expect(when(steps)).toEqual([
      'd-14 thứ Năm, 31/12/2026 lúc 08:00',
      'd-7 thứ Năm, 07/01/2027 lúc 08:00',
      'd-3 thứ Hai, 11/01/2027 lúc 08:00',
      'd-1 thứ Tư, 13/01/2027 lúc 08:00',
      'd0 thứ Năm, 14/01/2027 lúc 08:00',
      'd+1 thứ Sáu, 15/01/2027 lúc 08:00',
    ]);
    expect(steps[0]!.at.toISOString()).toBe('2026-12-31T01:00:00.000Z');
  });

  it('says which step is due on which day, and keeps the overdue step open until the overdue list starts', () => {
    const steps = buildLadder(occurrenceFor(dvht, '2026')!, cal.settings, rules);
    const at = (local: string) => currentStep(steps, vn(local))?.key;
    expect(at('2026-12-31T07:59')).toBeUndefined();
    expect(at('2026-12-31T08:00')).toBe('d-14');
    expect(at('2027-01-06T19:59')).toBe('d-14');
    // Within 12 hours of the next step a missed one is not sent late: the next one says it all.
    expect(at('2027-01-06T20:00')).toBeUndefined();
    expect(at('2027-01-07T08:00')).toBe('d-7');
    expect(at('2027-01-14T12:00')).toBe('d0');
    expect(at('2027-01-16T23:59')).toBe('d+1');
    // From 3 days after the last day the unit is on the secretariat's list: no more late reminders.
    expect(at('2027-01-17T00:00')).toBeUndefined();
  });

  it('moves a reminder that falls in quiet hours to 07:30', () => {
    const early = testCalendar('  ladder: { sendAt: "06:00" }');
    const steps = buildLadder(occurrenceFor(early.deadlines[0]!, '2026')!, early.settings, sendRulesOf(early.settings));
    expect(live(steps).every((s) => formatInstantVi(s.at).endsWith('07:30') && s.shift === 'quiet')).toBe(true);
    const lateRules = sendRulesOf(cal.settings);
    expect(formatInstantVi(shiftToAllowed(vn('2027-01-07T22:15'), lateRules, 480).at)).toBe('thứ Sáu, 08/01/2027 lúc 07:30');
    expect(formatInstantVi(shiftToAllowed(vn('2027-01-07T06:59'), lateRules, 480).at)).toBe('thứ Năm, 07/01/2027 lúc 07:30');
    expect(shiftToAllowed(vn('2027-01-07T20:59'), lateRules, 480).reason).toBeUndefined();
  });

  it('moves a reminder off Tết to the first working day after it', () => {
    // "trước ngày 28/02/2026": d-7 is 20/02/2026 = mùng 4 Tết Bính Ngọ, blocked.
    const tt25 = testCalendar().deadlines[0]!;
    const occ = { ...occurrenceFor(tt25, '2025')!, date: '2026-02-28', lastDay: '2026-02-27', endDay: '2026-02-27' };
    const steps = buildLadder(occ, cal.settings, rules);
    const d7 = steps.find((s) => s.key === 'd-7')!;
    expect(d7.shift).toBe('tet');
    expect(formatInstantVi(d7.plannedAt)).toBe('thứ Sáu, 20/02/2026 lúc 08:00');
    expect(formatInstantVi(d7.at)).toBe('thứ Bảy, 21/02/2026 lúc 08:00');
  });

  it('merges reminders that a holiday pushed past the deadline into the next step', () => {
    // A deadline whose last day is mùng 1 Tết 2026 (17/02): d-1 and d0 can only go out after Tết,
    // past the deadline, so they fold into the overdue step on 21/02.
    const occ = { ...occurrenceFor(dvht, '2026')!, date: '2026-02-18', lastDay: '2026-02-17', endDay: '2026-02-17' };
    const steps = buildLadder(occ, cal.settings, rules);
    expect(steps.find((s) => s.key === 'd-1')!.mergedInto).toBe('d+1');
    expect(steps.find((s) => s.key === 'd0')!.mergedInto).toBe('d+1');
    const overdue = steps.find((s) => s.key === 'd+1')!;
    expect(overdue.merges).toEqual(['d-1', 'd0']);
    expect(localDateOf(overdue.at)).toBe('2026-02-21');
    expect(when(steps).map((w) => w.split(' ')[0])).toEqual(['d-14', 'd-7', 'd-3', 'd+1']);
  });

  it('merges a reminder pushed past the deadline even when the next step is days later', () => {
    // Last day 14/01/2027 is a configured day off; d0 could only go out on 15/01, after the deadline.
    const custom = testCalendar('  ladder: { offsets: [-3, -1, 0, 2] }\n  blackoutDates: [2027-01-14]');
    const steps = buildLadder(occurrenceFor(custom.deadlines[0]!, '2026')!, custom.settings, sendRulesOf(custom.settings));
    expect(steps.find((s) => s.key === 'd0')!.mergedInto).toBe('d+2');
    expect(when(steps)).toEqual(['d-3 thứ Hai, 11/01/2027 lúc 08:00', 'd-1 thứ Tư, 13/01/2027 lúc 08:00', 'd+2 thứ Bảy, 16/01/2027 lúc 08:00']);
  });

  it('snooze: the person’s next reminder moves to N days later; a regular step that same day replaces it', () => {
    const steps = buildLadder(occurrenceFor(dvht, '2026')!, cal.settings, rules);
    // Snoozed on the d-14 day: a snooze step on 02/01, then the ladder goes on at d-7.
    const until = snoozeUntil(vn('2026-12-31T09:00'), cal.settings, rules);
    expect(formatInstantVi(until)).toBe('thứ Bảy, 02/01/2027 lúc 08:00');
    const mine = withSnooze(steps, { since: vn('2026-12-31T09:00'), until });
    expect(when(mine).map((w) => w.split(' ')[0])).toEqual(['d-14', 'z202701020800', 'd-7', 'd-3', 'd-1', 'd0', 'd+1']);
    // Snoozed on the d-1 day: until the d+1 morning, so d0 is not sent to this person.
    const late = withSnooze(steps, { since: vn('2027-01-13T10:00'), until: snoozeUntil(vn('2027-01-13T10:00'), cal.settings, rules) });
    expect(late.find((s) => s.key === 'd0')!.mergedInto).toBe('d+1');
    expect(when(late).map((w) => w.split(' ')[0])).toEqual(['d-14', 'd-7', 'd-3', 'd-1', 'd+1']);
  });

  it('announces events a week before and on the day, without choices', () => {
    const event = cal.deadlines[1]!;
    const [occ] = occurrencesBetween(event, '2027-01-01', '2027-12-31');
    expect(when(buildLadder(occ!, cal.settings, rules))).toEqual(['d-7 thứ Tư, 14/04/2027 lúc 08:00', 'd0 thứ Tư, 21/04/2027 lúc 08:00']);
  });
});
