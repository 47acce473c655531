import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AdminStore } from '../../store/adminStore.ts';
import type { WebDeps } from '../deps.ts';
import { compressText, pageHeaders, rejectCrossSite } from '../headers.ts';
import { registerBroadcastRoutes } from './broadcast.ts';
import { registerChartRoutes } from './charts.ts';
import { registerExportRoutes } from './exports.ts';
import { registerLoginRoutes, registerLogoutRoute } from './login.ts';
import { registerRosterRoutes } from './roster.ts';
import { type AdminEnv, requireAdmin, tokensEqual } from './session.ts';
import { registerSubmissionRoutes } from './submission.ts';

/** The secretariat's dashboard, mounted at /admin. Everything but the login page needs a session. */

/** Every form post carries the session's CSRF token (synchroniser token pattern). */
function requireCsrf(): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    if (c.req.method === 'POST') {
      const body = await c.req.parseBody({ all: true }).catch(() => ({}) as Record<string, unknown>);
      const sent = typeof body.csrf === 'string' ? body.csrf : c.req.header('x-csrf-token');
      if (!tokensEqual(sent, c.get('admin').csrfToken)) {
        return c.text('Biểu mẫu đã hết hạn hoặc không hợp lệ (CSRF). Vui lòng tải lại trang và thử lại.', 403);
      }
    }
    await next();
  };
}

export function createAdminApp(deps: WebDeps): Hono<AdminEnv> {
  const admin = new AdminStore(deps.store.db);
  const app = new Hono<AdminEnv>();
  app.use('*', pageHeaders({ noStore: true }));
  app.use('*', compressText());
  app.use('*', rejectCrossSite());
  app.use('*', bodyLimit({ maxSize: 256 * 1024, onError: (c) => c.text('Dữ liệu gửi lên quá lớn.', 413) }));
  registerLoginRoutes(app, deps, admin);

  const guarded = new Hono<AdminEnv>();
  guarded.use('*', requireAdmin(deps, admin));
  guarded.use('*', requireCsrf());
  guarded.get('/', (c) => c.redirect('/admin/roster', 303));
  registerLogoutRoute(guarded, deps, admin);
  registerRosterRoutes(guarded, deps);
  registerSubmissionRoutes(guarded, deps, admin);
  registerChartRoutes(guarded, deps);
  registerExportRoutes(guarded, deps);
  registerBroadcastRoutes(guarded, deps, admin);
  app.route('/', guarded);
  return app;
}
