import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseFlowText } from '../../../src/flow/load.ts';
import type { Flow } from '../../../src/flow/schema.ts';
import { ROOT } from '../../helpers/flows.ts';
import type { PeerFlow, PeerQuestion } from '../peer/checkupBot.ts';

export const CITIZEN_FLOW_FILE = join(ROOT, 'flows/cong-dan-hoc-tap.yaml');

export function loadCitizenFlow(): Flow {
  return mustParse(readFileSync(CITIZEN_FLOW_FILE, 'utf8'), CITIZEN_FLOW_FILE);
}

/**
 * The Công dân học tập flow stretched to 40 questions: the 10 scored questions as they are, then 30
 * more four-option questions without points. Same id and audience, so the service starts it after
 * consent exactly like the real one. Written to a fresh directory (FLOWS_DIR for the bot).
 */
export function writeFortyQuestionFlow(): { dir: string; flow: Flow } {
  const doc = parse(readFileSync(CITIZEN_FLOW_FILE, 'utf8')) as Record<string, unknown>;
  const scored = (doc.questions as Array<Record<string, unknown>>)
    .filter((q) => /^q\d+$/.test(String(q.id)))
    .map(({ variants: _v, ...q }) => q);
  const extra = Array.from({ length: 40 - scored.length }, (_, i) => ({
    id: `x${scored.length + i + 1}`,
    type: 'single',
    short: `Câu bổ sung ${scored.length + i + 1}`,
    text: `Câu hỏi bổ sung số ${scored.length + i + 1}: Anh/Chị tham gia hoạt động học tập này ở mức nào?`,
    options: [
      { id: 'a', label: 'Thường xuyên' },
      { id: 'b', label: 'Thỉnh thoảng' },
      { id: 'c', label: 'Hiếm khi' },
      { id: 'd', label: 'Chưa tham gia' },
    ],
  }));
  doc.version = 'bench-40';
  doc.questions = [...scored, ...extra];
  const dir = mkdtempSync(join(tmpdir(), 'xhht-bench-flow40-'));
  const file = join(dir, 'cong-dan-hoc-tap-40.yaml');
  const text = stringify(doc);
  writeFileSync(file, text);
  return { dir, flow: mustParse(text, file) };
}

/** The same questions for the peer (texts, options, points, the simple `in` conditions). */
export function peerFlowOf(flow: Flow): PeerFlow {
  if (flow.scoring.kind !== 'points') throw new Error('the peer only scores points flows');
  const questions: PeerQuestion[] = flow.questions.map((q) => {
    const when = q.when && 'question' in q.when && 'in' in q.when ? { question: q.when.question, in: q.when.in.map(String) } : undefined;
    return {
      id: q.id,
      text: q.text,
      ...(q.type === 'single' ? { options: q.options.map((o) => ({ id: o.id, label: o.label, ...(o.points !== undefined ? { points: o.points } : {}) })) } : {}),
      ...(q.indicator ? { indicator: q.indicator } : {}),
      ...(when ? { when } : {}),
      ...(q.type === 'text' ? { maxLength: q.maxLength } : {}),
    };
  });
  return { title: flow.title, intro: flow.intro, questions, pass: { minTotal: flow.scoring.pass.minTotal, minPerIndicator: flow.scoring.pass.minPerIndicator } };
}

function mustParse(text: string, file: string): Flow {
  const { flow, problems } = parseFlowText(text, file);
  if (!flow) throw new Error(`${file} is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return flow;
}
