import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFlowsOrThrow } from '../../src/flow/load.ts';
import type { Flow } from '../../src/flow/schema.ts';
import { silentLogger } from '../../src/log.ts';
import { type DeadlineCalendar, parseCalendar } from '../../src/reminders/calendar.ts';
import { ReminderPlanner, type PlannerOptions } from '../../src/reminders/planner.ts';
import { ReminderSchedule } from '../../src/reminders/schedule.ts';
import { Store } from '../../src/store/store.ts';
import type { Tier, UnitType } from '../../src/units/types.ts';
import { ROOT } from '../helpers/flows.ts';

/** Shared set-up for the reminder tests: a small calendar, units with focal points, a fake clock. */

export const FLOWS: Flow[] = loadFlowsOrThrow(join(ROOT, 'flows'));

/**
 * One deadline (due "trước ngày 15/01", so the last day is 14/01) fulfilled by the ĐVHT flow, one
 * event. Settings are the defaults unless `settings` overrides them (YAML text of the block).
 */
export function testCalendar(settings = ''): DeadlineCalendar {
  return parseCalendar(`
version: 1
${settings ? `settings:\n${settings}` : ''}
offices:
  so-gddt: Sở Giáo dục và Đào tạo
  phong-gddt: Phòng Giáo dục và Đào tạo
deadlines:
  - id: ho-so-dvht
    kind: deadline
    title: Hồ sơ đề nghị công nhận “Đơn vị học tập”
    rule: { yearly: "15/01" }
    period: previous-year
    concerns: all
    what: Tờ trình, Báo cáo tự đánh giá, Bản tổng hợp.
    sendTo: { commune: phong-gddt, province: so-gddt }
    flow: don-vi-hoc-tap-tt24
    source: { document: Thông tư 24/2023/TT-BGDĐT, clause: Điều 16 khoản 1 điểm c, confidence: H }
    enabled: true
  - id: ngay-sach
    kind: event
    title: Ngày Sách và Văn hóa đọc Việt Nam
    rule: { yearly: "21/04" }
    concerns: all
    what: Ngày Sách và Văn hóa đọc Việt Nam.
    source: { document: Quyết định 1862/QĐ-TTg, clause: ngày 21/4, confidence: M }
    enabled: true
`);
}

/** Vietnam local time → instant. */
export const vn = (local: string): Date => new Date(`${local}+07:00`);

export interface World {
  store: Store;
  dir: string;
  schedule: ReminderSchedule;
  clock: { now: Date };
  planner(extra?: Partial<PlannerOptions>): ReminderPlanner;
  /** Adds a unit with `n` focal points on `channel`; returns the person ids. */
  addUnit(id: string, opts?: { n?: number; type?: UnitType; tier?: Tier; channel?: string }): number[];
  /** A submission of the unit flow for the unit and period. */
  submit(unitId: string, personId: number, period: string, flowId?: string): void;
  /** Reminder rows in the outbox, in order. */
  reminders(): Array<{ chatId: string; personId: number | null; key: string; text: string; choices: string[]; scope: string | undefined }>;
  close(): void;
}

export function createWorld(opts: { calendar?: DeadlineCalendar; file?: boolean } = {}): World {
  const dir = mkdtempSync(join(tmpdir(), 'xhht-rem-'));
  const store = new Store(opts.file ? join(dir, 'db.sqlite') : ':memory:', { synchronous: 'NORMAL' });
  const schedule = new ReminderSchedule(opts.calendar ?? testCalendar(), FLOWS);
  const clock = { now: vn('2027-01-01T08:00') };
  let nextUser = 1000;
  return {
    store,
    dir,
    schedule,
    clock,
    planner: (extra = {}) => new ReminderPlanner({ store, schedule, logger: silentLogger, now: () => clock.now, ...extra }),
    addUnit(id, o = {}) {
      const nowIso = new Date('2026-01-01T00:00:00Z').toISOString();
      store.units.upsertUnit({ id, name: `Đơn vị ${id}`, type: o.type ?? 'school', tier: o.tier ?? 'province', communeCode: '00001', active: true }, nowIso);
      const ids: number[] = [];
      for (let i = 0; i < (o.n ?? 1); i++) {
        const person = store.createPerson(o.channel ?? 'telegram', String(nextUser++), nowIso);
        store.units.joinUnit(person.id, id, nowIso);
        ids.push(person.id);
      }
      return ids;
    },
    submit(unitId, personId, period, flowId = 'don-vi-hoc-tap-tt24') {
      const now = clock.now.toISOString();
      const responseId = store.openResponse({ personId, channel: 'telegram', flowId, flowVersion: '2026.1', now });
      store.submitResponse({ responseId, period, passed: true, score: null, level: '1', result: '{}', keepQuestionIds: [], now });
      store.units.attachResponseToUnit(responseId, unitId);
    },
    reminders() {
      return store
        .outboxRows()
        .filter((r) => r.kind === 'reminder')
        .map((r) => {
          const p = JSON.parse(r.payload) as { text: string; choices?: Array<{ id: string }>; scope?: string };
          return { chatId: r.chat_id, personId: r.person_id, key: r.dedupe_key ?? '', text: p.text, choices: (p.choices ?? []).map((c) => c.id), scope: p.scope };
        });
    },
    close() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The step of a reminder's dedupe key ("rm|deadline|period|unit|person|step"). */
export const stepOf = (key: string): string => key.split('|')[5] ?? '';
