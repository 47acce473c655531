import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { readCode, zaloOaCommand } from '../../src/channels/zaloOa/cli.ts';
import { Store } from '../../src/store/store.ts';
import { zaloOaStoreOf } from '../../src/store/zaloOaStore.ts';
import { FakeZaloOa } from '../fakes/zaloOaApi.ts';
import { APP_ID, APP_SECRET, OA_SECRET } from './harness.ts';

/** `xhht zalo-oa authorize` against the fake OAuth server, which checks the PKCE verifier. */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setUp() {
  const fake = await FakeZaloOa.start({ appId: APP_ID, appSecret: APP_SECRET });
  const dir = mkdtempSync(join(tmpdir(), 'xhht-oacli-'));
  cleanups.push(() => fake.close(), () => rmSync(dir, { recursive: true, force: true }));
  const env = {
    DB_PATH: join(dir, 'db.sqlite'),
    ZALO_OA_APP_ID: APP_ID,
    ZALO_OA_APP_SECRET: APP_SECRET,
    ZALO_OA_SECRET_KEY: OA_SECRET,
    ZALO_OA_OAUTH_ROOT: fake.root,
    ZALO_OA_REDIRECT_URI: 'https://bot.example.vn/zalo-oa/callback',
  };
  const run = async (args: string[], stdin?: PassThrough) => {
    let out = '';
    let err = '';
    const code = await zaloOaCommand(args, {
      env,
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      stdin: stdin ?? ended(),
    });
    return { code, out, err };
  };
  const tokens = () => {
    const store = new Store(env.DB_PATH);
    try {
      return zaloOaStoreOf(store).tokens(APP_ID);
    } finally {
      store.close();
    }
  };
  return { fake, env, run, tokens };
}

function ended(): PassThrough {
  const s = new PassThrough();
  s.end();
  return s;
}

/** The permission URL printed by the command. */
function permission(out: string): URL {
  const line = out.split('\n').find((l) => l.includes('/v4/oa/permission?'));
  if (!line) throw new Error(`no permission URL in:\n${out}`);
  return new URL(line.trim());
}

describe('xhht zalo-oa authorize', () => {
  it('prints the permission URL (S256 challenge, state), then exchanges the code pasted on stdin in the same run', async () => {
    const { fake, env, tokens } = await setUp();
    const stdin = new PassThrough();
    let out = '';
    let printed!: () => void;
    const urlShown = new Promise<void>((r) => (printed = r));
    const running = zaloOaCommand(['authorize'], {
      env,
      stdin,
      stdout: {
        write: (s: string) => {
          out += s;
          if (out.includes('/v4/oa/permission?')) printed();
        },
      },
      stderr: { write: () => undefined },
    });
    await urlShown;
    const u = permission(out);
    expect(u.pathname).toBe('/v4/oa/permission');
    expect(u.searchParams.get('app_id')).toBe(APP_ID);
    expect(u.searchParams.get('redirect_uri')).toBe('https://bot.example.vn/zalo-oa/callback');
    expect(u.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(u.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{22}$/);

    // The person granted access in the browser; the address bar holds the callback with code and state.
    const code = fake.grant(u.searchParams.get('code_challenge')!);
    stdin.end(`https://bot.example.vn/zalo-oa/callback?code=${code}&state=${u.searchParams.get('state')}&oa_id=579745863508352884\n`);
    expect(await running).toBe(0);
    expect(out).toContain('Đã cấp quyền cho Official Account');
    const stored = tokens()!;
    expect(stored.access_token).toMatch(/^AT-/);
    expect(stored.refresh_token).toMatch(/^RT-/);
    expect(out).not.toContain(stored.access_token);
    expect(out).not.toContain(stored.refresh_token);
    // The fake issues tokens only when SHA-256(code_verifier) matches the challenge: PKCE held.
    expect(fake.calls.filter((c) => c.endpoint === 'oauth').map((c) => [c.body.grant_type, c.error])).toEqual([['authorization_code', 0]]);
  });

  it('without input on stdin, keeps the authorisation pending; the code given later as an argument completes it', async () => {
    const { fake, run, tokens } = await setUp();
    const first = await run(['authorize']);
    expect(first.code).toBe(0);
    expect(first.out).toContain('Chưa nhận được mã');
    expect(tokens()).toBeUndefined();
    const u = permission(first.out);
    const code = fake.grant(u.searchParams.get('code_challenge')!);
    const second = await run(['authorize', code]);
    expect(second.err).toBe('');
    expect(second.code).toBe(0);
    expect(tokens()?.access_token).toMatch(/^AT-/);
    const status = await run(['status']);
    expect(status.out).toContain('Official Account: đã cấp quyền');
  });

  it('refuses a callback whose state belongs to no pending authorisation, and a wrong code', async () => {
    const { fake, run, tokens } = await setUp();
    const first = await run(['authorize']);
    const u = permission(first.out);
    const wrongState = await run(['authorize', 'https://bot.example.vn/zalo-oa/callback?code=abc&state=not-ours']);
    expect(wrongState.code).toBe(2);
    expect(wrongState.err).toContain('state không khớp');
    const wrongCode = await run(['authorize', `code=forged&state=${u.searchParams.get('state')}`]);
    expect(wrongCode.code).toBe(1);
    expect(wrongCode.err).toContain('Zalo không chấp nhận mã');
    expect(tokens()).toBeUndefined();
    expect(fake.calls.filter((c) => c.endpoint === 'oauth').map((c) => c.error)).toEqual([-14019]);
  });
});

describe('readCode', () => {
  it('takes a bare code, a callback URL or its query string', () => {
    expect(readCode(' abc123 ')).toEqual({ code: 'abc123', state: undefined });
    expect(readCode('https://x.vn/cb?code=abc&state=s1&oa_id=9')).toEqual({ code: 'abc', state: 's1' });
    expect(readCode('code=abc&state=s1')).toEqual({ code: 'abc', state: 's1' });
  });
});
