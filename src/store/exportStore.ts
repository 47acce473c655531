import Database from 'better-sqlite3';
import type { AnswerRow, Store } from './store.ts';

/** SQL for exports (part of the store module): filtered, scoped, streamed reads of responses and answers. */

export interface ExportQueryFilters {
  flowId?: string | undefined;
  period?: string | undefined;
  /** UTC ISO instants; `from` inclusive, `to` exclusive. */
  fromInstant?: string | undefined;
  toInstant?: string | undefined;
  communeCode?: string | undefined;
  unitId?: string | undefined;
}

export interface ExportQueryScope {
  /** Undefined: the whole province. Otherwise only units located in these communes. */
  communeCodes?: string[] | undefined;
}

/** One response with its context and its current answers, as the wide table needs it. */
export interface WideExportRow {
  id: number;
  channel: string;
  external_id: string;
  flow_id: string;
  flow_version: string;
  status: 'in_progress' | 'submitted' | 'cancelled';
  period: string | null;
  started_at: string;
  submitted_at: string | null;
  replaced_at: string | null;
  passed: number | null;
  score: number | null;
  level: string | null;
  result: string | null;
  unit_id: string | null;
  unit_name: string | null;
  unit_type: string | null;
  unit_tier: string | null;
  commune_code: string | null;
  commune_name: string | null;
  /** JSON object: question id → [raw, stored value JSON text], current answers only. */
  answers: string;
}

/** One answer, as stored: the long table is the answers table itself. */
export type LongExportRow = AnswerRow;

export interface Query {
  sql: string;
  params: unknown[];
}

/**
 * The WHERE clause shared by every export query, so the wide table, the long table and the flow list
 * can never disagree about which responses are in — least of all about the caller's scope.
 */
function whereClause(filters: ExportQueryFilters, scope: ExportQueryScope): Query {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (filters.flowId !== undefined) {
    parts.push('r.flow_id = ?');
    params.push(filters.flowId);
  }
  if (filters.period !== undefined) {
    parts.push('r.period = ?');
    params.push(filters.period);
  }
  // Unsubmitted responses have no submission instant: they are dated by when they started.
  if (filters.fromInstant !== undefined) {
    parts.push('COALESCE(r.submitted_at, r.started_at) >= ?');
    params.push(filters.fromInstant);
  }
  if (filters.toInstant !== undefined) {
    parts.push('COALESCE(r.submitted_at, r.started_at) < ?');
    params.push(filters.toInstant);
  }
  // A unit response is in its unit's commune; a citizen's, in the commune they named (when it matched
  // an administrative unit at submission; unmatched free text has no code and no commune scope).
  if (filters.communeCode !== undefined) {
    parts.push('COALESCE(u.commune_code, r.commune_code) = ?');
    params.push(filters.communeCode);
  }
  if (filters.unitId !== undefined) {
    parts.push('r.unit_id = ?');
    params.push(filters.unitId);
  }
  if (scope.communeCodes !== undefined) {
    parts.push('COALESCE(u.commune_code, r.commune_code) IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(scope.communeCodes));
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** NOT INDEXED: responses come in id order without a sort (the table is small next to answers). */
export function wideExportQuery(filters: ExportQueryFilters, scope: ExportQueryScope): Query {
  const where = whereClause(filters, scope);
  return {
    sql: `
      SELECT r.id, r.channel, p.external_id, r.flow_id, r.flow_version, r.status, r.period, r.started_at, r.submitted_at,
        r.replaced_at, r.passed, r.score, r.level, r.result, r.unit_id,
        u.name AS unit_name, u.type AS unit_type, u.tier AS unit_tier, COALESCE(u.commune_code, r.commune_code) AS commune_code,
        au.name AS commune_name,
        (SELECT json_group_object(a.question_id, json_array(a.raw, a.value))
           FROM answers a WHERE a.response_id = r.id AND a.superseded_at IS NULL) AS answers
      FROM responses r NOT INDEXED
      JOIN people p ON p.id = r.person_id
      LEFT JOIN units u ON u.id = r.unit_id
      LEFT JOIN admin_units au ON au.code = COALESCE(u.commune_code, r.commune_code)
      ${where.sql}
      ORDER BY r.id`,
    params: where.params,
  };
}

/**
 * Every answer, superseded ones included (marked), grouped by response. The order follows the indexes
 * (responses by id, answers by question id), so SQLite never sorts the whole table; NOT INDEXED and
 * CROSS JOIN keep the planner from choosing an order that needs a sort.
 */
export function longExportQuery(filters: ExportQueryFilters, scope: ExportQueryScope): Query {
  const where = whereClause(filters, scope);
  return {
    sql: `
      SELECT a.id, a.response_id, a.flow_id, a.flow_version, a.question_id, a.question_text, a.raw, a.value,
        a.answered_at, a.superseded_at
      FROM responses r NOT INDEXED
      CROSS JOIN answers a ON a.response_id = r.id
      LEFT JOIN units u ON u.id = r.unit_id
      ${where.sql}
      ORDER BY r.id, a.question_id, a.id`,
    params: where.params,
  };
}

function flowIdsQuery(filters: ExportQueryFilters, scope: ExportQueryScope): Query {
  const where = whereClause(filters, scope);
  return {
    sql: `SELECT DISTINCT r.flow_id FROM responses r LEFT JOIN units u ON u.id = r.unit_id ${where.sql} ORDER BY r.flow_id`,
    params: where.params,
  };
}

/**
 * A read connection for one export. A file database gets its own read-only connection: an open
 * iterator makes a connection refuse writes, and the bot must keep recording answers while a long
 * export streams. One read transaction gives both tables the same snapshot.
 */
export class ExportReader {
  private readonly db: Database.Database;
  private readonly owned: boolean;

  constructor(store: Store) {
    // An in-memory database (tests) cannot be opened twice; there the store's own connection is used.
    this.owned = store.path !== ':memory:';
    this.db = this.owned ? new Database(store.path, { readonly: true, fileMustExist: true }) : store.db;
    if (this.owned) this.db.pragma('busy_timeout = 5000');
    this.db.exec('BEGIN');
  }

  flowIds(filters: ExportQueryFilters, scope: ExportQueryScope): string[] {
    const q = flowIdsQuery(filters, scope);
    return (this.db.prepare(q.sql).all(...q.params) as Array<{ flow_id: string }>).map((r) => r.flow_id);
  }

  wideRows(filters: ExportQueryFilters, scope: ExportQueryScope): IterableIterator<WideExportRow> {
    const q = wideExportQuery(filters, scope);
    return this.db.prepare(q.sql).iterate(...q.params) as IterableIterator<WideExportRow>;
  }

  /**
   * Answers response by response, each response's answers in the order they were given. SQLite reads
   * them in index order (question id) without sorting the whole table; one response at a time is put
   * back in time order here, so memory holds one response's answers at most.
   */
  *longRows(filters: ExportQueryFilters, scope: ExportQueryScope): Generator<LongExportRow> {
    const q = longExportQuery(filters, scope);
    let group: LongExportRow[] = [];
    for (const row of this.db.prepare(q.sql).iterate(...q.params) as IterableIterator<LongExportRow>) {
      if (group.length > 0 && group[0]!.response_id !== row.response_id) {
        yield* group.sort(byId);
        group = [];
      }
      group.push(row);
    }
    yield* group.sort(byId);
  }

  close(): void {
    if (this.db.inTransaction) this.db.exec('COMMIT');
    if (this.owned) this.db.close();
  }
}

const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;

/** The named secret, created with `generate()` on first use; concurrent first uses agree on one value. */
export function installationSecret(store: Store, name: string, generate: () => string, now: string): string {
  return store.transaction(() => {
    store.db.prepare('INSERT OR IGNORE INTO installation_secrets (name, value, created_at) VALUES (?, ?, ?)').run(name, generate(), now);
    return (store.db.prepare('SELECT value FROM installation_secrets WHERE name = ?').get(name) as { value: string }).value;
  });
}
