import type Database from 'better-sqlite3';
import type { AdminUnit, Tier, Unit, UnitType } from '../units/types.ts';

/** SQL for administrative units, reporting units, focal points and invites (part of the store module). */

interface UnitRow {
  id: string;
  name: string;
  type: string;
  tier: string;
  commune_code: string;
  active: number;
}

const toUnit = (r: UnitRow): Unit => ({
  id: r.id,
  name: r.name,
  type: r.type as UnitType,
  tier: r.tier as Tier,
  communeCode: r.commune_code,
  active: r.active === 1,
});

export interface FocalPointRow {
  unitId: string;
  personId: number;
  channel: string;
  externalId: string;
  joinedAt: string;
}

export class UnitStore {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      adminUpsert: db.prepare(`
        INSERT INTO admin_units (code, name, level, parent_code, effective_from, effective_to, legacy_district)
        VALUES (@code, @name, @level, @parentCode, @effectiveFrom, @effectiveTo, @legacyDistrict)
        ON CONFLICT(code) DO UPDATE SET name = excluded.name, level = excluded.level, parent_code = excluded.parent_code,
          effective_from = excluded.effective_from, effective_to = excluded.effective_to, legacy_district = excluded.legacy_district`),
      adminGet: db.prepare('SELECT * FROM admin_units WHERE code = ?'),
      adminAll: db.prepare('SELECT * FROM admin_units ORDER BY level DESC, name'),
      unitUpsert: db.prepare(`
        INSERT INTO units (id, name, type, tier, commune_code, active, updated_at)
        VALUES (@id, @name, @type, @tier, @communeCode, @active, @now)
        ON CONFLICT(id) DO UPDATE SET name = excluded.name, type = excluded.type, tier = excluded.tier,
          commune_code = excluded.commune_code, active = excluded.active, updated_at = excluded.updated_at`),
      unitGet: db.prepare('SELECT * FROM units WHERE id = ?'),
      unitAll: db.prepare('SELECT * FROM units ORDER BY commune_code, name'),
      unitCount: db.prepare('SELECT COUNT(*) AS n FROM units'),
      inviteInsert: db.prepare('INSERT INTO invites (code_hash, unit_id, role, created_at, expires_at) VALUES (?, ?, ?, ?, ?)'),
      inviteGet: db.prepare('SELECT * FROM invites WHERE code_hash = ?'),
      inviteUse: db.prepare('UPDATE invites SET used_at = ?, used_by = ? WHERE code_hash = ? AND used_at IS NULL'),
      fpActiveOf: db.prepare('SELECT * FROM focal_points WHERE person_id = ? AND left_at IS NULL'),
      fpLeave: db.prepare('UPDATE focal_points SET left_at = ? WHERE person_id = ? AND left_at IS NULL'),
      fpInsert: db.prepare('INSERT INTO focal_points (unit_id, person_id, joined_at) VALUES (?, ?, ?)'),
      fpOfUnit: db.prepare(`
        SELECT f.unit_id AS unitId, f.person_id AS personId, p.channel, p.external_id AS externalId, f.joined_at AS joinedAt
        FROM focal_points f JOIN people p ON p.id = f.person_id
        WHERE f.unit_id = ? AND f.left_at IS NULL ORDER BY f.id`),
      fpAll: db.prepare(`
        SELECT f.unit_id AS unitId, f.person_id AS personId, p.channel, p.external_id AS externalId, f.joined_at AS joinedAt
        FROM focal_points f JOIN people p ON p.id = f.person_id
        WHERE f.left_at IS NULL ORDER BY f.unit_id, f.id`),
      failInsert: db.prepare('INSERT INTO registration_failures (who, at) VALUES (?, ?)'),
      failCount: db.prepare('SELECT COUNT(*) AS n FROM registration_failures WHERE who = ? AND at > ?'),
      responseSetUnit: db.prepare('UPDATE responses SET unit_id = ? WHERE id = ?'),
      replacePrevious: db.prepare(`
        UPDATE responses SET replaced_at = ?
        WHERE unit_id = ? AND flow_id = ? AND period = ? AND status = 'submitted' AND replaced_at IS NULL AND id <> ?`),
      currentSubmission: db.prepare(`
        SELECT * FROM responses WHERE unit_id = ? AND flow_id = ? AND period = ? AND status = 'submitted' AND replaced_at IS NULL
        ORDER BY id DESC LIMIT 1`),
      submissionHistory: db.prepare(`
        SELECT * FROM responses WHERE unit_id = ? AND flow_id = ? AND period = ? AND status = 'submitted' ORDER BY id`),
    };
  }

  upsertAdminUnit(a: AdminUnit): void {
    this.s.adminUpsert.run(a);
  }

  adminUnit(code: string): AdminUnit | undefined {
    const r = this.s.adminGet.get(code) as Record<string, string | null> | undefined;
    return r ? toAdmin(r) : undefined;
  }

  adminUnits(): AdminUnit[] {
    return (this.s.adminAll.all() as Array<Record<string, string | null>>).map(toAdmin);
  }

  /** Returns whether the unit was new. */
  upsertUnit(u: Unit, now: string): boolean {
    const existed = this.s.unitGet.get(u.id) !== undefined;
    this.s.unitUpsert.run({ ...u, active: u.active ? 1 : 0, now });
    return !existed;
  }

  unit(id: string): Unit | undefined {
    const r = this.s.unitGet.get(id) as UnitRow | undefined;
    return r ? toUnit(r) : undefined;
  }

  units(): Unit[] {
    return (this.s.unitAll.all() as UnitRow[]).map(toUnit);
  }

  unitCount(): number {
    return (this.s.unitCount.get() as { n: number }).n;
  }

  addInvite(codeHash: string, unitId: string, now: string, expiresAt: string): void {
    this.s.inviteInsert.run(codeHash, unitId, 'focal_point', now, expiresAt);
  }

  invite(codeHash: string): { unit_id: string; expires_at: string; used_at: string | null } | undefined {
    return this.s.inviteGet.get(codeHash) as { unit_id: string; expires_at: string; used_at: string | null } | undefined;
  }

  /** Marks the invite used; false when someone used it first. */
  useInvite(codeHash: string, personId: number, now: string): boolean {
    return this.s.inviteUse.run(now, personId, codeHash).changes === 1;
  }

  activeUnitOf(personId: number): string | undefined {
    return (this.s.fpActiveOf.get(personId) as { unit_id: string } | undefined)?.unit_id;
  }

  joinUnit(personId: number, unitId: string, now: string): void {
    this.s.fpLeave.run(now, personId);
    this.s.fpInsert.run(unitId, personId, now);
  }

  leaveUnit(personId: number, now: string): boolean {
    return this.s.fpLeave.run(now, personId).changes > 0;
  }

  focalPointsOf(unitId: string): FocalPointRow[] {
    return this.s.fpOfUnit.all(unitId) as FocalPointRow[];
  }

  allFocalPoints(): FocalPointRow[] {
    return this.s.fpAll.all() as FocalPointRow[];
  }

  recordRegistrationFailure(who: string, now: string): void {
    this.s.failInsert.run(who, now);
  }

  registrationFailuresSince(who: string, since: string): number {
    return (this.s.failCount.get(who, since) as { n: number }).n;
  }

  attachResponseToUnit(responseId: number, unitId: string): void {
    this.s.responseSetUnit.run(unitId, responseId);
  }

  /** Keeps one current submission per unit, flow and period; earlier ones stay as history. */
  replacePreviousSubmissions(p: { unitId: string; flowId: string; period: string; keepResponseId: number; now: string }): number {
    return this.s.replacePrevious.run(p.now, p.unitId, p.flowId, p.period, p.keepResponseId).changes;
  }

  currentSubmission(unitId: string, flowId: string, period: string): { id: number; submitted_at: string; level: string | null } | undefined {
    return this.s.currentSubmission.get(unitId, flowId, period) as { id: number; submitted_at: string; level: string | null } | undefined;
  }

  submissionHistory(unitId: string, flowId: string, period: string): Array<{ id: number; replaced_at: string | null }> {
    return this.s.submissionHistory.all(unitId, flowId, period) as Array<{ id: number; replaced_at: string | null }>;
  }
}

function toAdmin(r: Record<string, string | null>): AdminUnit {
  return {
    code: r.code!,
    name: r.name!,
    level: r.level as AdminUnit['level'],
    parentCode: r.parent_code ?? null,
    effectiveFrom: r.effective_from!,
    effectiveTo: r.effective_to ?? null,
    legacyDistrict: r.legacy_district ?? null,
  };
}
