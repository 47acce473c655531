import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export interface BackupResult {
  bytes: number;
  pages: number;
  schemaVersion: number;
  /** "ok", or SQLite's first complaint about the copy. */
  integrity: string;
}

/**
 * Copies a live database with SQLite's online backup API while the server keeps writing (WAL:
 * readers never block the writer), then checks the copy with integrity_check before it gets its
 * final name. The copy is a single self-contained file (rollback journal mode), written under a
 * temporary name and renamed only when sound, so a half-written or corrupt backup never looks
 * like a good one.
 */
export async function backupDatabase(from: string, to: string): Promise<BackupResult> {
  const partial = `${to}.partial-${process.pid}`;
  const source = new Database(from, { readonly: true, fileMustExist: true });
  try {
    source.pragma('busy_timeout = 10000');
    // After the first step copy everything left in one step: a step that spans the whole file
    // reads one consistent snapshot, so the writer's commits never restart the copy.
    await source.backup(partial, { progress: ({ totalPages }) => Math.max(totalPages, 100) });
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    source.close();
  }

  let result: BackupResult;
  const copy = new Database(partial);
  try {
    copy.pragma('journal_mode = DELETE');
    const integrity = integrityOf(copy);
    result = {
      bytes: 0,
      pages: copy.pragma('page_count', { simple: true }) as number,
      schemaVersion: copy.pragma('user_version', { simple: true }) as number,
      integrity,
    };
  } catch (err) {
    // A copy too damaged to open or read: report it as the integrity failure it is.
    result = { bytes: 0, pages: 0, schemaVersion: 0, integrity: err instanceof Error ? err.message : String(err) };
  } finally {
    copy.close();
  }
  if (result.integrity !== 'ok') {
    rmSync(partial, { force: true });
    return result;
  }
  syncFile(partial);
  renameSync(partial, to);
  syncFile(dirname(to));
  return { ...result, bytes: statSync(to).size };
}

/** integrity_check of a database file on its own. */
export function checkIntegrity(path: string): string {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return integrityOf(db);
  } finally {
    db.close();
  }
}

function integrityOf(db: Database.Database): string {
  const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
  return rows.map((r) => r.integrity_check).join('; ');
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
