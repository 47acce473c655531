import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { backupDatabase } from '../store/backup.ts';

export const BACKUP_USAGE = `  xhht backup --out FILE [--db PATH] [--force]
                                 copy the database while the server runs (SQLite online backup),
                                 check the copy (integrity_check), then give it its name`;

/**
 * `xhht backup --out FILE`: an online backup of DB_PATH (or --db) into FILE. Refuses to overwrite
 * an existing file unless --force. Exit 0 when the copy is written and sound, 1 when it could not be
 * made or failed its check (nothing is left at FILE then), 2 on wrong arguments.
 */
export async function backupCommand(args: string[]): Promise<number> {
  let values: { out?: string; db?: string; force?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { out: { type: 'string' }, db: { type: 'string' }, force: { type: 'boolean', default: false } } }));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\nUsage:\n${BACKUP_USAGE}\n`);
    return 2;
  }
  if (!values.out) {
    process.stderr.write(`Missing --out FILE.\n\nUsage:\n${BACKUP_USAGE}\n`);
    return 2;
  }
  const from = resolve(values.db ?? loadConfig().dbPath);
  const to = resolve(values.out);
  if (from === to) {
    process.stderr.write('The backup must not be written over the database itself.\n');
    return 2;
  }
  if (!existsSync(from)) {
    process.stderr.write(`No database at ${from} (set DB_PATH or pass --db).\n`);
    return 1;
  }
  if (existsSync(to) && !values.force) {
    process.stderr.write(`${to} already exists; choose another name or pass --force.\n`);
    return 1;
  }
  const started = Date.now();
  let result;
  try {
    result = await backupDatabase(from, to);
  } catch (err) {
    process.stderr.write(`Backup failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  if (result.integrity !== 'ok') {
    process.stderr.write(`The copy failed its integrity check, so it was discarded: ${result.integrity.slice(0, 500)}\n`);
    return 1;
  }
  const mb = (result.bytes / 1024 / 1024).toFixed(1);
  process.stdout.write(
    `Backup written: ${to} (${mb} MB, ${result.pages} pages, schema version ${result.schemaVersion}, integrity ok, ${Date.now() - started} ms)\n`,
  );
  return 0;
}
