/**
 * "Đơn vị học tập" (Thông tư 24/2023/TT-BGDĐT): thresholds, unit-type and tier variants, evidence.
 * Every expected number below is read from the legal text (Điều 6, 7, 12, 13), not from the flow.
 */
import { describe, expect, it } from 'vitest';
import { loadFlowsFromDir } from '../../src/flow/load.ts';
import { Driver } from '../helpers/driver.ts';
import { loadFlow, ROOT } from '../helpers/flows.ts';
import { type Answers, applicableIds, converse, indicator, score } from './answers.ts';

const flow = loadFlow('flows/don-vi-hoc-tap-tt24.yaml');

/** Every answer that meets level 2, for every question any unit type can be asked; irrelevant ones are pruned. */
const ALL_GOOD: Answers = {
  unit_type: 'agency',
  tier: 'commune',
  public_edu: 'yes',
  school_level: 'thpt',
  gdtx_gdnn: 'no',
  tc1_1: 'yes',
  tc1_1_mc: 'yes',
  tc1_2_che_do: 'yes',
  tc1_2_quy_dinh: 'yes',
  tc1_2_mc: 'yes',
  mn_ho_tro: 'yes',
  mn_ho_tro_mc: 'yes',
  tc1_3: 'yes',
  tc1_3_mc: 'yes',
  tc1_4_cds: 'yes',
  tc1_4_thiet_bi: 'yes',
  tc1_4_mc: 'yes',
  tc1_5: 'yes',
  tc1_5_mc: 'yes',
  thanh_vien: 100,
  tc2_1: 100,
  tc2_1_mc: 'yes',
  tc2_2: 100,
  tc2_2_mc: 'yes',
  tc2_3: 100,
  tc2_3_mc: 'yes',
  tc2_4_cc: 100,
  tc2_4_td: 100,
  tc2_4_mc: 'yes',
  tc2_5: 100,
  tc2_5_mc: 'yes',
  tc3_1: 100,
  tc3_1_mc: 'yes',
  nguoi_hoc: 200,
  nguoi_hoc_cdht: 200,
  nguoi_hoc_mc: 'yes',
  tc3_2: 'yes',
  tc3_2_mc: 'yes',
  tc3_3: 'yes',
  tc3_3_mc: 'yes',
  cds_4725: 'tot',
  cds_4725_mc: 'yes',
  cds_4740: 'tot',
  cds_4740_mc: 'yes',
  kiem_dinh: 'yes',
  kiem_dinh_mc: 'yes',
};

const run = (over: Answers = {}) => score(flow, { ...ALL_GOOD, ...over });

describe('TT24 flow file', () => {
  it('loads from flows/ with zero problems, next to the other flows', () => {
    const { flows, problems } = loadFlowsFromDir(`${ROOT}/flows`);
    expect(problems).toEqual([]);
    expect(flows.map((f) => f.id)).toContain('don-vi-hoc-tap-tt24');
  });

  it('is a unit flow scored pass/fail at "Mức 1" and "Mức 2", citing TT24 with confidence H', () => {
    expect(flow.audience).toBe('unit');
    expect(flow.scoring).toEqual({ kind: 'passFail', levels: [{ id: '1', title: 'Mức 1' }, { id: '2', title: 'Mức 2' }] });
    expect(flow.sources.map((s) => [s.id, s.confidence])).toEqual([['tt24', 'H']]);
    for (const ind of flow.indicators) {
      expect(ind.cite.clause, ind.id).toMatch(/Điều \d+ khoản \d+ điểm [a-zđ]/);
      expect(ind.advice.length, ind.id).toBeGreaterThan(30);
    }
  });

  it('tells the unit the dossier deadline (before 15/01) and that the province sets the receiving office', () => {
    expect(flow.outro).toContain('trước ngày 15/01');
    expect(flow.outro).toContain('Điều 10, Điều 16');
    expect(flow.outro).toContain('do tỉnh quy định');
  });

  it('asks only counts for shares: every ratio numerator is an integer bounded by its denominator', () => {
    const ratios = flow.indicators.flatMap((i) => ('all' in i.rule! ? i.rule.all : [i.rule!])).filter((r) => 'ratio' in r);
    expect(ratios.length).toBe(8);
    for (const r of ratios) {
      if (!('ratio' in r)) continue;
      const num = flow.questions.find((q) => q.id === r.ratio.numerator)!;
      expect(num.type, r.ratio.numerator).toBe('integer');
      expect(num.type === 'integer' && num.max, r.ratio.numerator).toEqual({ question: r.ratio.denominator });
    }
  });
});

describe('TT24 baseline', () => {
  it('a district-level agency meeting every indicator reaches Mức 2', () => {
    const r = run();
    expect(r.level).toBe('2');
    expect(r.passed).toBe(true);
    expect(r.indicators.filter((i) => i.applicable && !i.met)).toEqual([]);
  });

  it('an agency is assessed on exactly these indicators', () => {
    expect(applicableIds(run())).toEqual([
      'TC1.1', 'TC1.2', 'TC1.3', 'TC1.4', 'TC1.5',
      'TC2.1', 'TC2.2', 'TC2.3', 'TC2.4-M1', 'TC2.4-M2', 'TC2.5',
      'TC3.1', 'TC3.2', 'TC3.3',
    ]);
  });
});

// ---------------------------------------------------------------- ratio thresholds (members = 100)
describe.each([
  { id: 'TC2.1', q: 'tc2_1', l1: 90, l2: 95, clause: 'Điều 6/7 khoản 2 điểm a' },
  { id: 'TC2.2', q: 'tc2_2', l1: 90, l2: 95, clause: 'Điều 6/7 khoản 2 điểm b' },
  { id: 'TC2.3', q: 'tc2_3', l1: 90, l2: 95, clause: 'Điều 6/7 khoản 2 điểm c' },
  { id: 'TC2.5', q: 'tc2_5', l1: 90, l2: 95, clause: 'Điều 6/7 khoản 2 điểm đ' },
  { id: 'TC3.1', q: 'tc3_1', l1: 90, l2: 95, clause: 'Điều 6/7/12/13 khoản 3 điểm a' },
])('TT24 $id threshold ($clause: ≥ $l1% mức 1, ≥ $l2% mức 2)', ({ id, q, l1, l2 }) => {
  it(`${l1 - 1}/100 fails mức 1, and the detail says ${l1 - 1}% and "cần ≥ ${l1}%"`, () => {
    const r = run({ [q]: l1 - 1 });
    expect(r.level).toBeNull();
    const i = indicator(r, id);
    expect(i.met).toBe(false);
    expect(i.detail).toContain(`${l1 - 1}% (${l1 - 1}/100)`);
    expect(i.detail).toContain(`cần ≥ ${l1}%`);
    expect(i.detail).toContain('mức 1');
    expect(i.advice).toBeTruthy();
  });
  it(`${l1}/100 meets mức 1 but not mức 2 ("cần ≥ ${l2}%")`, () => {
    const r = run({ [q]: l1 });
    expect(r.level).toBe('1');
    expect(indicator(r, id).detail).toContain(`${l1}% (${l1}/100), cần ≥ ${l2}% cho mức 2`);
  });
  it(`${l1 + 1}/100 meets mức 1`, () => expect(run({ [q]: l1 + 1 }).level).toBe('1'));
  it(`${l2 - 1}/100 stays at mức 1`, () => {
    const r = run({ [q]: l2 - 1 });
    expect(r.level).toBe('1');
    expect(indicator(r, id).met).toBe(false);
  });
  it(`${l2}/100 meets mức 2`, () => {
    const r = run({ [q]: l2 });
    expect(r.level).toBe('2');
    expect(indicator(r, id)).toMatchObject({ met: true, advice: null });
  });
  it(`${l2 + 1}/100 meets mức 2`, () => expect(run({ [q]: l2 + 1 }).level).toBe('2'));
});

describe('TT24 TC2.4 threshold (Điều 6 khoản 2 điểm d: ≥ 50% chứng nhận/chứng chỉ; Điều 7 khoản 2 điểm d: ≥ 70% trình độ)', () => {
  it('49 of 100 with a certificate fails mức 1 even when 100 have the proficiency', () => {
    const r = run({ tc2_4_cc: 49, tc2_4_td: 100 });
    expect(r.level).toBeNull();
    expect(indicator(r, 'TC2.4-M1').detail).toContain('49% (49/100), cần ≥ 50% cho mức 1');
  });
  it('50 of 100 with a certificate meets mức 1', () => expect(run({ tc2_4_cc: 50, tc2_4_td: 100 }).level).toBe('2'));
  it('51 of 100 with a certificate meets mức 1', () => expect(run({ tc2_4_cc: 51, tc2_4_td: 100 }).level).toBe('2'));
  it('69 of 100 with the proficiency stays at mức 1', () => {
    const r = run({ tc2_4_cc: 60, tc2_4_td: 69 });
    expect(r.level).toBe('1');
    expect(indicator(r, 'TC2.4-M2').detail).toContain('69% (69/100), cần ≥ 70% cho mức 2');
  });
  it('70 of 100 with the proficiency meets mức 2', () => expect(run({ tc2_4_cc: 60, tc2_4_td: 70 }).level).toBe('2'));
  it('71 of 100 with the proficiency meets mức 2', () => expect(run({ tc2_4_cc: 60, tc2_4_td: 71 }).level).toBe('2'));
  it('mức 1 counts certificates and mức 2 counts proficiency: the two indicators are level-specific', () => {
    expect(flow.indicators.find((i) => i.id === 'TC2.4-M1')?.levels).toEqual(['1']);
    expect(flow.indicators.find((i) => i.id === 'TC2.4-M2')?.levels).toEqual(['2']);
  });
});

describe('TT24 TC3.1-NH threshold (Người học: ≥ 95% mức 1, ≥ 97% mức 2; 200 learners)', () => {
  const school = (n: number) => run({ unit_type: 'school', tier: 'province', school_level: 'thpt', nguoi_hoc_cdht: n });
  it('189/200 (94,5%) fails mức 1', () => {
    const r = school(189);
    expect(r.level).toBeNull();
    expect(indicator(r, 'TC3.1-NH').detail).toContain('94,5% (189/200), cần ≥ 95% cho mức 1');
  });
  it('190/200 (95%) meets mức 1 only', () => {
    const r = school(190);
    expect(r.level).toBe('1');
    expect(indicator(r, 'TC3.1-NH').detail).toContain('95% (190/200), cần ≥ 97% cho mức 2');
  });
  it('191/200 meets mức 1', () => expect(school(191).level).toBe('1'));
  it('193/200 (96,5%) stays at mức 1', () => expect(school(193).level).toBe('1'));
  it('194/200 (97%) meets mức 2', () => expect(school(194).level).toBe('2'));
  it('195/200 meets mức 2', () => expect(school(195).level).toBe('2'));
});

describe('TT24 ratio precision', () => {
  it('17 999 of 20 000 members (89,995%) does not meet "tối thiểu 90%", and is not shown as 90%', () => {
    const r = run({ thanh_vien: 20000, tc2_1: 17999, tc2_2: 20000, tc2_3: 20000, tc2_4_cc: 20000, tc2_4_td: 20000, tc2_5: 20000, tc3_1: 20000 });
    expect(r.level).toBeNull();
    const d = indicator(r, 'TC2.1').detail;
    expect(d).toContain('(17.999/20.000), cần ≥ 90%');
    expect(d).not.toMatch(/^90%/);
  });
  it('18 000 of 20 000 members meets mức 1', () => {
    const r = run({ thanh_vien: 20000, tc2_1: 18000, tc2_2: 20000, tc2_3: 20000, tc2_4_cc: 20000, tc2_4_td: 20000, tc2_5: 20000, tc3_1: 20000 });
    expect(r.level).toBe('1');
  });
});

// ---------------------------------------------------------------- variants by unit type and tier
describe('TT24 variants by unit type', () => {
  it('TC2.4 (foreign language) does not apply to an economic organisation, and is not asked', () => {
    const r = run({ unit_type: 'economic', tc2_4_cc: 0, tc2_4_td: 0 });
    expect(indicator(r, 'TC2.4-M1')).toMatchObject({ applicable: false, met: true, detail: 'không áp dụng cho đơn vị này' });
    expect(indicator(r, 'TC2.4-M2').applicable).toBe(false);
    expect(r.level).toBe('2');
    expect(converse(flow, { ...ALL_GOOD, unit_type: 'economic' }).asked).not.toContain('tc2_4_cc');
  });
  it('TC2.4 applies to an agency: 0 certificates fails mức 1', () => {
    const r = run({ tc2_4_cc: 0 });
    expect(r.level).toBeNull();
    expect(indicator(r, 'TC2.4-M1').applicable).toBe(true);
  });

  it('TC1.3 (state budget) applies to agencies, public service units, commune People\'s Committees and public education institutions only', () => {
    const applies = (over: Answers) => indicator(run(over), 'TC1.3').applicable;
    expect(applies({ unit_type: 'agency' })).toBe(true);
    expect(applies({ unit_type: 'public_service' })).toBe(true);
    expect(applies({ unit_type: 'commune_pc' })).toBe(true);
    expect(applies({ unit_type: 'school', school_level: 'den_thcs', public_edu: 'yes', cds_4725: 'tot' })).toBe(true);
    expect(applies({ unit_type: 'school', school_level: 'den_thcs', public_edu: 'no' })).toBe(false);
    expect(applies({ unit_type: 'economic' })).toBe(false);
    expect(applies({ unit_type: 'other' })).toBe(false);
  });
  it('TC1.3 not met fails an agency at mức 1, but an economic organisation is never asked it', () => {
    expect(run({ tc1_3: 'no' }).level).toBeNull();
    expect(converse(flow, { ...ALL_GOOD, unit_type: 'economic' }).asked).not.toContain('tc1_3');
  });

  it("learners' Công dân học tập share applies only to education institutions whose pupils count as Người học (Điều 2 khoản 8)", () => {
    const applies = (over: Answers) => indicator(run(over), 'TC3.1-NH').applicable;
    expect(applies({ unit_type: 'agency' })).toBe(false);
    expect(applies({ unit_type: 'economic' })).toBe(false);
    expect(applies({ unit_type: 'school', tier: 'province', school_level: 'thpt' })).toBe(true);
    expect(applies({ unit_type: 'school', tier: 'province', school_level: 'khac' })).toBe(true);
    expect(applies({ unit_type: 'gdtx', tier: 'province' })).toBe(true);
    expect(applies({ unit_type: 'vocational', tier: 'commune' })).toBe(true);
    expect(applies({ unit_type: 'higher_ed' })).toBe(true);
    // Pupils of preschools, primary and lower-secondary schools are not "Người học".
    expect(applies({ unit_type: 'school', tier: 'commune', school_level: 'mam_non' })).toBe(false);
    expect(applies({ unit_type: 'school', tier: 'commune', school_level: 'den_thcs' })).toBe(false);
  });

  it('QĐ 4725 applies to general-education schools at district tier (Điều 6/7 khoản 3 điểm d)', () => {
    const r = run({ unit_type: 'school', tier: 'commune', school_level: 'den_thcs' });
    expect(applicableIds(r)).toContain('TC3.4-XA');
    expect(applicableIds(r)).not.toContain('TC3.4-TINH');
  });
  it('QĐ 4725 applies to upper-secondary schools and GDTX centres at provincial tier (Điều 12/13 khoản 3 điểm d)', () => {
    expect(applicableIds(run({ unit_type: 'school', tier: 'province', school_level: 'thpt' }))).toContain('TC3.4-TINH');
    expect(applicableIds(run({ unit_type: 'gdtx', tier: 'province' }))).toContain('TC3.4-TINH');
  });
  it('QĐ 4725 does not apply to a preschool, nor to a GDTX centre at district tier (not a cơ sở giáo dục phổ thông)', () => {
    const units: Answers[] = [{ unit_type: 'school', tier: 'commune', school_level: 'mam_non' }, { unit_type: 'gdtx', tier: 'commune' }];
    for (const over of units) {
      const ids = applicableIds(run(over));
      expect(ids).not.toContain('TC3.4-XA');
      expect(ids).not.toContain('TC3.4-TINH');
    }
  });
  it('QĐ 4725 levels: "cơ bản" gives mức 1 only, "tốt" mức 2, below "cơ bản" nothing', () => {
    const at = (cds_4725: string) => run({ unit_type: 'school', tier: 'province', school_level: 'thpt', cds_4725 });
    expect(at('tot').level).toBe('2');
    const basic = at('co_ban');
    expect(basic.level).toBe('1');
    expect(indicator(basic, 'TC3.4-TINH').detail).toContain('hiện tại: Mức đáp ứng cơ bản; cần: Mức đáp ứng tốt');
    expect(at('duoi_co_ban').level).toBeNull();
    expect(at('chua_danh_gia').level).toBeNull();
  });
  it('QĐ 4725 at district tier: "cơ bản" gives mức 1, "tốt" mức 2', () => {
    const at = (cds_4725: string) => run({ unit_type: 'school', tier: 'commune', school_level: 'den_thcs', cds_4725 });
    expect(at('co_ban').level).toBe('1');
    expect(at('tot').level).toBe('2');
    expect(at('duoi_co_ban').level).toBeNull();
  });

  it('QĐ 4740 applies to higher-education institutions only, which are not asked the tier (always provincial)', () => {
    const r = run({ unit_type: 'higher_ed' });
    expect(applicableIds(r)).toContain('TC3.5-TINH');
    expect(applicableIds(run({ unit_type: 'school', tier: 'province', school_level: 'thpt' }))).not.toContain('TC3.5-TINH');
    expect(converse(flow, { ...ALL_GOOD, unit_type: 'higher_ed' }).asked).not.toContain('tier');
  });
  it('QĐ 4740 levels: "cơ bản" gives mức 1 only, "tốt" mức 2', () => {
    expect(run({ unit_type: 'higher_ed', cds_4740: 'co_ban' }).level).toBe('1');
    expect(run({ unit_type: 'higher_ed', cds_4740: 'tot' }).level).toBe('2');
    expect(run({ unit_type: 'higher_ed', cds_4740: 'duoi_co_ban' }).level).toBeNull();
  });

  it('vocational accreditation applies to vocational institutions: chỉ tiêu 5 at district tier, chỉ tiêu 6 at provincial tier', () => {
    expect(applicableIds(run({ unit_type: 'vocational', tier: 'commune' }))).toContain('TC3.5-XA');
    expect(applicableIds(run({ unit_type: 'vocational', tier: 'province' }))).toContain('TC3.6-TINH');
    expect(applicableIds(run({ unit_type: 'vocational', tier: 'province' }))).not.toContain('TC3.5-XA');
    expect(run({ unit_type: 'vocational', tier: 'province', kiem_dinh: 'no' }).level).toBeNull();
    expect(run({ unit_type: 'vocational', tier: 'commune', kiem_dinh: 'no' }).level).toBeNull();
  });
  it('a GDTX centre that also does vocational training needs both QĐ 4725 and accreditation at provincial tier', () => {
    const ids = applicableIds(run({ unit_type: 'gdtx', tier: 'province', gdtx_gdnn: 'yes' }));
    expect(ids).toEqual(expect.arrayContaining(['TC3.4-TINH', 'TC3.6-TINH', 'TC3.1-NH']));
    expect(applicableIds(run({ unit_type: 'gdtx', tier: 'province', gdtx_gdnn: 'no' }))).not.toContain('TC3.6-TINH');
  });
  it('no accreditation, QĐ 4725 or QĐ 4740 indicator for an agency', () => {
    const ids = applicableIds(run());
    for (const id of ['TC3.4-XA', 'TC3.4-TINH', 'TC3.5-TINH', 'TC3.5-XA', 'TC3.6-TINH', 'TC1.2-MN', 'TC3.2-MN']) expect(ids).not.toContain(id);
  });

  it('a public preschool at district tier must also support private preschool teachers (Điều 6 khoản 1 điểm b, khoản 3 điểm b)', () => {
    const preschool = { unit_type: 'school', tier: 'commune', school_level: 'mam_non', public_edu: 'yes' };
    expect(applicableIds(run(preschool))).toEqual(expect.arrayContaining(['TC1.2-MN', 'TC3.2-MN']));
    const r = run({ ...preschool, mn_ho_tro: 'no' });
    expect(r.level).toBeNull();
    expect(indicator(r, 'TC1.2-MN').detail).toContain('chưa có: hỗ trợ giáo viên mầm non dân lập, tư thục');
    expect(applicableIds(run({ ...preschool, public_edu: 'no' }))).not.toContain('TC1.2-MN');
  });
});

describe('TT24 TC3.3 variants (Tập thể lao động tiên tiến)', () => {
  it('district tier: agencies and public service units need it at both levels (Điều 6, Điều 7 khoản 3 điểm c)', () => {
    const r = run({ unit_type: 'public_service' });
    expect(applicableIds(r)).toContain('TC3.3');
    expect(applicableIds(r)).not.toContain('TC3.3-M1');
    expect(run({ unit_type: 'public_service', tc3_3: 'no' }).level).toBeNull();
  });
  it('district tier: other units need it for mức 1 only (Điều 7 khoản 3 điểm c names only agencies and public service units)', () => {
    const r = run({ unit_type: 'economic' });
    expect(applicableIds(r)).toContain('TC3.3-M1');
    expect(applicableIds(r)).not.toContain('TC3.3');
    expect(flow.indicators.find((i) => i.id === 'TC3.3-M1')?.levels).toEqual(['1']);
    expect(run({ unit_type: 'economic', tc3_3: 'no' }).level).toBeNull();
    expect(r.level).toBe('2');
  });
  it('provincial tier: every unit needs it at both levels (Điều 12, Điều 13 khoản 3 điểm c)', () => {
    const r = run({ unit_type: 'economic', tier: 'province' });
    expect(applicableIds(r)).toContain('TC3.3');
    expect(applicableIds(r)).not.toContain('TC3.3-M1');
    expect(run({ unit_type: 'economic', tier: 'province', tc3_3: 'no' }).level).toBeNull();
  });
});

// ---------------------------------------------------------------- evidence and levels
describe('TT24 evidence (Điều 9 khoản 3, Điều 15 khoản 3: no evidence, no pass)', () => {
  it.each([
    ['TC1.1', 'tc1_1_mc', 'minh chứng về kế hoạch học tập'],
    ['TC1.2', 'tc1_2_mc', 'minh chứng về chế độ đào tạo'],
    ['TC1.3', 'tc1_3_mc', 'minh chứng về kinh phí'],
    ['TC1.4', 'tc1_4_mc', 'minh chứng về chuyển đổi số'],
    ['TC1.5', 'tc1_5_mc', 'minh chứng tham gia hoạt động'],
    ['TC2.1', 'tc2_1_mc', 'minh chứng số liệu tuân thủ'],
    ['TC2.2', 'tc2_2_mc', 'minh chứng hoàn thành'],
    ['TC2.3', 'tc2_3_mc', 'minh chứng bồi dưỡng'],
    ['TC2.4-M1', 'tc2_4_mc', 'minh chứng về ngoại ngữ'],
    ['TC2.5', 'tc2_5_mc', 'minh chứng danh hiệu'],
    ['TC3.1', 'tc3_1_mc', 'minh chứng Thành viên đạt “Công dân học tập”'],
    ['TC3.2', 'tc3_2_mc', 'minh chứng hoạt động chia sẻ'],
    ['TC3.3', 'tc3_3_mc', 'quyết định tặng danh hiệu'],
  ])('%s without evidence (%s = no) fails mức 1 and says what is missing', (id, q, words) => {
    const r = run({ [q]: 'no' });
    expect(r.level).toBeNull();
    const i = indicator(r, id);
    expect(i.met).toBe(false);
    expect(i.detail).toContain(`chưa có: ${words}`);
    expect(i.advice).toMatch(/minh chứng/);
  });
  it('evidence is asked only once the condition is met: "no" to the plan fails and skips its evidence question', () => {
    const r = run({ tc1_1: 'no' });
    expect(indicator(r, 'TC1.1').detail).toContain('chưa có: kế hoạch học tập hằng năm cho Thành viên đã ban hành và triển khai; chưa có: minh chứng');
    expect(converse(flow, { ...ALL_GOOD, tc1_1: 'no' }).asked).not.toContain('tc1_1_mc');
  });
  it('QĐ 4725, learners and accreditation without evidence fail too', () => {
    expect(run({ unit_type: 'school', tier: 'province', school_level: 'thpt', cds_4725_mc: 'no' }).level).toBeNull();
    expect(run({ unit_type: 'school', tier: 'province', school_level: 'thpt', nguoi_hoc_mc: 'no' }).level).toBeNull();
    expect(run({ unit_type: 'vocational', tier: 'commune', kiem_dinh_mc: 'no' }).level).toBeNull();
    expect(run({ unit_type: 'higher_ed', cds_4740_mc: 'no' }).level).toBeNull();
  });
});

describe('TT24 levels build on each other', () => {
  it('mức 2 is not given when a mức 1-only indicator fails, even if every mức 2 threshold is met', () => {
    // 10% with a certificate fails TC2.4-M1 (mức 1 only); 100% proficiency meets TC2.4-M2 (mức 2).
    const r = run({ tc2_4_cc: 10, tc2_4_td: 100 });
    expect(r.level).toBeNull();
    expect(r.passed).toBe(false);
    expect(indicator(r, 'TC2.4-M1').detail).toBe('10% (10/100), cần ≥ 50% cho mức 1');
  });
  it('an indicator assessed only at mức 2 names mức 2 in its detail, even while the unit is still aiming at mức 1', () => {
    const r = run({ tc2_4_cc: 10, tc2_4_td: 25 });
    expect(r.level).toBeNull();
    expect(indicator(r, 'TC2.4-M2').detail).toBe('25% (25/100), cần ≥ 70% cho mức 2');
    expect(indicator(r, 'TC2.4-M1').detail).toBe('10% (10/100), cần ≥ 50% cho mức 1');
  });
  it('a unit that meets only mức 1 is told what mức 2 needs, criterion by criterion', () => {
    const r = run({ tc2_2: 92 });
    expect(r.level).toBe('1');
    expect(r.criteria.find((c) => c.id === 'TC2')?.met).toBe(false);
    expect(r.criteria.find((c) => c.id === 'TC1')?.met).toBe(true);
    expect(indicator(r, 'TC2.2').advice).toContain('học bù');
  });
});

describe('TT24 end to end through the engine', () => {
  it('a district-level agency answers every question and gets Mức 2', () => {
    const { result, asked, driver } = converse(flow, ALL_GOOD);
    expect(result.level).toBe('2');
    expect(asked.slice(0, 2)).toEqual(['unit_type', 'tier']);
    expect(asked).not.toContain('nguoi_hoc');
    expect(driver.text).toContain('ĐẠT MỨC 2');
    expect(driver.text).toContain('trước ngày 15/01');
  });

  it('a provincial upper-secondary school is asked its learners and QĐ 4725 level, and gets Mức 1 with "cơ bản"', () => {
    const { result, asked } = converse(flow, { ...ALL_GOOD, unit_type: 'school', tier: 'province', school_level: 'thpt', cds_4725: 'co_ban' });
    expect(result.level).toBe('1');
    expect(asked).toEqual(expect.arrayContaining(['public_edu', 'school_level', 'nguoi_hoc', 'nguoi_hoc_cdht', 'cds_4725']));
    expect(asked).not.toContain('cds_4740');
  });

  it('"more who passed than members" is re-asked with the reason; a typed percentage is refused', () => {
    // A conversation stopped at the first count bounded by the number of members (100).
    const fresh = new Driver([flow]);
    fresh.agree();
    for (let i = 0; i < 60 && fresh.scope !== 'tc2_1'; i++) {
      const a = ALL_GOOD[fresh.scope!];
      if (typeof a === 'number') fresh.send(String(a));
      else fresh.tap(a!, fresh.scope);
    }
    expect(fresh.scope).toBe('tc2_1');
    fresh.send('101');
    expect(fresh.scope).toBe('tc2_1');
    expect(fresh.text).toContain('không thể lớn hơn số đã trả lời ở câu trước: 100');
    fresh.send('95%');
    expect(fresh.scope).toBe('tc2_1');
    expect(fresh.text).toContain('không phải tỉ lệ phần trăm');
    fresh.send('95');
    expect(fresh.scope).toBe('tc2_1_mc');
  });
});
