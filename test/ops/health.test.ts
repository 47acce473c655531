import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel } from '../../src/channels/channel.ts';
import { loadFlowsOrThrow } from '../../src/flow/load.ts';
import { createHttpApp } from '../../src/http/app.ts';
import { silentLogger } from '../../src/log.ts';
import { createHealthReport } from '../../src/ops/health.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { Store } from '../../src/store/store.ts';
import { FLOWS_DIR } from '../fakes/telegramApi.ts';

/** The proposed /healthz (src/ops/health.ts): database, channels and their outbox, degraded when stuck. */

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'xhht-health-'));
  const path = join(dir, 'bot.sqlite');
  const store = new Store(path);
  cleanup.push(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const channel = (name: string): Channel =>
    ({ name, health: () => ({ mode: 'webhook', webhook: 'registered' }) }) as unknown as Channel;
  let now = new Date('2026-11-22T03:00:00Z');
  const report = createHealthReport({
    store,
    flows: loadFlowsOrThrow(FLOWS_DIR),
    channels: [channel('telegram'), channel('zalo')],
    startedAt: new Date('2026-11-22T02:00:00Z'),
    now: () => now,
  });
  const app = createHttpApp({ logger: silentLogger, health: report });
  return { store, path, report, app, at: (iso: string) => (now = new Date(iso)) };
}

describe('/healthz (proposed report)', () => {
  it('reports the database, the schema and each channel with its outbox', async () => {
    const { store, app } = setup();
    store.enqueue({ channel: 'telegram', chatId: '4242', personId: null, payload: '{"kind":"message","text":"Câu 1"}' }, '2026-11-22T02:59:00.000Z');
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, any>;
    expect(body).toMatchObject({
      status: 'ok',
      uptimeSeconds: 3600,
      db: { ok: true, writable: true, schemaVersion: MIGRATIONS.length },
      channels: {
        telegram: { mode: 'webhook', webhook: 'registered', outbox: { pending: 1, oldestPendingSeconds: 60, failedLastDay: 0 } },
        zalo: { outbox: { pending: 0, oldestPendingSeconds: 0, failedLastDay: 0 } },
      },
    });
    expect(body.flows).toContain('cong-dan-hoc-tap@2026.1');
    // Nothing about people: no chat id, no text.
    expect(JSON.stringify(body)).not.toMatch(/4242|Câu 1/);
  });

  it('is degraded (503) when replies have waited too long, and again ok once they left', async () => {
    const { store, app, at } = setup();
    store.enqueue({ channel: 'zalo', chatId: 'z1', personId: null, payload: '{}' }, '2026-11-22T02:45:00.000Z');
    const res = await app.request('/healthz');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'degraded', problems: ['zalo: replies waiting over 600 s'] });
    const row = store.outboxRows('zalo')[0]!;
    store.markFailed(row.id, 'blocked');
    at('2026-11-22T03:00:05Z');
    const again = (await (await app.request('/healthz')).json()) as Record<string, any>;
    expect(again.status).toBe('ok');
    expect(again.channels.zalo.outbox).toEqual({ pending: 0, oldestPendingSeconds: 0, failedLastDay: 1 });
  });

  it('is degraded when the database cannot take a write, without waiting for the lock', async () => {
    const { path, report } = setup();
    const other = new Database(path);
    cleanup.unshift(() => other.close());
    other.exec('BEGIN IMMEDIATE');
    expect(report()).toMatchObject({ status: 'degraded', db: { ok: true, writable: false }, problems: ['database not writable'] });
    other.exec('ROLLBACK');
    expect(report()).toMatchObject({ status: 'ok', db: { writable: true } });
  });
});
