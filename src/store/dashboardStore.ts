import type Database from 'better-sqlite3';
import type { OutboxRow } from './store.ts';

/**
 * Read queries for the secretariat's dashboard (roster, submission header, charts) and the web
 * chat's transcript (part of the store module). `commune` limits every query to one commune's units.
 */

export interface RosterDbRow {
  unitId: string;
  name: string;
  type: string;
  tier: string;
  communeCode: string;
  responseId: number | null;
  submittedAt: string | null;
  level: string | null;
  passed: number | null;
  /** The latest review of the current submission. */
  decision: 'approved' | 'returned' | null;
  /** A focal point of the unit (or a response of the unit) has this flow open. */
  inProgress: boolean;
}

export interface ResponseUnitRow {
  id: number;
  unitId: string | null;
  replacedAt: string | null;
}

export interface CountRow {
  key: string | null;
  n: number;
}

export interface RateRow {
  id: string;
  n: number;
  met: number;
}

export interface MonthRow {
  month: string;
  n: number;
  passed: number;
}

/** Responses of the commune's units, or (before a unit is attached) of its focal points. */
const COMMUNE_SCOPE = `(@commune IS NULL
  OR r.unit_id IN (SELECT id FROM units WHERE commune_code = @commune)
  OR (r.unit_id IS NULL AND r.person_id IN (
      SELECT f.person_id FROM focal_points f JOIN units cu ON cu.id = f.unit_id
      WHERE cu.commune_code = @commune AND f.left_at IS NULL)))`;

export class DashboardStore {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      roster: db.prepare(`
        SELECT u.id AS unitId, u.name, u.type, u.tier, u.commune_code AS communeCode,
          s.id AS responseId, s.submitted_at AS submittedAt, s.level, s.passed,
          (SELECT v.decision FROM reviews v WHERE v.response_id = s.id ORDER BY v.id DESC LIMIT 1) AS decision
        FROM units u
        LEFT JOIN responses s ON s.id = (
          SELECT x.id FROM responses x
          WHERE x.unit_id = u.id AND x.flow_id = @flowId AND x.period = @period AND x.status = 'submitted' AND x.replaced_at IS NULL
          ORDER BY x.id DESC LIMIT 1)
        WHERE u.active = 1
          AND (@commune IS NULL OR u.commune_code = @commune)
          AND (@type IS NULL OR u.type = @type)
          AND (@types IS NULL OR u.type IN (SELECT value FROM json_each(@types)))
        ORDER BY u.commune_code, u.name`),
      // One pass over the flow's open responses, instead of one search per unit.
      inProgressUnits: db.prepare(`
        SELECT DISTINCT COALESCE(r.unit_id, f.unit_id) AS unitId
        FROM responses r LEFT JOIN focal_points f ON f.person_id = r.person_id AND f.left_at IS NULL
        WHERE r.flow_id = ? AND r.status = 'in_progress'`),
      responseUnit: db.prepare('SELECT id, unit_id AS unitId, replaced_at AS replacedAt FROM responses WHERE id = ?'),
      periods: db.prepare("SELECT DISTINCT period FROM responses WHERE period IS NOT NULL AND status = 'submitted' ORDER BY period DESC"),
      communeCodes: db.prepare('SELECT DISTINCT commune_code AS code FROM units ORDER BY commune_code'),
      perMonth: db.prepare(`
        SELECT substr(datetime(r.submitted_at, '+7 hours'), 1, 7) AS month, COUNT(*) AS n, COALESCE(SUM(r.passed), 0) AS passed
        FROM responses r
        WHERE r.flow_id = @flowId AND r.status = 'submitted' AND r.submitted_at >= @since AND ${COMMUNE_SCOPE}
        GROUP BY month ORDER BY month`),
      criterionRates: db.prepare(`
        SELECT json_extract(c.value, '$.id') AS id, COUNT(*) AS n, COALESCE(SUM(json_extract(c.value, '$.met')), 0) AS met
        FROM responses r, json_each(r.result, '$.criteria') c
        WHERE r.flow_id = @flowId AND r.status = 'submitted' AND r.replaced_at IS NULL AND r.result IS NOT NULL
          AND (@period IS NULL OR r.period = @period) AND ${COMMUNE_SCOPE}
        GROUP BY 1`),
      indicatorRates: db.prepare(`
        SELECT json_extract(c.value, '$.id') AS id, COUNT(*) AS n, COALESCE(SUM(json_extract(c.value, '$.met')), 0) AS met
        FROM responses r, json_each(r.result, '$.indicators') c
        WHERE r.flow_id = @flowId AND r.status = 'submitted' AND r.replaced_at IS NULL AND r.result IS NOT NULL
          AND json_extract(c.value, '$.applicable') = 1
          AND (@period IS NULL OR r.period = @period) AND ${COMMUNE_SCOPE}
        GROUP BY 1`),
      levels: db.prepare(`
        SELECT r.level AS key, COUNT(*) AS n FROM responses r
        WHERE r.flow_id = @flowId AND r.status = 'submitted' AND r.replaced_at IS NULL AND r.unit_id IS NOT NULL
          AND (@period IS NULL OR r.period = @period) AND ${COMMUNE_SCOPE}
        GROUP BY r.level`),
      dropOff: db.prepare(`
        SELECT a.question_id AS key, COUNT(*) AS n FROM responses r
        LEFT JOIN answers a ON a.id = (SELECT MAX(x.id) FROM answers x WHERE x.response_id = r.id)
        WHERE r.flow_id = @flowId
          AND (r.status = 'cancelled' OR (r.status = 'in_progress' AND r.updated_at < @staleBefore))
          AND ${COMMUNE_SCOPE}
        GROUP BY a.question_id`),
      // The channel is written out, not bound: only then can SQLite use the web chat's partial index.
      webChatRecent: db.prepare("SELECT * FROM outbox WHERE channel = 'web' AND chat_id = ? ORDER BY id DESC LIMIT ?"),
    };
  }

  roster(p: { flowId: string; period: string; commune: string | null; type: string | null; unitTypes: string[] | null }): RosterDbRow[] {
    const open = new Set((this.s.inProgressUnits.all(p.flowId) as Array<{ unitId: string | null }>).map((r) => r.unitId));
    const rows = this.s.roster.all({
      flowId: p.flowId,
      period: p.period,
      commune: p.commune,
      type: p.type,
      types: p.unitTypes ? JSON.stringify(p.unitTypes) : null,
    }) as Array<Omit<RosterDbRow, 'inProgress'>>;
    return rows.map((r) => ({ ...r, inProgress: open.has(r.unitId) }));
  }

  responseUnit(responseId: number): ResponseUnitRow | undefined {
    return this.s.responseUnit.get(responseId) as ResponseUnitRow | undefined;
  }

  /** Periods that have at least one submission, newest first. */
  periods(): string[] {
    return (this.s.periods.all() as Array<{ period: string }>).map((r) => r.period);
  }

  unitCommuneCodes(): string[] {
    return (this.s.communeCodes.all() as Array<{ code: string }>).map((r) => r.code);
  }

  /** Submissions per month (Vietnam time) since an instant. */
  submissionsPerMonth(p: { flowId: string; since: string; commune: string | null }): MonthRow[] {
    return this.s.perMonth.all(p) as MonthRow[];
  }

  criterionPassRates(p: { flowId: string; period: string | null; commune: string | null }): RateRow[] {
    return this.s.criterionRates.all(p) as RateRow[];
  }

  indicatorPassRates(p: { flowId: string; period: string | null; commune: string | null }): RateRow[] {
    return this.s.indicatorRates.all(p) as RateRow[];
  }

  /** Current unit submissions by level reached (key null: no level). */
  levels(p: { flowId: string; period: string | null; commune: string | null }): CountRow[] {
    return this.s.levels.all(p) as CountRow[];
  }

  /**
   * Where people stop: the last answered question of cancelled responses and of responses left
   * in progress since before `staleBefore` (key null: stopped before answering anything).
   */
  dropOff(p: { flowId: string; staleBefore: string; commune: string | null }): CountRow[] {
    return this.s.dropOff.all(p) as CountRow[];
  }

  /** The latest outbox rows of one web chat, oldest first: its transcript. */
  webChatRecent(chatId: string, limit: number): OutboxRow[] {
    return (this.s.webChatRecent.all(chatId, limit) as OutboxRow[]).reverse();
  }
}
