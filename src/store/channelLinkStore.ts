import type Database from 'better-sqlite3';
import type { PersonRow } from './store.ts';

/**
 * SQL for one human's identities on several channels (part of the store module). A person row is
 * one channel identity; rows proven to belong to the same human (a one-time code issued on one
 * channel and entered on another) share a group, and the group may name the channel it wants
 * reminders on.
 */

export class ChannelLinkStore {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      groupOf: db.prepare('SELECT group_id FROM person_links WHERE person_id = ?'),
      members: db.prepare(`
        SELECT p.* FROM person_links l JOIN people p ON p.id = l.person_id WHERE l.group_id = ? ORDER BY p.id`),
      upsert: db.prepare(`
        INSERT INTO person_links (person_id, group_id, linked_at) VALUES (?, ?, ?)
        ON CONFLICT(person_id) DO UPDATE SET group_id = excluded.group_id, linked_at = excluded.linked_at`),
      moveGroup: db.prepare('UPDATE person_links SET group_id = ? WHERE group_id = ?'),
      remove: db.prepare('DELETE FROM person_links WHERE person_id = ?'),
      removeGroup: db.prepare('DELETE FROM person_links WHERE group_id = ?'),
      count: db.prepare('SELECT COUNT(*) AS n FROM person_links WHERE group_id = ?'),
      prefGet: db.prepare('SELECT channel FROM link_preferences WHERE group_id = ?'),
      prefSet: db.prepare(`
        INSERT INTO link_preferences (group_id, channel, chosen_at) VALUES (?, ?, ?)
        ON CONFLICT(group_id) DO UPDATE SET channel = excluded.channel, chosen_at = excluded.chosen_at`),
      prefDelete: db.prepare('DELETE FROM link_preferences WHERE group_id = ?'),
      codeInsert: db.prepare('INSERT INTO link_codes (code_hash, person_id, created_at, expires_at) VALUES (?, ?, ?, ?)'),
      codeGet: db.prepare('SELECT person_id, expires_at, used_at FROM link_codes WHERE code_hash = ?'),
      codeUse: db.prepare('UPDATE link_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL'),
      codePurge: db.prepare('DELETE FROM link_codes WHERE expires_at < ?'),
    };
  }

  groupOf(personId: number): number | undefined {
    return (this.s.groupOf.get(personId) as { group_id: number } | undefined)?.group_id;
  }

  /** Every identity of the person's human, the person included; just the person when unlinked. */
  identitiesOf(person: PersonRow): PersonRow[] {
    const group = this.groupOf(person.id);
    return group === undefined ? [person] : (this.s.members.all(group) as PersonRow[]);
  }

  /** Puts both people in one group, merging their groups (and keeping a preference if one had it). */
  link(a: number, b: number, now: string): number {
    const ga = this.groupOf(a);
    const gb = this.groupOf(b);
    const target = ga ?? gb ?? a;
    if (ga !== undefined && gb !== undefined && ga !== gb) {
      this.s.moveGroup.run(target, gb);
      const moved = this.preference(gb);
      if (moved && !this.preference(target)) this.s.prefSet.run(target, moved, now);
      this.s.prefDelete.run(gb);
    }
    this.s.upsert.run(a, target, now);
    this.s.upsert.run(b, target, now);
    return target;
  }

  /** Takes the person out of their group; a group left with one identity is dissolved. */
  unlink(personId: number): boolean {
    const group = this.groupOf(personId);
    if (group === undefined) return false;
    this.s.remove.run(personId);
    if ((this.s.count.get(group) as { n: number }).n <= 1) {
      this.s.removeGroup.run(group);
      this.s.prefDelete.run(group);
    }
    return true;
  }

  preference(group: number): string | undefined {
    return (this.s.prefGet.get(group) as { channel: string } | undefined)?.channel;
  }

  setPreference(group: number, channel: string | undefined, now: string): void {
    if (channel === undefined) this.s.prefDelete.run(group);
    else this.s.prefSet.run(group, channel, now);
  }

  addCode(codeHash: string, personId: number, now: string, expiresAt: string): void {
    this.s.codePurge.run(now);
    this.s.codeInsert.run(codeHash, personId, now, expiresAt);
  }

  code(codeHash: string): { person_id: number; expires_at: string; used_at: string | null } | undefined {
    return this.s.codeGet.get(codeHash) as { person_id: number; expires_at: string; used_at: string | null } | undefined;
  }

  /** Marks a code used; false when it was used first by someone else. */
  useCode(codeHash: string, now: string): boolean {
    return this.s.codeUse.run(now, codeHash).changes === 1;
  }
}

const byConnection = new WeakMap<Database.Database, ChannelLinkStore>();

export function channelLinkStoreOf(store: { db: Database.Database }): ChannelLinkStore {
  let s = byConnection.get(store.db);
  if (!s) {
    s = new ChannelLinkStore(store.db);
    byConnection.set(store.db, s);
  }
  return s;
}
