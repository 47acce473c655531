import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { backupCommand } from '../../src/ops/backup.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { Store } from '../../src/store/store.ts';
import { FakeTelegramApi } from '../fakes/telegramApi.ts';
import { FakeZaloApi } from '../fakes/zaloApi.ts';
import { CITIZEN_TURNS } from '../helpers/citizenScript.ts';
import { startServe } from '../faults/support/childServer.ts';
import { SECRET_HEADERS, SECRETS } from '../faults/support/faultBot.ts';
import { TG_TOKEN, updateFor, ZALO_TOKEN } from '../faults/support/values.ts';

/** `xhht backup --out FILE`: an online copy taken while the server writes, checked before it is named. */

const dir = mkdtempSync(join(tmpdir(), 'xhht-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let output = '';
function capture() {
  output = '';
  const grab = (chunk: string | Uint8Array) => {
    output += String(chunk);
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(grab);
  vi.spyOn(process.stderr, 'write').mockImplementation(grab);
}
afterEach(() => vi.restoreAllMocks());

const count = (path: string, sql: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('xhht backup', () => {
  it('copies the database while the server is writing; the copy is sound and holds every turn answered before', async () => {
    const telegram = await FakeTelegramApi.start(TG_TOKEN);
    const zalo = await FakeZaloApi.start({ token: ZALO_TOKEN });
    const dbPath = join(dir, 'live.sqlite');
    const server = await startServe({ dbPath, telegramApiRoot: telegram.apiRoot, zaloApiRoot: zalo.apiRoot, logFile: join(dir, 'serve.log') });
    let stop = false;
    let acked = 0;
    const load = Array.from({ length: 8 }, async (_, i) => {
      for (let round = 0; !stop; round++) {
        for (let turn = 0; turn < CITIZEN_TURNS && !stop; ) {
          const res = await fetch(`${server.base}/webhooks/zalo`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', [SECRET_HEADERS.zalo]: SECRETS.zalo },
            body: JSON.stringify(updateFor('zalo', 9000 + round * 10 + i, turn)),
          });
          await res.arrayBuffer();
          if (res.status === 200) {
            acked++;
            turn++;
          }
        }
      }
    });
    try {
      while (acked < 100) await new Promise((r) => setTimeout(r, 10));
      const answeredBefore = acked;
      const out = join(dir, 'copy.sqlite');
      capture();
      const code = await backupCommand(['--db', dbPath, '--out', out]);
      vi.restoreAllMocks();
      expect(code, output).toBe(0);
      expect(output).toMatch(/^Backup written: .*copy\.sqlite \(.* integrity ok/);

      const copy = new Database(out, { readonly: true });
      try {
        expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(copy.pragma('foreign_key_check')).toEqual([]);
        expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
        expect(copy.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
        const inbox = (copy.prepare('SELECT COUNT(*) AS n FROM inbox').get() as { n: number }).n;
        expect(inbox).toBeGreaterThanOrEqual(answeredBefore);
      } finally {
        copy.close();
      }
      expect(existsSync(`${out}-wal`)).toBe(false);
      // The copy is a working database: the store opens it as it is.
      const restored = new Store(out);
      expect(restored.integrityCheck()).toBe('ok');
      restored.close();
    } finally {
      stop = true;
      await Promise.all(load);
      server.child.kill('SIGTERM');
      await server.exited;
      await Promise.all([telegram.close(), zalo.close()]);
    }
    expect(count(dbPath, 'SELECT COUNT(*) AS n FROM inbox')).toBeGreaterThanOrEqual(acked);
  }, 120_000);

  it('refuses to overwrite a file unless --force, and needs --out', async () => {
    const db = join(dir, 'small.sqlite');
    new Store(db).close();
    const out = join(dir, 'exists.sqlite');
    writeFileSync(out, 'keep me');
    capture();
    expect(await backupCommand(['--db', db, '--out', out])).toBe(1);
    expect(output).toContain('already exists');
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    expect(await backupCommand(['--db', db, '--out', out, '--force'])).toBe(0);
    expect(await backupCommand(['--db', db])).toBe(2);
    expect(output).toContain('Missing --out');
    expect(await backupCommand(['--db', db, '--out', db])).toBe(2);
    expect(await backupCommand(['--db', join(dir, 'none.sqlite'), '--out', join(dir, 'x.sqlite')])).toBe(1);
    vi.restoreAllMocks();
    expect(count(out, 'SELECT COUNT(*) AS n FROM people')).toBe(0);
  });

  it('discards a copy that fails its integrity check (a damaged source), leaving nothing at FILE', async () => {
    const db = join(dir, 'damaged.sqlite');
    const store = new Store(db);
    for (let i = 0; i < 300; i++) store.claimInbound('test', `event-${i}-${'x'.repeat(200)}`, new Date().toISOString());
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    store.close();
    // Scribble over a page in the middle of the inbox b-tree.
    const fd = openSync(db, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 4096 * 20);
    closeSync(fd);
    const out = join(dir, 'from-damaged.sqlite');
    capture();
    const code = await backupCommand(['--db', db, '--out', out]);
    vi.restoreAllMocks();
    expect(code).toBe(1);
    expect(output).toMatch(/integrity check|malformed|Backup failed/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial-${process.pid}`)).toBe(false);
  });
});
