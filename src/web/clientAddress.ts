import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/**
 * The peer address of the connection. Behind a reverse proxy this is the proxy: X-Forwarded-For is
 * not trusted, since any client can write it.
 */
export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // In-process requests (tests) carry no socket.
    return 'unknown';
  }
}
