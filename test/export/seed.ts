import type Database from 'better-sqlite3';
import type { FlowResult } from '../../src/engine/types.ts';
import type { Flow } from '../../src/flow/schema.ts';
import type { Store } from '../../src/store/store.ts';
import { vietnamYear } from '../../src/util/time.ts';

/** Test data for exports, written through the store's own methods (small) or one bulk transaction (large). */

export interface SeededResponse {
  personChannel: string;
  personId: string;
  flowId: string;
  answers: Record<string, { raw: string; value: string | number }>;
  /** Submitted at this instant, or left in progress when undefined. */
  submittedAt?: string;
  startedAt: string;
  unitId?: string;
  period?: string;
  result?: FlowResult;
  cancelled?: boolean;
}

export function seedResponse(store: Store, r: SeededResponse): number {
  return store.transaction(() => {
    const person = store.findPerson(r.personChannel, r.personId) ?? store.createPerson(r.personChannel, r.personId, r.startedAt);
    const responseId = store.openResponse({ personId: person.id, channel: r.personChannel, flowId: r.flowId, flowVersion: '2026.1', now: r.startedAt });
    if (r.unitId) store.units.attachResponseToUnit(responseId, r.unitId);
    for (const [questionId, a] of Object.entries(r.answers)) {
      store.recordAnswer({
        responseId,
        flowId: r.flowId,
        flowVersion: '2026.1',
        questionId,
        questionText: `Câu hỏi ${questionId}?`,
        raw: a.raw,
        value: a.value,
        now: r.startedAt,
      });
    }
    if (r.cancelled) store.cancelOpenResponses(person.id, r.flowId, r.startedAt);
    else if (r.submittedAt) {
      const result = r.result;
      store.submitResponse({
        responseId,
        period: r.period ?? vietnamYear(new Date(r.submittedAt)),
        passed: result?.passed ?? false,
        score: result?.score ?? null,
        level: result?.level ?? null,
        result: JSON.stringify(result ?? null),
        keepQuestionIds: Object.keys(r.answers),
        now: r.submittedAt,
      });
      if (r.unitId) {
        store.units.replacePreviousSubmissions({ unitId: r.unitId, flowId: r.flowId, period: r.period ?? vietnamYear(new Date(r.submittedAt)), keepResponseId: responseId, now: r.submittedAt });
      }
    }
    return responseId;
  });
}

export interface BulkAnswer {
  questionId: string;
  raw: string;
  value: string | number;
  /** Kept as history: a later answer to the same question replaced it. */
  superseded?: boolean;
}

/**
 * Many citizens' submitted self-checks in one transaction of prepared inserts (1M answers in seconds).
 * `answersOf(i)` gives response i's answers; every response gets the same result JSON.
 */
export function seedBulk(
  db: Database.Database,
  p: { responses: number; flowId: string; result: FlowResult | null; answersOf: (i: number) => BulkAnswer[] },
): void {
  const person = db.prepare('INSERT INTO people (channel, external_id, created_at) VALUES (?, ?, ?)');
  const response = db.prepare(
    `INSERT INTO responses (person_id, channel, flow_id, flow_version, status, period, started_at, updated_at, submitted_at, passed, score, level, result)
     VALUES (?, 'telegram', ?, '2026.1', 'submitted', '2026', ?, ?, ?, ?, ?, NULL, ?)`,
  );
  const answer = db.prepare(
    `INSERT INTO answers (response_id, flow_id, flow_version, question_id, question_text, raw, value, answered_at, superseded_at)
     VALUES (?, ?, '2026.1', ?, ?, ?, ?, ?, ?)`,
  );
  const resultJson = p.result ? JSON.stringify(p.result) : null;
  const base = Date.parse('2026-03-01T00:00:00Z');
  db.transaction(() => {
    for (let i = 0; i < p.responses; i++) {
      const at = new Date(base + i * 60_000).toISOString();
      const personId = Number(person.run('telegram', String(100_000_000 + i), at).lastInsertRowid);
      const passed = p.result ? (p.result.passed ? 1 : 0) : null;
      const responseId = Number(response.run(personId, p.flowId, at, at, at, passed, p.result?.score ?? null, resultJson).lastInsertRowid);
      for (const a of p.answersOf(i)) {
        const text = `Câu hỏi ${a.questionId}: Anh/Chị có thường xuyên tham gia hoạt động này không?`;
        answer.run(responseId, p.flowId, a.questionId, text, a.raw, JSON.stringify(a.value), at, a.superseded ? at : null);
      }
    }
  })();
}

const LEVELS = [
  { raw: 'Hằng ngày', value: 'daily' },
  { raw: '2', value: 'weekly' },
  { raw: 'vai lan moi thang', value: 'monthly' },
];

/**
 * Twenty answers of a Công dân học tập self-check: the twelve current ones (group, commune, q1–q10)
 * and eight earlier answers the person corrected, kept as history.
 */
export function citizenAnswers(i: number): BulkAnswer[] {
  const pick = (k: number) => LEVELS[(i + k) % LEVELS.length]!;
  const current: BulkAnswer[] = [
    { questionId: 'group', raw: 'Nông dân', value: 'nong_dan' },
    { questionId: 'commune', raw: `Phường Hòa Bình ${i % 97}`, value: `Phường Hòa Bình ${i % 97}` },
    ...Array.from({ length: 10 }, (_, k) => ({ questionId: `q${k + 1}`, ...pick(k) })),
  ];
  const history: BulkAnswer[] = Array.from({ length: 8 }, (_, k) => ({ questionId: `q${k + 1}`, ...pick(k + 1), superseded: true }));
  return [...history, ...current];
}

/** A plausible points result for the citizen flow: every indicator at 8 of 10 points. */
export function citizenResult(flow: Flow): FlowResult {
  const indicators = flow.indicators.map((ind) => ({
    id: ind.id,
    criterion: ind.criterion,
    title: ind.title,
    met: true,
    score: 8,
    maxScore: 10,
    detail: '8/10 điểm',
    advice: ind.advice,
    applicable: true,
  }));
  const criteria = flow.criteria.map((c) => ({
    id: c.id,
    title: c.title,
    met: true,
    score: indicators.filter((i) => i.criterion === c.id).reduce((s, i) => s + i.score, 0),
  }));
  return { flow: flow.id, flowVersion: flow.version, passed: true, score: 80, maxScore: 100, level: null, criteria, indicators };
}
