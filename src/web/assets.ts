import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { compressText } from './headers.ts';

/**
 * The dashboard's and the chat's stylesheets and script, served from our own routes (no CDN: the
 * pages work offline). Read once at start; an ETag lets a slow connection skip the download.
 */

const TYPES: Record<string, string> = {
  'admin.css': 'text/css; charset=utf-8',
  'chat.css': 'text/css; charset=utf-8',
  'chat.js': 'text/javascript; charset=utf-8',
};

export function registerAssets(app: Hono): void {
  const dir = join(import.meta.dirname, 'static');
  const files = new Map(
    Object.entries(TYPES).map(([name, type]) => {
      const body = readFileSync(join(dir, name));
      return [name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` }];
    }),
  );
  app.get('/assets/:file', compressText(), (c) => {
    const file = files.get(c.req.param('file'));
    if (!file) return c.json({ ok: false, error: 'not found' }, 404);
    c.header('ETag', file.etag);
    c.header('Cache-Control', 'public, max-age=3600');
    c.header('X-Content-Type-Options', 'nosniff');
    if (c.req.header('if-none-match') === file.etag) return c.body(null, 304);
    c.header('Content-Type', file.type);
    return c.body(new Uint8Array(file.body));
  });
}
