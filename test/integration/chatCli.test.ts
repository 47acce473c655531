import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.ts';
import { jsonl, runCli } from '../helpers/cli.ts';

const tempDb = () => join(mkdtempSync(join(tmpdir(), 'xhht-chat-')), 'chat.sqlite');

describe('xhht chat --json', () => {
  it('completes the Công dân học tập self-check and stores every answer', async () => {
    const db = tempDb();
    const run = await runCli(
      ['chat', '--json', '--user', 'an', '--db', db],
      jsonl(
        { text: 'xin chào' },
        { choice: 'agree' },
        { choice: 'can_bo' },
        { text: 'Phường Sài Gòn' },
        ...Array.from({ length: 10 }, () => ({ text: '1' })),
        { choice: 'submit' },
      ),
    );
    expect(run.code).toBe(0);
    const messages = run.lines.filter((l) => l.type === 'message');
    expect(messages[0]).toMatchObject({ choices: [{ id: 'agree', label: 'Đồng ý' }, { id: 'decline', label: 'Không đồng ý' }] });
    const result = run.lines.find((l) => l.type === 'result');
    expect(result).toMatchObject({ type: 'result', flow: 'cong-dan-hoc-tap', flowVersion: '2026.1', passed: true, score: 100 });
    expect((result?.criteria as unknown[]).length).toBe(3);
    expect(result?.criteria).toEqual([
      { id: 'TC1', met: true, score: 40 },
      { id: 'TC2', met: true, score: 40 },
      { id: 'TC3', met: true, score: 20 },
    ]);
    const explained = String(messages.at(-1)?.text);
    expect(explained).toContain('Tổng điểm: 100/100');
    const store = new Store(db);
    const person = store.findPerson('local', 'an')!;
    const [response] = store.responsesOf(person.id);
    expect(response?.status).toBe('submitted');
    expect(store.currentAnswers(response!.id)).toHaveLength(12);
    store.close();
  });

  it('resumes across two runs with the same --user, and edits an answer', async () => {
    const db = tempDb();
    const first = await runCli(['chat', '--json', '--user', 'binh', '--db', db], jsonl({ text: 'chào' }, { text: 'đồng ý' }, { text: '1' }, { text: 'Xã An Phú' }, { text: '2' }));
    expect(first.code).toBe(0);
    const lastOfFirst = first.lines.at(-1);
    expect(String(lastOfFirst?.text)).toContain('Câu 4/');

    const second = await runCli(
      ['chat', '--json', '--user', 'binh', '--db', db],
      jsonl({ text: 'bắt đầu' }, ...Array.from({ length: 9 }, () => ({ text: '2' })), { text: 'sửa 3' }, { text: '1' }, { text: 'gửi' }),
    );
    expect(String(second.lines[0]?.text)).toContain('đang làm dở');
    expect(String(second.lines[0]?.text)).toContain('Câu 4/');
    const result = second.lines.find((l) => l.type === 'result');
    // q1 edited from 8 to 10 points; the other nine questions at 8.
    expect(result).toMatchObject({ passed: true, score: 82 });
  });

  it('answers a malformed JSON line with an error object and keeps going', async () => {
    const run = await runCli(['chat', '--json', '--user', 'c', '--db', tempDb()], 'not json\n{"foo":1}\n{"text":"chào"}\n');
    expect(run.lines[0]).toMatchObject({ type: 'error' });
    expect(run.lines[1]).toMatchObject({ type: 'error' });
    expect(run.lines[2]).toMatchObject({ type: 'message' });
  });

  it('the interactive mode greets and numbers the options', async () => {
    const run = await runCli(['chat', '--user', 'd', '--db', tempDb()], 'đồng ý\n');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Anh/Chị có đồng ý không?');
    expect(run.stdout).toContain('   1. Đồng ý');
    expect(run.stdout).toContain('Câu 1/');
  });
});
