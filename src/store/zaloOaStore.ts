import type Database from 'better-sqlite3';

/**
 * SQL for the Zalo Official Account channel (part of the store module): OAuth tokens, pending PKCE
 * authorisations, long button payloads, and reminders that could not reach a person.
 * Token values are read and written here only; nothing in this file logs.
 */

export interface OaTokenRow {
  app_id: string;
  access_token: string;
  access_expires_at: string;
  refresh_token: string;
  refresh_expires_at: string | null;
  updated_at: string;
  /** Set when Zalo refused the refresh token: the OA must be authorised again. */
  dead_at: string | null;
  dead_reason: string | null;
}

export interface NewOaTokens {
  appId: string;
  accessToken: string;
  accessExpiresAt: string;
  refreshToken: string;
  refreshExpiresAt: string | undefined;
}

export interface UnreachableReminder {
  id: number;
  reminderKey: string;
  deadlineId: string;
  period: string;
  unitId: string;
  unitName: string | null;
  step: string;
  personId: number | null;
  channel: string;
  reason: string;
  createdAt: string;
}

export class ZaloOaStore {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      tokenGet: db.prepare('SELECT * FROM zalo_oa_tokens WHERE app_id = ?'),
      tokenUpsert: db.prepare(`
        INSERT INTO zalo_oa_tokens (app_id, access_token, access_expires_at, refresh_token, refresh_expires_at, updated_at, dead_at, dead_reason)
        VALUES (@appId, @accessToken, @accessExpiresAt, @refreshToken, @refreshExpiresAt, @now, NULL, NULL)
        ON CONFLICT(app_id) DO UPDATE SET access_token = excluded.access_token, access_expires_at = excluded.access_expires_at,
          refresh_token = excluded.refresh_token, refresh_expires_at = excluded.refresh_expires_at, updated_at = excluded.updated_at,
          dead_at = NULL, dead_reason = NULL`),
      tokenDead: db.prepare('UPDATE zalo_oa_tokens SET dead_at = ?, dead_reason = ? WHERE app_id = ? AND refresh_token = ? AND dead_at IS NULL'),
      pkceInsert: db.prepare('INSERT INTO zalo_oa_pkce (state, code_verifier, redirect_uri, created_at) VALUES (?, ?, ?, ?)'),
      pkceGet: db.prepare('SELECT state, code_verifier, redirect_uri, created_at FROM zalo_oa_pkce WHERE state = ?'),
      pkceLatest: db.prepare('SELECT state, code_verifier, redirect_uri, created_at FROM zalo_oa_pkce ORDER BY created_at DESC LIMIT 1'),
      pkceDelete: db.prepare('DELETE FROM zalo_oa_pkce WHERE state = ?'),
      pkcePurge: db.prepare('DELETE FROM zalo_oa_pkce WHERE created_at < ?'),
      payloadInsert: db.prepare('INSERT OR IGNORE INTO zalo_oa_payloads (token, scope, choice_id, created_at) VALUES (?, ?, ?, ?)'),
      payloadGet: db.prepare('SELECT scope, choice_id FROM zalo_oa_payloads WHERE token = ?'),
      unreachableInsert: db.prepare(`
        INSERT OR IGNORE INTO reminder_unreachable (reminder_key, deadline_id, period, unit_id, step, person_id, channel, reason, created_at)
        VALUES (@reminderKey, @deadlineId, @period, @unitId, @step, @personId, @channel, @reason, @now)`),
      unreachableList: db.prepare(`
        SELECT r.id, r.reminder_key AS reminderKey, r.deadline_id AS deadlineId, r.period, r.unit_id AS unitId, u.name AS unitName,
          r.step, r.person_id AS personId, r.channel, r.reason, r.created_at AS createdAt
        FROM reminder_unreachable r LEFT JOIN units u ON u.id = r.unit_id
        WHERE r.created_at >= ? ORDER BY r.id DESC LIMIT ?`),
      unreachableCount: db.prepare('SELECT COUNT(*) AS n FROM reminder_unreachable WHERE created_at >= ?'),
      reminderLogged: db.prepare("SELECT id FROM reminder_log WHERE reminder_key = ? AND status = 'queued'"),
      reminderSkip: db.prepare("UPDATE reminder_log SET status = 'skipped', reason = ? WHERE reminder_key = ?"),
      personReachable: db.prepare('UPDATE people SET unreachable_at = NULL, unreachable_reason = NULL WHERE channel = ? AND external_id = ?'),
    };
  }

  // --- tokens ------------------------------------------------------------------------------

  tokens(appId: string): OaTokenRow | undefined {
    return this.s.tokenGet.get(appId) as OaTokenRow | undefined;
  }

  /** Stores a fresh pair (the refresh token is single-use: the old one is worthless from now on). */
  saveTokens(t: NewOaTokens, now: string): void {
    this.s.tokenUpsert.run({ ...t, refreshExpiresAt: t.refreshExpiresAt ?? null, now });
  }

  /** Marks the refresh token dead, unless another process already replaced it. True when marked. */
  markTokensDead(appId: string, refreshToken: string, reason: string, now: string): boolean {
    return this.s.tokenDead.run(now, reason.slice(0, 200), appId, refreshToken).changes === 1;
  }

  // --- PKCE --------------------------------------------------------------------------------

  savePkce(p: { state: string; codeVerifier: string; redirectUri: string }, now: string): void {
    this.s.pkceInsert.run(p.state, p.codeVerifier, p.redirectUri, now);
  }

  /** The pending authorisation for `state`, or the latest one when no state is given. */
  pkce(state?: string): { state: string; code_verifier: string; redirect_uri: string; created_at: string } | undefined {
    return (state ? this.s.pkceGet.get(state) : this.s.pkceLatest.get()) as
      | { state: string; code_verifier: string; redirect_uri: string; created_at: string }
      | undefined;
  }

  deletePkce(state: string): void {
    this.s.pkceDelete.run(state);
  }

  purgePkceBefore(instant: string): void {
    this.s.pkcePurge.run(instant);
  }

  // --- button payloads ---------------------------------------------------------------------

  savePayload(token: string, scope: string, choiceId: string, now: string): void {
    this.s.payloadInsert.run(token, scope, choiceId, now);
  }

  payload(token: string): { scope: string; choiceId: string } | undefined {
    const r = this.s.payloadGet.get(token) as { scope: string; choice_id: string } | undefined;
    return r ? { scope: r.scope, choiceId: r.choice_id } : undefined;
  }

  // --- reminders that could not reach a person ---------------------------------------------

  /** Lists a reminder for the secretariat; false when it is already listed. */
  recordUnreachable(
    r: { reminderKey: string; deadlineId: string; period: string; unitId: string; step: string; personId: number | null; channel: string; reason: string },
    now: string,
  ): boolean {
    return this.s.unreachableInsert.run({ ...r, now }).changes === 1;
  }

  unreachableSince(since: string, limit: number): UnreachableReminder[] {
    return this.s.unreachableList.all(since, limit) as UnreachableReminder[];
  }

  unreachableCountSince(since: string): number {
    return (this.s.unreachableCount.get(since) as { n: number }).n;
  }

  /**
   * A reminder the person never received (it went on the secretariat's list) is "skipped" in the
   * reminder log, so the dashboard's "last reminder" does not count it as sent.
   */
  markReminderNotSent(reminderKey: string, reason: string): void {
    this.s.reminderSkip.run(reason.slice(0, 200), reminderKey);
  }

  /**
   * A person who follows the OA again can be written to again. Unlike touchPerson this leaves
   * last_inbound_at alone: whether a follow opens the messaging window is not documented.
   */
  markReachable(channel: string, externalId: string): void {
    this.s.personReachable.run(channel, externalId);
  }

  /** Whether a reminder under this key (deadline|period|unit|person|step) was queued. */
  reminderQueued(reminderKey: string): boolean {
    return this.s.reminderLogged.get(reminderKey) !== undefined;
  }
}

const byConnection = new WeakMap<Database.Database, ZaloOaStore>();

/** The Zalo OA SQL for a store's connection (prepared once per connection). */
export function zaloOaStoreOf(store: { db: Database.Database }): ZaloOaStore {
  let s = byConnection.get(store.db);
  if (!s) {
    s = new ZaloOaStore(store.db);
    byConnection.set(store.db, s);
  }
  return s;
}
