/**
 * Dashboard benchmark: the roster and the chart queries on a province-sized database — 5,000 units
 * in 100 communes, one focal point each, and 60,000 responses (half of them submitted, most of them
 * citizens' self-checks) — through the same store calls and HTTP routes the pages use.
 *
 *   node --import tsx test/bench/dashboard.bench.ts [--units 5000] [--citizens 55000]
 *
 * Figures: milliseconds per roster (store query, then the whole /admin/roster page in-process) and
 * per charts page, median of 5 runs, and the roster page's size in bytes (it must stay small on a
 * slow connection: 200 rows per page).
 */
import { parseArgs } from 'node:util';
import { createHttpApp } from '../../src/http/app.ts';
import { silentLogger } from '../../src/log.ts';
import { ConversationService } from '../../src/service/conversation.ts';
import { AdminStore } from '../../src/store/adminStore.ts';
import { DashboardStore } from '../../src/store/dashboardStore.ts';
import { Store } from '../../src/store/store.ts';
import { hashPassword } from '../../src/web/admin/password.ts';
import { registerWebRoutes } from '../../src/web/index.ts';
import { loadFlow } from '../helpers/flows.ts';

const { values } = parseArgs({ options: { units: { type: 'string', default: '5000' }, citizens: { type: 'string', default: '55000' } } });
const UNITS = Number(values.units);
const CITIZENS = Number(values.citizens);
const RUNS = 5;

const store = new Store(':memory:');
const flows = [loadFlow('flows/cong-dan-hoc-tap.yaml'), loadFlow('test/fixtures/web/unit-web.yaml')];
const now = new Date('2026-11-20T03:00:00Z');
const iso = now.toISOString();
const result = (passed: boolean) =>
  JSON.stringify({
    criteria: [{ id: 'TC1', met: passed }, { id: 'TC2', met: !passed }],
    indicators: [{ id: 'CS1', met: passed, applicable: true }],
  });

store.transaction(() => {
  for (let i = 0; i < UNITS; i++) {
    store.units.upsertUnit({ id: `U${i}`, name: `Đơn vị ${i}`, type: i % 2 ? 'school' : 'agency', tier: 'commune', communeCode: `C${i % 100}`, active: true }, iso);
  }
  for (let i = 0; i < UNITS + CITIZENS; i++) {
    const person = store.createPerson('telegram', `p${i}`, iso);
    const unit = i < UNITS ? `U${i}` : undefined;
    if (unit) store.units.joinUnit(person.id, unit, iso);
    const responseId = store.openResponse({ personId: person.id, channel: 'telegram', flowId: unit ? 'unit-web' : 'cong-dan-hoc-tap', flowVersion: '1', now: iso });
    if (unit) store.units.attachResponseToUnit(responseId, unit);
    store.recordAnswer({ responseId, flowId: 'x', flowVersion: '1', questionId: 'q1', questionText: 'Câu 1', raw: '1', value: 1, now: iso });
    if (i % 2 === 0) {
      store.submitResponse({ responseId, period: '2026', passed: i % 4 === 0, score: null, level: i % 4 === 0 ? '1' : null, result: result(i % 4 === 0), keepQuestionIds: ['q1'], now: iso });
    }
  }
});

const app = createHttpApp({ logger: silentLogger, health: () => ({ status: 'ok' }) });
registerWebRoutes(app, { store, service: new ConversationService({ store, flows }), flows, logger: silentLogger, publicUrl: undefined, now: () => now });
new AdminStore(store.db).addAccount({ email: 'bench@sogd.vn', passwordHash: await hashPassword('bench-password-long'), role: 'province', communeCode: null, now: iso });

const login = await app.request('/admin/login');
const loginCookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
const csrf = /name="csrf" value="([^"]+)"/.exec(await login.text())![1]!;
const signedIn = await app.request('/admin/login', {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
  body: new URLSearchParams({ email: 'bench@sogd.vn', password: 'bench-password-long', csrf }),
});
const cookie = signedIn.headers.getSetCookie().find((l) => l.startsWith('xhht_admin='))!.split(';')[0]!;

async function median(fn: () => unknown | Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

const dashboard = new DashboardStore(store.db);
let pageBytes = 0;
const figures = {
  'roster query (ms)': await median(() => dashboard.roster({ flowId: 'unit-web', period: '2026', commune: null, type: null, unitTypes: null })),
  'roster page (ms)': await median(async () => {
    pageBytes = (await (await app.request('/admin/roster', { headers: { cookie } })).arrayBuffer()).byteLength;
  }),
  'citizen charts page (ms)': await median(async () => (await app.request('/admin/charts', { headers: { cookie } })).arrayBuffer()),
  'unit charts page (ms)': await median(async () => (await app.request('/admin/charts?flow=unit-web', { headers: { cookie } })).arrayBuffer()),
};
console.log(`dashboard: ${UNITS} units, ${UNITS + CITIZENS} responses (median of ${RUNS})`);
for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(28)} ${v.toFixed(1)}`);
console.log(`  ${'roster page size (bytes)'.padEnd(28)} ${pageBytes}`);
store.close();
