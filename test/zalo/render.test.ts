import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHOICE_HINT, renderOutput, splitText, ZALO_MAX_TEXT } from '../../src/channels/zalo/render.ts';
import { matchChoice } from '../../src/engine/parseAnswer.ts';
import type { FlowResult } from '../../src/engine/types.ts';

describe('renderOutput', () => {
  it('appends choices as numbered lines with a hint, since Zalo bots have no buttons', () => {
    const parts = renderOutput({
      kind: 'message',
      text: 'Câu 1/3. Anh/Chị có tham gia lớp học không?',
      choices: [
        { id: 'yes', label: 'Có' },
        { id: 'no', label: 'Không' },
      ],
      scope: 'q1',
    });
    expect(parts).toEqual([`Câu 1/3. Anh/Chị có tham gia lớp học không?\n\n1. Có\n2. Không\n${CHOICE_HINT}`]);
    expect(CHOICE_HINT).toContain('Trả lời bằng số thứ tự hoặc nội dung');
  });

  it('renders plain messages unchanged and a result output as nothing', () => {
    expect(renderOutput({ kind: 'message', text: 'Xin chào' })).toEqual(['Xin chào']);
    const result: FlowResult = { flow: 'f', flowVersion: '1', passed: true, score: 1, maxScore: 1, level: null, criteria: [], indicators: [] };
    expect(renderOutput({ kind: 'result', result })).toEqual([]);
  });

  it('numbers choices so that the engine parser reads back the same option', () => {
    const choices = [
      { id: 'low', label: 'Dưới 2 giờ' },
      { id: 'mid', label: 'Từ 2 đến 5 giờ' },
      { id: 'high', label: 'Trên 5 giờ' },
    ];
    const [text] = renderOutput({ kind: 'message', text: 'Hỏi?', choices });
    for (const line of text!.split('\n').filter((l) => /^\d+\. /.test(l))) {
      const [num, label] = line.split('. ', 2) as [string, string];
      expect(matchChoice(num, choices)?.label).toBe(label);
    }
  });

  it('keeps each part within 2000 characters even with many long choices', () => {
    const choices = Array.from({ length: 20 }, (_, i) => ({ id: `o${i}`, label: `Phương án ${i} `.repeat(12).trim() }));
    const parts = renderOutput({ kind: 'message', text: 'Câu hỏi '.repeat(100), choices });
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(ZALO_MAX_TEXT);
    expect(parts.at(-1)).toContain(CHOICE_HINT);
  });
});

describe('splitText', () => {
  it('leaves short texts whole', () => {
    expect(splitText('một\nhai')).toEqual(['một\nhai']);
  });

  it('splits at line boundaries first', () => {
    const line = 'x'.repeat(900);
    expect(splitText([line, line, line].join('\n'))).toEqual([`${line}\n${line}`, line]);
  });

  it('splits a line longer than a message at spaces, never inside a word', () => {
    const words = Array.from({ length: 800 }, (_, i) => `từ${i}`);
    const parts = splitText(words.join(' '));
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.join(' ').split(' ')).toEqual(words);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(2000);
  });

  it('cuts a single word longer than a message, but not inside a surrogate pair', () => {
    const word = `a${'😀'.repeat(1500)}`; // 3001 UTF-16 units
    const parts = splitText(word, 2000);
    expect(parts.join('')).toBe(word);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(2000);
      expect(p).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    }
  });

  it('never yields an empty or oversized part and loses no word (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('\n', ' ', '\n\n', 'đ'.repeat(45), 'ừ ')), { maxLength: 300 }),
        fc.integer({ min: 8, max: 120 }),
        (pieces, max) => {
          const text = pieces.join('');
          const parts = splitText(text, max);
          for (const p of parts) {
            expect(p.length).toBeGreaterThan(0);
            expect(p.length).toBeLessThanOrEqual(max);
            expect(p.trim()).not.toBe('');
          }
          // Only whitespace may be lost at the cuts (and words longer than `max` are cut).
          const squash = (s: string) => s.replace(/\s+/g, '');
          expect(squash(parts.join(''))).toBe(squash(text));
        },
      ),
      { numRuns: 300 },
    );
  });
});
