import type { Question } from '../flow/schema.ts';
import type { AnswerValue, Choice } from './types.ts';
import { fold, formatDateVi, formatNumberVi, parseDate, parseNumber, tidy } from './vietnamese.ts';

export type ParsedAnswer = { ok: true; answer: AnswerValue } | { ok: false; problem: string };

const YES_WORDS = ['co', 'c', 'yes', 'y', 'dung', 'u', 'uh', 'um', 'da co', 'roi', 'da', 'ok', 'co a', 'vang'];
const NO_WORDS = ['khong', 'k', 'ko', 'kg', 'kh', 'no', 'n', 'chua', 'sai', 'khong co', 'chua co'];

const YES_NO: readonly Choice[] = Object.freeze([Object.freeze({ id: 'yes', label: 'Có' }), Object.freeze({ id: 'no', label: 'Không' })]);
/** A question's choices, and their labels by id (what an answer shows). */
interface ChoiceSet {
  choices: readonly Choice[];
  labels: ReadonlyMap<unknown, string>;
}
const YES_NO_SET: ChoiceSet = { choices: YES_NO, labels: new Map(YES_NO.map((c) => [c.id, c.label])) };
const optionChoices = new WeakMap<Question, ChoiceSet>();

/** A question's choices, built once per question (the summary asks for every question's). */
export function choicesOf(q: Question): readonly Choice[] | undefined {
  return choiceSetOf(q)?.choices;
}

function choiceSetOf(q: Question): ChoiceSet | undefined {
  if (q.type === 'yesno') return YES_NO_SET;
  if (q.type !== 'single') return undefined;
  let set = optionChoices.get(q);
  if (!set) {
    const choices = Object.freeze(q.options.map((o) => Object.freeze({ id: o.id, label: o.label })));
    set = { choices, labels: new Map(choices.map((c) => [c.id, c.label])) };
    optionChoices.set(q, set);
  }
  return set;
}

function aliasesOf(q: Question, optionId: string): string[] {
  if (q.type === 'yesno') return optionId === 'yes' ? YES_WORDS : NO_WORDS;
  if (q.type === 'single') return (q.options.find((o) => o.id === optionId)?.aliases ?? []).map(fold);
  return [];
}

/**
 * Matches typed text against a list of choices: by number ("2", "2."), by label with or without
 * diacritics, by alias, or by a unique beginning of a label (at least two letters).
 */
export function matchChoice(text: string, choices: readonly Choice[], aliases: (id: string) => string[] = () => []): Choice | undefined {
  const f = fold(text);
  if (f === '') return undefined;
  const num = /^(?:so |cau |phuong an )?(\d{1,2})$/.exec(f);
  if (num) return choices[Number(num[1]) - 1];
  const exact = choices.find((c) => fold(c.label) === f || aliases(c.id).includes(f));
  if (exact) return exact;
  const byId = choices.find((c) => fold(c.id) === f);
  if (byId) return byId;
  if (f.length >= 2) {
    const prefixed = choices.filter((c) => fold(c.label).startsWith(f));
    if (prefixed.length === 1) return prefixed[0];
  }
  return undefined;
}

/** Reads one typed or tapped answer. `bound` resolves a maximum that refers to an earlier answer. */
export interface Commune {
  code: string;
  name: string;
}

export function parseAnswer(
  q: Question,
  input: { text?: string; choiceId?: string },
  resolveBound: (questionId: string) => number | undefined,
  communes: Commune[] = [],
): ParsedAnswer {
  const raw = tidy(input.text ?? '');
  const choices = choicesOf(q);
  if (choices) {
    const chosen =
      input.choiceId !== undefined ? choices.find((c) => c.id === input.choiceId) : matchChoice(raw, choices, (id) => aliasesOf(q, id));
    if (!chosen) {
      // The options themselves follow in the re-asked question, as buttons or numbered lines.
      return { ok: false, problem: `Vui lòng chọn một trong ${choices.length} phương án dưới đây (gõ số thứ tự từ 1 đến ${choices.length} hoặc nội dung phương án).` };
    }
    return { ok: true, answer: { raw: input.choiceId !== undefined ? chosen.label : raw, value: chosen.id } };
  }
  if (input.choiceId !== undefined) return { ok: false, problem: 'Câu này cần nhập câu trả lời bằng chữ hoặc số.' };

  switch (q.type) {
    case 'integer':
    case 'decimal': {
      const n = parseNumber(raw);
      const kind = q.type === 'integer' ? 'một số nguyên (ví dụ: 12)' : q.percent ? 'một số phần trăm (ví dụ: 85 hoặc 85,5)' : 'một số (ví dụ: 12 hoặc 12,5)';
      if (!n.ok) return { ok: false, problem: `Vui lòng nhập ${kind}.` };
      if (n.percent && !(q.type === 'decimal' && q.percent)) {
        return { ok: false, problem: `Câu này hỏi số lượng, không phải tỉ lệ phần trăm. Vui lòng nhập ${kind}; bot sẽ tự tính tỉ lệ.` };
      }
      if (q.type === 'integer' && !Number.isInteger(n.value)) return { ok: false, problem: `Vui lòng nhập ${kind}, không có phần thập phân.` };
      const min = q.min;
      const max = typeof q.max === 'object' ? resolveBound(q.max.question) : q.type === 'decimal' && q.percent && q.max === undefined ? 100 : q.max;
      if (n.value < min) return { ok: false, problem: `Giá trị phải từ ${formatNumberVi(min)} trở lên.` };
      if (max !== undefined && n.value > max) {
        const why = typeof q.max === 'object' ? ` (không thể lớn hơn số đã trả lời ở câu trước: ${formatNumberVi(max)})` : '';
        return { ok: false, problem: `Giá trị không được lớn hơn ${formatNumberVi(max)}${why}.` };
      }
      return { ok: true, answer: { raw, value: n.value } };
    }
    case 'text': {
      if (raw.length < q.minLength) return { ok: false, problem: 'Vui lòng nhập câu trả lời bằng chữ.' };
      if (raw.length > q.maxLength) return { ok: false, problem: `Câu trả lời dài quá ${q.maxLength} ký tự. Vui lòng viết ngắn gọn hơn.` };
      return { ok: true, answer: { raw, value: raw } };
    }
    case 'commune':
      return matchCommune(raw, communes);
    case 'date': {
      const d = parseDate(raw);
      if (!d.ok) return { ok: false, problem: 'Vui lòng nhập ngày theo dạng ngày/tháng/năm, ví dụ: 25/11/2026.' };
      if (q.min && d.iso < q.min) return { ok: false, problem: `Ngày phải từ ${formatDateVi(q.min)} trở đi.` };
      if (q.max && d.iso > q.max) return { ok: false, problem: `Ngày không được sau ${formatDateVi(q.max)}.` };
      return { ok: true, answer: { raw, value: d.iso } };
    }
    default:
      return { ok: false, problem: 'Câu hỏi này chưa được hỗ trợ.' };
  }
}

const COMMUNE_PREFIX = /^(xa|phuong|dac khu|thi tran|p|x)\.? /;

/** A commune name folded, with and without its "Xã"/"Phường" prefix. */
interface FoldedCommune {
  commune: Commune;
  folded: string;
  bare: string;
}

/** The list of communes in force stays the same for a process: fold its names once, not per answer. */
const foldedLists = new WeakMap<readonly Commune[], FoldedCommune[]>();

function foldedCommunes(communes: readonly Commune[]): FoldedCommune[] {
  let list = foldedLists.get(communes);
  if (!list) {
    list = communes.map((commune) => {
      const folded = fold(commune.name);
      return { commune, folded, bare: folded.replace(COMMUNE_PREFIX, '') };
    });
    foldedLists.set(communes, list);
  }
  return list;
}

/** "Phường Trung Tâm", "phuong trung tam", "Trung Tâm", "P. Trung Tâm" → the commune's code. */
function matchCommune(raw: string, communes: Commune[]): ParsedAnswer {
  const f = fold(raw);
  if (f === '') return { ok: false, problem: 'Vui lòng gõ tên xã, phường hoặc đặc khu.' };
  // A number alone ("2") is most often an option number typed out of habit, not a place: as typed it
  // would tell the secretariat nothing.
  if (!/\p{L}/u.test(raw)) {
    const example = communes[0] ? `, ví dụ: ${communes[0].name}` : '';
    return { ok: false, problem: `Vui lòng gõ tên xã, phường hoặc đặc khu bằng chữ${example}.` };
  }
  if (communes.length === 0) return { ok: true, answer: { raw, value: raw } };
  const bareRaw = f.replace(COMMUNE_PREFIX, '');
  const named = foldedCommunes(communes);
  const exact = named.filter((c) => c.folded === f || c.bare === bareRaw);
  const found = (exact.length > 0 ? exact : bareRaw.length >= 3 ? named.filter((c) => c.bare.includes(bareRaw)) : []).map((c) => c.commune);
  if (found.length === 1) return { ok: true, answer: { raw, value: found[0]!.code } };
  if (found.length > 1) {
    const list = found.slice(0, 6).map((c) => c.name).join('; ');
    return { ok: false, problem: `Có nhiều xã, phường trùng tên gần giống: ${list}. Vui lòng gõ đầy đủ tên (ví dụ: ${found[0]!.name}).` };
  }
  // Not on the list (an old name from before the 2025 merger, a typo, another province): kept as typed,
  // without a code, rather than blocking the person.
  return { ok: true, answer: { raw, value: raw } };
}

/** How an answer reads back in a summary. */
export function displayAnswer(q: Question, answer: AnswerValue): string {
  // A map, not a search: the summary shows every answer, and runs as cold code.
  const labels = choiceSetOf(q)?.labels;
  if (labels) {
    const label = labels.get(answer.value) ?? answer.raw;
    return answer.raw.startsWith(label) ? answer.raw : label;
  }
  if (typeof answer.value === 'number') {
    const unit = q.type === 'decimal' && q.percent ? '%' : 'unit' in q && q.unit ? ` ${q.unit}` : '';
    return `${formatNumberVi(answer.value)}${unit}`;
  }
  if (q.type === 'date') return formatDateVi(String(answer.value));
  return answer.raw;
}

/** A short "what is accepted" hint shown under a question. */
export function answerHint(q: Question, resolveBound: (questionId: string) => number | undefined): string | undefined {
  switch (q.type) {
    case 'integer': {
      const max = typeof q.max === 'object' ? resolveBound(q.max.question) : q.max;
      return max !== undefined ? `(Nhập số nguyên từ ${formatNumberVi(q.min)} đến ${formatNumberVi(max)})` : '(Nhập một số nguyên)';
    }
    case 'decimal':
      return q.percent ? '(Nhập tỉ lệ %, ví dụ 85 hoặc 85,5)' : '(Nhập một số, dùng dấu phẩy cho phần thập phân)';
    case 'date':
      return '(Nhập ngày dạng ngày/tháng/năm, ví dụ 25/11/2026)';
    case 'text':
      return `(Trả lời ngắn, tối đa ${q.maxLength} ký tự)`;
    case 'commune':
      return '(Gõ tên xã, phường hoặc đặc khu, có dấu hoặc không dấu)';
    default:
      return undefined;
  }
}
