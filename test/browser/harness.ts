import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { type Browser, chromium } from 'playwright-core';
import type { ExportResponses } from '../../src/web/deps.ts';
import { makeWebApp, type WebTestApp } from '../web/webApp.ts';

/** A real HTTP server on 127.0.0.1 with the web routes, and Debian's Chromium driven by playwright-core. */

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does this in CI`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 20_000,
  });
}

export interface WebServer {
  t: WebTestApp;
  url: string;
  close(): Promise<void>;
}

export async function startWebServer(opts: { exportResponses?: (t: WebTestApp) => ExportResponses } = {}): Promise<WebServer> {
  let exporter: ExportResponses | undefined;
  // The clock is fixed, so the chat's rate limit would never refill: lift it for the browser runs.
  const t = makeWebApp({ exportResponses: (args) => exporter!(args), chatRate: { perMinute: 6000, burst: 1000 } });
  exporter = opts.exportResponses?.(t);
  if (!exporter) t.deps.exportResponses = undefined;
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    t,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          t.store.close();
          resolve();
        });
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
