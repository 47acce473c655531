import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFlowsFromDir, parseFlowText } from '../../src/flow/load.ts';
import { ROOT } from '../helpers/flows.ts';

const validText = readFileSync(join(ROOT, 'test/fixtures/flows-valid/all-types.yaml'), 'utf8');

function problemsOf(text: string) {
  return parseFlowText(text, 'broken.yaml').problems.map((p) => `${p.path}: ${p.message}`);
}

describe('flow validation', () => {
  it('the shipped flows and the fixture are valid', () => {
    expect(loadFlowsFromDir(join(ROOT, 'flows')).problems).toEqual([]);
    expect(problemsOf(validText)).toEqual([]);
  });

  it('reports YAML syntax errors with a line number', () => {
    const p = problemsOf(`${validText}\n  - id: [unclosed\n`);
    expect(p.join('\n')).toMatch(/line \d+/);
  });

  it('reports a misspelled key with the question id in the path', () => {
    const p = problemsOf(validText.replace('maxLength: 20', 'maxLenght: 20'));
    expect(p.join('\n')).toContain('questions[2] (why)');
    expect(p.join('\n')).toContain('maxLenght');
  });

  it('reports duplicate question ids', () => {
    expect(problemsOf(validText.replace('- id: why', '- id: yn')).join('\n')).toContain('duplicate question id "yn"');
  });

  it('reports a condition on an unknown question or option', () => {
    expect(problemsOf(validText.replace('when: { question: yn, equals: "no" }', 'when: { question: nope, equals: "no" }')).join('\n')).toContain(
      'unknown question "nope"',
    );
    const bad = problemsOf(validText.replace('when: { question: yn, equals: "no" }', 'when: { question: yn, equals: "maybe" }')).join('\n');
    expect(bad).toContain('"maybe" is not an option of "yn"');
    expect(bad).toContain('unreachable');
  });

  it('reports a condition that looks forward', () => {
    const text = validText.replace('    text: Vì sao?', '    text: Vì sao?\n    variants: [{ when: { question: day, equals: "x" }, text: "Khác" }]');
    expect(problemsOf(text).join('\n')).toContain('not asked before this question');
  });

  it('reports a scored question without an indicator', () => {
    const text = validText.replace('    indicator: I2\n', '');
    const p = problemsOf(text).join('\n');
    expect(p).toContain('gives points but names no indicator');
    expect(p).toContain('no scored question feeds this indicator');
  });

  it('reports an indicator citing an unknown source, and a criterion without indicators', () => {
    const text = validText
      .replace('cite: { source: src, clause: "Điều 2.1" }', 'cite: { source: tt99, clause: "Điều 2.1" }')
      .replace('  - { id: C2, title: Tiêu chí hai', '  - { id: C3, title: Tiêu chí ba, cite: { source: src, clause: "Điều 3" } }\n  - { id: C2, title: Tiêu chí hai');
    const p = problemsOf(text).join('\n');
    expect(p).toContain('cites unknown source "tt99"');
    expect(p).toContain('criteria[1] (C3): has no indicator');
  });

  it('reports a citation without a clause', () => {
    expect(problemsOf(validText.replace('clause: "Điều 1" }', 'clause: "" }')).join('\n')).toContain('criteria[0] (C1).cite.clause');
  });

  it('reports totals that do not add up', () => {
    expect(problemsOf(validText.replace('maxTotal: 100', 'maxTotal: 90')).join('\n')).toContain('indicators add up to 100');
  });

  it('reports a bound referring to a later or non-number question', () => {
    expect(problemsOf(validText.replace('max: { question: members }', 'max: { question: why }')).join('\n')).toContain('not a number question');
  });

  it('reports duplicate flow ids across files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flows-'));
    writeFileSync(join(dir, 'a.yaml'), validText);
    writeFileSync(join(dir, 'b.yaml'), validText);
    expect(loadFlowsFromDir(dir).problems.map((p) => p.message)).toEqual(['flow id "all-types" is already used by a.yaml']);
  });
});

describe('xhht check', () => {
  const bin = join(ROOT, 'bin/xhht.js');

  it('exits 0 on the shipped flows', () => {
    const out = execFileSync(process.execPath, [bin, 'check'], { cwd: ROOT, encoding: 'utf8' });
    expect(out).toContain('cong-dan-hoc-tap@');
  });

  it('exits non-zero with a readable list of problems (file, path, what)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flows-'));
    writeFileSync(join(dir, 'typo.yaml'), validText.replace('type: yesno', 'type: yes-no'));
    const r = spawnSync(process.execPath, [bin, 'check', dir], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'typo.yaml')}: questions[1] (yn)`);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  it('reads FLOWS_DIR when no directory is given', () => {
    const r = spawnSync(process.execPath, [bin, 'check'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, FLOWS_DIR: '/nonexistent-dir' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('/nonexistent-dir: directory not found');
  });
});
