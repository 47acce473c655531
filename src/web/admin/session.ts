import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AdminAccount, AdminStore } from '../../store/adminStore.ts';
import { clock, secureCookies, type WebDeps } from '../deps.ts';

/**
 * Dashboard sessions: a random token in an HttpOnly SameSite=Strict cookie, stored hashed in SQLite
 * (a leaked database holds no live session), with an idle and an absolute expiry, and a CSRF token
 * bound to the session (synchroniser token) that every form carries.
 */

export const SESSION_COOKIE = 'xhht_admin';
export const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
export const SESSION_MAX_MS = 12 * 60 * 60 * 1000;
/** Sliding expiry is written at most this often, so reading pages does not write on every request. */
const TOUCH_EVERY_MS = 60 * 1000;

export interface AdminContext {
  account: AdminAccount;
  /** A commune officer's commune, by name (the code when unknown). */
  communeName: string | null;
  csrfToken: string;
  tokenHash: string;
}

export type AdminEnv = { Variables: { admin: AdminContext } };

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export function tokensEqual(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

export function startSession(c: Context, deps: WebDeps, admin: AdminStore, accountId: number): void {
  const now = clock(deps);
  const token = randomBytes(32).toString('base64url');
  admin.createSession({
    tokenHash: hashToken(token),
    accountId,
    csrfToken: randomBytes(32).toString('base64url'),
    now: now.toISOString(),
    expiresAt: new Date(now.getTime() + SESSION_IDLE_MS).toISOString(),
  });
  setCookie(c, SESSION_COOKIE, token, { path: '/admin', httpOnly: true, sameSite: 'Strict', secure: secureCookies(deps) });
}

export function endSession(c: Context, deps: WebDeps, admin: AdminStore, tokenHash: string): void {
  admin.deleteSession(tokenHash);
  deleteCookie(c, SESSION_COOKIE, { path: '/admin', httpOnly: true, sameSite: 'Strict', secure: secureCookies(deps) });
}

/** The signed-in account of this request, with the session's expiry slid forward; undefined when none. */
export function currentSession(c: Context, deps: WebDeps, admin: AdminStore): AdminContext | undefined {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token || token.length > 200) return undefined;
  const tokenHash = hashToken(token);
  const session = admin.session(tokenHash);
  if (!session) return undefined;
  const now = clock(deps);
  const hardEnd = Date.parse(session.createdAt) + SESSION_MAX_MS;
  if (Date.parse(session.expiresAt) <= now.getTime() || hardEnd <= now.getTime()) {
    admin.deleteSession(tokenHash);
    return undefined;
  }
  const account = admin.account(session.accountId);
  if (!account || account.disabledAt) {
    admin.deleteSession(tokenHash);
    return undefined;
  }
  if (now.getTime() - Date.parse(session.lastSeenAt) >= TOUCH_EVERY_MS) {
    const expiresAt = new Date(Math.min(now.getTime() + SESSION_IDLE_MS, hardEnd)).toISOString();
    admin.touchSession(tokenHash, now.toISOString(), expiresAt);
  }
  const communeName = account.communeCode ? (deps.store.units.adminUnit(account.communeCode)?.name ?? account.communeCode) : null;
  return { account, communeName, csrfToken: session.csrfToken, tokenHash };
}

/**
 * Every dashboard route but the login page: pages without a session go to the login page, API
 * calls and form posts get 401 (a redirect would lose what was posted without saying so).
 */
export function requireAdmin(deps: WebDeps, admin: AdminStore): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const ctx = currentSession(c, deps, admin);
    if (!ctx) {
      const isPage = (c.req.method === 'GET' || c.req.method === 'HEAD') && !c.req.path.startsWith('/admin/api/');
      if (isPage) return c.redirect(`/admin/login?next=${encodeURIComponent(c.req.path)}`, 303);
      return c.req.path.startsWith('/admin/api/')
        ? c.json({ ok: false, error: 'login required' }, 401)
        : c.text('Phiên làm việc đã hết hạn hoặc Anh/Chị chưa đăng nhập. Vui lòng đăng nhập lại.', 401);
    }
    c.set('admin', ctx);
    await next();
  };
}
