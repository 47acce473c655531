import { firstUnanswered, pruneAnswers } from '../../src/engine/path.ts';
import { scoreFlow } from '../../src/engine/score.ts';
import type { FlowResult, IndicatorOutcome } from '../../src/engine/types.ts';
import type { Flow } from '../../src/flow/schema.ts';
import { Driver } from '../helpers/driver.ts';

export type Answers = Record<string, string | number>;

/**
 * Scores a set of answers the way the engine would see them: answers to questions that the other
 * answers hide are dropped (as after an edit), and every question still visible must be answered,
 * so a test cannot pass on an answer set the bot would never produce.
 */
export function score(flow: Flow, given: Answers): FlowResult {
  const raw = Object.fromEntries(Object.entries(given).map(([id, v]) => [id, { raw: String(v), value: v }]));
  const answers = pruneAnswers(flow, { answers: raw, context: {} });
  const facts = { answers, context: {} };
  const missing = firstUnanswered(flow, facts);
  if (missing) throw new Error(`test answers leave "${missing.id}" unanswered`);
  return scoreFlow(flow, facts);
}

export function indicator(result: FlowResult, id: string): IndicatorOutcome {
  const found = result.indicators.find((i) => i.id === id);
  if (!found) throw new Error(`no indicator ${id} in the result`);
  return found;
}

/** Ids of the indicators assessed for this unit. */
export function applicableIds(result: FlowResult): string[] {
  return result.indicators.filter((i) => i.applicable).map((i) => i.id);
}

/**
 * Runs one whole conversation through the pure engine: consent, every question as the bot asks it,
 * the summary, then "Gửi". Numbers are typed; choices are tapped. Returns the result and the
 * question ids in the order they were asked.
 */
export function converse(flow: Flow, given: Answers): { result: FlowResult; asked: string[]; driver: Driver } {
  const d = new Driver([flow]);
  d.agree();
  const asked: string[] = [];
  for (let turn = 0; turn < 200; turn++) {
    const result = d.last.find((o) => o.kind === 'result');
    if (result?.kind === 'result') return { result: result.result, asked, driver: d };
    const scope = d.scope;
    if (scope === 'confirm') {
      d.tap('submit', 'confirm');
      continue;
    }
    if (!scope) throw new Error(`the bot stopped asking:\n${d.text}`);
    const answer = given[scope];
    if (answer === undefined) throw new Error(`the bot asked "${scope}", which the test does not answer:\n${d.text}`);
    asked.push(scope);
    if (typeof answer === 'number') d.send(String(answer));
    else d.tap(answer, scope);
  }
  throw new Error('the conversation did not end');
}
