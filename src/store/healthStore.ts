import type Database from 'better-sqlite3';

export interface OutboxHealth {
  pending: number;
  /** Age of the oldest message still waiting, in seconds (0 when none waits). */
  oldestPendingSeconds: number;
  /** Messages given up in the last 24 hours (blocked chats, rejected texts, retries exhausted). */
  failedLastDay: number;
}

/**
 * Figures for /healthz, each answered from an index prefix (channel, status, …) so a health probe
 * stays cheap when the outbox holds millions of sent rows — unlike COUNT(*) GROUP BY status,
 * which reads them all on every probe.
 */
export class HealthStore {
  private readonly pending: Database.Statement;
  private readonly oldest: Database.Statement;
  private readonly failed: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.pending = db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE channel = ? AND status = 'pending'");
    this.oldest = db.prepare("SELECT MIN(created_at) AS t FROM outbox WHERE channel = ? AND status = 'pending'");
    // next_attempt_at of a failed row is when its last attempt was due: close enough to "failed at".
    this.failed = db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE channel = ? AND status = 'failed' AND next_attempt_at >= ?");
  }

  outbox(channel: string, now: Date): OutboxHealth {
    const pending = (this.pending.get(channel) as { n: number }).n;
    const oldest = (this.oldest.get(channel) as { t: string | null }).t;
    const dayAgo = new Date(now.getTime() - 24 * 3600_000).toISOString();
    return {
      pending,
      oldestPendingSeconds: oldest ? Math.max(0, Math.round((now.getTime() - Date.parse(oldest)) / 1000)) : 0,
      failedLastDay: (this.failed.get(channel, dayAgo) as { n: number }).n,
    };
  }

  /**
   * True when the database takes a write lock now: false when it is read-only or another process
   * holds the lock. Never waits (busy_timeout 0 for the probe), so a probe cannot stall the server.
   */
  writable(): boolean {
    const previous = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma('busy_timeout = 0');
    try {
      this.db.exec('BEGIN IMMEDIATE');
      this.db.exec('ROLLBACK');
      return true;
    } catch {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      return false;
    } finally {
      this.db.pragma(`busy_timeout = ${previous}`);
    }
  }

  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }
}
