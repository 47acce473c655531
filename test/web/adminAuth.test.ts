import { describe, expect, it } from 'vitest';
import { AdminStore } from '../../src/store/adminStore.ts';
import { MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS, safeNext } from '../../src/web/admin/login.ts';
import { hashToken, SESSION_IDLE_MS, SESSION_MAX_MS } from '../../src/web/admin/session.ts';
import { addAccount, Client, makeWebApp, PASSWORD, seedUnits } from './webApp.ts';

const PAGES = ['/admin', '/admin/roster', '/admin/charts', '/admin/exports', '/admin/broadcast', '/admin/submissions/1', '/admin/nowhere'];

async function setup() {
  const t = makeWebApp();
  seedUnits(t.store);
  await addAccount(t.store, { email: 'tinh@sogd.vn' });
  return t;
}

describe('without a session', () => {
  it('pages redirect to the login page, remembering where the person was going', async () => {
    const t = await setup();
    const c = new Client(t.app);
    for (const path of PAGES) {
      const res = await c.get(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location'), path).toBe(`/admin/login?next=${encodeURIComponent(path)}`);
    }
  });

  it('form posts and the API answer 401', async () => {
    const t = await setup();
    const c = new Client(t.app);
    for (const path of ['/admin/logout', '/admin/broadcast', '/admin/submissions/1/review']) {
      expect((await c.post(path, { csrf: 'x' })).status, path).toBe(401);
    }
    const api = await c.get('/admin/api/roster');
    expect(api.status).toBe(401);
    expect(await api.json()).toEqual({ ok: false, error: 'login required' });
  });
});

describe('login', () => {
  it('signs in with the right password and sets a strict, HttpOnly session cookie', async () => {
    const t = await setup();
    const c = new Client(t.app);
    const res = await c.login('TINH@sogd.vn');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/roster');
    const cookie = res.headers.getSetCookie().find((l) => l.startsWith('xhht_admin='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/admin/);
    expect(cookie).not.toMatch(/Secure/);
    const roster = await c.get('/admin/roster');
    expect(roster.status).toBe(200);
    expect(await roster.text()).toContain('tinh@sogd.vn');
    // The database holds only a hash of the token.
    const token = c.cookies.get('xhht_admin')!;
    expect(new AdminStore(t.store.db).session(token)).toBeUndefined();
    expect(new AdminStore(t.store.db).session(hashToken(token))).toBeDefined();
  });

  it('marks the cookie Secure when PUBLIC_URL is https', async () => {
    const t = makeWebApp({ publicUrl: 'https://bot.sogd.example.vn' });
    await addAccount(t.store, { email: 'tinh@sogd.vn' });
    const res = await new Client(t.app).login('tinh@sogd.vn');
    expect(res.headers.getSetCookie().find((l) => l.startsWith('xhht_admin='))).toMatch(/Secure/);
  });

  it('refuses a wrong password, an unknown e-mail and a disabled account with the same message', async () => {
    const t = await setup();
    await addAccount(t.store, { email: 'off@sogd.vn' });
    new AdminStore(t.store.db).disableAccount('off@sogd.vn', new Date().toISOString());
    for (const [email, password] of [
      ['tinh@sogd.vn', 'sai-mat-khau-roi'],
      ['khongco@sogd.vn', PASSWORD],
      ['off@sogd.vn', PASSWORD],
    ] as const) {
      const c = new Client(t.app);
      const res = await c.login(email, password);
      expect(res.status, email).toBe(401);
      expect(await res.text()).toContain('Email hoặc mật khẩu không đúng.');
      expect(c.cookies.has('xhht_admin')).toBe(false);
    }
  });

  it('rejects invalid input with 400 (zod)', async () => {
    const t = await setup();
    const c = new Client(t.app);
    await c.get('/admin/login');
    const csrf = c.cookies.get('xhht_login')!;
    expect((await c.post('/admin/login', { email: 'not-an-email', password: PASSWORD, csrf })).status).toBe(400);
    expect((await c.post('/admin/login', { email: 'tinh@sogd.vn', password: '', csrf })).status).toBe(400);
    expect((await c.post('/admin/login', { email: 'tinh@sogd.vn', password: PASSWORD, csrf, role: 'x' })).status).toBe(400);
  });

  it('rejects a login post without the login page token (login CSRF)', async () => {
    const t = await setup();
    const c = new Client(t.app);
    const res = await c.post('/admin/login', { email: 'tinh@sogd.vn', password: PASSWORD, csrf: 'forged' });
    expect(res.status).toBe(403);
    expect(c.cookies.has('xhht_admin')).toBe(false);
  });

  it('never redirects outside the dashboard after login', () => {
    expect(safeNext('//evil.example/admin')).toBe('/admin/roster');
    expect(safeNext('https://evil.example')).toBe('/admin/roster');
    expect(safeNext('/admin/charts')).toBe('/admin/charts');
    expect(safeNext('/admin/../x')).toBe('/admin/roster');
    expect(safeNext('/admin/login')).toBe('/admin/roster');
    expect(safeNext(undefined)).toBe('/admin/roster');
  });
});

describe('lockout', () => {
  it(`locks an account after ${MAX_FAILURES_PER_ACCOUNT} failures in 15 minutes, even for the right password, and lifts it after`, async () => {
    const t = await setup();
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT; i++) {
      expect((await new Client(t.app, `10.0.0.${i}`).login('tinh@sogd.vn', 'sai-mat-khau-roi')).status).toBe(401);
    }
    const locked = await new Client(t.app, '10.0.1.1').login('tinh@sogd.vn');
    expect(locked.status).toBe(429);
    expect(await locked.text()).toContain('tạm bị khóa');
    t.clock.now = new Date(t.clock.now.getTime() + 15 * 60 * 1000 + 1000);
    expect((await new Client(t.app, '10.0.1.1').login('tinh@sogd.vn')).status).toBe(303);
  });

  it(`locks an address after ${MAX_FAILURES_PER_ADDRESS} failures across accounts`, async () => {
    const t = await setup();
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) {
      expect((await new Client(t.app, '203.0.113.9').login(`nobody${i}@sogd.vn`, 'sai-mat-khau-roi')).status).toBe(401);
    }
    expect((await new Client(t.app, '203.0.113.9').login('tinh@sogd.vn')).status).toBe(429);
    expect((await new Client(t.app, '203.0.113.10').login('tinh@sogd.vn')).status).toBe(303);
  });

  it('a successful login clears the account failures', async () => {
    const t = await setup();
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT - 1; i++) await new Client(t.app).login('tinh@sogd.vn', 'sai-mat-khau-roi');
    expect((await new Client(t.app).login('tinh@sogd.vn')).status).toBe(303);
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT - 1; i++) await new Client(t.app, '10.9.9.9').login('tinh@sogd.vn', 'sai-mat-khau-roi');
    expect((await new Client(t.app, '10.9.9.8').login('tinh@sogd.vn')).status).toBe(303);
  });
});

describe('sessions', () => {
  it('expire after the idle time', async () => {
    const t = await setup();
    const c = new Client(t.app);
    await c.login('tinh@sogd.vn');
    t.clock.now = new Date(t.clock.now.getTime() + SESSION_IDLE_MS - 60_000);
    expect((await c.get('/admin/roster')).status).toBe(200);
    // The visit slid the expiry forward …
    t.clock.now = new Date(t.clock.now.getTime() + SESSION_IDLE_MS - 60_000);
    expect((await c.get('/admin/roster')).status).toBe(200);
    // … but a whole idle period without a visit ends it.
    t.clock.now = new Date(t.clock.now.getTime() + SESSION_IDLE_MS + 1000);
    expect((await c.get('/admin/roster')).status).toBe(303);
    expect((await c.post('/admin/broadcast', { csrf: 'x' })).status).toBe(401);
  });

  it('end after the absolute lifetime however active', async () => {
    const t = await setup();
    const c = new Client(t.app);
    await c.login('tinh@sogd.vn');
    const start = t.clock.now.getTime();
    for (let at = 0; at < SESSION_MAX_MS; at += SESSION_IDLE_MS / 2) {
      t.clock.now = new Date(start + at);
      expect((await c.get('/admin/roster')).status).toBe(200);
    }
    t.clock.now = new Date(start + SESSION_MAX_MS + 1000);
    expect((await c.get('/admin/roster')).status).toBe(303);
  });

  it('sign-out needs the CSRF token and ends the session for good', async () => {
    const t = await setup();
    const c = new Client(t.app);
    await c.login('tinh@sogd.vn');
    const token = c.cookies.get('xhht_admin')!;
    expect((await c.post('/admin/logout', { csrf: 'wrong' })).status).toBe(403);
    expect((await c.get('/admin/roster')).status).toBe(200);
    const res = await c.post('/admin/logout', { csrf: await c.csrf() });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/login');
    // Replaying the old cookie does not bring the session back.
    const replay = new Client(t.app);
    replay.cookies.set('xhht_admin', token);
    expect((await replay.get('/admin/roster')).status).toBe(303);
  });

  it('a disabled account loses its open sessions', async () => {
    const t = await setup();
    const c = new Client(t.app);
    await c.login('tinh@sogd.vn');
    new AdminStore(t.store.db).disableAccount('tinh@sogd.vn', t.clock.now.toISOString());
    expect((await c.get('/admin/roster')).status).toBe(303);
  });
});

describe('CSRF', () => {
  it('rejects every form post without the session token, and accepts it with the token', async () => {
    const t = await setup();
    const c = new Client(t.app);
    await c.login('tinh@sogd.vn');
    const other = new Client(t.app);
    await other.login('tinh@sogd.vn');
    const foreignToken = await other.csrf();
    for (const csrf of [undefined, '', 'forged', foreignToken]) {
      const form: Record<string, string> = { nonce: crypto.randomUUID(), text: 'Xin chào', unit: 'SCH-A' };
      if (csrf !== undefined) form.csrf = csrf;
      const res = await c.post('/admin/broadcast', form);
      expect(res.status, String(csrf)).toBe(403);
    }
    expect(t.store.outboxRows().filter((r) => r.kind === 'broadcast')).toHaveLength(0);
    const ok = await c.post('/admin/broadcast', { csrf: await c.csrf(), nonce: crypto.randomUUID(), text: 'Xin chào', unit: 'SCH-A' });
    expect(ok.status).toBe(303);
  });

  it('refuses a post the browser marks as cross-site', async () => {
    const t = await setup();
    const c = new Client(t.app);
    await c.login('tinh@sogd.vn');
    const body = new URLSearchParams({ csrf: await c.csrf() });
    const res = await c.request('/admin/logout', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
    });
    expect(res.status).toBe(403);
    expect((await c.get('/admin/roster')).status).toBe(200);
  });
});

describe('security headers', () => {
  it('every dashboard and chat page forbids inline scripts, framing and referrers', async () => {
    const t = await setup();
    const c = new Client(t.app);
    await c.login('tinh@sogd.vn');
    const anonymous = new Client(t.app);
    for (const [client, path] of [
      [anonymous, '/admin/login'],
      [anonymous, '/admin/roster'],
      [c, '/admin/roster'],
      [c, '/admin/charts'],
      [anonymous, '/chat'],
    ] as const) {
      const res = await client.get(path);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain('unsafe-inline');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    expect((await c.get('/admin/roster')).headers.get('cache-control')).toBe('no-store');
  });

  it('pages carry no inline script or style', async () => {
    const t = await setup();
    const c = new Client(t.app);
    await c.login('tinh@sogd.vn');
    for (const path of ['/admin/login', '/admin/roster', '/admin/charts', '/admin/charts?flow=unit-web', '/admin/exports', '/admin/broadcast', '/chat']) {
      const html = await (await c.get(path)).text();
      expect(html, path).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
      expect(html, path).not.toMatch(/\sstyle=/);
      expect(html, path).not.toMatch(/\son[a-z]+=/);
    }
  });
});
