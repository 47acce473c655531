/**
 * Schema additions used by the TT24/TT25 flows: numeric level ids, per-level choice lists, and the
 * cross-check that a per-level threshold covers every level at which its indicator applies.
 */
import { describe, expect, it } from 'vitest';
import { scoreFlow } from '../../src/engine/score.ts';
import { parseFlowText } from '../../src/flow/load.ts';

/** A two-level pass/fail flow with one ratio indicator and one choice indicator. */
function flowText(opts: { ratioMin?: string; ratioLevels?: string; choiceIn?: string } = {}): string {
  return `
id: levels-test
version: "1"
title: Thử mức độ
audience: unit
intro: Thử.
sources: [{id: s, title: Nguồn, confidence: H}]
criteria: [{id: C1, title: Tiêu chí, cite: {source: s, clause: "Điều 1"}}]
indicators:
  - id: R
    criterion: C1
    title: Tỉ lệ
    cite: {source: s, clause: "Điều 1 khoản 1"}
    advice: Làm thêm.
${opts.ratioLevels ? `    levels: ${opts.ratioLevels}\n` : ''}    rule:
      ratio: {numerator: n, denominator: d}
      min: ${opts.ratioMin ?? '{"1": 0.9, "2": 0.95}'}
  - id: K
    criterion: C1
    title: Mức chuẩn
    cite: {source: s, clause: "Điều 1 khoản 2"}
    advice: Nâng mức.
    rule:
      choice: k
      in: ${opts.choiceIn ?? '{"1": [m2, m3], "2": [m3]}'}
questions:
  - {id: d, type: integer, min: 1, text: Tổng số?}
  - {id: n, type: integer, max: {question: d}, text: Số đạt?}
  - id: k
    type: single
    text: Mức nào?
    options: [{id: m1, label: Mức độ 1}, {id: m2, label: Mức độ 2}, {id: m3, label: Mức độ 3}]
scoring:
  kind: passFail
  levels: [{id: "1", title: Mức 1}, {id: "2", title: Mức 2}]
`;
}

const messages = (text: string) => parseFlowText(text, 'test.yaml').problems.map((p) => `${p.path}: ${p.message}`);

describe('per-level thresholds (cross-check)', () => {
  it('accepts level ids "1" and "2" with a threshold for each level', () => {
    expect(messages(flowText())).toEqual([]);
  });
  it('rejects a threshold map that leaves out a level where the indicator applies', () => {
    const problems = messages(flowText({ ratioMin: '{"1": 0.9}' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('indicators[0] (R).rule.min');
    expect(problems[0]).toContain('gives no value for level "2"');
  });
  it('accepts the same map when the indicator is restricted to that level', () => {
    expect(messages(flowText({ ratioMin: '{"1": 0.9}', ratioLevels: '["1"]' }))).toEqual([]);
  });
  it('still accepts a single number for every level, and still rejects an unknown level', () => {
    expect(messages(flowText({ ratioMin: '0.9' }))).toEqual([]);
    expect(messages(flowText({ ratioMin: '{"1": 0.9, "2": 0.95, "3": 0.99}' }))).toEqual(['indicators[0] (R).rule.min: unknown level "3"']);
  });
});

describe('per-level choice lists', () => {
  it('rejects a per-level list that leaves out a level, or names an option the question does not have', () => {
    expect(messages(flowText({ choiceIn: '{"1": [m2, m3]}' }))).toEqual([
      'indicators[1] (K).rule.in: gives no value for level "2", where the indicator applies (add it, or restrict the indicator with "levels:")',
    ]);
    expect(messages(flowText({ choiceIn: '{"1": [m2, m4], "2": [m3]}' }))).toEqual(['indicators[1] (K).rule.in: "m4" is not an option of "k"']);
  });
  it('scores each level against its own list, and says what the next level needs', () => {
    const { flow } = parseFlowText(flowText(), 'test.yaml');
    const at = (k: string) =>
      scoreFlow(flow!, { answers: { d: { raw: '10', value: 10 }, n: { raw: '10', value: 10 }, k: { raw: k, value: k } }, context: {} });
    expect(at('m1').level).toBeNull();
    expect(at('m2').level).toBe('1');
    expect(at('m3').level).toBe('2');
    expect(at('m2').indicators.find((i) => i.id === 'K')?.detail).toBe('chưa đạt yêu cầu (hiện tại: Mức độ 2; cần: Mức độ 3) cho mức 2');
  });
  it('keeps the old wording for a plain list', () => {
    const { flow } = parseFlowText(flowText({ choiceIn: '[m3]' }), 'test.yaml');
    const r = scoreFlow(flow!, { answers: { d: { raw: '1', value: 1 }, n: { raw: '1', value: 1 }, k: { raw: 'm2', value: 'm2' } }, context: {} });
    expect(r.indicators.find((i) => i.id === 'K')?.detail).toBe('chưa đạt yêu cầu (hiện tại: Mức độ 2) cho mức 1');
  });
});
