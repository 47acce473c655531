import type { MiddlewareHandler } from 'hono';
import { compress } from 'hono/compress';

/**
 * Headers for every page of the dashboard and the web chat. Scripts and styles only from our own
 * routes (no inline code, no CDN), no framing, no referrer, nothing cached for admin pages.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function pageHeaders(opts: { noStore: boolean }): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    if (opts.noStore && !c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  };
}

/**
 * Refuses state-changing requests a browser marks as coming from another site. Defence in depth
 * beside the SameSite cookies and CSRF tokens; requests without the header (old browsers, curl) pass.
 */
export function rejectCrossSite(): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && c.req.header('sec-fetch-site') === 'cross-site') {
      return c.text('Yêu cầu từ trang khác bị từ chối.', 403);
    }
    await next();
  };
}

/**
 * gzip for pages, styles and scripts (a roster page shrinks about eightfold on a slow connection).
 * Safe beside the CSRF tokens: the session cookies are SameSite, so a page another site makes a
 * browser load holds no token to guess byte by byte (BREACH), and the login page's token changes
 * on every load.
 */
export const compressText = (): MiddlewareHandler => compress({ contentTypeFilter: /^(text\/(html|css|javascript)|application\/json)/ });
