import type { Channel } from '../channels/channel.ts';
import type { Flow } from '../flow/schema.ts';
import type { HealthReport } from '../http/app.ts';
import { HealthStore, type OutboxHealth } from '../store/healthStore.ts';
import type { Store } from '../store/store.ts';

export interface HealthOptions {
  store: Store;
  flows: Flow[];
  channels: Channel[];
  startedAt: Date;
  /** Where webhook turns run; `running: false` makes the report "degraded". */
  turns?: () => { running?: boolean } & Record<string, unknown>;
  /** A reply waiting longer than this makes the report "degraded" (a platform down, a token revoked). */
  maxOutboxLagSeconds?: number;
  now?: () => Date;
}

/**
 * A richer /healthz: whether the database answers and takes writes, the schema version, per channel
 * the adapter's own status plus its outbox (waiting, oldest wait, given up in the last day), and
 * "degraded" (HTTP 503) when the database fails or replies stopped leaving. Nothing in it is
 * personal or secret: no ids, texts, tokens or URLs.
 */
export function createHealthReport(o: HealthOptions): () => HealthReport {
  const health = new HealthStore(o.store.db);
  const maxLag = o.maxOutboxLagSeconds ?? 600;
  return () => {
    const now = o.now?.() ?? new Date();
    let db: { ok: boolean; writable: boolean; schemaVersion: number | null };
    try {
      db = { ok: o.store.ping(), writable: health.writable(), schemaVersion: health.schemaVersion() };
    } catch {
      db = { ok: false, writable: false, schemaVersion: null };
    }
    const channels: Record<string, Record<string, unknown> & { outbox?: OutboxHealth }> = {};
    for (const c of o.channels) {
      let outbox: OutboxHealth | undefined;
      try {
        outbox = db.ok ? health.outbox(c.name, now) : undefined;
      } catch {
        outbox = undefined;
      }
      channels[c.name] = { ...c.health(), ...(outbox ? { outbox } : {}) };
    }
    const stuck = Object.entries(channels)
      .filter(([, c]) => (c.outbox?.oldestPendingSeconds ?? 0) > maxLag)
      .map(([name]) => name);
    const turns = o.turns?.();
    const problems = [
      ...(db.ok ? [] : ['database not answering']),
      ...(db.ok && !db.writable ? ['database not writable'] : []),
      ...(turns?.running === false ? ['turn worker not running'] : []),
      ...stuck.map((n) => `${n}: replies waiting over ${maxLag} s`),
    ];
    return {
      status: problems.length === 0 ? 'ok' : 'degraded',
      ...(problems.length ? { problems } : {}),
      uptimeSeconds: Math.round((now.getTime() - o.startedAt.getTime()) / 1000),
      db,
      flows: o.flows.map((f) => `${f.id}@${f.version}`),
      ...(turns ? { turns } : {}),
      channels,
    };
  };
}
