import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CalendarLoadError, loadCalendar, missingFlows, occurrenceFor, occurrencesBetween, parseCalendar } from '../../src/reminders/calendar.ts';
import { ROOT } from '../helpers/flows.ts';
import { FLOWS } from './helpers.ts';

const shipped = loadCalendar(join(ROOT, 'data', 'deadlines.yaml'));
const byId = (id: string) => shipped.deadlines.find((d) => d.id === id)!;

describe('the shipped calendar (data/deadlines.yaml)', () => {
  it('has every deadline of the circulars and the seeds, each citing its source', () => {
    const expected: Record<string, { date: string; document: RegExp; clause: RegExp }> = {
      'ho-so-don-vi-hoc-tap': { date: '15/01', document: /24\/2023\/TT-BGDĐT/, clause: /Điều 10 khoản 1 điểm c.*Điều 16 khoản 1 điểm c/ },
      'ho-so-cong-dong-hoc-tap-xa': { date: '28/02', document: /25\/2023\/TT-BGDĐT/, clause: /Điều 9 khoản 1 điểm d/ },
      'bao-cao-phong-trao-thi-dua': { date: '25/11', document: /07\/KH-UBND.*Sóc Trăng/, clause: /mục VII khoản 9/ },
      'bao-cao-de-an-xhht': { date: '01/12', document: /Tiền Giang/, clause: /mục IV khoản 5 điểm b/ },
      'de-nghi-khen-thuong-hang-nam': { date: '01/06', document: /Hồ Chí Minh/, clause: /mục IV khoản 3/ },
      'khen-thuong-so-ket-2025': { date: '2025-07-01', document: /Hồ Chí Minh/, clause: /mục IV khoản 3/ },
      'khen-thuong-tong-ket-2030': { date: '2030-07-01', document: /Hồ Chí Minh/, clause: /mục IV khoản 3/ },
      'tuan-le-hoc-tap-suot-doi': { date: '01/10', document: /BGDĐT/, clause: /01 đến 07\/10/ },
      'ngay-sach-van-hoa-doc': { date: '21/04', document: /1862\/QĐ-TTg/, clause: /21 tháng 4/ },
    };
    expect(shipped.deadlines.map((d) => d.id).sort()).toEqual(Object.keys(expected).sort());
    for (const [id, want] of Object.entries(expected)) {
      const d = byId(id);
      const date = 'yearly' in d.rule ? `${String(d.rule.yearly.day).padStart(2, '0')}/${String(d.rule.yearly.month).padStart(2, '0')}` : d.rule.date;
      expect(date, id).toBe(want.date);
      expect(d.source.document, id).toMatch(want.document);
      expect(d.source.clause, id).toMatch(want.clause);
    }
  });

  it('enables the national deadlines and events; provincial plans are for a province to turn on', () => {
    expect(shipped.deadlines.filter((d) => d.enabled).map((d) => d.id).sort()).toEqual(
      ['ho-so-cong-dong-hoc-tap-xa', 'ho-so-don-vi-hoc-tap', 'ngay-sach-van-hoa-doc', 'tuan-le-hoc-tap-suot-doi'],
    );
  });

  it('links the dossiers to the unit flows that exist, and concerns the right periods', () => {
    expect(missingFlows(shipped, FLOWS)).toEqual([]);
    expect(occurrenceFor(byId('ho-so-don-vi-hoc-tap'), '2026')!.date).toBe('2027-01-15');
    expect(occurrenceFor(byId('ho-so-cong-dong-hoc-tap-xa'), '2026')!.lastDay).toBe('2027-02-27');
    expect(occurrencesBetween(byId('bao-cao-phong-trao-thi-dua'), '2026-01-01', '2026-12-31').map((o) => o.period)).toEqual(['2026']);
    expect(occurrenceFor(byId('khen-thuong-so-ket-2025'), '2023-2025')!.lastDay).toBe('2025-06-30');
    const week = occurrencesBetween(byId('tuan-le-hoc-tap-suot-doi'), '2026-01-01', '2026-12-31')[0]!;
    expect([week.date, week.endDay]).toEqual(['2026-10-01', '2026-10-07']);
  });
});

describe('calendar validation', () => {
  const base = (deadline: string, extra = '') => `
version: 1
${extra}
offices: { so-gddt: Sở Giáo dục và Đào tạo }
deadlines:
  - id: x
    kind: deadline
    title: Hạn thử
    ${deadline}
    concerns: all
    what: Hồ sơ
    source: { document: Thông tư, clause: Điều 1, confidence: H }
    enabled: true
`;
  const problems = (text: string): string[] => {
    try {
      parseCalendar(text);
      return [];
    } catch (err) {
      if (err instanceof CalendarLoadError) return err.problems;
      throw err;
    }
  };

  it('accepts a valid entry and fills in the default settings', () => {
    const cal = parseCalendar(base('rule: { yearly: "15/01" }\n    period: previous-year\n    sendTo: so-gddt'));
    expect(cal.settings.ladder.offsets).toEqual([-14, -7, -3, -1, 0, 1]);
    expect(cal.settings.quietHours).toEqual({ from: '21:00', to: '07:00', resumeAt: '07:30' });
    expect(cal.settings.snoozeDays).toBe(2);
  });

  it('names each problem', () => {
    expect(problems(base('rule: { yearly: "30/02" }\n    period: previous-year\n    sendTo: so-gddt')).join()).toMatch(/real day of the year/);
    expect(problems(base('rule: { yearly: "15/01" }\n    period: 2023-2025\n    sendTo: so-gddt')).join()).toMatch(/yearly rule needs period/);
    expect(problems(base('rule: { yearly: "15/01" }\n    period: previous-year\n    sendTo: phong-x')).join()).toMatch(/unknown office "phong-x"/);
    expect(problems(base('rule: { date: 2026-02-30 }\n    period: "2026"\n    sendTo: so-gddt')).join()).toMatch(/real date/);
    expect(
      problems(base('rule: { yearly: "15/01" }\n    period: previous-year\n    sendTo: so-gddt', 'settings: { quietHours: { resumeAt: "06:00" } }')).join(),
    ).toMatch(/outside the quiet hours/);
    expect(
      problems(base('rule: { yearly: "15/01" }\n    period: previous-year\n    sendTo: so-gddt', 'settings: { ladder: { offsets: [-7, -14] } }')).join(),
    ).toMatch(/increasing order/);
    expect(problems('version: 1\n  bad: [').join()).toMatch(/not valid YAML/);
  });
});
