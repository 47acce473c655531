import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deadlinesCommand, remindCommand } from '../../src/reminders/cli.ts';
import { reminderStoreOf } from '../../src/store/reminderStore.ts';
import { Store } from '../../src/store/store.ts';
import { ROOT } from '../helpers/flows.ts';
import { vn } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function run(command: typeof remindCommand, args: string[], dbPath: string) {
  let out = '';
  let err = '';
  const code = await command(args, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    now: () => vn('2026-11-22T10:00'),
    env: { DATA_DIR: join(ROOT, 'data'), FLOWS_DIR: join(ROOT, 'flows'), DB_PATH: dbPath },
  });
  return { code, out, err };
}

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xhht-remcli-'));
  dirs.push(dir);
  return join(dir, 'db.sqlite');
}

describe('xhht deadlines', () => {
  it('lists the enabled calendar of the year with sources and reminder dates', async () => {
    const { code, out } = await run(deadlinesCommand, ['--year', '2027'], tempDb());
    expect(code).toBe(0);
    expect(out).toContain('thứ Sáu, 15/01/2027 — Hồ sơ đề nghị công nhận “Đơn vị học tập” — năm 2026 [ho-so-don-vi-hoc-tap]');
    expect(out).toContain('Căn cứ: Thông tư 25/2023/TT-BGDĐT, Điều 9 khoản 1 điểm d [H]');
    expect(out).toContain('d-14 thứ Năm, 31/12/2026 lúc 08:00');
    expect(out).not.toContain('bao-cao-phong-trao-thi-dua');
    const all = await run(deadlinesCommand, ['--year', '2027', '--all'], tempDb());
    expect(all.out).toContain('[bao-cao-phong-trao-thi-dua] (đang tắt)');
    expect(all.out).toContain('Kế hoạch 07/KH-UBND ngày 16/01/2024 của UBND tỉnh Sóc Trăng, mục VII khoản 9');
  });
});

describe('xhht remind --dry-run', () => {
  it('refuses to send for real', async () => {
    const { code, err } = await run(remindCommand, [], tempDb());
    expect(code).toBe(2);
    expect(err).toContain('--dry-run');
  });

  it('says what would be sent when, to whom and why, leaving out units that reported; it writes nothing', async () => {
    const db = tempDb();
    const store = new Store(db);
    const now = new Date().toISOString();
    store.units.upsertUnit({ id: 'thpt-a', name: 'Trường THPT A', type: 'school', tier: 'province', communeCode: '1', active: true }, now);
    store.units.upsertUnit({ id: 'thpt-b', name: 'Trường THPT B', type: 'school', tier: 'province', communeCode: '1', active: true }, now);
    const p = store.createPerson('telegram', '42', now);
    store.units.joinUnit(p.id, 'thpt-a', now);
    const q = store.createPerson('zalo', '43', now);
    store.units.joinUnit(q.id, 'thpt-b', now);
    reminderStoreOf(store).recordAck({ deadlineId: 'ho-so-don-vi-hoc-tap', period: '2026', unitId: 'thpt-b', personId: q.id, channel: 'zalo', now });
    store.close();

    const { code, out } = await run(remindCommand, ['--dry-run', '--at', '2027-01-07'], db);
    expect(code).toBe(0);
    expect(out).toContain('thứ Năm, 07/01/2027 lúc 08:00 — Nhắc hạn: Hồ sơ đề nghị công nhận “Đơn vị học tập” — năm 2026');
    expect(out).toContain(`• Trường THPT A: đầu mối #${p.id} (telegram); nộp về Sở Giáo dục và Đào tạo`);
    expect(out).toContain('Vì: bước d-7: 7 ngày trước ngày cuối');
    expect(out).toContain('Trường THPT B — Hồ sơ đề nghị công nhận “Đơn vị học tập” (năm 2026): đã báo “đã nộp”');
    const after = new Store(db);
    expect(after.outboxRows()).toHaveLength(0);
    after.close();
  });

  it('previews a sample unit across a year, with the Tết shift explained', async () => {
    const { code, out } = await run(remindCommand, ['--dry-run', '--at', '2026-01-01', '--days', '365', '--as-type', 'commune_pc', '--as-tier', 'commune'], tempDb());
    expect(code).toBe(0);
    expect(out).toContain('thứ Bảy, 21/02/2026 lúc 08:00 — Nhắc hạn: Hồ sơ đề nghị công nhận “Cộng đồng học tập” cấp xã — năm 2025');
    expect(out).toContain('dời vì nghỉ Tết Nguyên đán (dự kiến thứ Sáu, 20/02/2026 lúc 08:00)');
    expect(out).toContain('Thông báo: Tuần lễ hưởng ứng học tập suốt đời — năm 2026');
    expect((out.match(/ — Nhắc hạn: /g) ?? []).length).toBe(12);
  });
});
