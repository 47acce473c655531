import type Database from 'better-sqlite3';

/** SQL for the web dashboard: accounts, sessions, login failures, reviews and broadcasts (part of the store module). */

export type AdminRole = 'province' | 'commune';

export interface AdminAccount {
  id: number;
  email: string;
  passwordHash: string;
  role: AdminRole;
  /** Set for commune officers only: the commune whose units they may see. */
  communeCode: string | null;
  createdAt: string;
  disabledAt: string | null;
}

export interface AdminSessionRow {
  accountId: number;
  csrfToken: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

export type ReviewDecision = 'approved' | 'returned';

export interface ReviewRow {
  id: number;
  responseId: number;
  decision: ReviewDecision;
  comment: string | null;
  reviewerEmail: string | null;
  createdAt: string;
}

interface AccountDbRow {
  id: number;
  email: string;
  password_hash: string;
  role: AdminRole;
  commune_code: string | null;
  created_at: string;
  disabled_at: string | null;
}

const toAccount = (r: AccountDbRow): AdminAccount => ({
  id: r.id,
  email: r.email,
  passwordHash: r.password_hash,
  role: r.role,
  communeCode: r.commune_code,
  createdAt: r.created_at,
  disabledAt: r.disabled_at,
});

export class AdminStore {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      accountInsert: db.prepare(
        'INSERT INTO admin_accounts (email, password_hash, role, commune_code, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      accountByEmail: db.prepare('SELECT * FROM admin_accounts WHERE email = ?'),
      accountById: db.prepare('SELECT * FROM admin_accounts WHERE id = ?'),
      accountAll: db.prepare('SELECT * FROM admin_accounts ORDER BY email'),
      accountDisable: db.prepare('UPDATE admin_accounts SET disabled_at = ? WHERE email = ? AND disabled_at IS NULL'),
      accountPassword: db.prepare('UPDATE admin_accounts SET password_hash = ? WHERE id = ?'),
      sessionInsert: db.prepare(
        'INSERT INTO admin_sessions (token_hash, account_id, csrf_token, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      sessionGet: db.prepare(
        'SELECT account_id, csrf_token, created_at, last_seen_at, expires_at FROM admin_sessions WHERE token_hash = ?',
      ),
      sessionTouch: db.prepare('UPDATE admin_sessions SET last_seen_at = ?, expires_at = ? WHERE token_hash = ?'),
      sessionDelete: db.prepare('DELETE FROM admin_sessions WHERE token_hash = ?'),
      sessionDeleteAccount: db.prepare('DELETE FROM admin_sessions WHERE account_id = ?'),
      sessionPurge: db.prepare('DELETE FROM admin_sessions WHERE expires_at <= ?'),
      failureInsert: db.prepare('INSERT INTO admin_login_failures (key, at) VALUES (?, ?)'),
      failureCount: db.prepare('SELECT COUNT(*) AS n FROM admin_login_failures WHERE key = ? AND at > ?'),
      failureClear: db.prepare('DELETE FROM admin_login_failures WHERE key = ?'),
      failurePurge: db.prepare('DELETE FROM admin_login_failures WHERE at <= ?'),
      reviewInsert: db.prepare('INSERT INTO reviews (response_id, decision, comment, reviewer_id, created_at) VALUES (?, ?, ?, ?, ?)'),
      reviewsOf: db.prepare(`
        SELECT v.id, v.response_id AS responseId, v.decision, v.comment, a.email AS reviewerEmail, v.created_at AS createdAt
        FROM reviews v LEFT JOIN admin_accounts a ON a.id = v.reviewer_id
        WHERE v.response_id = ? ORDER BY v.id`),
      broadcastInsert: db.prepare(
        'INSERT OR IGNORE INTO broadcasts (nonce, account_id, text, unit_count, recipient_count, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      broadcastCount: db.prepare('UPDATE broadcasts SET recipient_count = ? WHERE id = ?'),
    };
  }

  addAccount(a: { email: string; passwordHash: string; role: AdminRole; communeCode: string | null; now: string }): AdminAccount {
    const id = Number(this.s.accountInsert.run(a.email, a.passwordHash, a.role, a.communeCode, a.now).lastInsertRowid);
    return this.account(id)!;
  }

  account(id: number): AdminAccount | undefined {
    const r = this.s.accountById.get(id) as AccountDbRow | undefined;
    return r ? toAccount(r) : undefined;
  }

  accountByEmail(email: string): AdminAccount | undefined {
    const r = this.s.accountByEmail.get(email) as AccountDbRow | undefined;
    return r ? toAccount(r) : undefined;
  }

  accounts(): AdminAccount[] {
    return (this.s.accountAll.all() as AccountDbRow[]).map(toAccount);
  }

  /** Disables an account and ends its sessions; false when there was no enabled account of that email. */
  disableAccount(email: string, now: string): boolean {
    return this.db
      .transaction(() => {
        const account = this.accountByEmail(email);
        if (!account || this.s.accountDisable.run(now, email).changes === 0) return false;
        this.s.sessionDeleteAccount.run(account.id);
        return true;
      })
      .immediate();
  }

  /** Replaces a password and ends every session of the account. */
  setPassword(accountId: number, passwordHash: string): void {
    this.db
      .transaction(() => {
        this.s.accountPassword.run(passwordHash, accountId);
        this.s.sessionDeleteAccount.run(accountId);
      })
      .immediate();
  }

  createSession(s: { tokenHash: string; accountId: number; csrfToken: string; now: string; expiresAt: string }): void {
    this.s.sessionInsert.run(s.tokenHash, s.accountId, s.csrfToken, s.now, s.now, s.expiresAt);
  }

  session(tokenHash: string): AdminSessionRow | undefined {
    const r = this.s.sessionGet.get(tokenHash) as
      | { account_id: number; csrf_token: string; created_at: string; last_seen_at: string; expires_at: string }
      | undefined;
    return r
      ? { accountId: r.account_id, csrfToken: r.csrf_token, createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at }
      : undefined;
  }

  touchSession(tokenHash: string, now: string, expiresAt: string): void {
    this.s.sessionTouch.run(now, expiresAt, tokenHash);
  }

  deleteSession(tokenHash: string): void {
    this.s.sessionDelete.run(tokenHash);
  }

  /** Forgets expired sessions and old login failures; returns how many sessions went. */
  purgeExpired(now: string, failuresBefore: string): number {
    this.s.failurePurge.run(failuresBefore);
    return this.s.sessionPurge.run(now).changes;
  }

  recordLoginFailure(key: string, now: string): void {
    this.s.failureInsert.run(key, now);
  }

  loginFailuresSince(key: string, since: string): number {
    return (this.s.failureCount.get(key, since) as { n: number }).n;
  }

  clearLoginFailures(key: string): void {
    this.s.failureClear.run(key);
  }

  addReview(r: { responseId: number; decision: ReviewDecision; comment: string | null; reviewerId: number; now: string }): number {
    return Number(this.s.reviewInsert.run(r.responseId, r.decision, r.comment, r.reviewerId, r.now).lastInsertRowid);
  }

  reviewsOf(responseId: number): ReviewRow[] {
    return this.s.reviewsOf.all(responseId) as ReviewRow[];
  }

  /** Returns the broadcast's id, or undefined when this form (nonce) was already sent: a double submit. */
  recordBroadcast(b: { nonce: string; accountId: number; text: string; unitCount: number; now: string }): number | undefined {
    const r = this.s.broadcastInsert.run(b.nonce, b.accountId, b.text, b.unitCount, 0, b.now);
    return r.changes === 1 ? Number(r.lastInsertRowid) : undefined;
  }

  setBroadcastRecipients(id: number, count: number): void {
    this.s.broadcastCount.run(count, id);
  }
}
