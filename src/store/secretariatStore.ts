import type Database from 'better-sqlite3';

/**
 * SQL for secretariat members in chat: people who registered with a secretariat invite code and
 * receive the daily overdue digest (part of the store module).
 */

export interface SecretariatMember {
  personId: number;
  /** Where to send the digest: the person's channel and chat id (equal to the external id on every channel). */
  channel: string;
  externalId: string;
  joinedAt: string;
}

export interface SecretariatInvite {
  expiresAt: string;
  usedAt: string | null;
}

export class SecretariatStore {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      inviteInsert: db.prepare('INSERT INTO secretariat_invites (code_hash, created_at, expires_at) VALUES (?, ?, ?)'),
      inviteGet: db.prepare('SELECT expires_at AS expiresAt, used_at AS usedAt FROM secretariat_invites WHERE code_hash = ?'),
      inviteUse: db.prepare('UPDATE secretariat_invites SET used_at = ?, used_by = ? WHERE code_hash = ? AND used_at IS NULL'),
      memberActive: db.prepare('SELECT 1 FROM secretariat_members WHERE person_id = ? AND left_at IS NULL'),
      memberInsert: db.prepare('INSERT INTO secretariat_members (person_id, joined_at) VALUES (?, ?)'),
      memberLeave: db.prepare('UPDATE secretariat_members SET left_at = ? WHERE person_id = ? AND left_at IS NULL'),
      membersActive: db.prepare(`
        SELECT m.person_id AS personId, p.channel, p.external_id AS externalId, m.joined_at AS joinedAt
        FROM secretariat_members m JOIN people p ON p.id = m.person_id
        WHERE m.left_at IS NULL AND p.unreachable_at IS NULL
        ORDER BY m.id`),
    };
  }

  addInvite(codeHash: string, now: string, expiresAt: string): void {
    this.s.inviteInsert.run(codeHash, now, expiresAt);
  }

  invite(codeHash: string): SecretariatInvite | undefined {
    return this.s.inviteGet.get(codeHash) as SecretariatInvite | undefined;
  }

  /** Marks the invite used; false when someone used it first. */
  useInvite(codeHash: string, personId: number, now: string): boolean {
    return this.s.inviteUse.run(now, personId, codeHash).changes === 1;
  }

  isMember(personId: number): boolean {
    return this.s.memberActive.get(personId) !== undefined;
  }

  addMember(personId: number, now: string): void {
    this.s.memberInsert.run(personId, now);
  }

  /** Returns false when the person was not a member. */
  removeMember(personId: number, now: string): boolean {
    return this.s.memberLeave.run(now, personId).changes > 0;
  }

  /** Members who should receive the daily overdue digest (people who blocked the bot are left out). */
  activeMembers(): SecretariatMember[] {
    return this.s.membersActive.all() as SecretariatMember[];
  }
}
