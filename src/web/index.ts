import type { Hono } from 'hono';
import { createAdminApp } from './admin/index.ts';
import { registerAssets } from './assets.ts';
import { registerChatRoutes } from './chat/chatRoutes.ts';
import type { WebDeps } from './deps.ts';

export type { DeadlineInfo, ExportResponses, WebDeps } from './deps.ts';
export { secretariatInterceptor } from './secretariat.ts';
export { WEB_CHANNEL } from './chat/chatRoutes.ts';

/** The browser-facing routes: /assets/*, the web chat at /chat, and the secretariat's dashboard at /admin. */
export function registerWebRoutes(app: Hono, deps: WebDeps): void {
  registerAssets(app);
  registerChatRoutes(app, deps);
  app.route('/admin', createAdminApp(deps));
}
