import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Logger } from '../log.ts';
import { mountWebhook, nodeWebhookServer, type WebhookRoute } from './webhook.ts';

export interface HttpServerOptions {
  app: Hono;
  webhooks: WebhookRoute[];
  port: number;
  host: string;
  logger: Logger;
}

/**
 * The bot's HTTP server. Webhook POSTs are served on Node's request and response directly (the hot
 * path); everything else, and webhooks asked in-process with `app.request`, goes through Hono, where
 * the same handlers are mounted.
 */
export async function startHttpServer(o: HttpServerOptions): Promise<Server> {
  const byPath = new Map<string, WebhookRoute>();
  for (const route of o.webhooks) {
    if (byPath.has(route.path)) throw new Error(`two webhooks claim ${route.path}`);
    byPath.set(route.path, route);
    mountWebhook(o.app, route);
  }
  const viaHono = getRequestListener(o.app.fetch, { hostname: o.host, overrideGlobalObjects: false });
  // Webhook answers carry the headers the app puts on every answer (its secureHeaders), taken from
  // one in-process answer so that the two paths cannot drift apart.
  const headers = appHeaders(await o.app.request('/'));
  const serveWebhook = nodeWebhookServer({
    headers,
    onError: (err: unknown) =>
      // Never the error's message or the URL: both may hold tokens or personal data.
      o.logger.error({ err: err instanceof Error ? err.name : 'unknown' }, 'unhandled error in a webhook handler'),
  });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const route = req.method === 'POST' ? byPath.get(pathOf(req.url)) : undefined;
    if (route) void serveWebhook(route, req, res);
    else void viaHono(req, res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function pathOf(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function appHeaders(res: Response): Record<string, string> {
  const skip = new Set(['content-type', 'content-length', 'date']);
  return Object.fromEntries([...res.headers.entries()].filter(([name]) => !skip.has(name)));
}
