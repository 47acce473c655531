import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.ts';
import { UnitStore } from './unitStore.ts';

/** The only module that speaks SQL. One connection, WAL, FULL sync by default, numbered migrations. */

export interface StoreOptions {
  synchronous?: 'FULL' | 'NORMAL' | 'EXTRA';
  /** Milliseconds to wait on a lock held by another process (a backup, a second CLI). */
  busyTimeoutMs?: number;
}

/** Where the inbox sweep stands: the key of the last dedupe record it read. */
export interface InboxKey {
  channel: string;
  eventId: string;
}

export interface PersonRow {
  id: number;
  channel: string;
  external_id: string;
  created_at: string;
  last_inbound_at: string | null;
  unreachable_at: string | null;
}

export interface OutboxRow {
  id: number;
  channel: string;
  chat_id: string;
  person_id: number | null;
  kind: string;
  payload: string;
  dedupe_key: string | null;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  created_at: string;
  next_attempt_at: string;
  sent_at: string | null;
  last_error: string | null;
}

export interface NewOutboxMessage {
  channel: string;
  chatId: string;
  personId: number | null;
  kind?: string;
  payload: string;
  dedupeKey?: string;
  notBefore?: string;
}

export interface ResponseRow {
  id: number;
  person_id: number;
  channel: string;
  flow_id: string;
  flow_version: string;
  status: 'in_progress' | 'submitted' | 'cancelled';
  period: string | null;
  started_at: string;
  updated_at: string;
  submitted_at: string | null;
  passed: number | null;
  score: number | null;
  level: string | null;
  result: string | null;
  unit_id: string | null;
  replaced_at: string | null;
  commune_code: string | null;
}

export interface AnswerRow {
  id: number;
  response_id: number;
  flow_id: string;
  flow_version: string;
  question_id: string;
  question_text: string;
  raw: string;
  value: string;
  answered_at: string;
  superseded_at: string | null;
}

/**
 * What sending a message changes in the database, as data: the outbox sender collects these and
 * commits them together, on whichever thread holds the write connection it is given.
 */
export type OutboxWrite =
  | { op: 'sent'; id: number; at: string }
  | { op: 'retry'; id: number; nextAttemptAt: string; error: string }
  | { op: 'failed'; id: number; error: string }
  /** The person blocked the bot or left: every pending message to them fails, and they are marked. */
  | { op: 'chatUnreachable'; channel: string; chatId: string; error: string; at: string }
  | { op: 'telegramKeyboardAdded'; chatId: string; messageId: number; at: string }
  | { op: 'telegramKeyboardRemoved'; chatId: string; messageId: number };

export class Store {
  readonly db: Database.Database;
  /** Administrative units, reporting units, focal points, invites. */
  readonly units: UnitStore;
  private readonly stmts: ReturnType<typeof prepare>;
  /** One wrapper for every transaction: better-sqlite3 builds a new one per db.transaction() call. */
  private readonly runInTransaction: Database.Transaction<(fn: () => unknown) => unknown>;

  constructor(readonly path: string, options: StoreOptions = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);
    this.stmts = prepare(this.db);
    this.runInTransaction = this.db.transaction((fn: () => unknown) => fn());
    this.units = new UnitStore(this.db);
  }

  /** Set while transactionWithoutSavepoints runs: nested transactions join the open one. */
  private joinOpenTransaction = false;

  /**
   * Runs fn inside BEGIN IMMEDIATE … COMMIT; any throw rolls everything back. fn must not await.
   * Called inside another transaction, fn runs in a SAVEPOINT: a throw undoes fn's writes only.
   */
  transaction<T>(fn: () => T): T {
    if (this.joinOpenTransaction) return fn();
    return this.runInTransaction.immediate(fn) as T;
  }

  /**
   * BEGIN IMMEDIATE … COMMIT in which nested transaction() calls open no SAVEPOINT: a throw
   * anywhere rolls all of fn back, so a caller cannot catch a nested failure and keep the rest.
   * Measured: a savepoint costs a turn ~30 µs, as SQLite first copies every page the turn touches
   * into the savepoint's journal.
   */
  transactionWithoutSavepoints<T>(fn: () => T): T {
    return this.transaction(() => {
      this.joinOpenTransaction = true;
      try {
        return fn();
      } finally {
        this.joinOpenTransaction = false;
      }
    });
  }

  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  integrityCheck(): string {
    return this.db.pragma('integrity_check', { simple: true }) as string;
  }

  ping(): boolean {
    return (this.stmts.ping.get() as { ok: number }).ok === 1;
  }

  // --- inbox -------------------------------------------------------------------------------

  /** Records an inbound event id; false when it was already processed (a redelivery). */
  claimInbound(channel: string, eventId: string, receivedAt: string): boolean {
    return this.stmts.inboxInsert.run(channel, eventId, receivedAt).changes === 1;
  }

  hasInbound(channel: string, eventId: string): boolean {
    return this.stmts.inboxHas.get(channel, eventId) !== undefined;
  }

  /**
   * One step of the inbox sweep: reads up to `limit` dedupe records after `after` in key order and
   * deletes those received before `before`. `next` is where the following step starts; undefined
   * once the sweep has reached the end (it then starts again from the beginning).
   */
  sweepInbox(after: InboxKey | undefined, before: string, limit: number): { deleted: number; next: InboxKey | undefined } {
    const page = this.stmts.inboxPage.all(after?.channel ?? '', after?.eventId ?? '', limit) as Array<{ channel: string; event_id: string; received_at: string }>;
    const old = page.filter((r) => r.received_at < before);
    if (old.length > 0) this.transaction(() => old.forEach((r) => this.stmts.inboxDelete.run(r.channel, r.event_id)));
    const last = page.length === limit ? page[page.length - 1] : undefined;
    return { deleted: old.length, next: last && { channel: last.channel, eventId: last.event_id } };
  }

  // --- people, consent, sessions -----------------------------------------------------------

  findPerson(channel: string, externalId: string): PersonRow | undefined {
    return this.stmts.personFind.get(channel, externalId) as PersonRow | undefined;
  }

  getPerson(id: number): PersonRow | undefined {
    return this.stmts.personGet.get(id) as PersonRow | undefined;
  }

  createPerson(channel: string, externalId: string, now: string): PersonRow {
    const id = Number(this.stmts.personInsert.run(channel, externalId, now, now).lastInsertRowid);
    return this.getPerson(id)!;
  }

  touchPerson(id: number, now: string): void {
    this.stmts.personTouch.run(now, id);
  }

  markUnreachable(channel: string, externalId: string, reason: string, now: string): void {
    this.stmts.personUnreachable.run(now, reason, channel, externalId);
  }

  recordConsent(personId: number, purpose: string, textVersion: string, now: string): void {
    this.stmts.consentInsert.run(personId, purpose, textVersion, now);
  }

  consentsOf(personId: number): Array<{ purpose: string; text_version: string; given_at: string; withdrawn_at: string | null }> {
    return this.stmts.consentList.all(personId) as never;
  }

  loadSession(personId: number): string | undefined {
    return (this.stmts.sessionGet.get(personId) as { state: string } | undefined)?.state;
  }

  saveSession(personId: number, state: string, now: string): void {
    this.stmts.sessionUpsert.run(personId, state, now);
  }

  /** Removes a person and, by cascade, their consents, session, responses and answers. */
  deletePerson(personId: number): void {
    // A unit's self-assessment belongs to the unit, not to the focal point who typed it: it is kept,
    // attached to a placeholder person that holds nothing personal.
    if (this.stmts.unitResponsesOf.get(personId)) {
      this.stmts.placeholderInsert.run(new Date().toISOString());
      const placeholder = this.findPerson('system', 'deleted-person')!;
      this.stmts.unitResponsesMove.run(placeholder.id, personId);
    }
    // Replies already sent to this person (their text may quote answers) go too; pending ones stay to be sent.
    this.stmts.outboxForget.run(personId);
    this.stmts.personDelete.run(personId);
  }

  // --- responses and answers ---------------------------------------------------------------

  openResponse(p: { personId: number; channel: string; flowId: string; flowVersion: string; now: string }): number {
    this.stmts.responseCancelOpen.run(p.now, p.personId, p.flowId);
    return Number(this.stmts.responseInsert.run(p.personId, p.channel, p.flowId, p.flowVersion, p.now, p.now).lastInsertRowid);
  }

  openResponseOf(personId: number, flowId: string): ResponseRow | undefined {
    return this.stmts.responseOpen.get(personId, flowId) as ResponseRow | undefined;
  }

  /** The open response's id alone: answered from the index, without reading the row. */
  openResponseIdOf(personId: number, flowId: string): number | undefined {
    return (this.stmts.responseOpenId.get(personId, flowId) as { id: number } | undefined)?.id;
  }

  cancelOpenResponses(personId: number, flowId: string, now: string): void {
    this.stmts.responseCancelOpen.run(now, personId, flowId);
  }

  recordAnswer(a: {
    responseId: number;
    flowId: string;
    flowVersion: string;
    questionId: string;
    questionText: string;
    raw: string;
    value: string | number;
    now: string;
  }): void {
    this.stmts.answerSupersede.run(a.now, a.responseId, a.questionId);
    this.stmts.answerInsert.run(a.responseId, a.flowId, a.flowVersion, a.questionId, a.questionText, a.raw, JSON.stringify(a.value), a.now);
    this.stmts.responseTouch.run({ version: a.flowVersion, now: a.now, id: a.responseId });
  }

  submitResponse(s: {
    responseId: number;
    period: string;
    /** The commune the response is about (the unit's, or the one the citizen named). */
    communeCode?: string | null;
    passed: boolean;
    score: number | null;
    level: string | null;
    result: string;
    keepQuestionIds: string[];
    now: string;
  }): void {
    this.stmts.responseSubmit.run(s.period, s.communeCode ?? null, s.now, s.now, s.passed ? 1 : 0, s.score, s.level, s.result, s.responseId);
    this.keepOnlyAnswers(s.responseId, s.keepQuestionIds, s.now);
  }

  /** These answers stop being current (the session took them back); their rows stay, for history. */
  supersedeAnswers(responseId: number, questionIds: string[], now: string): void {
    this.stmts.answerSupersedeIn.run(now, responseId, JSON.stringify(questionIds));
  }

  /** Every current answer of the response but these stops being current; the rows stay, for history. */
  keepOnlyAnswers(responseId: number, questionIds: string[], now: string): void {
    this.stmts.answerSupersedeExcept.run(now, responseId, JSON.stringify(questionIds));
  }

  getResponse(id: number): ResponseRow | undefined {
    return this.stmts.responseGet.get(id) as ResponseRow | undefined;
  }

  responsesOf(personId: number): ResponseRow[] {
    return this.stmts.responsesOfPerson.all(personId) as ResponseRow[];
  }

  currentAnswers(responseId: number): AnswerRow[] {
    return this.stmts.answersCurrent.all(responseId) as AnswerRow[];
  }

  allAnswers(responseId: number): AnswerRow[] {
    return this.stmts.answersAll.all(responseId) as AnswerRow[];
  }

  // --- outbox ------------------------------------------------------------------------------

  /** Queues a message; with a dedupe key, a second insert of the same key is ignored. */
  enqueue(m: NewOutboxMessage, now: string): boolean {
    return (
      this.stmts.outboxInsert.run(m.channel, m.chatId, m.personId, m.kind ?? 'reply', m.payload, m.dedupeKey ?? null, now, m.notBefore ?? now)
        .changes === 1
    );
  }

  /** Due messages that are the oldest pending one of their chat, so per-chat order holds. */
  dueOutbox(channel: string, now: string, limit: number): OutboxRow[] {
    return this.stmts.outboxDue.all(channel, now, limit) as OutboxRow[];
  }

  pendingOutboxFor(channel: string, chatId: string): OutboxRow[] {
    return this.stmts.outboxPendingChat.all(channel, chatId) as OutboxRow[];
  }

  nextOutboxDueAt(channel: string): string | undefined {
    return (this.stmts.outboxNextDue.get(channel) as { t: string | null } | undefined)?.t ?? undefined;
  }

  markSent(id: number, now: string): void {
    this.stmts.outboxSent.run(now, id);
  }

  markRetry(id: number, nextAttemptAt: string, error: string): void {
    this.stmts.outboxRetry.run(nextAttemptAt, error.slice(0, 500), id);
  }

  markFailed(id: number, error: string): void {
    this.stmts.outboxFailed.run(error.slice(0, 500), id);
  }

  /** Gives up on every pending message to a chat that can no longer be reached (blocked the bot). */
  failPendingFor(channel: string, chatId: string, error: string): number {
    return this.stmts.outboxFailChat.run(error.slice(0, 500), channel, chatId).changes;
  }

  /** Applies the outcomes of sends, in order (the caller holds the transaction). */
  applyOutboxWrites(writes: readonly OutboxWrite[]): void {
    for (const w of writes) {
      switch (w.op) {
        case 'sent':
          this.markSent(w.id, w.at);
          break;
        case 'retry':
          this.markRetry(w.id, w.nextAttemptAt, w.error);
          break;
        case 'failed':
          this.markFailed(w.id, w.error);
          break;
        case 'chatUnreachable':
          this.failPendingFor(w.channel, w.chatId, 'chat unreachable');
          this.markUnreachable(w.channel, w.chatId, w.error, w.at);
          break;
        case 'telegramKeyboardAdded':
          this.addTelegramKeyboard(w.chatId, w.messageId, w.at);
          break;
        case 'telegramKeyboardRemoved':
          this.removeTelegramKeyboard(w.chatId, w.messageId);
          break;
      }
    }
  }

  outboxCounts(): Record<string, number> {
    const rows = this.stmts.outboxCounts.all() as Array<{ status: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  outboxRows(channel?: string): OutboxRow[] {
    return (channel ? this.stmts.outboxByChannel.all(channel) : this.stmts.outboxAll.all()) as OutboxRow[];
  }

  // --- telegram ----------------------------------------------------------------------------

  /** Messages in a Telegram chat that still show an inline keyboard, oldest first. */
  telegramKeyboards(chatId: string): number[] {
    return (this.stmts.tgKeyboardList.all(chatId) as Array<{ message_id: number }>).map((r) => r.message_id);
  }

  addTelegramKeyboard(chatId: string, messageId: number, now: string): void {
    this.stmts.tgKeyboardInsert.run(chatId, messageId, now);
  }

  removeTelegramKeyboard(chatId: string, messageId: number): void {
    this.stmts.tgKeyboardDelete.run(chatId, messageId);
  }

  /** Callback data too long for Telegram's 64 bytes is sent as a token; the token is content-derived. */
  saveTelegramCallback(token: string, scope: string, choiceId: string, now: string): void {
    this.stmts.tgCallbackInsert.run(token, scope, choiceId, now);
  }

  telegramCallback(token: string): { scope: string; choiceId: string } | undefined {
    const row = this.stmts.tgCallbackGet.get(token) as { scope: string; choice_id: string } | undefined;
    return row ? { scope: row.scope, choiceId: row.choice_id } : undefined;
  }
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`database schema version ${current} is newer than this program knows (${MIGRATIONS.length}); upgrade the program`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

function prepare(db: Database.Database) {
  return {
    ping: db.prepare('SELECT 1 AS ok'),
    inboxInsert: db.prepare('INSERT OR IGNORE INTO inbox (channel, event_id, received_at) VALUES (?, ?, ?)'),
    inboxHas: db.prepare('SELECT 1 FROM inbox WHERE channel = ? AND event_id = ?'),
    inboxPage: db.prepare('SELECT channel, event_id, received_at FROM inbox WHERE (channel, event_id) > (?, ?) ORDER BY channel, event_id LIMIT ?'),
    inboxDelete: db.prepare('DELETE FROM inbox WHERE channel = ? AND event_id = ?'),
    personFind: db.prepare('SELECT * FROM people WHERE channel = ? AND external_id = ?'),
    personGet: db.prepare('SELECT * FROM people WHERE id = ?'),
    personInsert: db.prepare('INSERT INTO people (channel, external_id, created_at, last_inbound_at) VALUES (?, ?, ?, ?)'),
    personTouch: db.prepare('UPDATE people SET last_inbound_at = ?, unreachable_at = NULL, unreachable_reason = NULL WHERE id = ?'),
    personUnreachable: db.prepare('UPDATE people SET unreachable_at = ?, unreachable_reason = ? WHERE channel = ? AND external_id = ?'),
    personDelete: db.prepare('DELETE FROM people WHERE id = ?'),
    unitResponsesOf: db.prepare('SELECT 1 FROM responses WHERE person_id = ? AND unit_id IS NOT NULL LIMIT 1'),
    placeholderInsert: db.prepare(
      "INSERT OR IGNORE INTO people (channel, external_id, created_at) VALUES ('system', 'deleted-person', ?)",
    ),
    unitResponsesMove: db.prepare('UPDATE responses SET person_id = ? WHERE person_id = ? AND unit_id IS NOT NULL'),
    outboxForget: db.prepare("DELETE FROM outbox WHERE person_id = ? AND status <> 'pending'"),
    consentInsert: db.prepare('INSERT INTO consents (person_id, purpose, text_version, given_at) VALUES (?, ?, ?, ?)'),
    consentList: db.prepare('SELECT purpose, text_version, given_at, withdrawn_at FROM consents WHERE person_id = ? ORDER BY id'),
    sessionGet: db.prepare('SELECT state FROM sessions WHERE person_id = ?'),
    sessionUpsert: db.prepare(
      'INSERT INTO sessions (person_id, state, updated_at) VALUES (?, ?, ?) ON CONFLICT(person_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at',
    ),
    responseInsert: db.prepare(
      "INSERT INTO responses (person_id, channel, flow_id, flow_version, status, started_at, updated_at) VALUES (?, ?, ?, ?, 'in_progress', ?, ?)",
    ),
    responseCancelOpen: db.prepare(
      "UPDATE responses SET status = 'cancelled', updated_at = ? WHERE person_id = ? AND flow_id = ? AND status = 'in_progress'",
    ),
    responseOpen: db.prepare(
      "SELECT * FROM responses WHERE person_id = ? AND flow_id = ? AND status = 'in_progress' ORDER BY id DESC LIMIT 1",
    ),
    responseOpenId: db.prepare(
      "SELECT id FROM responses WHERE person_id = ? AND flow_id = ? AND status = 'in_progress' ORDER BY id DESC LIMIT 1",
    ),
    // To the minute: rewriting the response's row (and page) with every answer was a tenth of what
    // a turn's commit wrote, for a column read in days (the dashboard's abandoned self-checks).
    responseTouch: db.prepare(
      'UPDATE responses SET flow_version = @version, updated_at = @now WHERE id = @id AND (flow_version <> @version OR substr(updated_at, 1, 16) <> substr(@now, 1, 16))',
    ),
    responseSubmit: db.prepare(
      "UPDATE responses SET status = 'submitted', period = ?, commune_code = ?, submitted_at = ?, updated_at = ?, passed = ?, score = ?, level = ?, result = ? WHERE id = ?",
    ),
    responseGet: db.prepare('SELECT * FROM responses WHERE id = ?'),
    responsesOfPerson: db.prepare('SELECT * FROM responses WHERE person_id = ? ORDER BY id'),
    answerSupersede: db.prepare(
      'UPDATE answers SET superseded_at = ? WHERE response_id = ? AND question_id = ? AND superseded_at IS NULL',
    ),
    answerSupersedeExcept: db.prepare(
      'UPDATE answers SET superseded_at = ? WHERE response_id = ? AND superseded_at IS NULL AND question_id NOT IN (SELECT value FROM json_each(?))',
    ),
    answerInsert: db.prepare(
      'INSERT INTO answers (response_id, flow_id, flow_version, question_id, question_text, raw, value, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    answerSupersedeIn: db.prepare(
      'UPDATE answers SET superseded_at = ? WHERE response_id = ? AND superseded_at IS NULL AND question_id IN (SELECT value FROM json_each(?))',
    ),
    answersCurrent: db.prepare('SELECT * FROM answers WHERE response_id = ? AND superseded_at IS NULL ORDER BY id'),
    answersAll: db.prepare('SELECT * FROM answers WHERE response_id = ? ORDER BY id'),
    outboxInsert: db.prepare(
      'INSERT OR IGNORE INTO outbox (channel, chat_id, person_id, kind, payload, dedupe_key, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    outboxDue: db.prepare(`
      SELECT o.* FROM outbox o
      WHERE o.channel = ? AND o.status = 'pending' AND o.next_attempt_at <= ?
        AND NOT EXISTS (
          SELECT 1 FROM outbox p
          WHERE p.channel = o.channel AND p.chat_id = o.chat_id AND p.status = 'pending' AND p.id < o.id)
      ORDER BY o.next_attempt_at, o.id LIMIT ?`),
    outboxPendingChat: db.prepare("SELECT * FROM outbox WHERE channel = ? AND chat_id = ? AND status = 'pending' ORDER BY id"),
    outboxNextDue: db.prepare("SELECT MIN(next_attempt_at) AS t FROM outbox WHERE channel = ? AND status = 'pending'"),
    outboxSent: db.prepare("UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?"),
    outboxRetry: db.prepare('UPDATE outbox SET next_attempt_at = ?, last_error = ?, attempts = attempts + 1 WHERE id = ?'),
    outboxFailed: db.prepare("UPDATE outbox SET status = 'failed', last_error = ?, attempts = attempts + 1 WHERE id = ?"),
    outboxFailChat: db.prepare(
      "UPDATE outbox SET status = 'failed', last_error = ? WHERE channel = ? AND chat_id = ? AND status = 'pending'",
    ),
    outboxCounts: db.prepare('SELECT status, COUNT(*) AS n FROM outbox GROUP BY status'),
    outboxByChannel: db.prepare('SELECT * FROM outbox WHERE channel = ? ORDER BY id'),
    outboxAll: db.prepare('SELECT * FROM outbox ORDER BY id'),
    tgKeyboardList: db.prepare('SELECT message_id FROM telegram_keyboards WHERE chat_id = ? ORDER BY message_id'),
    tgKeyboardInsert: db.prepare('INSERT OR IGNORE INTO telegram_keyboards (chat_id, message_id, created_at) VALUES (?, ?, ?)'),
    tgKeyboardDelete: db.prepare('DELETE FROM telegram_keyboards WHERE chat_id = ? AND message_id = ?'),
    tgCallbackInsert: db.prepare('INSERT OR IGNORE INTO telegram_callbacks (token, scope, choice_id, created_at) VALUES (?, ?, ?, ?)'),
    tgCallbackGet: db.prepare('SELECT scope, choice_id FROM telegram_callbacks WHERE token = ?'),
  };
}
