import type { ServerType } from '@hono/node-server';

/**
 * Stops the HTTP server without waiting forever on keep-alive connections. `server.close()` alone
 * only stops new connections: Telegram and Zalo post webhooks over persistent connections and
 * keep sending on them, so under traffic close() never completes and the process is killed by the
 * 5-second guard (exit 1). Here every response sent from now on says `Connection: close`,
 * connections are closed as soon as they fall idle, and after `graceMs` whatever remains (a body
 * still uploading) is cut. A request being handled is never cut before that: its turn commits and
 * gets its 200; a request refused or cut was not answered, so the platform delivers it again.
 */
export async function stopAccepting(server: ServerType, opts: { graceMs: number }): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  if (!('closeIdleConnections' in server)) {
    await closed;
    return;
  }
  server.on('request', (_req, res) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
  });
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 25);
  const cut = setTimeout(() => server.closeAllConnections(), opts.graceMs);
  sweep.unref();
  cut.unref();
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}

/** Waits for `work`, but no longer than `ms`; says whether it finished in time. */
export async function withDeadline(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
