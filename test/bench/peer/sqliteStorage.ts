import Database from 'better-sqlite3';
import type { StorageAdapter } from 'grammy';

/**
 * The peer's storage: a grammY StorageAdapter over better-sqlite3, as a grammY user would write
 * it (grammY ships no SQLite adapter). Same durability as the bot under test: WAL, synchronous=FULL
 * unless told otherwise. Values are JSON; one row per key.
 */
export class SqliteStorageAdapter<T> implements StorageAdapter<T> {
  private readonly get: Database.Statement;
  private readonly put: Database.Statement;
  private readonly del: Database.Statement;

  constructor(
    readonly db: Database.Database,
    table = 'grammy_sessions',
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID`);
    this.get = db.prepare(`SELECT value FROM ${table} WHERE key = ?`);
    this.put = db.prepare(`INSERT INTO ${table} (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`);
    this.del = db.prepare(`DELETE FROM ${table} WHERE key = ?`);
  }

  read(key: string): T | undefined {
    const row = this.get.get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  write(key: string, value: T): void {
    this.put.run(key, JSON.stringify(value));
  }

  delete(key: string): void {
    this.del.run(key);
  }
}

export function openPeerDatabase(path: string, synchronous: 'FULL' | 'NORMAL' | 'OFF' = 'FULL'): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS peer_results (
    id INTEGER PRIMARY KEY, chat_id TEXT NOT NULL, answers TEXT NOT NULL, score REAL, passed INTEGER, created_at TEXT NOT NULL)`);
  return db;
}
