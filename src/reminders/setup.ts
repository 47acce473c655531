import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { Flow } from '../flow/schema.ts';
import type { Logger } from '../log.ts';
import type { Interceptor } from '../service/conversation.ts';
import { SecretariatStore } from '../store/secretariatStore.ts';
import type { Store } from '../store/store.ts';
import { loadCalendar, missingFlows } from './calendar.ts';
import { createReminderInterceptor } from './interceptor.ts';
import { createDeadlineInfo, type DigestRecipient } from './overdue.ts';
import { type PlannerOptions, ReminderPlanner } from './planner.ts';
import { ReminderSchedule } from './schedule.ts';

/** Everything the server needs for reminders, built from the config: one call from startBot. */

export const CALENDAR_FILE = 'deadlines.yaml';

export function calendarPath(dataDir: string): string {
  return join(dataDir, CALENDAR_FILE);
}

/**
 * Loads DATA_DIR/deadlines.yaml. A missing file turns reminders off (with a warning); an invalid one
 * throws CalendarLoadError naming every problem, so the server refuses to start.
 */
export function loadReminderSchedule(p: { dataDir: string; flows: Flow[]; logger: Logger }): ReminderSchedule | undefined {
  const file = calendarPath(p.dataDir);
  if (!existsSync(file)) {
    p.logger.warn({ file: CALENDAR_FILE }, 'no deadline calendar: reminders are off');
    return undefined;
  }
  const calendar = loadCalendar(file);
  for (const m of missingFlows(calendar, p.flows)) {
    p.logger.warn(m, 'a deadline names a flow that is not loaded: its reminders offer no "Bắt đầu"');
  }
  return new ReminderSchedule(calendar, p.flows);
}

/** Secretariat members registered in chat (issue 7's table): the daily overdue digest goes to them. */
export function secretariatRecipients(store: Store): () => DigestRecipient[] {
  const secretariat = new SecretariatStore(store.db);
  return () => secretariat.activeMembers().map((m) => ({ personId: m.personId, channel: m.channel, chatId: m.externalId }));
}

export interface Reminders {
  schedule: ReminderSchedule;
  planner: ReminderPlanner;
  /** Add to the ConversationService's interceptors: taps and typed replies to reminders. */
  interceptor: Interceptor;
  /** For the dashboard (WebDeps.deadlines). */
  deadlineInfo: ReturnType<typeof createDeadlineInfo>;
}

export function createReminders(p: {
  config: Pick<Config, 'dataDir' | 'reminders'>;
  store: Store;
  flows: Flow[];
  logger: Logger;
  wakeSender?: () => void;
  now?: () => Date;
  /** Channel-aware routing (the Zalo OA window, linked channels); reminders go straight to the outbox without it. */
  routing?: Pick<PlannerOptions, 'routeReminder' | 'sendEarly'>;
}): Reminders | undefined {
  if (!p.config.reminders.enabled) return undefined;
  const schedule = loadReminderSchedule({ dataDir: p.config.dataDir, flows: p.flows, logger: p.logger });
  if (!schedule) return undefined;
  const planner = new ReminderPlanner({
    store: p.store,
    schedule,
    logger: p.logger,
    intervalMs: p.config.reminders.intervalMs,
    digestRecipients: secretariatRecipients(p.store),
    ...(p.wakeSender ? { wakeSender: p.wakeSender } : {}),
    ...(p.now ? { now: p.now } : {}),
    ...(p.routing ?? {}),
  });
  return {
    schedule,
    planner,
    interceptor: createReminderInterceptor({ schedule }),
    deadlineInfo: createDeadlineInfo({ store: p.store, schedule }),
  };
}
