import { randomBytes } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import type { AdminStore } from '../../store/adminStore.ts';
import { clientAddress } from '../clientAddress.ts';
import { clock, secureCookies, type WebDeps } from '../deps.ts';
import { html } from '../html.ts';
import { page } from './layout.ts';
import { dummyHash, verifyPassword } from './password.ts';
import { type AdminEnv, currentSession, endSession, startSession, tokensEqual } from './session.ts';

/**
 * Sign-in and sign-out. Repeated failures lock the account and the address for a while: 5 per account
 * and 20 per address in 15 minutes (an office shares one address, so its limit is higher).
 */

export const LOCKOUT_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_ACCOUNT = 5;
export const MAX_FAILURES_PER_ADDRESS = 20;
const LOGIN_COOKIE = 'xhht_login';

const loginSchema = z.strictObject({
  email: z.email().max(254),
  password: z.string().min(1).max(1024),
  csrf: z.string().min(1).max(200),
  next: z.string().max(500).optional(),
});

/** Only paths inside the dashboard: never an open redirect to another site. */
export function safeNext(next: string | undefined): string {
  return next && /^\/admin(\/[A-Za-z0-9/_.-]*)?$/.test(next) && !next.includes('..') && !next.startsWith('/admin/login')
    ? next
    : '/admin/roster';
}

function loginPage(p: { csrf: string; next: string; error?: string; email?: string }) {
  return page({
    title: 'Đăng nhập',
    body: html`<form method="post" action="/admin/login" class="card narrow">
${p.error ? html`<p class="error" role="alert">${p.error}</p>` : ''}
<input type="hidden" name="csrf" value="${p.csrf}">
<input type="hidden" name="next" value="${p.next}">
<label>Email<input type="email" name="email" required maxlength="254" autocomplete="username" value="${p.email ?? ''}" autofocus></label>
<label>Mật khẩu<input type="password" name="password" required maxlength="1024" autocomplete="current-password"></label>
<button type="submit">Đăng nhập</button>
<p class="hint">Tài khoản do quản trị hệ thống tạo bằng lệnh <code>npx xhht admin add EMAIL</code>.</p>
</form>`,
  });
}

export function registerLoginRoutes(app: Hono<AdminEnv>, deps: WebDeps, admin: AdminStore): void {
  /** A pre-session CSRF token (double submit): stops another site from signing a browser in. */
  const issueLoginToken = (c: Context): string => {
    const token = randomBytes(24).toString('base64url');
    setCookie(c, LOGIN_COOKIE, token, { path: '/admin/login', httpOnly: true, sameSite: 'Strict', secure: secureCookies(deps), maxAge: 3600 });
    return token;
  };

  app.get('/login', (c) => {
    if (currentSession(c, deps, admin)) return c.redirect('/admin/roster', 303);
    const query = z.strictObject({ next: z.string().max(500).optional() }).safeParse(c.req.query());
    const next = safeNext(query.success ? query.data.next : undefined);
    return c.html(loginPage({ csrf: issueLoginToken(c), next }).value);
  });

  app.post('/login', async (c) => {
    const parsed = loginSchema.safeParse(await c.req.parseBody().catch(() => undefined));
    if (!parsed.success) {
      return c.html(loginPage({ csrf: issueLoginToken(c), next: '/admin/roster', error: 'Vui lòng nhập đúng email và mật khẩu.' }).value, 400);
    }
    const { email, password, csrf } = parsed.data;
    const next = safeNext(parsed.data.next);
    if (!tokensEqual(getCookie(c, LOGIN_COOKIE), csrf)) {
      return c.html(
        loginPage({ csrf: issueLoginToken(c), next, email, error: 'Trang đăng nhập đã hết hạn. Vui lòng nhập lại.' }).value,
        403,
      );
    }
    const now = clock(deps);
    const since = new Date(now.getTime() - LOCKOUT_WINDOW_MS).toISOString();
    const accountKey = `email:${email.toLowerCase()}`;
    const addressKey = `ip:${clientAddress(c)}`;
    if (
      admin.loginFailuresSince(accountKey, since) >= MAX_FAILURES_PER_ACCOUNT ||
      admin.loginFailuresSince(addressKey, since) >= MAX_FAILURES_PER_ADDRESS
    ) {
      deps.logger.warn({ event: 'admin_login_locked' }, 'login refused: too many failures');
      return c.html(
        loginPage({
          csrf: issueLoginToken(c),
          next,
          email,
          error: 'Đăng nhập tạm bị khóa do nhập sai nhiều lần. Vui lòng thử lại sau 15 phút.',
        }).value,
        429,
      );
    }
    const account = admin.accountByEmail(email);
    const usable = account && !account.disabledAt;
    // An unknown e-mail costs the same as a wrong password, so timing does not reveal accounts.
    const ok = await verifyPassword(password, usable ? account.passwordHash : await dummyHash());
    if (!ok || !usable) {
      const nowIso = now.toISOString();
      admin.recordLoginFailure(accountKey, nowIso);
      admin.recordLoginFailure(addressKey, nowIso);
      deps.logger.info({ event: 'admin_login_failed' }, 'login failed');
      return c.html(loginPage({ csrf: issueLoginToken(c), next, email, error: 'Email hoặc mật khẩu không đúng.' }).value, 401);
    }
    admin.clearLoginFailures(accountKey);
    admin.purgeExpired(now.toISOString(), since);
    deleteCookie(c, LOGIN_COOKIE, { path: '/admin/login' });
    startSession(c, deps, admin, account.id);
    deps.logger.info({ event: 'admin_login', accountId: account.id }, 'admin signed in');
    return c.redirect(next, 303);
  });
}

/** Sign-out is a form post with the session's CSRF token (a link could be triggered by another site). */
export function registerLogoutRoute(app: Hono<AdminEnv>, deps: WebDeps, admin: AdminStore): void {
  app.post('/logout', (c) => {
    const ctx = c.get('admin');
    endSession(c, deps, admin, ctx.tokenHash);
    return c.redirect('/admin/login', 303);
  });
}
