import type Database from 'better-sqlite3';

/** SQL for deadline reminders: what was queued or skipped, "đã nộp" acknowledgements, snoozes (part of the store module). */

export interface ReminderLogRow {
  id: number;
  reminder_key: string;
  deadline_id: string;
  period: string;
  unit_id: string;
  person_id: number;
  step: string;
  status: 'queued' | 'skipped';
  /** Choice ids offered, comma-separated, in display order (for replies typed as a number). */
  choices: string;
  planned_at: string;
  created_at: string;
  reason: string | null;
}

export interface NewReminderLog {
  key: string;
  deadlineId: string;
  period: string;
  unitId: string;
  personId: number;
  step: string;
  status: 'queued' | 'skipped';
  choices: string[];
  plannedAt: string;
  reason?: string | undefined;
}

export interface ReminderAck {
  personId: number | null;
  channel: string;
  ackedAt: string;
}

export class ReminderStore {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      logInsert: db.prepare(`
        INSERT OR IGNORE INTO reminder_log (reminder_key, deadline_id, period, unit_id, person_id, step, status, choices, planned_at, created_at, reason)
        VALUES (@key, @deadlineId, @period, @unitId, @personId, @step, @status, @choices, @plannedAt, @now, @reason)`),
      logOfOccurrence: db.prepare('SELECT unit_id, person_id, step FROM reminder_log WHERE deadline_id = ? AND period = ?'),
      logById: db.prepare('SELECT * FROM reminder_log WHERE id = ?'),
      logLatestQueued: db.prepare("SELECT * FROM reminder_log WHERE person_id = ? AND status = 'queued' ORDER BY id DESC LIMIT 1"),
      logCount: db.prepare('SELECT status, COUNT(*) AS n FROM reminder_log GROUP BY status'),
      ackInsert: db.prepare(
        'INSERT OR IGNORE INTO reminder_acks (deadline_id, period, unit_id, person_id, channel, acked_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      ackGet: db.prepare('SELECT person_id, channel, acked_at FROM reminder_acks WHERE deadline_id = ? AND period = ? AND unit_id = ?'),
      acksOf: db.prepare('SELECT unit_id, person_id, channel, acked_at FROM reminder_acks WHERE deadline_id = ? AND period = ?'),
      snoozeUpsert: db.prepare(`
        INSERT INTO reminder_snoozes (deadline_id, period, unit_id, person_id, until, created_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (deadline_id, period, unit_id, person_id) DO UPDATE SET until = excluded.until, created_at = excluded.created_at`),
      snoozesOf: db.prepare('SELECT unit_id, person_id, until, created_at FROM reminder_snoozes WHERE deadline_id = ? AND period = ?'),
      lastQueuedOfUnit: db.prepare(
        "SELECT MAX(created_at) AS t FROM reminder_log WHERE deadline_id = ? AND period = ? AND unit_id = ? AND status = 'queued'",
      ),
    };
  }

  /** Records a reminder under its unique key; the row id, or undefined when the key already exists. */
  log(r: NewReminderLog, now: string): number | undefined {
    const info = this.s.logInsert.run({ ...r, choices: r.choices.join(','), reason: r.reason ?? null, now });
    return info.changes === 1 ? Number(info.lastInsertRowid) : undefined;
  }

  /** "unit|person|step" of everything queued or skipped for one deadline and period. */
  loggedOf(deadlineId: string, period: string): Set<string> {
    const rows = this.s.logOfOccurrence.all(deadlineId, period) as Array<{ unit_id: string; person_id: number; step: string }>;
    return new Set(rows.map((r) => `${r.unit_id}|${r.person_id}|${r.step}`));
  }

  logById(id: number): ReminderLogRow | undefined {
    return this.s.logById.get(id) as ReminderLogRow | undefined;
  }

  latestQueuedFor(personId: number): ReminderLogRow | undefined {
    return this.s.logLatestQueued.get(personId) as ReminderLogRow | undefined;
  }

  logCounts(): Record<string, number> {
    const rows = this.s.logCount.all() as Array<{ status: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /** Records "đã nộp" for the unit; false when someone already did. */
  recordAck(p: { deadlineId: string; period: string; unitId: string; personId: number; channel: string; now: string }): boolean {
    return this.s.ackInsert.run(p.deadlineId, p.period, p.unitId, p.personId, p.channel, p.now).changes === 1;
  }

  ack(deadlineId: string, period: string, unitId: string): ReminderAck | undefined {
    const r = this.s.ackGet.get(deadlineId, period, unitId) as { person_id: number | null; channel: string; acked_at: string } | undefined;
    return r ? { personId: r.person_id, channel: r.channel, ackedAt: r.acked_at } : undefined;
  }

  acksOf(deadlineId: string, period: string): Map<string, ReminderAck> {
    const rows = this.s.acksOf.all(deadlineId, period) as Array<{ unit_id: string; person_id: number | null; channel: string; acked_at: string }>;
    return new Map(rows.map((r) => [r.unit_id, { personId: r.person_id, channel: r.channel, ackedAt: r.acked_at }]));
  }

  snooze(p: { deadlineId: string; period: string; unitId: string; personId: number; until: string; now: string }): void {
    this.s.snoozeUpsert.run(p.deadlineId, p.period, p.unitId, p.personId, p.until, p.now);
  }

  /** "unit|person" → when the snooze was asked (since) and until when (ISO instants). */
  snoozesOf(deadlineId: string, period: string): Map<string, { since: string; until: string }> {
    const rows = this.s.snoozesOf.all(deadlineId, period) as Array<{ unit_id: string; person_id: number; until: string; created_at: string }>;
    return new Map(rows.map((r) => [`${r.unit_id}|${r.person_id}`, { since: r.created_at, until: r.until }]));
  }

  /** When a reminder for this deadline and period was last queued for one of the unit's focal points. */
  lastQueuedAt(deadlineId: string, period: string, unitId: string): string | undefined {
    return (this.s.lastQueuedOfUnit.get(deadlineId, period, unitId) as { t: string | null }).t ?? undefined;
  }
}

const byConnection = new WeakMap<Database.Database, ReminderStore>();

/** The reminder SQL for a store's connection (prepared once per connection). */
export function reminderStoreOf(store: { db: Database.Database }): ReminderStore {
  let r = byConnection.get(store.db);
  if (!r) {
    r = new ReminderStore(store.db);
    byConnection.set(store.db, r);
  }
  return r;
}
