import type { Logger } from '../log.ts';
import type { Output } from '../engine/types.ts';
import { errorMessage } from '../util/errors.ts';
import { reminderStoreOf } from '../store/reminderStore.ts';
import type { NewOutboxMessage, Store } from '../store/store.ts';
import type { FocalPointRow } from '../store/unitStore.ts';
import type { Unit } from '../units/types.ts';
import { type Occurrence, occurrenceKey } from './calendar.ts';
import { localDateOf, localMinutesOf, parseHhmm } from './dates.ts';
import { buildDigestOutput, type DigestRecipient, overdueList } from './overdue.ts';
import { blockedReason, currentStep, type LadderStep, parseSnooze, passedSteps, type ShiftReason, withSnooze } from './ladder.ts';
import { buildAnnouncementOutput, buildReminderOutput, reminderChoices } from './message.ts';
import type { ReminderSchedule } from './schedule.ts';

/**
 * Every minute: deadlines × concerned units × focal points × the ladder's current step → outbox rows.
 * Each reminder is recorded under a unique key (deadline, period, unit, person, step) in the same
 * transaction as its outbox row, so running twice, two planners on one database, or a crash between
 * batches never queues a reminder twice. Nothing is queued ahead of time: a row appears only once its
 * step is due, so a submission or "đã nộp" stops everything not yet queued.
 */

export interface PlannerOptions {
  store: Store;
  schedule: ReminderSchedule;
  logger: Logger;
  now?: () => Date;
  /** Default 60 000 (every minute). */
  intervalMs?: number;
  /** Units written per transaction (default 250): keeps each write lock short for the webhook turns. */
  batchSize?: number;
  /** Called after reminders were queued, so they leave at once. */
  wakeSender?: () => void;
  /** Who receives the daily overdue digest (default: nobody). */
  digestRecipients?: () => DigestRecipient[];
  /** Test hook: runs before each batch's transaction (a throw there simulates a crash mid-run). */
  beforeBatch?: (index: number) => void;
  /**
   * Where a queued reminder goes (messaging windows, linked channels, fallbacks), decided by the
   * channel layer: runs inside the batch's transaction and returns the outbox rows to insert instead
   * of `message` (none: it recorded why). Default: `message` as is.
   */
  routeReminder?: (r: ReminderToRoute) => NewOutboxMessage[];
  /**
   * Whether an upcoming step should be queued now, ahead of its time (e.g. the person's messaging
   * window closes before it). Asked about the next step of each focal point. Default: never.
   */
  sendEarly?: (p: { store: Store; fp: FocalPointRow; step: LadderStep; now: Date }) => boolean;
}

/** A reminder the planner is about to queue, for PlannerOptions.routeReminder. */
export interface ReminderToRoute {
  store: Store;
  schedule: ReminderSchedule;
  occ: Occurrence;
  unit: Unit;
  fp: FocalPointRow;
  step: LadderStep;
  now: Date;
  /** Its reminder_log id (the buttons' scope "rm:<id>") and unique key (deadline|period|unit|person|step). */
  logId: number;
  key: string;
  message: NewOutboxMessage;
}

export interface TickReport {
  queued: number;
  skipped: number;
  digests: number;
  /** Set when nothing was sent because of quiet hours or a holiday. */
  blocked?: ShiftReason;
}

interface Pending {
  fp: FocalPointRow;
  step: LadderStep;
  status: 'queued' | 'skipped';
}

export class ReminderPlanner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<TickReport> | undefined;
  private stopped = true;
  /** Occurrences whose every window closed and that were processed once since start. */
  private readonly finished = new Set<string>();
  private digestDoneFor: string | undefined;

  constructor(private readonly opts: PlannerOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.scheduleTick(0);
  }

  /** Stops the timer and waits for a tick under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private scheduleTick(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.tick();
      void this.running
        .catch((err: unknown) => {
          this.opts.logger.error({ err: errorMessage(err) }, 'reminder planner tick failed');
          return undefined;
        })
        .finally(() => {
          this.running = undefined;
          this.scheduleTick(this.opts.intervalMs ?? 60_000);
        });
    }, ms);
    this.timer.unref?.();
  }

  /** One planning pass at `now` (default: the injected clock). */
  async tick(at?: Date): Promise<TickReport> {
    const now = at ?? this.now();
    const { schedule } = this.opts;
    const blocked = blockedReason(now, schedule.rules);
    if (blocked) return { queued: 0, skipped: 0, digests: 0, blocked };

    const report: TickReport = { queued: 0, skipped: 0, digests: 0 };
    const today = localDateOf(now);
    let units: Unit[] | undefined;
    let focal: Map<string, FocalPointRow[]> | undefined;
    for (const occ of schedule.occurrencesAround(today)) {
      const steps = schedule.ladder(occ);
      const live = steps.filter((s) => !s.mergedInto);
      if (live.length === 0 || now < live[0]!.at) continue;
      const key = occurrenceKey(occ);
      const snoozes = reminderStoreOf(this.opts.store).snoozesOf(occ.entry.id, occ.period);
      const closed = now >= live[live.length - 1]!.validUntil && [...snoozes.values()].every((z) => Date.parse(z.until) + 2 * 86_400_000 <= now.getTime());
      if (closed && this.finished.has(key)) continue;
      units ??= this.opts.store.units.units();
      focal ??= groupByUnit(this.opts.store.units.allFocalPoints());
      const r = await this.planOccurrence({ occ, steps, snoozes, now, units, focal });
      report.queued += r.queued;
      report.skipped += r.skipped;
      if (closed) this.finished.add(key);
    }
    report.digests = this.planDigest(now);
    if (report.queued + report.digests > 0) this.opts.wakeSender?.();
    return report;
  }

  private async planOccurrence(p: {
    occ: Occurrence;
    steps: LadderStep[];
    snoozes: Map<string, { since: string; until: string }>;
    now: Date;
    units: Unit[];
    focal: Map<string, FocalPointRow[]>;
  }): Promise<{ queued: number; skipped: number }> {
    const { occ, steps, snoozes, now } = p;
    const { store, schedule, logger } = this.opts;
    const reminders = reminderStoreOf(store);
    const logged = reminders.loggedOf(occ.entry.id, occ.period);

    const work: Array<{ unit: Unit; pending: Pending[] }> = [];
    let seen = 0;
    for (const unit of p.units) {
      // Yield now and then: with ten thousand units this loop would hold up webhook turns.
      if (++seen % 1000 === 0) await new Promise((r) => setImmediate(r));
      if (!schedule.concerns(occ.entry, unit)) continue;
      const pending: Pending[] = [];
      for (const fp of p.focal.get(unit.id) ?? []) {
        const personSteps = withSnooze(steps, parseSnooze(snoozes.get(`${unit.id}|${fp.personId}`)));
        const isLogged = (s: LadderStep) => logged.has(`${unit.id}|${fp.personId}|${s.key}`);
        for (const s of passedSteps(personSteps, now)) if (!isLogged(s)) pending.push({ fp, step: s, status: 'skipped' });
        const cur = currentStep(personSteps, now);
        if (cur && !isLogged(cur)) pending.push({ fp, step: cur, status: 'queued' });
        // Pulled forward only when nothing else goes to this person now: one reminder at a time.
        const next = this.opts.sendEarly && !(cur && !isLogged(cur)) ? personSteps.find((s) => !s.mergedInto && s.at > now) : undefined;
        if (next && !isLogged(next) && this.opts.sendEarly!({ store: this.opts.store, fp, step: next, now })) {
          pending.push({ fp, step: next, status: 'queued' });
        }
      }
      if (pending.length > 0) work.push({ unit, pending });
    }

    let queued = 0;
    const skippedBySteps = new Map<string, number>();
    const batchSize = this.opts.batchSize ?? 250;
    const nowIso = now.toISOString();
    const flow = schedule.flowOf(occ.entry);
    for (let b = 0; b * batchSize < work.length; b++) {
      this.opts.beforeBatch?.(b);
      const batch = work.slice(b * batchSize, (b + 1) * batchSize);
      store.transaction(() => {
        for (const { unit, pending } of batch) {
          // Read inside the write transaction: a submission committed a moment ago is seen here.
          if (schedule.fulfilment(store, occ, unit.id)) continue;
          for (const { fp, step, status } of pending) {
            const key = `${occ.entry.id}|${occ.period}|${unit.id}|${fp.personId}|${step.key}`;
            const isDeadline = occ.entry.kind === 'deadline';
            const choices = status === 'queued' && isDeadline ? reminderChoices(flow !== undefined).map((c) => c.id) : [];
            const logId = reminders.log(
              {
                key,
                deadlineId: occ.entry.id,
                period: occ.period,
                unitId: unit.id,
                personId: fp.personId,
                step: step.key,
                status,
                choices,
                plannedAt: step.at.toISOString(),
                reason: status === 'skipped' ? 'window passed while the planner was not running' : undefined,
              },
              nowIso,
            );
            if (logId === undefined) continue;
            if (status === 'skipped') {
              skippedBySteps.set(step.key, (skippedBySteps.get(step.key) ?? 0) + 1);
              continue;
            }
            const output: Output = isDeadline
              ? buildReminderOutput({ calendar: schedule.calendar, occ, unit, now, flowTitle: flow?.title, logId })
              : buildAnnouncementOutput({ occ, now });
            const message: NewOutboxMessage = { channel: fp.channel, chatId: fp.externalId, personId: fp.personId, kind: 'reminder', payload: JSON.stringify(output), dedupeKey: `rm|${key}` };
            const rows = this.opts.routeReminder ? this.opts.routeReminder({ store, schedule, occ, unit, fp, step, now, logId, key, message }) : [message];
            for (const row of rows) store.enqueue(row, nowIso);
            queued++;
          }
        }
      });
      // Let webhook turns and the outbox sender run between batches.
      await new Promise((r) => setImmediate(r));
    }
    let skipped = 0;
    for (const [step, count] of skippedBySteps) {
      skipped += count;
      logger.info({ deadline: occ.entry.id, period: occ.period, step, count }, 'reminder step skipped: its window passed while the planner was not running');
    }
    if (queued > 0) logger.info({ deadline: occ.entry.id, period: occ.period, queued }, 'reminders queued');
    return { queued, skipped };
  }

  /** The daily digest of overdue units to the secretariat, once a day from `digest.sendAt`. */
  private planDigest(now: Date): number {
    const { store, schedule } = this.opts;
    const today = localDateOf(now);
    if (this.digestDoneFor === today || localMinutesOf(now) < parseHhmm(schedule.settings.digest.sendAt)) return 0;
    const recipients = this.opts.digestRecipients?.() ?? [];
    let queued = 0;
    if (recipients.length > 0) {
      const list = overdueList({ store, schedule, now });
      if (list.length > 0) {
        const output = buildDigestOutput({ list, now, maxUnitsPerDeadline: schedule.settings.digest.maxUnitsPerDeadline });
        store.transaction(() => {
          for (const r of recipients) {
            const ok = store.enqueue(
              { channel: r.channel, chatId: r.chatId, personId: r.personId, kind: 'digest', payload: JSON.stringify(output), dedupeKey: `dg|${today}|${r.personId}` },
              now.toISOString(),
            );
            if (ok) queued++;
          }
        });
      }
    }
    this.digestDoneFor = today;
    return queued;
  }

  private now(): Date {
    return this.opts.now ? this.opts.now() : new Date();
  }
}

function groupByUnit(rows: FocalPointRow[]): Map<string, FocalPointRow[]> {
  const m = new Map<string, FocalPointRow[]>();
  for (const r of rows) {
    const list = m.get(r.unitId);
    if (list) list.push(r);
    else m.set(r.unitId, [r]);
  }
  return m;
}

export function createReminderPlanner(opts: PlannerOptions): ReminderPlanner {
  return new ReminderPlanner(opts);
}
