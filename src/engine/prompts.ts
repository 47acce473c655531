import type { Flow, Question } from '../flow/schema.ts';
import * as msg from './messages.ts';
import { answerHint, choicesOf, displayAnswer } from './parseAnswer.ts';
import { expectedCount, type Facts, isVisible, questionText, visibleQuestions } from './path.ts';
import type { FlowSession, Output } from './types.ts';
import { formatNumberVi } from './vietnamese.ts';

export function factsOf(session: FlowSession): Facts {
  return { answers: session.answers, context: session.context };
}

export function boundResolver(session: FlowSession) {
  return (qid: string): number | undefined => {
    const v = session.answers[qid]?.value;
    return typeof v === 'number' ? v : undefined;
  };
}

/** "Câu 3/12. …" with the hint of what is accepted, and the current answer when re-asked. */
export function questionPrompt(flow: Flow, session: FlowSession, q: Question, prefix?: string): Output {
  const facts = factsOf(session);
  const visible = visibleQuestions(flow, facts);
  const index = visible.findIndex((v) => v.id === q.id);
  const lines: string[] = [];
  if (prefix) lines.push(prefix, '');
  lines.push(`Câu ${index + 1}/${Math.max(expectedCount(flow, facts), index + 1)}. ${questionText(q, facts)}`);
  if (q.help) lines.push(q.help.trim());
  const hint = answerHint(q, boundResolver(session));
  if (hint) lines.push(hint);
  const previous = session.answers[q.id];
  if (previous) lines.push(`(Câu trả lời hiện tại: ${displayAnswer(q, previous)}. Gửi câu trả lời mới để thay.)`);
  const choices = choicesOf(q);
  return choices ? { kind: 'message', text: lines.join('\n'), choices: [...choices], scope: q.id } : { kind: 'message', text: lines.join('\n'), scope: q.id };
}

export function summaryPrompt(flow: Flow, session: FlowSession, prefix?: string): Output {
  const facts = factsOf(session);
  const lines: string[] = [];
  if (prefix) lines.push(prefix, '');
  lines.push(msg.summaryHeader(flow));
  // One plain loop over what was prepared per question: the summary is built once per self-check,
  // so it always runs as cold code, where every closure, lookup and search costs several times more.
  let n = 0;
  const prepared = summaryLinesOf(flow);
  for (let i = 0; i < prepared.length; i++) {
    const line = prepared[i]!;
    const q = line.question;
    if (!isVisible(q, facts)) continue;
    const a = session.answers[q.id];
    // Most answers are a choice read back by its label, at the question's place in the flow: that
    // whole line was written once per flow, numbered by its place (i + 1). Otherwise (what the person
    // sent starts with the label, or a hidden question before it moved the numbering: n < i) the line
    // is written here.
    const ready = a === undefined ? undefined : line.byChoice?.get(a.value);
    if (ready !== undefined && n === i && !a!.raw.startsWith(ready.choice)) {
      n++;
      lines.push(ready.numbered);
      continue;
    }
    const label = line.label ?? shorten(questionText(q, facts), 70);
    lines.push(`${++n}. ${label}: ${a === undefined ? '(chưa trả lời)' : displayAnswer(q, a)}`);
  }
  lines.push('', msg.summaryFooter);
  return { kind: 'message', text: lines.join('\n'), choices: msg.summaryChoices, scope: 'confirm' };
}

export function consentPrompt(prefix?: string): Output {
  const text = msg.consentText(msg.CONSENT_PURPOSE);
  return { kind: 'message', text: prefix ? `${prefix}\n\n${text}` : text, choices: msg.consentChoices, scope: 'consent' };
}

export function menuPrompt(flows: Flow[], prefix?: string): Output {
  const lines = prefix ? [prefix, ''] : [];
  lines.push(msg.chooseFlowText);
  return { kind: 'message', text: lines.join('\n'), choices: flows.map((f) => ({ id: f.id, label: f.title })), scope: 'menu' };
}

export function confirmPrompt(kind: 'delete' | 'restart'): Output {
  return {
    kind: 'message',
    text: kind === 'delete' ? msg.deleteConfirmText : msg.restartConfirmText,
    choices: msg.yesNoChoices,
    scope: kind,
  };
}

export function introText(flow: Flow): string {
  const count = flow.questions.length;
  const provisional = flow.provisional
    ? '\n(Bản tự đánh giá để tham khảo; việc công nhận chính thức do Hội Khuyến học cơ sở thực hiện.)'
    : '';
  return `${flow.title}\n${flow.intro.trim()}${provisional}\nGồm khoảng ${formatNumberVi(count)} câu hỏi. Anh/Chị có thể dừng bất cứ lúc nào và quay lại sau; các câu đã trả lời được lưu lại.`;
}

interface SummaryLine {
  question: Question;
  /** The line's label, unless the question's wording varies with earlier answers. */
  label: string | undefined;
  /**
   * With a fixed label and choices: each choice's line numbered by the question's place in the flow
   * ("n. label: choice"), as displayAnswer writes it when what the person sent does not start with
   * the choice's label (it then shows what they sent).
   */
  byChoice: Map<string | number, { choice: string; numbered: string }> | undefined;
}

const summaryLines = new WeakMap<Flow, SummaryLine[]>();

function summaryLinesOf(flow: Flow): SummaryLine[] {
  let lines = summaryLines.get(flow);
  if (!lines) {
    lines = flow.questions.map((q, i) => {
      const label = q.short ?? (q.variants?.length ? undefined : shorten(q.text, 70));
      const choices = label === undefined ? undefined : choicesOf(q);
      const byChoice =
        choices && new Map(choices.map((c) => [c.id, { choice: c.label, numbered: flat(`${i + 1}. ${label}: ${c.label}`) }] as const));
      return { question: q, label, byChoice };
    });
    summaryLines.set(flow, lines);
  }
  return lines;
}

/**
 * The same text as one flat string. V8 keeps a concatenation as a rope (a tree of its parts) until
 * it is read, and every read walks the tree: the summary's kept lines are made flat once, here.
 * Timed in place, the summary's join took 15–18 µs over ropes and 5–8 µs over flat lines.
 */
function flat(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

function shorten(s: string, max: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, max - 1).trimEnd()}…`;
}
