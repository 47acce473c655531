import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webhookCallback } from 'grammy';
import { memoryAfterGc, serveParent } from '../lib/children.ts';
import { loadCitizenFlow, peerFlowOf } from '../lib/flows.ts';
import { createPeerBot } from '../peer/checkupBot.ts';
import { openPeerDatabase } from '../peer/sqliteStorage.ts';

/** The peer behind its own HTTP server, with grammY's webhookCallback for Node's http module. */

const env = process.env;
const db = openPeerDatabase(env.BENCH_DB!, (env.BENCH_SYNC as 'FULL' | 'NORMAL') ?? 'FULL');
const bot = createPeerBot({ token: env.BENCH_TOKEN!, client: { apiRoot: env.BENCH_API_ROOT! }, db, flow: peerFlowOf(loadCitizenFlow()) });
const handle = webhookCallback(bot, 'http', { secretToken: env.BENCH_SECRET!, onTimeout: 'return', timeoutMilliseconds: 30_000 });
const server = createServer((req, res) => {
  void handle(req, res).catch(() => {
    if (!res.headersSent) res.writeHead(500).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port, baseline: memoryAfterGc() });
});

serveParent({
  stats: () => ({ ...memoryAfterGc() }),
  stop: () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => {
        db.close();
        resolve();
      });
    }),
});
