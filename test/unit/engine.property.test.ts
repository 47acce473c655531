import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { step } from '../../src/engine/step.ts';
import { type ConversationState, INITIAL_STATE, type Input } from '../../src/engine/types.ts';
import { loadFlow } from '../helpers/flows.ts';

const flows = [loadFlow('test/fixtures/flows-valid/all-types.yaml'), loadFlow('flows/cong-dan-hoc-tap.yaml')];

const words = fc.constantFrom(
  'đồng ý', 'không đồng ý', 'có', 'không', 'k', 'c', '1', '2', '3', '4', '5', '0', '-1', '99999', '12,5', '85%', '25/11/2026',
  '31/02/2026', 'quay lại', '/back', 'sửa 1', 'sửa 99', 'sửa', 'làm lại', 'hủy', '/start', 'bắt đầu', 'trợ giúp', 'xóa dữ liệu',
  'xem lại', 'xem kết quả', 'gửi', '/foo', '', '   ', 'Rất tốt', 'rat tot', 'Phường 1', '/start cong-dan-hoc-tap', '/start all-types',
);
const input: fc.Arbitrary<Input> = fc.oneof(
  words.map((text) => ({ kind: 'text', text }) as Input),
  fc.string({ unit: 'grapheme', maxLength: 300 }).map((text) => ({ kind: 'text', text }) as Input),
  fc.string({ unit: 'binary', maxLength: 50 }).map((text) => ({ kind: 'text', text }) as Input),
  fc
    .tuple(fc.constantFrom('agree', 'decline', 'submit', 'edit', 'yes', 'no', 'a', 'b', 'daily', 'nong_dan', 'all-types', 'x'), fc.option(fc.constantFrom('consent', 'confirm', 'pick', 'yn', 'group', 'q1', 'menu', 'delete', 'restart'), { nil: undefined }))
    .map(([choiceId, scope]) => (scope === undefined ? { kind: 'choice', choiceId } : { kind: 'choice', choiceId, scope }) as Input),
  fc.constantFrom<Input>({ kind: 'unsupported', what: 'sticker' }, { kind: 'unsupported', what: 'photo' }),
);

describe('engine properties', () => {
  it('never throws, and every turn ends in a prompt, a message or a result', () => {
    fc.assert(
      fc.property(fc.array(input, { minLength: 1, maxLength: 60 }), fc.boolean(), (inputs, both) => {
        let state: ConversationState = INITIAL_STATE;
        const available = both ? flows : [flows[1]!];
        for (const i of inputs) {
          const r = step({ flows: available, state, input: i, now: new Date('2026-11-22T00:00:00Z') });
          expect(r.outputs.length).toBeGreaterThan(0);
          for (const o of r.outputs) {
            if (o.kind === 'message') expect(o.text.trim().length).toBeGreaterThan(0);
          }
          // The state always survives a JSON round trip (it is stored as JSON).
          state = JSON.parse(JSON.stringify(r.state)) as ConversationState;
          if (state.flow?.current) {
            const flow = available.find((f) => f.id === state.flow?.flowId);
            expect(flow?.questions.some((q) => q.id === state.flow?.current)).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the same state and input always give the same result (purity)', () => {
    fc.assert(
      fc.property(fc.array(input, { maxLength: 30 }), input, (prefix, last) => {
        let state: ConversationState = INITIAL_STATE;
        const now = new Date('2026-11-22T00:00:00Z');
        for (const i of prefix) state = step({ flows, state, input: i, now }).state;
        const a = step({ flows, state, input: last, now });
        const b = step({ flows, state, input: last, now });
        expect(a).toEqual(b);
      }),
      { numRuns: 200 },
    );
  });
});
