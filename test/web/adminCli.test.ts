import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminStore } from '../../src/store/adminStore.ts';
import { SecretariatStore } from '../../src/store/secretariatStore.ts';
import { Store } from '../../src/store/store.ts';
import { verifyPassword } from '../../src/web/admin/password.ts';
import { adminCommand } from '../../src/web/cli.ts';
import { hashSecretariatCode } from '../../src/web/secretariat.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xhht-admin-cli-'));
  dirs.push(dir);
  return join(dir, 'db.sqlite');
}

async function run(args: string[], stdin = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await adminCommand(args, { stdin: Readable.from([stdin]), stdout, stderr, now: () => new Date('2026-11-20T03:00:00Z') });
  return { code, out, err };
}

function withStore<T>(db: string, fn: (s: Store) => T): T {
  const store = new Store(db);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

describe('xhht admin', () => {
  it('add reads the password from standard input and stores only a scrypt hash', async () => {
    const db = tempDb();
    const r = await run(['add', 'tinh@sogd.vn', '--db', db], 'mot-mat-khau-rat-dai\n');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('Created province secretariat account tinh@sogd.vn.');
    expect(r.out).not.toContain('mot-mat-khau-rat-dai');
    const account = withStore(db, (s) => new AdminStore(s.db).accountByEmail('tinh@sogd.vn'))!;
    expect(account).toMatchObject({ role: 'province', communeCode: null });
    expect(account.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('mot-mat-khau-rat-dai', account.passwordHash)).toBe(true);
    expect(await verifyPassword('mot-mat-khau-rat-dai!', account.passwordHash)).toBe(false);
  });

  it('add --generate (or an empty standard input) prints a generated password once', async () => {
    const db = tempDb();
    for (const [email, args, stdin] of [
      ['a@sogd.vn', ['--generate'], ''],
      ['b@sogd.vn', [], ''],
    ] as const) {
      const r = await run(['add', email, ...args, '--db', db], stdin);
      expect(r.code).toBe(0);
      const password = /Password \(shown once, store it safely\): (\S+)/.exec(r.out)![1]!;
      expect(password).toHaveLength(20);
      const hash = withStore(db, (s) => new AdminStore(s.db).accountByEmail(email))!.passwordHash;
      expect(await verifyPassword(password, hash)).toBe(true);
    }
  });

  it('add refuses bad input and creates nothing', async () => {
    const db = tempDb();
    expect((await run(['add', 'not-an-email', '--db', db], 'mot-mat-khau-rat-dai\n')).code).toBe(2);
    expect((await run(['add', 'x@sogd.vn', '--role', 'king', '--db', db], 'mot-mat-khau-rat-dai\n')).code).toBe(2);
    expect((await run(['add', 'x@sogd.vn', '--role', 'commune', '--db', db], 'mot-mat-khau-rat-dai\n')).code).toBe(2);
    expect((await run(['add', 'x@sogd.vn', '--commune', 'MAU-01', '--db', db], 'mot-mat-khau-rat-dai\n')).code).toBe(2);
    const unknown = await run(['add', 'x@sogd.vn', '--role', 'commune', '--commune', 'MAU-99', '--db', db], 'mot-mat-khau-rat-dai\n');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('Unknown commune code "MAU-99"');
    const short = await run(['add', 'x@sogd.vn', '--db', db], 'ngan\n');
    expect(short.code).toBe(1);
    expect(short.err).toContain('at least 12 characters');
    expect(withStore(db, (s) => new AdminStore(s.db).accounts())).toEqual([]);
    expect((await run(['frobnicate', '--db', db])).code).toBe(2);
  });

  it('adds a commune officer for a known commune, refuses a second account with the same e-mail, lists and disables', async () => {
    const db = tempDb();
    withStore(db, (s) =>
      s.units.upsertAdminUnit({ code: 'MAU-01', name: 'Phường Trung Tâm', level: 'commune', parentCode: null, effectiveFrom: '2025-07-01', effectiveTo: null, legacyDistrict: null }),
    );
    expect((await run(['add', 'xa@sogd.vn', '--role', 'commune', '--commune', 'MAU-01', '--db', db], 'mot-mat-khau-rat-dai\n')).code).toBe(0);
    const dup = await run(['add', 'XA@sogd.vn', '--db', db], 'mot-mat-khau-rat-dai\n');
    expect(dup.code).toBe(1);
    expect(dup.err).toContain('already exists');
    expect((await run(['list', '--db', db])).out).toContain('xa@sogd.vn\tcommune MAU-01');
    expect((await run(['disable', 'xa@sogd.vn', '--db', db])).code).toBe(0);
    expect((await run(['disable', 'xa@sogd.vn', '--db', db])).code).toBe(1);
    expect(withStore(db, (s) => new AdminStore(s.db).accountByEmail('xa@sogd.vn'))!.disabledAt).not.toBeNull();
  });

  it('passwd replaces the password', async () => {
    const db = tempDb();
    await run(['add', 'tinh@sogd.vn', '--db', db], 'mot-mat-khau-rat-dai\n');
    expect((await run(['passwd', 'tinh@sogd.vn', '--db', db], 'mat-khau-moi-cung-dai\n')).code).toBe(0);
    const hash = withStore(db, (s) => new AdminStore(s.db).accountByEmail('tinh@sogd.vn'))!.passwordHash;
    expect(await verifyPassword('mat-khau-moi-cung-dai', hash)).toBe(true);
    expect((await run(['passwd', 'nobody@sogd.vn', '--db', db], 'mat-khau-moi-cung-dai\n')).code).toBe(2);
  });

  it('invite prints a single-use code that is stored hashed with its expiry', async () => {
    const db = tempDb();
    const r = await run(['invite', '--hours', '24', '--db', db]);
    expect(r.code).toBe(0);
    const code = /single use\): ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(r.out)![1]!;
    expect(r.out).toContain(`đăng ký thư ký ${code}`);
    expect(r.out).toContain('Valid until thứ Bảy, 21/11/2026 lúc 10:00');
    const invite = withStore(db, (s) => new SecretariatStore(s.db).invite(hashSecretariatCode(code)));
    expect(invite).toEqual({ expiresAt: '2026-11-21T03:00:00.000Z', usedAt: null });
    expect((await run(['invite', '--hours', '0', '--db', db])).code).toBe(2);
  });
});
