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

/**
 * The questions this person is asked, in order, given what they answered so far. Questions whose
 * condition depends on an unanswered question are left out until that question is answered.
 */
export function visibleQuestions(flow: Flow, facts: Facts): Question[] {
  return flow.questions.filter((q) => !q.when || evaluate(q.when, facts));
}

/** How many questions this person will probably be asked: the visible ones plus those still undecided. */
export function expectedCount(flow: Flow, facts: Facts): number {
  return flow.questions.filter((q) => !q.when || evaluate(q.when, facts) || dependsOnUnanswered(q.when, facts)).length;
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
  return visibleQuestions(flow, facts).find((q) => facts.answers[q.id] === undefined) ?? null;
}

/** Answers to questions no longer visible (after an edit changed a branch) are dropped. */
export function pruneAnswers(flow: Flow, facts: Facts): Record<string, AnswerValue> {
  // Pruning one answer can hide further questions, so repeat until stable.
  let answers = facts.answers;
  for (;;) {
    const visible = new Set(visibleQuestions(flow, { answers, context: facts.context }).map((q) => q.id));
    const kept = Object.fromEntries(Object.entries(answers).filter(([id]) => visible.has(id)));
    if (Object.keys(kept).length === Object.keys(answers).length) return kept;
    answers = kept;
  }
}

export function questionText(q: Question, facts: Facts): string {
  return q.variants?.find((v) => evaluate(v.when, facts))?.text ?? q.text;
}
