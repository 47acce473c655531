import type { Condition, Flow, Question } from '../flow/schema.ts';
import type { AnswerValue } from './types.ts';

export interface Facts {
  answers: Record<string, AnswerValue>;
  context: Record<string, string>;
}

export function evaluate(cond: Condition, facts: Facts): boolean {
  if ('all' in cond) return cond.all.every((c) => evaluate(c, facts));
  if ('any' in cond) return cond.any.some((c) => evaluate(c, facts));
  if ('not' in cond) return !evaluate(cond.not, facts);
  if ('context' in cond) {
    const v = facts.context[cond.context];
    if (v === undefined) return false;
    return 'equals' in cond ? v === cond.equals : cond.in.includes(v);
  }
  const answer = facts.answers[cond.question];
  if ('answered' in cond) return (answer !== undefined) === cond.answered;
  if (answer === undefined) return false;
  const v = answer.value;
  if ('equals' in cond) return String(v) === String(cond.equals);
  if ('in' in cond) return cond.in.some((x) => String(x) === String(v));
  if ('notIn' in cond) return !cond.notIn.some((x) => String(x) === String(v));
  if (typeof v !== 'number') return false;
  if ('gte' in cond) return v >= cond.gte;
  return v <= cond.lte;
}

/** Whether this person is asked `q`: it has no condition, or its condition holds for what they answered. */
export function isVisible(q: Question, facts: Facts): boolean {
  return !q.when || evaluate(q.when, facts);
}

/**
 * The questions this person is asked, in order, given what they answered so far. Questions whose
 * condition depends on an unanswered question are left out until that question is answered.
 */
export function visibleQuestions(flow: Flow, facts: Facts): Question[] {
  return flow.questions.filter((q) => isVisible(q, facts));
}

/** How many questions this person will probably be asked: the visible ones plus those still undecided. */
export function expectedCount(flow: Flow, facts: Facts): number {
  return flow.questions.filter((q) => isVisible(q, facts) || (q.when !== undefined && dependsOnUnanswered(q.when, facts))).length;
}

function dependsOnUnanswered(cond: Condition, facts: Facts): boolean {
  if ('all' in cond) return cond.all.some((c) => dependsOnUnanswered(c, facts));
  if ('any' in cond) return cond.any.some((c) => dependsOnUnanswered(c, facts));
  if ('not' in cond) return dependsOnUnanswered(cond.not, facts);
  if ('context' in cond) return false;
  return facts.answers[cond.question] === undefined;
}

/** The first visible question without an answer, or null when everything visible is answered. */
export function firstUnanswered(flow: Flow, facts: Facts): Question | null {
  // Answered questions are skipped before their condition is evaluated: the walk costs one lookup
  // per answered question, however late in the flow.
  for (const q of flow.questions) {
    if (facts.answers[q.id] === undefined && isVisible(q, facts)) return q;
  }
  return null;
}

/**
 * Answers to questions no longer visible (after an edit changed a branch) are dropped, as are answers
 * to questions the flow does not have. Returns `facts.answers` itself when nothing is dropped.
 */
export function pruneAnswers(flow: Flow, facts: Facts): Record<string, AnswerValue> {
  const { ids, conditional } = shapeOf(flow);
  let answers = facts.answers;
  for (const id in answers) {
    if (!ids.has(id)) answers = without(answers, id, facts.answers);
  }
  // Only a question with a condition can become invisible; dropping its answer can hide further
  // questions, so repeat until stable.
  for (let changed = true; changed; ) {
    changed = false;
    for (const q of conditional) {
      if (answers[q.id] !== undefined && !evaluate(q.when!, { answers, context: facts.context })) {
        answers = without(answers, q.id, facts.answers);
        changed = true;
      }
    }
  }
  return answers;
}

/** `answers` without `id`; copies once, so the caller's object is never modified. */
function without(answers: Record<string, AnswerValue>, id: string, original: Record<string, AnswerValue>): Record<string, AnswerValue> {
  const copy = answers === original ? { ...answers } : answers;
  delete copy[id];
  return copy;
}

const shapes = new WeakMap<Flow, { ids: Set<string>; conditional: Question[] }>();

function shapeOf(flow: Flow): { ids: Set<string>; conditional: Question[] } {
  let shape = shapes.get(flow);
  if (!shape) {
    shape = { ids: new Set(flow.questions.map((q) => q.id)), conditional: flow.questions.filter((q) => q.when !== undefined) };
    shapes.set(flow, shape);
  }
  return shape;
}

export function questionText(q: Question, facts: Facts): string {
  return q.variants?.find((v) => evaluate(v.when, facts))?.text ?? q.text;
}
