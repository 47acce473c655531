import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DashboardStore } from '../../src/store/dashboardStore.ts';
import { lastMonths } from '../../src/web/admin/charts.ts';
import { barChart } from '../../src/web/admin/svg.ts';
import type { ExportResponses } from '../../src/web/deps.ts';
import { escapeHtml, html } from '../../src/web/html.ts';
import { addAccount, addFocalPoint, Client, makeWebApp, seedUnits, submitUnitFlow, type WebTestApp } from './webApp.ts';

async function setup(opts: { exportResponses?: ExportResponses } = {}) {
  const t = makeWebApp(opts);
  seedUnits(t.store);
  await addAccount(t.store, { email: 'tinh@sogd.vn' });
  await addAccount(t.store, { email: 'xa01@sogd.vn', role: 'commune', commune: 'MAU-01' });
  const province = new Client(t.app);
  await province.login('tinh@sogd.vn');
  const commune = new Client(t.app);
  await commune.login('xa01@sogd.vn');
  return { t, province, commune };
}

/** A citizen who completes the self-check choosing option `pick` (0 = best) everywhere. */
function citizenSelfCheck(t: WebTestApp, userKey: string, pick: number) {
  t.send(userKey, 'xin chào');
  t.send(userKey, { kind: 'choice', choiceId: 'agree', scope: 'consent' });
  for (let i = 0; i < 20; i++) {
    const rows = t.store.outboxRows('telegram').filter((r) => r.chat_id === userKey);
    const last = JSON.parse(rows.at(-1)!.payload) as { scope?: string; choices?: Array<{ id: string }> };
    if (last.scope === 'confirm') break;
    if (last.choices) t.send(userKey, { kind: 'choice', choiceId: last.choices[Math.min(pick, last.choices.length - 1)]!.id, scope: last.scope! });
    else t.send(userKey, 'Phường Trung Tâm');
  }
  t.send(userKey, { kind: 'choice', choiceId: 'submit', scope: 'confirm' });
}

describe('html', () => {
  it('escapes every interpolated value, nested markup passes once', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p title="${'"quoted"'}">${inner}${['<', 1, null, undefined, false]}</p>`.value).toBe(
      '<p title="&quot;quoted&quot;"><b>&lt;i&gt;</b>&lt;1</p>',
    );
  });

  it('charts escape labels', () => {
    const svg = barChart({ title: 'T <x>', bars: [{ label: '<script>alert(1)</script>', value: 3 }] }).value;
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
  });
});

describe('charts', () => {
  it('lists the last 12 months in Vietnam time', () => {
    const m = lastMonths(new Date('2026-11-30T18:00:00Z')); // 1 December in Vietnam
    expect(m.keys[11]).toBe('2026-12');
    expect(m.keys[0]).toBe('2026-01');
    expect(m.since).toBe('2025-12-31T17:00:00.000Z');
  });

  it('shows self-checks over time, pass rates by group and indicator, and where people stop, as SVG', async () => {
    const { t, province } = await setup();
    citizenSelfCheck(t, 'c1', 0);
    citizenSelfCheck(t, 'c2', 0);
    citizenSelfCheck(t, 'c3', 3);
    // Someone who stopped after the second question, two days ago.
    const today = t.clock.now;
    t.clock.now = new Date(today.getTime() - 2 * 86_400_000);
    t.send('c4', 'xin chào');
    t.send('c4', { kind: 'choice', choiceId: 'agree', scope: 'consent' });
    t.send('c4', { kind: 'choice', choiceId: 'nong_dan', scope: 'group' });
    t.send('c4', 'Xã An Lạc');
    t.clock.now = today;
    // Someone answering right now has not stopped.
    t.send('c5', 'xin chào');
    t.send('c5', { kind: 'choice', choiceId: 'agree', scope: 'consent' });
    t.send('c5', { kind: 'choice', choiceId: 'nong_dan', scope: 'group' });

    const store = new DashboardStore(t.store.db);
    const rates = store.criterionPassRates({ flowId: 'cong-dan-hoc-tap', period: null, commune: null });
    expect(rates.find((r) => r.id === 'TC1')).toEqual({ id: 'TC1', n: 3, met: 2 });
    expect(store.dropOff({ flowId: 'cong-dan-hoc-tap', staleBefore: t.clock.now.toISOString(), commune: null })).toEqual([{ key: 'commune', n: 1 }]);

    const res = await province.get('/admin/charts');
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page.match(/<svg /g)).toHaveLength(4);
    expect(page).toContain('Số lượt tự đánh giá');
    expect(page).toContain('<th scope="row">11/26</th><td>3</td><td>2</td>');
    expect(page).toContain('Tỉ lệ đạt theo nhóm năng lực');
    expect(page).toContain('66,7% (2/3)');
    expect(page).toContain('Tỉ lệ đạt theo chỉ số');
    expect(page).toContain('CS1 Đọc, cập nhật thông tin và tri thức');
    expect(page).toContain('Câu 2: Xã/phường nơi cư trú');
  });

  it('shows the levels reached by units, limited to the officer’s commune', async () => {
    const { t, province, commune } = await setup();
    addFocalPoint(t, 'SCH-A', 'fp-a');
    submitUnitFlow(t, 'fp-a');
    addFocalPoint(t, 'SCH-B', 'fp-b');
    submitUnitFlow(t, 'fp-b', { members: 10, trained: 1 });
    const all = await (await province.get('/admin/charts?flow=unit-web')).text();
    expect(all).toContain('Mức đạt của các đơn vị (2 bản nộp hiện hành)');
    expect(all).toContain('<th scope="row">Chưa đạt</th><td>1</td>');
    expect(all).toContain('<th scope="row">Mức 2</th><td>1</td>');
    const own = await (await commune.get('/admin/charts')).text();
    expect(own).toContain('Mức đạt của các đơn vị (1 bản nộp hiện hành)');
    expect(own).toContain('<th scope="row">Chưa đạt</th><td>0</td>');
    expect(own).not.toContain('cong-dan-hoc-tap');
  });

  it('rejects invalid parameters (zod) and unknown flows', async () => {
    const { province } = await setup();
    expect((await province.get('/admin/charts?flow=%3Cx%3E')).status).toBe(400);
    expect((await province.get('/admin/charts?period=abc')).status).toBe(400);
    expect((await province.get('/admin/charts?flow=no-such-flow')).status).toBe(404);
  });
});

describe('exports', () => {
  function fakeExport() {
    const calls: Array<Parameters<ExportResponses>[0]> = [];
    const fn: ExportResponses = async (args) => {
      calls.push(args);
      args.output.write('\uFEFFĐơn vị,Kết quả\n');
      await new Promise((r) => setTimeout(r, 5));
      args.output.end('Trường THCS An Bình,Mức 2\n');
    };
    return { fn, calls };
  }

  it('streams the export with the caller’s scope: everything for the province, one commune for an officer', async () => {
    const fake = fakeExport();
    const { province, commune } = await setup({ exportResponses: fake.fn });
    const res = await province.get('/admin/exports/download?format=csv&flow=unit-web&period=2026&from=2026-01-01&to=2026-12-31');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="xhht-unit-web-2026-11-20.csv"');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.toString('utf8')).toBe('\uFEFFĐơn vị,Kết quả\nTrường THCS An Bình,Mức 2\n');
    expect(fake.calls[0]).toMatchObject({
      format: 'csv',
      scope: {},
      filters: { flowId: 'unit-web', period: '2026', from: '2026-01-01', to: '2026-12-31', communeCode: undefined },
    });

    const x = await commune.get('/admin/exports/download?format=xlsx');
    expect(x.status).toBe(200);
    expect(x.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    await x.arrayBuffer();
    expect(fake.calls[1]).toMatchObject({ format: 'xlsx', scope: { communeCodes: ['MAU-01'] }, filters: { communeCode: 'MAU-01' } });
  });

  it('validates the parameters (zod)', async () => {
    const fake = fakeExport();
    const { province } = await setup({ exportResponses: fake.fn });
    for (const q of ['', '?format=pdf', '?format=csv&from=2026-13-01', '?format=csv&from=2026-05-01&to=2026-04-01', '?format=csv&period=26', '?format=csv&x=1']) {
      expect((await province.get(`/admin/exports/download${q}`)).status, q).toBe(400);
    }
    expect(fake.calls).toHaveLength(0);
  });

  // Placeholder behaviour until src/export provides exportResponses and the server wires it:
  // the download answers 503 and the page says so. Remove when the export is wired in src/app.ts.
  it('[until exports are wired] answers 503 when no export function is configured', async () => {
    const { province } = await setup();
    const res = await province.get('/admin/exports/download?format=csv');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('export not available yet');
    expect(await (await province.get('/admin/exports')).text()).toContain('chưa sẵn sàng');
  });
});

describe('broadcast', () => {
  it('queues one message per focal point of the selected units, once per form', async () => {
    const { t, province } = await setup();
    addFocalPoint(t, 'SCH-A', 'fp-a1');
    addFocalPoint(t, 'SCH-A', 'fp-a2');
    addFocalPoint(t, 'SCH-B', 'fp-b', 'zalo');
    const page = await (await province.get('/admin/broadcast')).text();
    expect(page).toContain('value="SCH-A" checked');
    expect(page).toContain('value="SCH-B" checked');
    expect(page).not.toContain('value="AG-C"'); // no focal point: nobody to tell
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const nonce = /name="nonce" value="([^"]+)"/.exec(page)![1]!;
    const form = { csrf, nonce, text: 'Hạn nộp hồ sơ là 15/01. <Xin cảm ơn>', unit: ['SCH-A', 'SCH-B'] };
    const res = await province.post('/admin/broadcast', form);
    expect(res.headers.get('location')).toBe('/admin/broadcast?sent=3&units=2');
    const rows = t.store.outboxRows().filter((r) => r.kind === 'broadcast');
    expect(rows.map((r) => `${r.channel}:${r.chat_id}`).sort()).toEqual(['telegram:fp-a1', 'telegram:fp-a2', 'zalo:fp-b']);
    expect(JSON.parse(rows[0]!.payload)).toEqual({
      kind: 'message',
      text: 'Thông báo từ Văn phòng thường trực xã hội học tập:\n\nHạn nộp hồ sơ là 15/01. <Xin cảm ơn>',
    });
    const again = await province.post('/admin/broadcast', form);
    expect(again.headers.get('location')).toBe('/admin/broadcast?dup=1');
    expect(t.store.outboxRows().filter((r) => r.kind === 'broadcast')).toHaveLength(3);
    expect(await (await province.get('/admin/broadcast?sent=3&units=2')).text()).toContain('Đã xếp 3 tin nhắn');
  });

  it('validates the form (zod)', async () => {
    const { t, province } = await setup();
    addFocalPoint(t, 'SCH-A', 'fp-a');
    const csrf = await province.csrf('/admin/broadcast');
    const base = { csrf, nonce: randomUUID(), text: 'Nội dung', unit: 'SCH-A' };
    for (const bad of [
      { ...base, text: '  ' },
      { ...base, text: 'x'.repeat(1501) },
      { ...base, unit: '<x>' },
      { ...base, nonce: 'abc' },
      { csrf, nonce: randomUUID(), text: 'Nội dung' },
    ]) {
      expect((await province.post('/admin/broadcast', bad)).status).toBe(400);
    }
    expect((await province.post('/admin/broadcast', { ...base, unit: 'NO-SUCH' })).status).toBe(400);
    expect(t.store.outboxRows().filter((r) => r.kind === 'broadcast')).toHaveLength(0);
  });
});
