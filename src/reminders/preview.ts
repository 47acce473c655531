import { reminderStoreOf } from '../store/reminderStore.ts';
import type { Store } from '../store/store.ts';
import type { FocalPointRow } from '../store/unitStore.ts';
import type { Unit } from '../units/types.ts';
import { type Occurrence, occurrencesBetween } from './calendar.ts';
import { addDays, localDateOf } from './dates.ts';
import { type LadderStep, parseSnooze, withSnooze } from './ladder.ts';
import type { ReminderSchedule } from './schedule.ts';

/**
 * What the planner would send between two instants, assuming the server runs throughout and nobody
 * reports in the meantime: for `xhht remind --dry-run`. Reads the store, writes nothing.
 */

export interface PreviewSend {
  at: Date;
  occ: Occurrence;
  step: LadderStep;
  unit: Unit;
  /** Focal points that would receive it (empty: the unit has nobody to remind). */
  recipients: FocalPointRow[];
  /** Already queued earlier (the planner will not send it again). */
  alreadySent: number;
}

export interface PreviewSkip {
  occ: Occurrence;
  unit: Unit;
  reason: string;
}

export interface Preview {
  sends: PreviewSend[];
  skips: PreviewSkip[];
}

export function previewReminders(p: {
  schedule: ReminderSchedule;
  store: Store;
  from: Date;
  to: Date;
  units: Unit[];
  /** Focal points by unit; a hypothetical unit brings its own. */
  focalPoints: (unitId: string) => FocalPointRow[];
}): Preview {
  const { schedule, store } = p;
  const reminders = reminderStoreOf(store);
  const sends: PreviewSend[] = [];
  const skips: PreviewSkip[] = [];
  const fromDate = addDays(localDateOf(p.from), -60);
  const toDate = addDays(localDateOf(p.to), 60);
  for (const entry of schedule.enabledEntries()) {
    for (const occ of occurrencesBetween(entry, fromDate, toDate)) {
      const steps = schedule.ladder(occ);
      if (!steps.some((s) => !s.mergedInto && s.at < p.to && s.validUntil > p.from)) continue;
      const logged = reminders.loggedOf(entry.id, occ.period);
      const snoozes = reminders.snoozesOf(entry.id, occ.period);
      for (const unit of p.units) {
        if (!schedule.concerns(entry, unit)) continue;
        const done = schedule.fulfilment(store, occ, unit.id);
        if (done) {
          skips.push({ occ, unit, reason: done.by === 'ack' ? `đã báo “đã nộp” (${done.at})` : `đã gửi kết quả tự đánh giá (${done.at})` });
          continue;
        }
        const fps = p.focalPoints(unit.id);
        const byStep = new Map<string, PreviewSend>();
        const add = (step: LadderStep, fp: FocalPointRow | undefined) => {
          if (step.mergedInto || step.at < p.from || step.at >= p.to) return;
          const send = byStep.get(step.key) ?? { at: step.at, occ, step, unit, recipients: [], alreadySent: 0 };
          byStep.set(step.key, send);
          if (!fp) return;
          if (logged.has(`${unit.id}|${fp.personId}|${step.key}`)) send.alreadySent++;
          else send.recipients.push(fp);
        };
        if (fps.length === 0) for (const s of steps) add(s, undefined);
        for (const fp of fps) {
          for (const s of withSnooze(steps, parseSnooze(snoozes.get(`${unit.id}|${fp.personId}`)))) add(s, fp);
        }
        sends.push(...byStep.values());
      }
    }
  }
  sends.sort((a, b) => a.at.getTime() - b.at.getTime() || a.occ.entry.id.localeCompare(b.occ.entry.id) || a.unit.name.localeCompare(b.unit.name, 'vi'));
  return { sends, skips };
}
