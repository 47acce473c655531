import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from '../log.ts';

export interface HealthReport {
  status: 'ok' | 'degraded';
  [key: string]: unknown;
}

export interface HttpAppOptions {
  logger: Logger;
  health: () => HealthReport;
}

/** The bot's HTTP surface: /healthz here, channels add their webhooks with app.route/app.post. */
export function createHttpApp(opts: HttpAppOptions): Hono {
  const app = new Hono();
  app.use('*', secureHeaders({ referrerPolicy: 'no-referrer', xFrameOptions: 'DENY' }));
  app.get('/healthz', (c) => {
    const report = opts.health();
    return c.json(report, report.status === 'ok' ? 200 : 503);
  });
  app.get('/', (c) =>
    c.text('xhht-bot: trợ lý tự đánh giá "xã hội học tập". Kiểm tra tình trạng: /healthz\n'),
  );
  app.notFound((c) => c.json({ ok: false, error: 'not found' }, 404));
  app.onError((err, c) => {
    // Never echo the error or the URL: both may hold tokens or personal data.
    opts.logger.error({ err: err.name, path: c.req.routePath }, 'unhandled error in HTTP handler');
    return c.json({ ok: false, error: 'internal error' }, 500);
  });
  return app;
}
