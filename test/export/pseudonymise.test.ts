import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportResponses } from '../../src/export/exportResponses.ts';
import { createPseudonymiser, resolvePseudonymKey } from '../../src/export/pseudonymise.ts';
import { Store } from '../../src/store/store.ts';
import { CITIZEN_FLOW, Collector, createFixture, type Fixture, flows, INJECTIONS, parseCsv, PHONE, removeTempDirs, tempDbPath } from './fixture.ts';

const KEY_A = 'a'.repeat(40);
const KEY_B = 'b'.repeat(40);

let fx: Fixture;
beforeAll(() => {
  fx = createFixture();
});
afterAll(() => {
  fx.store.close();
  removeTempDirs();
});

async function both(key: string | undefined): Promise<{ wide: string; long: string }> {
  const output = new Collector();
  const answersOutput = new Collector();
  await exportResponses({ store: fx.store, flows, scope: {}, format: 'csv', output, answersOutput, pseudonymKey: key });
  return { wide: output.text, long: answersOutput.text };
}

describe('pseudonymised exports', () => {
  it('are stable across runs with the same key', async () => {
    const first = await both(KEY_A);
    const second = await both(KEY_A);
    expect(second).toEqual(first);
    const ids = parseCsv(first.wide).map((r) => r['Người trả lời (mã trên kênh)']!);
    expect(ids.every((id) => /^P-[0-9a-f]{20}$/.test(id))).toBe(true);
    // The unit's focal point submitted twice: one person, one token.
    const focal = parseCsv(first.wide).filter((r) => r['Mã đơn vị'] === 'U1').map((r) => r['Người trả lời (mã trên kênh)']);
    expect(new Set(focal).size).toBe(1);
  });

  it('differ under another key', async () => {
    const a = parseCsv((await both(KEY_A)).wide).map((r) => r['Người trả lời (mã trên kênh)']);
    const b = parseCsv((await both(KEY_B)).wide).map((r) => r['Người trả lời (mã trên kênh)']);
    expect(a).toHaveLength(b.length);
    a.forEach((token, i) => expect(token).not.toBe(b[i]));
  });

  it('leave no person id and no free-text answer in either table, and keep everything else', async () => {
    const { wide, long } = await both(KEY_A);
    for (const text of [wide, long]) {
      for (const id of fx.externalIds) expect(text).not.toContain(id);
      for (const freeText of [...INJECTIONS.map((p) => p.slice(1)), PHONE.slice(1), 'Phường Ba Đình']) {
        // Unit communes come from the registry, not from people: only citizens' typed communes must vanish.
        if (freeText === 'Phường Ba Đình' && text === wide) continue;
        expect(text).not.toContain(freeText);
      }
    }
    const citizens = parseCsv(wide).filter((r) => r['Mã biểu mẫu'] === CITIZEN_FLOW);
    expect(citizens.every((r) => /^T-[0-9a-f]{20}$/.test(r['Xã/phường']!))).toBe(true);
    // Two flows in this export, so the flow's columns carry its id.
    expect(citizens.every((r) => r['Xã/phường'] === r[`${CITIZEN_FLOW} · Xã/phường nơi cư trú [commune]`])).toBe(true);
    expect(citizens[0]![`${CITIZEN_FLOW} · Nhóm đối tượng [group]`]).toBe('Nông dân, lao động nông thôn');
    const units = parseCsv(wide).filter((r) => r['Mã đơn vị'] === 'U1');
    expect(units[0]!['Xã/phường']).toBe('Phường Ba Đình');
    expect(units[0]!['Tên đơn vị']).toBe('Trường THCS Ba Đình');
    const answers = parseCsv(long);
    const commune = answers.filter((r) => r['Mã câu hỏi'] === 'commune');
    expect(commune.every((r) => /^T-/.test(r['Trả lời (nguyên văn)']!) && r['Giá trị chuẩn hóa'] === r['Trả lời (nguyên văn)'])).toBe(true);
    // An answer to a question the flow no longer has counts as free text.
    expect(answers.find((r) => r['Mã câu hỏi'] === 'balance')!['Giá trị chuẩn hóa']).toMatch(/^T-/);
    expect(answers.find((r) => r['Mã câu hỏi'] === 'group')!['Giá trị chuẩn hóa']).toBe('nong_dan');
  });

  it('group the same free text however it was typed', () => {
    const p = createPseudonymiser(KEY_A);
    expect(p.freeText('Phường Ba Đình')).toBe(p.freeText('  phường  BA ĐÌNH '));
    expect(p.freeText('Phường Ba Đình')).toBe(p.freeText('Phường Ba Đình'.normalize('NFD')));
    expect(p.freeText('Phường Ba Đình')).not.toBe(p.freeText('Phường Ba Đình 2'));
    // A person id and a free text that happen to be equal get unrelated tokens.
    expect(p.person('telegram', '42').slice(2)).not.toBe(p.freeText('42').slice(2));
    expect(p.person('telegram', '42')).not.toBe(p.person('zalo', '42'));
  });
});

describe('the pseudonym key', () => {
  it('is generated once per installation and kept in the database', () => {
    const path = tempDbPath();
    const store = new Store(path);
    const first = resolvePseudonymKey(store, undefined);
    expect(first.length).toBeGreaterThanOrEqual(40);
    expect(resolvePseudonymKey(store, undefined)).toBe(first);
    store.close();
    const reopened = new Store(path);
    expect(resolvePseudonymKey(reopened, undefined)).toBe(first);
    const other = new Store(tempDbPath());
    expect(resolvePseudonymKey(other, undefined)).not.toBe(first);
    other.close();
    // EXPORT_PSEUDONYM_KEY wins over the stored key.
    expect(resolvePseudonymKey(reopened, KEY_B)).toBe(KEY_B);
    reopened.close();
  });
});
