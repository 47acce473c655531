import type { Condition, Flow, Question, Rule } from './schema.ts';

export interface FlowProblem {
  path: string;
  message: string;
}

/** Checks that need the whole flow: references, reachability, scoring coherence, citations. */
export function crossCheckFlow(flow: Flow): FlowProblem[] {
  const problems: FlowProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });

  const sourceIds = new Set<string>();
  flow.sources.forEach((s, i) => {
    if (sourceIds.has(s.id)) add(`sources[${i}].id`, `duplicate source id "${s.id}"`);
    sourceIds.add(s.id);
  });

  const criterionIds = new Set<string>();
  flow.criteria.forEach((c, i) => {
    if (criterionIds.has(c.id)) add(`criteria[${i}].id`, `duplicate criterion id "${c.id}"`);
    criterionIds.add(c.id);
    if (!sourceIds.has(c.cite.source)) add(`criteria[${i}].cite.source`, `cites unknown source "${c.cite.source}"`);
  });

  const levelIds = flow.scoring.kind === 'passFail' ? flow.scoring.levels.map((l) => l.id) : [];
  const indicatorIds = new Set<string>();
  const criteriaWithIndicators = new Set<string>();
  flow.indicators.forEach((ind, i) => {
    const at = `indicators[${i}] (${ind.id})`;
    if (indicatorIds.has(ind.id)) add(`${at}.id`, `duplicate indicator id "${ind.id}"`);
    indicatorIds.add(ind.id);
    if (!criterionIds.has(ind.criterion)) add(`${at}.criterion`, `belongs to unknown criterion "${ind.criterion}"`);
    criteriaWithIndicators.add(ind.criterion);
    if (!sourceIds.has(ind.cite.source)) add(`${at}.cite.source`, `cites unknown source "${ind.cite.source}"`);
    for (const lv of ind.levels ?? []) {
      if (!levelIds.includes(lv)) add(`${at}.levels`, `unknown level "${lv}" (levels: ${levelIds.join(', ') || 'none'})`);
    }
  });
  flow.criteria.forEach((c, i) => {
    if (!criteriaWithIndicators.has(c.id)) add(`criteria[${i}] (${c.id})`, 'has no indicator');
  });

  const questionIndex = new Map<string, number>();
  flow.questions.forEach((q, i) => {
    if (questionIndex.has(q.id)) add(`questions[${i}].id`, `duplicate question id "${q.id}"`);
    else questionIndex.set(q.id, i);
    if (q.type === 'single') {
      const seen = new Set<string>();
      q.options.forEach((o, j) => {
        if (seen.has(o.id)) add(`questions[${i}] (${q.id}).options[${j}].id`, `duplicate option id "${o.id}"`);
        seen.add(o.id);
      });
    }
  });
  const byId = (qid: string) => {
    const i = questionIndex.get(qid);
    return i === undefined ? undefined : flow.questions[i];
  };

  // Conditions may only look back: a question is asked after everything it depends on.
  const unreachable = new Set<string>();
  flow.questions.forEach((q, i) => {
    const at = `questions[${i}] (${q.id})`;
    const conds: Array<[string, Condition]> = [];
    if (q.when) conds.push([`${at}.when`, q.when]);
    q.variants?.forEach((v, j) => conds.push([`${at}.variants[${j}].when`, v.when]));
    for (const [path, cond] of conds) {
      const refs = checkCondition(cond, path, i, byId, questionIndex, add);
      if (path.endsWith('.when') && !path.includes('variants') && refs.some((r) => unreachable.has(r))) {
        add(path, `depends on an unreachable question, so this question can never be asked`);
        unreachable.add(q.id);
      }
    }
    if (q.when && !isSatisfiable(q.when, byId)) {
      add(`${at}.when`, 'can never be true, so this question is unreachable');
      unreachable.add(q.id);
    }
    if (q.indicator && !indicatorIds.has(q.indicator)) add(`${at}.indicator`, `names unknown indicator "${q.indicator}"`);
    if ((q.type === 'integer' || q.type === 'decimal') && typeof q.max === 'object') {
      const ref = byId(q.max.question);
      const refIndex = questionIndex.get(q.max.question) ?? Infinity;
      if (!ref) add(`${at}.max.question`, `refers to unknown question "${q.max.question}"`);
      else if (refIndex >= i) add(`${at}.max.question`, `refers to "${q.max.question}", which is not asked before it`);
      else if (ref.type !== 'integer' && ref.type !== 'decimal') add(`${at}.max.question`, `"${q.max.question}" is not a number question`);
    }
    if (q.type === 'date' && q.min && q.max && q.min > q.max) add(`${at}.min`, 'is after max');
    if (q.type === 'integer' && typeof q.max === 'number' && q.max < q.min) add(`${at}.max`, 'is below min');
  });

  if (flow.scoring.kind === 'points') {
    const scoring = flow.scoring;
    const maxByIndicator = new Map<string, number>();
    flow.questions.forEach((q, i) => {
      const at = `questions[${i}] (${q.id})`;
      const max = maxPointsOf(q);
      if (max === undefined) return;
      if (!q.indicator) {
        add(at, 'gives points but names no indicator (add "indicator:")');
        return;
      }
      maxByIndicator.set(q.indicator, (maxByIndicator.get(q.indicator) ?? 0) + max);
    });
    let total = 0;
    flow.indicators.forEach((ind, i) => {
      const at = `indicators[${i}] (${ind.id})`;
      if (ind.rule) add(`${at}.rule`, 'rules are for passFail flows; points flows score by option points');
      const max = maxByIndicator.get(ind.id);
      if (max === undefined) {
        add(at, 'no scored question feeds this indicator');
        return;
      }
      if (ind.maxPoints !== undefined && ind.maxPoints !== max) {
        add(`${at}.maxPoints`, `says ${ind.maxPoints} but its questions give at most ${max}`);
      }
      if (max < scoring.pass.minPerIndicator) {
        add(at, `can give at most ${max} points, below the minimum per indicator (${scoring.pass.minPerIndicator})`);
      }
      total += max;
    });
    if (total !== scoring.maxTotal) {
      add('scoring.maxTotal', `is ${scoring.maxTotal} but the indicators add up to ${total}`);
    }
    if (scoring.pass.minTotal > scoring.maxTotal) add('scoring.pass.minTotal', 'is above maxTotal');
  } else {
    flow.indicators.forEach((ind, i) => {
      const at = `indicators[${i}] (${ind.id})`;
      if (!ind.rule) {
        add(at, 'has no rule (passFail flows decide each indicator by a rule)');
        return;
      }
      // The levels this indicator is assessed at: a per-level threshold must cover each of them.
      const appliesAt = (ind.levels ?? levelIds).filter((lv) => levelIds.includes(lv));
      checkRule(ind.rule, `${at}.rule`, levelIds, appliesAt, byId, add);
    });
    flow.questions.forEach((q, i) => {
      if (maxPointsOf(q) !== undefined) add(`questions[${i}] (${q.id})`, 'gives points, but the flow is scored passFail');
    });
  }

  return problems;
}

function maxPointsOf(q: Question): number | undefined {
  if (q.type === 'single') {
    const pts = q.options.map((o) => o.points).filter((p): p is number => p !== undefined);
    return pts.length ? Math.max(...pts) : undefined;
  }
  if (q.type === 'yesno' && q.points) return Math.max(q.points.yes, q.points.no);
  return undefined;
}

function optionIdsOf(q: Question): string[] | undefined {
  if (q.type === 'single') return q.options.map((o) => o.id);
  if (q.type === 'yesno') return ['yes', 'no'];
  return undefined;
}

function checkCondition(
  cond: Condition,
  path: string,
  ownIndex: number,
  byId: (id: string) => Question | undefined,
  questionIndex: Map<string, number>,
  add: (path: string, message: string) => void,
): string[] {
  if ('all' in cond) return cond.all.flatMap((c, j) => checkCondition(c, `${path}.all[${j}]`, ownIndex, byId, questionIndex, add));
  if ('any' in cond) return cond.any.flatMap((c, j) => checkCondition(c, `${path}.any[${j}]`, ownIndex, byId, questionIndex, add));
  if ('not' in cond) return checkCondition(cond.not, `${path}.not`, ownIndex, byId, questionIndex, add);
  if ('context' in cond) return [];
  const q = byId(cond.question);
  if (!q) {
    add(`${path}.question`, `refers to unknown question "${cond.question}"`);
    return [];
  }
  if ((questionIndex.get(cond.question) ?? Infinity) >= ownIndex) {
    add(`${path}.question`, `refers to "${cond.question}", which is not asked before this question`);
  }
  const options = optionIdsOf(q);
  const values = 'equals' in cond ? [cond.equals] : 'in' in cond ? cond.in : 'notIn' in cond ? cond.notIn : [];
  if (options) {
    for (const v of values) {
      if (typeof v !== 'string' || !options.includes(v)) {
        add(path, `"${String(v)}" is not an option of "${q.id}" (options: ${options.join(', ')})`);
      }
    }
    if ('gte' in cond || 'lte' in cond) add(path, `"${q.id}" is a choice question; gte/lte need a number question`);
  } else if (('gte' in cond || 'lte' in cond) && q.type !== 'integer' && q.type !== 'decimal') {
    add(path, `"${q.id}" is not a number question`);
  }
  return [cond.question];
}

/** Conservative: only rejects conditions that demand two different values of one question at once. */
function isSatisfiable(cond: Condition, byId: (id: string) => Question | undefined): boolean {
  if ('all' in cond) {
    const required = new Map<string, string>();
    for (const c of cond.all) {
      if (!isSatisfiable(c, byId)) return false;
      if ('question' in c && 'equals' in c) {
        const prev = required.get(c.question);
        if (prev !== undefined && prev !== String(c.equals)) return false;
        required.set(c.question, String(c.equals));
      }
    }
    return true;
  }
  if ('any' in cond) return cond.any.some((c) => isSatisfiable(c, byId));
  if ('question' in cond) {
    const q = byId(cond.question);
    const options = q ? optionIdsOf(q) : undefined;
    if (options && 'equals' in cond) return options.includes(String(cond.equals));
    if (options && 'in' in cond) return cond.in.some((v) => options.includes(String(v)));
  }
  return true;
}

function checkRule(
  rule: Rule,
  path: string,
  levelIds: string[],
  appliesAt: string[],
  byId: (id: string) => Question | undefined,
  add: (path: string, message: string) => void,
): void {
  const needType = (qid: string, types: Question['type'][], where: string): Question | undefined => {
    const q = byId(qid);
    if (!q) add(where, `refers to unknown question "${qid}"`);
    else if (!types.includes(q.type)) add(where, `"${qid}" is a ${q.type} question; expected ${types.join(' or ')}`);
    return q;
  };
  const checkThreshold = (min: number | Record<string, unknown>, where: string) => {
    if (typeof min === 'number') return;
    for (const key of Object.keys(min)) if (!levelIds.includes(key)) add(where, `unknown level "${key}"`);
    // A missing level would silently pass there ("không áp dụng ở mức này"): demand it, or a `levels:` restriction.
    for (const lv of appliesAt) {
      if (!Object.hasOwn(min, lv)) {
        add(where, `gives no value for level "${lv}", where the indicator applies (add it, or restrict the indicator with "levels:")`);
      }
    }
  };
  if ('all' in rule) {
    rule.all.forEach((r, j) => checkRule(r, `${path}.all[${j}]`, levelIds, appliesAt, byId, add));
  } else if ('yes' in rule) {
    needType(rule.yes, ['yesno'], `${path}.yes`);
  } else if ('choice' in rule) {
    const q = needType(rule.choice, ['single', 'yesno'], `${path}.choice`);
    const options = q ? optionIdsOf(q) : undefined;
    const accepted = Array.isArray(rule.in) ? rule.in : Object.values(rule.in).flat();
    if (options) for (const o of accepted) if (!options.includes(o)) add(`${path}.in`, `"${o}" is not an option of "${rule.choice}"`);
    if (!Array.isArray(rule.in)) checkThreshold(rule.in, `${path}.in`);
  } else if ('ratio' in rule) {
    needType(rule.ratio.numerator, ['integer', 'decimal'], `${path}.ratio.numerator`);
    needType(rule.ratio.denominator, ['integer', 'decimal'], `${path}.ratio.denominator`);
    checkThreshold(rule.min, `${path}.min`);
  } else {
    needType(rule.value, ['integer', 'decimal'], `${path}.value`);
    checkThreshold(rule.min, `${path}.min`);
  }
}
