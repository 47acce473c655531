import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { createConversationService } from '../../src/app.ts';
import type { Output } from '../../src/engine/types.ts';
import { loadFlowsOrThrow } from '../../src/flow/load.ts';
import { Store } from '../../src/store/store.ts';
import { assessedPeriod } from '../../src/units/access.ts';
import { importUnitsCsv, seedReferenceData } from '../../src/units/importUnits.ts';
import { createInvite, hashInviteCode, newInviteCode } from '../../src/units/invites.ts';
import { MAX_FAILURES, parseRegistration } from '../../src/units/registration.ts';
import { writeSubmissionSummary } from '../../src/units/summaryXlsx.ts';
import { ROOT } from '../helpers/flows.ts';

const flows = loadFlowsOrThrow(join(ROOT, 'test/fixtures/flows-units'));
const tmp = () => mkdtempSync(join(tmpdir(), 'xhht-units-'));

function setup(now = new Date('2026-11-22T03:00:00Z')) {
  const store = new Store(join(tmp(), 'u.sqlite'));
  seedReferenceData(store, join(ROOT, 'data'), now);
  const service = createConversationService(store, flows);
  let n = 0;
  const say = (user: string, text: string, at = now): Output[] => {
    const r = service.handle({ channel: 'test', eventId: `e${++n}`, userKey: user, chatId: user, input: { kind: 'text', text }, receivedAt: at });
    return r.status === 'processed' ? r.outputs : [];
  };
  const text = (outs: Output[]) => outs.map((o) => (o.kind === 'message' ? o.text : '')).join('\n');
  const agree = (user: string) => {
    say(user, 'chào');
    say(user, 'đồng ý');
  };
  return { store, service, say, text, agree, now };
}

describe('reference data', () => {
  it('loads the administrative units with effective dates and the sample roster into an empty database', () => {
    const { store } = setup();
    const communes = store.units.adminUnits().filter((a) => a.level === 'commune');
    expect(communes.find((c) => c.code === 'MAU-01')).toMatchObject({ parentCode: 'MAU', effectiveFrom: '2025-07-01', effectiveTo: null });
    expect(communes.find((c) => c.code === 'MAU-OLD-11')).toMatchObject({ effectiveTo: '2025-06-30', legacyDistrict: 'Thành phố Mẫu' });
    expect(store.units.units().length).toBeGreaterThanOrEqual(10);
    // A second start does not re-import the sample over a real roster.
    importUnitsCsv(store, 'id,name,type,tier,commune_code\nTHCS-PT,Tên mới,school,commune,MAU-02\n', new Date());
    seedReferenceData(store, join(ROOT, 'data'), new Date());
    expect(store.units.unit('THCS-PT')?.name).toBe('Tên mới');
  });

  it('imports units with a report of rejected rows and why', () => {
    const { store } = setup();
    const report = importUnitsCsv(
      store,
      [
        'id,name,type,tier,commune_code,active',
        'NEW-1,Trường Mới,school,commune,MAU-01,true',
        'THCS-PT,Trường THCS Phú Thạnh (đổi tên),school,commune,MAU-02,',
        'BAD-1,,school,commune,MAU-01,',
        'BAD-2,Đơn vị,university,commune,MAU-01,',
        'BAD-3,Đơn vị,school,district,MAU-01,',
        'BAD-4,Đơn vị,school,commune,NOWHERE,',
        'BAD 5,Đơn vị,school,commune,MAU-01,',
      ].join('\n'),
      new Date(),
    );
    expect(report.inserted).toBe(1);
    expect(report.updated).toBe(1);
    expect(report.rejected.map((r) => r.line)).toEqual([4, 5, 6, 7, 8]);
    expect(report.rejected[3]?.reasons.join()).toContain('"NOWHERE" is not a known commune');
    expect(store.units.unit('THCS-PT')?.name).toContain('đổi tên');
    expect(store.units.unit('BAD-1')).toBeUndefined();
  });

  it('rejects a file that is not CSV without writing anything', () => {
    const { store } = setup();
    const before = store.units.unitCount();
    const report = importUnitsCsv(store, 'id,name\n"unterminated,quote\n', new Date());
    expect(report.rejected[0]?.reasons[0]).toContain('not a readable CSV');
    expect(store.units.unitCount()).toBe(before);
  });
});

describe('invite codes', () => {
  it('are 8 unambiguous characters, stored only as a hash, matched loosely', () => {
    const code = newInviteCode();
    expect(code).toMatch(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
    expect(hashInviteCode(code.toLowerCase().replace('-', ' '))).toBe(hashInviteCode(code));
  });

  it('parses registration commands, leaving secretariat registration alone', () => {
    expect(parseRegistration('đăng ký ABCD-EFGH')).toEqual({ kind: 'register', code: 'abcd-efgh' });
    expect(parseRegistration('/dangky ABCD EFGH')).toEqual({ kind: 'register', code: 'abcdefgh' });
    expect(parseRegistration('Đăng ký')).toEqual({ kind: 'register' });
    expect(parseRegistration('đăng ký thư ký ABCD-EFGH')).toBeUndefined();
    expect(parseRegistration('rời đơn vị')).toEqual({ kind: 'leave' });
    expect(parseRegistration('/donvi')).toEqual({ kind: 'whoami' });
    expect(parseRegistration('có')).toBeUndefined();
  });
});

describe('focal-point registration', () => {
  it('a valid code makes the person a focal point and offers the unit flows', () => {
    const { store, say, text, agree, now } = setup();
    const { code } = createInvite(store, 'THCS-PT', now);
    agree('lan');
    const out = say('lan', `đăng ký ${code}`);
    expect(text(out)).toContain('Đăng ký thành công');
    expect(text(out)).toContain('Trường THCS Phú Thạnh');
    expect(out[0]).toMatchObject({ scope: 'menu', choices: [{ id: 'unit-mini' }] });
    const person = store.findPerson('test', 'lan')!;
    expect(store.units.activeUnitOf(person.id)).toBe('THCS-PT');
    expect(text(say('lan', 'đơn vị của tôi'))).toContain('Trường THCS Phú Thạnh');
  });

  it('a reused code, an expired code and a wrong code each get a clear message', () => {
    const { store, say, text, agree, now } = setup();
    const { code } = createInvite(store, 'THCS-PT', now, 1);
    agree('a');
    agree('b');
    agree('c');
    say('a', `đăng ký ${code}`);
    expect(text(say('b', `đăng ký ${code}`))).toContain('đã được sử dụng');
    const { code: late } = createInvite(store, 'THCS-PT', now, 1);
    expect(text(say('c', `đăng ký ${late}`, new Date(now.getTime() + 2 * 86_400_000)))).toContain('hết hạn');
    expect(text(say('c', 'đăng ký ZZZZ-ZZZZ'))).toContain('không đúng');
    expect(store.units.focalPointsOf('THCS-PT').map((f) => f.externalId)).toEqual(['a']);
  });

  it('repeated wrong codes are rate-limited, even for a correct code afterwards', () => {
    const { store, say, text, agree, now } = setup();
    agree('eve');
    for (let i = 0; i < MAX_FAILURES; i++) say('eve', `đăng ký WRNG-${String(i).padStart(4, 'A')}`);
    const { code } = createInvite(store, 'THCS-PT', now);
    expect(text(say('eve', `đăng ký ${code}`))).toContain('thử lại sau 1 giờ');
    expect(store.units.focalPointsOf('THCS-PT')).toHaveLength(0);
    // An hour later the person may try again.
    expect(text(say('eve', `đăng ký ${code}`, new Date(now.getTime() + 61 * 60_000)))).toContain('Đăng ký thành công');
  });

  it('before consent, registration asks for consent first and stores nothing', () => {
    const { store, say, text, now } = setup();
    const { code } = createInvite(store, 'THCS-PT', now);
    const out = say('new', `đăng ký ${code}`);
    expect(text(out)).toContain('đồng ý');
    expect(store.findPerson('test', 'new')).toBeUndefined();
  });

  it('a unit may have several focal points, and a person may leave', () => {
    const { store, say, text, agree, now } = setup();
    for (const u of ['x', 'y']) {
      agree(u);
      say(u, `đăng ký ${createInvite(store, 'THCS-PT', now).code}`);
    }
    expect(store.units.focalPointsOf('THCS-PT')).toHaveLength(2);
    expect(text(say('x', 'rời đơn vị'))).toContain('đã thôi là đầu mối');
    expect(store.units.focalPointsOf('THCS-PT').map((f) => f.externalId)).toEqual(['y']);
  });

  it('a person who is not a focal point and asks for a unit flow is told how to register', () => {
    const { say, text, agree } = setup();
    agree('citizen');
    expect(text(say('citizen', '/start unit-mini'))).toContain('đăng ký <mã mời>');
  });

  it('unit flows are offered only to the unit types they are for', () => {
    const { store, say, text, agree, now } = setup();
    agree('coop');
    const out = say('coop', `đăng ký ${createInvite(store, 'HTX-AL', now).code}`); // economic organisation
    expect(text(out)).toContain('Đăng ký thành công');
    expect(out[0]).not.toHaveProperty('choices');
  });
});

describe('unit submissions', () => {
  const complete = (say: (u: string, t: string, at?: Date) => Output[], user: string, trained: string, at?: Date) => {
    for (const t of ['/start unit-mini', 'có', 'có', '100', trained, 'gửi']) say(user, t, at);
  };

  it('a submission belongs to the unit and the assessed period; submitting again replaces it and keeps history', () => {
    const { store, say, text, agree, now } = setup(new Date('2027-01-10T03:00:00Z'));
    agree('fp');
    say('fp', `đăng ký ${createInvite(store, 'THCS-PT', now).code}`);
    complete(say, 'fp', '92');
    const first = store.units.currentSubmission('THCS-PT', 'unit-mini', '2026');
    expect(first?.level).toBe('1');
    const out = say('fp', 'xem kết quả');
    expect(text(out)).toContain('ĐẠT MỨC 1');
    expect(text(out)).toContain('92%');
    expect(text(out)).toContain('cần ≥ 95%');
    complete(say, 'fp', '96');
    const second = store.units.currentSubmission('THCS-PT', 'unit-mini', '2026');
    expect(second?.level).toBe('2');
    expect(second?.id).not.toBe(first?.id);
    const history = store.units.submissionHistory('THCS-PT', 'unit-mini', '2026');
    expect(history.map((h) => h.replaced_at === null)).toEqual([false, true]);
  });

  it('questions known from the unit record are answered from it, not asked again', () => {
    const { store, say, text, agree, now } = setup();
    agree('fp');
    say('fp', `đăng ký ${createInvite(store, 'THCS-PT', now).code}`);
    const out = say('fp', '/start unit-mini');
    expect(text(out)).toContain('Có kế hoạch không?');
    say('fp', 'xem lại');
    expect(text(say('fp', 'xem lại'))).toContain('Loại đơn vị?: Trường học (theo hồ sơ đơn vị)');
    const person = store.findPerson('test', 'fp')!;
    const [response] = store.responsesOf(person.id).filter((r) => r.flow_id === 'unit-mini');
    expect(store.currentAnswers(response!.id).find((a) => a.question_id === 'kind')).toMatchObject({ value: '"school"' });
  });

  it("a citizen's response records the commune they named, when it is on the list", () => {
    const cdht = loadFlowsOrThrow(join(ROOT, 'flows')).filter((f) => f.id === 'cong-dan-hoc-tap');
    const store = new Store(join(tmp(), 'c.sqlite'));
    seedReferenceData(store, join(ROOT, 'data'), new Date());
    const service = createConversationService(store, cdht);
    let n = 0;
    const run = (user: string, commune: string) => {
      for (const t of ['chào', 'đồng ý', '1', commune, ...Array(10).fill('1'), 'gửi']) {
        service.handle({ channel: 'test', eventId: `c${++n}`, userKey: user, chatId: user, input: { kind: 'text', text: t }, receivedAt: new Date() });
      }
      return store.responsesOf(store.findPerson('test', user)!.id)[0];
    };
    expect(run('a', 'xa phu thanh')).toMatchObject({ status: 'submitted', commune_code: 'MAU-02' });
    expect(run('b', 'Phường 7 cũ')).toMatchObject({ status: 'submitted', commune_code: null });
  });

  it("a focal point's data deletion keeps the unit's submission, detached from the person", () => {
    const { store, say, agree, now } = setup();
    agree('gone');
    say('gone', `đăng ký ${createInvite(store, 'THCS-PT', now).code}`);
    complete(say, 'gone', '95');
    const sub = store.units.currentSubmission('THCS-PT', 'unit-mini', '2026')!;
    for (const r of store.pendingOutboxFor('test', 'gone')) store.markSent(r.id, now.toISOString());
    const sentBefore = store.outboxRows('test').filter((r) => r.chat_id === 'gone' && r.person_id !== null).length;
    expect(sentBefore).toBeGreaterThan(5);
    say('gone', 'xóa dữ liệu');
    say('gone', 'có');
    expect(store.findPerson('test', 'gone')).toBeUndefined();
    expect(store.units.currentSubmission('THCS-PT', 'unit-mini', '2026')?.id).toBe(sub.id);
    const owner = store.getPerson(store.getResponse(sub.id)!.person_id)!;
    expect([owner.channel, owner.external_id]).toEqual(['system', 'deleted-person']);
    expect(store.currentAnswers(sub.id).length).toBeGreaterThan(0);
    // Replies already sent to the person are gone; the deletion confirmation is still to be sent.
    expect(store.outboxRows('test').filter((r) => r.chat_id === 'gone' && r.person_id !== null && r.status === 'sent')).toEqual([]);
    expect(store.outboxRows('test').filter((r) => r.chat_id === 'gone' && r.status === 'pending').map((r) => JSON.parse(r.payload).text)).toEqual(
      expect.arrayContaining([expect.stringContaining('Đã xóa toàn bộ dữ liệu')]),
    );
  });

  it('the assessed period is the previous year before April', () => {
    expect(assessedPeriod('2027-01-10')).toBe('2026');
    expect(assessedPeriod('2027-03-31')).toBe('2026');
    expect(assessedPeriod('2027-04-01')).toBe('2027');
    expect(assessedPeriod('2026-11-22')).toBe('2026');
  });

  it('writes the official summary table as an XLSX that opens and holds every indicator', async () => {
    const { store, say, agree, now } = setup();
    agree('fp');
    say('fp', `đăng ký ${createInvite(store, 'THCS-PT', now).code}`);
    complete(say, 'fp', '85');
    const sub = store.units.currentSubmission('THCS-PT', 'unit-mini', '2026')!;
    const file = join(tmp(), 'summary.xlsx');
    await writeSubmissionSummary(store, flows, sub.id, file);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    const ws = wb.getWorksheet('Tổng hợp')!;
    const rows: string[] = [];
    ws.eachRow((r) => rows.push((r.values as unknown[]).slice(1).map(String).join(' | ')));
    const all = rows.join('\n');
    expect(all).toContain('BẢN TỔNG HỢP KẾT QUẢ TỰ ĐÁNH GIÁ');
    expect(all).toContain('Trường THCS Phú Thạnh');
    expect(all).toContain('1.1 | Kế hoạch học tập | Đạt');
    expect(all).toMatch(/2\.2 \| Hoàn thành bồi dưỡng \| Không đạt \| 85% \(85\/100\), cần ≥ 90%/);
    expect(all).toContain('Chưa đạt Mức 1');
  });
});
