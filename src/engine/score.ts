import type { Flow, Indicator, Question, Rule } from '../flow/schema.ts';
import { evaluate, type Facts, visibleQuestions } from './path.ts';
import type { CriterionOutcome, FlowResult, IndicatorOutcome } from './types.ts';
import { formatNumberVi, formatPercentVi } from './vietnamese.ts';

/** Scores a completed flow. Pure: the same answers always give the same result. */
export function scoreFlow(flow: Flow, facts: Facts): FlowResult {
  return flow.scoring.kind === 'points' ? scorePoints(flow, facts) : scorePassFail(flow, facts);
}

function pointsOf(q: Question, value: string | number | undefined): number {
  if (value === undefined) return 0;
  if (q.type === 'single') return q.options.find((o) => o.id === value)?.points ?? 0;
  if (q.type === 'yesno' && q.points) return value === 'yes' ? q.points.yes : q.points.no;
  return 0;
}

function maxPointsOf(q: Question): number {
  if (q.type === 'single') return Math.max(0, ...q.options.map((o) => o.points ?? 0));
  if (q.type === 'yesno' && q.points) return Math.max(q.points.yes, q.points.no);
  return 0;
}

function scorePoints(flow: Flow, facts: Facts): FlowResult {
  if (flow.scoring.kind !== 'points') throw new Error('not a points flow');
  const { pass, maxTotal } = flow.scoring;
  const visible = new Set(visibleQuestions(flow, facts).map((q) => q.id));
  const indicators: IndicatorOutcome[] = flow.indicators.map((ind) => {
    const qs = flow.questions.filter((q) => q.indicator === ind.id);
    // A hidden question still counts at its maximum only if the flow says so; here hidden means 0.
    const score = qs.reduce((sum, q) => sum + (visible.has(q.id) ? pointsOf(q, facts.answers[q.id]?.value) : 0), 0);
    const maxScore = qs.reduce((sum, q) => sum + maxPointsOf(q), 0);
    const met = score >= pass.minPerIndicator;
    return {
      id: ind.id,
      criterion: ind.criterion,
      title: ind.title,
      met,
      score,
      maxScore,
      detail: met
        ? `${formatNumberVi(score)}/${formatNumberVi(maxScore)} điểm`
        : `${formatNumberVi(score)}/${formatNumberVi(maxScore)} điểm, cần ít nhất ${formatNumberVi(pass.minPerIndicator)} điểm`,
      advice: score < maxScore ? ind.advice : null,
      applicable: true,
    };
  });
  const total = indicators.reduce((s, i) => s + (i.score ?? 0), 0);
  const criteria: CriterionOutcome[] = flow.criteria.map((c) => {
    const own = indicators.filter((i) => i.criterion === c.id);
    return { id: c.id, title: c.title, met: own.every((i) => i.met), score: own.reduce((s, i) => s + (i.score ?? 0), 0) };
  });
  const passed = total >= pass.minTotal && indicators.every((i) => i.met);
  return { flow: flow.id, flowVersion: flow.version, passed, score: total, maxScore: maxTotal, level: null, criteria, indicators };
}

interface RuleOutcome {
  met: boolean;
  /** Vietnamese: what was found, and what was needed when not met. */
  detail: string;
}

function thresholdFor(min: number | Record<string, number>, level: string): number | undefined {
  return typeof min === 'number' ? min : min[level];
}

function evaluateRule(rule: Rule, level: string, facts: Facts, flow: Flow): RuleOutcome {
  const num = (qid: string): number | undefined => {
    const v = facts.answers[qid]?.value;
    return typeof v === 'number' ? v : undefined;
  };
  if ('all' in rule) {
    const parts = rule.all.map((r) => evaluateRule(r, level, facts, flow));
    const failed = parts.filter((p) => !p.met);
    return failed.length ? { met: false, detail: failed.map((p) => p.detail).join('; ') } : { met: true, detail: parts.map((p) => p.detail).join('; ') };
  }
  if ('yes' in rule) {
    const q = flow.questions.find((x) => x.id === rule.yes);
    const what = q?.short ?? q?.text ?? rule.yes;
    const v = facts.answers[rule.yes]?.value;
    return v === 'yes' ? { met: true, detail: `có: ${lower(what)}` } : { met: false, detail: `chưa có: ${lower(what)}` };
  }
  if ('choice' in rule) {
    const v = facts.answers[rule.choice]?.value;
    const q = flow.questions.find((x) => x.id === rule.choice);
    const labelOf = (id: unknown): string | undefined =>
      q?.type === 'single' ? q.options.find((o) => o.id === id)?.label : id === 'yes' ? 'Có' : id === 'no' ? 'Không' : undefined;
    const label = labelOf(v);
    const accepted = Array.isArray(rule.in) ? rule.in : rule.in[level];
    if (accepted === undefined) return { met: true, detail: 'không áp dụng ở mức này' };
    if (accepted.includes(String(v))) return { met: true, detail: `đạt: ${label ?? String(v)}` };
    // Per-level lists also say what the level needs ("cần: Mức đáp ứng tốt").
    const needed = Array.isArray(rule.in) ? '' : `; cần: ${accepted.map((o) => labelOf(o) ?? o).join(' hoặc ')}`;
    return { met: false, detail: `chưa đạt yêu cầu (hiện tại: ${label ?? 'chưa trả lời'}${needed})` };
  }
  if ('ratio' in rule) {
    const min = thresholdFor(rule.min, level);
    const n = num(rule.ratio.numerator);
    const d = num(rule.ratio.denominator);
    if (min === undefined) return { met: true, detail: 'không áp dụng ở mức này' };
    if (n === undefined || d === undefined) return { met: false, detail: 'thiếu số liệu' };
    if (d === 0) return { met: false, detail: 'không có số liệu để tính tỉ lệ (mẫu số bằng 0)' };
    const ratio = n / d;
    // Compare in basis points with a tolerance far below one person, so 90/100 meets 0.9 despite floating
    // error, while 17 999/20 000 (89,995%) does not: rounding the ratio first would let it pass "tối thiểu 90%".
    const minBp = Math.round(min * 10000);
    const met = ratio * 10000 >= minBp - 1e-6;
    // A failing ratio is never shown rounded up to the threshold ("90%, cần ≥ 90%").
    const shown = !met && Math.round(ratio * 10000) >= minBp ? (minBp - 1) / 10000 : ratio;
    return met
      ? { met, detail: `${formatPercentVi(ratio)} (${formatNumberVi(n)}/${formatNumberVi(d)}), yêu cầu ≥ ${formatPercentVi(min)}` }
      : { met, detail: `${formatPercentVi(shown)} (${formatNumberVi(n)}/${formatNumberVi(d)}), cần ≥ ${formatPercentVi(min)}` };
  }
  const min = thresholdFor(rule.min, level);
  const v = num(rule.value);
  if (min === undefined) return { met: true, detail: 'không áp dụng ở mức này' };
  if (v === undefined) return { met: false, detail: 'thiếu số liệu' };
  return v >= min
    ? { met: true, detail: `${formatNumberVi(v)}, yêu cầu ≥ ${formatNumberVi(min)}` }
    : { met: false, detail: `${formatNumberVi(v)}, cần ≥ ${formatNumberVi(min)}` };
}

function lower(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function applies(ind: Indicator, level: string, facts: Facts): boolean {
  if (ind.levels && !ind.levels.includes(level)) return false;
  return !ind.appliesIf || evaluate(ind.appliesIf, facts);
}

function scorePassFail(flow: Flow, facts: Facts): FlowResult {
  if (flow.scoring.kind !== 'passFail') throw new Error('not a passFail flow');
  const levels = flow.scoring.levels;
  const levelMet = new Map<string, boolean>();
  const perLevel = new Map<string, Map<string, RuleOutcome | null>>();
  for (const lv of levels) {
    const outcomes = new Map<string, RuleOutcome | null>();
    for (const ind of flow.indicators) {
      outcomes.set(ind.id, applies(ind, lv.id, facts) && ind.rule ? evaluateRule(ind.rule, lv.id, facts, flow) : null);
    }
    perLevel.set(lv.id, outcomes);
    levelMet.set(lv.id, [...outcomes.values()].every((o) => o === null || o.met));
  }
  // Levels build on each other: level 2 counts only when level 1 is met too.
  let level: string | null = null;
  for (const lv of levels) {
    if (!levelMet.get(lv.id)) break;
    level = lv.id;
  }
  // Explain against the level the unit is aiming at: the next level up, or the top level when met.
  const targetIndex = level === null ? 0 : Math.min(levels.findIndex((l) => l.id === level) + 1, levels.length - 1);
  const target = levels[targetIndex];
  const targetTitle = target?.title ?? '';
  const outcomes = target ? perLevel.get(target.id)! : new Map<string, RuleOutcome | null>();
  const indicators: IndicatorOutcome[] = flow.indicators.map((ind) => {
    const o = outcomes.get(ind.id) ?? null;
    const lowestLevel = levels.find((l) => perLevel.get(l.id)!.get(ind.id) != null);
    const lowest = lowestLevel ? perLevel.get(lowestLevel.id)!.get(ind.id)! : null;
    const applicable = o !== null || lowest !== null;
    const shown = o ?? lowest;
    // An indicator assessed only at another level (`levels:`) names that level, not the target.
    const shownTitle = o !== null ? targetTitle : (lowestLevel?.title ?? targetTitle);
    const met = shown === null ? true : shown.met;
    return {
      id: ind.id,
      criterion: ind.criterion,
      title: ind.title,
      met,
      score: null,
      maxScore: null,
      detail: shown === null ? 'không áp dụng cho đơn vị này' : met ? shown.detail : `${shown.detail} cho ${lower(shownTitle)}`,
      advice: met ? null : ind.advice,
      applicable,
    };
  });
  const criteria: CriterionOutcome[] = flow.criteria.map((c) => ({
    id: c.id,
    title: c.title,
    met: indicators.filter((i) => i.criterion === c.id).every((i) => i.met),
    score: null,
  }));
  return { flow: flow.id, flowVersion: flow.version, passed: level !== null, score: null, maxScore: null, level, criteria, indicators };
}
