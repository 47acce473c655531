import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeTelegramApi } from '../fakes/telegramApi.ts';
import { FakeZaloApi, zaloReplies } from '../fakes/zaloApi.ts';
import { CITIZEN_TURNS } from '../helpers/citizenScript.ts';
import { channelsOf, startServe } from '../faults/support/childServer.ts';
import { SECRET_HEADERS, SECRETS } from '../faults/support/faultBot.ts';
import type { Citizen } from '../faults/support/scenario.ts';
import { type ChannelName, TG_TOKEN, updateFor, ZALO_TOKEN } from '../faults/support/values.ts';

/**
 * Graceful shutdown of `xhht serve`: SIGTERM (or SIGINT) while webhooks keep arriving on keep-alive
 * connections. The process must stop accepting, finish the turns it is handling, stop the sender,
 * close the database and exit 0 — which also means within the 5-second guard, since the guard exits
 * with 1. No turn that got a 200 may be missing afterwards.
 */

const dir = mkdtempSync(join(tmpdir(), 'xhht-shutdown-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function eventIdOf(c: Citizen, turn: number): string {
  const u = updateFor(c.channel, c.citizen, turn) as { update_id?: number; result?: { message: { message_id: string } } };
  return c.channel === 'telegram' ? String(u.update_id) : u.result!.message.message_id;
}

describe('graceful shutdown', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} under load: exit 0, every answered turn kept`, async () => {
      const telegram = await FakeTelegramApi.start(TG_TOKEN);
      const zalo = await FakeZaloApi.start({ token: ZALO_TOKEN });
      const dbPath = join(dir, `${signal}.sqlite`);
      const logFile = join(dir, `${signal}.log`);
      try {
        const server = await startServe({ dbPath, telegramApiRoot: telegram.apiRoot, zaloApiRoot: zalo.apiRoot, logFile });
        const channels = (await channelsOf(server.base)).filter((c): c is ChannelName => c === 'telegram' || c === 'zalo');
        expect(channels).toContain('zalo');
        const acked: Array<{ c: Citizen; turn: number }> = [];
        let stop = false;
        // 24 clients on persistent connections, like a platform's webhook deliveries: each plays
        // citizen after citizen, moving on only after a 200 and delivering again after an error,
        // until the server process is gone.
        const load = Array.from({ length: 24 }, async (_, i) => {
          for (let round = 0; !stop; round++) {
            const c: Citizen = { channel: channels[i % channels.length]!, citizen: 8000 + round * 100 + i };
            for (let turn = 0; turn < CITIZEN_TURNS && !stop; ) {
              try {
                const res = await fetch(`${server.base}/webhooks/${c.channel}`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json', [SECRET_HEADERS[c.channel]]: SECRETS[c.channel] },
                  body: JSON.stringify(updateFor(c.channel, c.citizen, turn)),
                });
                await res.arrayBuffer();
                if (res.status === 200) acked.push({ c, turn: turn++ });
              } catch {
                if (stop) return;
                await new Promise((r) => setTimeout(r, 20));
              }
            }
          }
        });
        // Let the load build up, then signal while requests are in flight.
        while (acked.length < 60) await new Promise((r) => setTimeout(r, 10));
        server.child.kill(signal);
        const { code } = await server.exited;
        stop = true;
        await Promise.all(load);

        expect(code).toBe(0);
        const log = readFileSync(logFile, 'utf8');
        expect(log).toContain('"msg":"shutting down"');
        expect(log).toContain('"msg":"xhht-bot stopped"');
        const db = new Database(dbPath, { readonly: true });
        try {
          expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
          const has = db.prepare('SELECT 1 FROM inbox WHERE channel = ? AND event_id = ?');
          expect(acked.filter(({ c, turn }) => !has.get(c.channel, eventIdOf(c, turn)))).toEqual([]);
          expect(acked.length).toBeGreaterThanOrEqual(60);
        } finally {
          db.close();
        }
      } finally {
        await Promise.all([telegram.close(), zalo.close()]);
      }
    }, 120_000);
  }

  it('exits 0 within 5 s even while a platform call hangs', async () => {
    const telegram = await FakeTelegramApi.start(TG_TOKEN);
    const zalo = await FakeZaloApi.start({ token: ZALO_TOKEN });
    const dbPath = join(dir, 'hang.sqlite');
    try {
      // Every reply to Zalo hangs: the sender is stuck in a request when the signal comes.
      zalo.script('sendMessage', ...Array.from({ length: 20 }, () => zaloReplies.hang()));
      const server = await startServe({ dbPath, telegramApiRoot: telegram.apiRoot, zaloApiRoot: zalo.apiRoot, logFile: join(dir, 'hang.log') });
      const c: Citizen = { channel: 'zalo', citizen: 9901 };
      const res = await fetch(`${server.base}/webhooks/zalo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SECRET_HEADERS.zalo]: SECRETS.zalo },
        body: JSON.stringify(updateFor('zalo', c.citizen, 0)),
      });
      expect(res.status).toBe(200);
      // Wait until the sender is inside the hanging call.
      for (let i = 0; i < 200 && !zalo.calls.some((call) => call.method === 'sendMessage'); i++) await new Promise((r) => setTimeout(r, 25));
      expect(zalo.calls.some((call) => call.method === 'sendMessage')).toBe(true);
      const t0 = Date.now();
      server.child.kill('SIGTERM');
      const { code } = await server.exited;
      expect(code).toBe(0);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      await Promise.all([telegram.close(), zalo.close()]);
    }
  }, 60_000);
});
