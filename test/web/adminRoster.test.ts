import { describe, expect, it } from 'vitest';
import type { Output } from '../../src/engine/types.ts';
import type { DeadlineInfo } from '../../src/web/deps.ts';
import { addAccount, addFocalPoint, Client, makeWebApp, seedUnits, submitUnitFlow, type WebTestApp } from './webApp.ts';

async function setup(deadlines?: DeadlineInfo) {
  const t = makeWebApp(deadlines ? { deadlines } : {});
  seedUnits(t.store);
  await addAccount(t.store, { email: 'tinh@sogd.vn' });
  await addAccount(t.store, { email: 'xa01@sogd.vn', role: 'commune', commune: 'MAU-01' });
  const province = new Client(t.app);
  await province.login('tinh@sogd.vn');
  const commune = new Client(t.app);
  await commune.login('xa01@sogd.vn');
  return { t, province, commune };
}

interface ApiEntry {
  unitId: string;
  status: string;
  responseId: number | null;
  levelLabel: string | null;
  focalPointChannels: string[];
  overdue: boolean | undefined;
  lastReminderAt?: string;
}

async function roster(c: Client, query = ''): Promise<ApiEntry[]> {
  const res = await c.get(`/admin/api/roster${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { entries: ApiEntry[] }).entries;
}

const statusOf = (entries: ApiEntry[], unitId: string) => entries.find((e) => e.unitId === unitId)?.status;

async function review(c: Client, responseId: number, form: Record<string, string>) {
  const page = await c.get(`/admin/submissions/${responseId}`);
  const html = await page.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  const expected = /name="expected" value="(\d+)"/.exec(html)?.[1] ?? '0';
  return c.post(`/admin/submissions/${responseId}/review`, { csrf, expected, ...form });
}

function outboxTo(t: WebTestApp, chatId: string, kind: string) {
  return t.store.outboxRows('telegram').filter((r) => r.chat_id === chatId && r.kind === kind);
}

describe('roster', () => {
  it('shows every unit with its status: not started, in progress, submitted, returned, approved', async () => {
    const { t, province } = await setup();
    addFocalPoint(t, 'SCH-A', 'fp-a');
    addFocalPoint(t, 'AG-C', 'fp-c');
    addFocalPoint(t, 'SCH-B', 'fp-b');
    let entries = await roster(province);
    expect(entries.map((e) => e.status)).toEqual(['not_started', 'not_started', 'not_started']);

    t.send('fp-c', { kind: 'choice', choiceId: 'unit-web', scope: 'menu' });
    t.send('fp-c', 'có');
    expect(statusOf(await roster(province), 'AG-C')).toBe('in_progress');

    const a = submitUnitFlow(t, 'fp-a');
    const b = submitUnitFlow(t, 'fp-b', { members: 20, trained: 10 });
    entries = await roster(province);
    expect(statusOf(entries, 'SCH-A')).toBe('submitted');
    expect(entries.find((e) => e.unitId === 'SCH-A')).toMatchObject({ responseId: a, levelLabel: 'Mức 2', focalPointChannels: ['telegram'] });
    expect(entries.find((e) => e.unitId === 'SCH-B')).toMatchObject({ responseId: b, levelLabel: 'Chưa đạt' });

    expect((await review(province, a, { decision: 'approve' })).status).toBe(303);
    expect((await review(province, b, { decision: 'return', comment: 'Bổ sung minh chứng bồi dưỡng.' })).status).toBe(303);
    entries = await roster(province);
    expect(statusOf(entries, 'SCH-A')).toBe('approved');
    expect(statusOf(entries, 'SCH-B')).toBe('returned');
    // Not started and in progress come before returned, submitted and approved.
    expect(entries.map((e) => e.status)).toEqual(['in_progress', 'returned', 'approved']);
  });

  it('puts overdue units first and shows the last reminder when the reminders module knows them', async () => {
    const deadlines: DeadlineInfo = {
      isOverdue: ({ unitId }) => unitId === 'SCH-B',
      lastReminderAt: ({ unitId }) => (unitId === 'SCH-B' ? '2026-11-19T01:30:00.000Z' : undefined),
    };
    const { t, province } = await setup(deadlines);
    addFocalPoint(t, 'SCH-A', 'fp-a');
    const entries = await roster(province);
    expect(entries[0]).toMatchObject({ unitId: 'SCH-B', overdue: true, lastReminderAt: '2026-11-19T01:30:00.000Z' });
    const html = await (await province.get('/admin/roster')).text();
    expect(html).toContain('Quá hạn</strong>');
    expect(html).toContain('19/11/2026 08:30');
  });

  it('shows "—" for overdue and reminders when nothing knows them', async () => {
    const { province } = await setup();
    const entries = await roster(province);
    expect(entries.every((e) => e.overdue === undefined)).toBe(true);
  });

  it('filters by commune, unit type and status, and escapes unit names', async () => {
    const { t, province } = await setup();
    addFocalPoint(t, 'SCH-A', 'fp-a');
    submitUnitFlow(t, 'fp-a');
    expect((await roster(province, '?commune=MAU-02')).map((e) => e.unitId)).toEqual(['SCH-B']);
    expect((await roster(province, '?type=agency')).map((e) => e.unitId)).toEqual(['AG-C']);
    expect((await roster(province, '?status=submitted')).map((e) => e.unitId)).toEqual(['SCH-A']);
    expect(await roster(province, '?period=2019')).toHaveLength(3);
    const html = await (await province.get('/admin/roster')).text();
    expect(html).toContain('Phòng Văn hóa &lt;Trung Tâm&gt;');
    expect(html).not.toContain('<Trung Tâm>');
  });

  it('rejects invalid filters (zod) with 400', async () => {
    const { province } = await setup();
    for (const q of ['?type=castle', '?period=20266', '?status=lost', '?page=0', '?commune=%3Cx%3E', '?unknown=1']) {
      expect((await province.get(`/admin/roster${q}`)).status, q).toBe(400);
      expect((await province.get(`/admin/api/roster${q}`)).status, q).toBe(400);
    }
  });
});

describe('review', () => {
  it('returning a submission tells every focal point on their channel, and the button starts the flow again', async () => {
    const { t, province } = await setup();
    addFocalPoint(t, 'SCH-B', 'fp-b1');
    addFocalPoint(t, 'SCH-B', 'fp-b2');
    const id = submitUnitFlow(t, 'fp-b1', { members: 20, trained: 10 });
    const res = await review(province, id, { decision: 'return', comment: 'Tỉ lệ bồi dưỡng chưa khớp <báo cáo>.' });
    expect(res.headers.get('location')).toBe(`/admin/submissions/${id}?ok=returned`);

    for (const fp of ['fp-b1', 'fp-b2']) {
      const rows = outboxTo(t, fp, 'review');
      expect(rows, fp).toHaveLength(1);
      const notice = JSON.parse(rows[0]!.payload) as Extract<Output, { kind: 'message' }>;
      expect(notice.text).toContain('TRẢ LẠI');
      expect(notice.text).toContain('Trường Tiểu học Phú Thạnh');
      expect(notice.text).toContain('Ghi chú: Tỉ lệ bồi dưỡng chưa khớp <báo cáo>.');
      expect(notice).toMatchObject({ scope: 'menu', choices: [{ id: 'unit-web', label: 'Làm lại bản tự đánh giá' }] });
    }
    const page = await (await province.get(`/admin/submissions/${id}?ok=returned`)).text();
    expect(page).toContain('Đã trả lại');
    expect(page).toContain('Tỉ lệ bồi dưỡng chưa khớp &lt;báo cáo&gt;.');

    // The focal point taps the button: the flow starts again; the new submission replaces the returned one.
    t.send('fp-b2', { kind: 'choice', choiceId: 'unit-web', scope: 'menu' });
    expect(statusOf(await roster(province), 'SCH-B')).toBe('returned');
    const again = submitUnitFlow(t, 'fp-b2', { members: 20, trained: 20 });
    const entries = await roster(province);
    expect(entries.find((e) => e.unitId === 'SCH-B')).toMatchObject({ status: 'submitted', responseId: again, levelLabel: 'Mức 2' });
    const old = await (await province.get(`/admin/submissions/${id}`)).text();
    expect(old).toContain('đã được thay bằng một bản nộp mới hơn');
    expect(old).not.toContain('/review"');
  });

  it('approving notifies the focal points too', async () => {
    const { t, province } = await setup();
    addFocalPoint(t, 'SCH-A', 'fp-a');
    const id = submitUnitFlow(t, 'fp-a');
    await review(province, id, { decision: 'approve' });
    const rows = outboxTo(t, 'fp-a', 'review');
    expect(rows).toHaveLength(1);
    expect((JSON.parse(rows[0]!.payload) as { text: string }).text).toContain('DUYỆT');
  });

  it('a double click records one review and one notice', async () => {
    const { t, province } = await setup();
    addFocalPoint(t, 'SCH-A', 'fp-a');
    const id = submitUnitFlow(t, 'fp-a');
    const page = await (await province.get(`/admin/submissions/${id}`)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const form = { csrf, expected: '0', decision: 'return', comment: 'Thiếu minh chứng.' };
    expect((await province.post(`/admin/submissions/${id}/review`, form)).status).toBe(303);
    expect((await province.post(`/admin/submissions/${id}/review`, form)).status).toBe(409);
    expect(outboxTo(t, 'fp-a', 'review')).toHaveLength(1);
  });

  it('validates the form (zod): a return needs a comment, the decision must be known', async () => {
    const { t, province } = await setup();
    addFocalPoint(t, 'SCH-A', 'fp-a');
    const id = submitUnitFlow(t, 'fp-a');
    const missing = await review(province, id, { decision: 'return', comment: '   ' });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain('ghi rõ cần bổ sung');
    expect((await review(province, id, { decision: 'delete' })).status).toBe(400);
    expect((await review(province, id, { decision: 'approve', comment: 'x'.repeat(2001) })).status).toBe(400);
    expect((await province.get('/admin/submissions/abc')).status).toBe(404);
    expect((await province.get('/admin/submissions/999')).status).toBe(404);
    expect(outboxTo(t, 'fp-a', 'review')).toHaveLength(0);
  });

  it('shows every answer and every indicator outcome with its detail', async () => {
    const { t, province } = await setup();
    addFocalPoint(t, 'SCH-B', 'fp-b');
    const id = submitUnitFlow(t, 'fp-b', { members: 20, trained: 10 });
    const html = await (await province.get(`/admin/submissions/${id}`)).text();
    for (const text of ['Đơn vị có kế hoạch học tập không?', 'Số thành viên hoàn thành bồi dưỡng?', 'Kế hoạch học tập', 'Hoàn thành bồi dưỡng', '50%', 'Chưa đạt']) {
      expect(html, text).toContain(text);
    }
    expect(html).toContain('Gợi ý: Tổ chức bồi dưỡng cho thành viên.');
  });

  it('citizen self-checks are not shown as submissions', async () => {
    const { t, province } = await setup();
    t.send('citizen', 'xin chào');
    t.send('citizen', { kind: 'choice', choiceId: 'agree', scope: 'consent' });
    // The second question asks for the commune by name.
    for (let i = 0; i < 12; i++) t.send('citizen', i === 1 ? 'Phường Trung Tâm' : '1');
    t.send('citizen', { kind: 'choice', choiceId: 'submit', scope: 'confirm' });
    const person = t.store.findPerson('telegram', 'citizen')!;
    const submitted = t.store.responsesOf(person.id).find((r) => r.status === 'submitted');
    expect(submitted).toBeDefined();
    expect((await province.get(`/admin/submissions/${submitted!.id}`)).status).toBe(404);
  });
});

describe('a commune officer', () => {
  it('sees only the units of their commune', async () => {
    const { commune } = await setup();
    const entries = await roster(commune);
    expect(entries.map((e) => e.unitId).sort()).toEqual(['AG-C', 'SCH-A']);
    const html = await (await commune.get('/admin/roster')).text();
    expect(html).not.toContain('Trường Tiểu học Phú Thạnh');
    expect(html).not.toContain('name="commune"');
    expect((await commune.get('/admin/roster?commune=MAU-01')).status).toBe(200);
  });

  it("gets 403 for another commune's roster, submission, review, charts, export and broadcast", async () => {
    const { t, commune, province } = await setup();
    addFocalPoint(t, 'SCH-B', 'fp-b');
    const other = submitUnitFlow(t, 'fp-b');
    addFocalPoint(t, 'SCH-A', 'fp-a');
    const own = submitUnitFlow(t, 'fp-a');
    const csrf = await commune.csrf();

    expect((await commune.get('/admin/roster?commune=MAU-02')).status).toBe(403);
    expect((await commune.get('/admin/api/roster?commune=MAU-02')).status).toBe(403);
    expect((await commune.get(`/admin/submissions/${other}`)).status).toBe(403);
    expect((await commune.post(`/admin/submissions/${other}/review`, { csrf, expected: '0', decision: 'approve' })).status).toBe(403);
    expect((await commune.get('/admin/charts?commune=MAU-02')).status).toBe(403);
    expect((await commune.get('/admin/charts?flow=cong-dan-hoc-tap')).status).toBe(403);
    expect((await commune.get('/admin/exports/download?format=csv&commune=MAU-02')).status).toBe(403);
    expect((await commune.get('/admin/exports/download?format=csv&unit=SCH-B')).status).toBe(403);
    expect(
      (await commune.post('/admin/broadcast', { csrf, nonce: crypto.randomUUID(), text: 'Nhắc nộp', unit: ['SCH-A', 'SCH-B'] })).status,
    ).toBe(403);
    expect(t.store.outboxRows().filter((r) => r.kind === 'broadcast' || r.kind === 'review')).toHaveLength(0);

    // Their own commune works, and the province sees both.
    expect((await commune.get(`/admin/submissions/${own}`)).status).toBe(200);
    expect((await review(commune, own, { decision: 'approve' })).status).toBe(303);
    expect((await province.get(`/admin/submissions/${other}`)).status).toBe(200);
  });
});
