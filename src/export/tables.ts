import type { CriterionOutcome, FlowResult, IndicatorOutcome } from '../engine/types.ts';
import type { Flow, Question } from '../flow/schema.ts';
import type { LongExportRow, WideExportRow } from '../store/exportStore.ts';
import { TIER_LABELS, type Tier, UNIT_TYPE_LABELS, type UnitType } from '../units/types.ts';
import { storedValue, vietnamTimestamp } from './format.ts';
import type { Cell } from './neutralise.ts';
import type { Pseudonymiser } from './pseudonymise.ts';

/**
 * The two tables of an export, with Vietnamese headers: one row per response ("wide", for the
 * secretariat) and one row per answer ("long", for analysts).
 */

export interface Table<Row> {
  headers: string[];
  widths: number[];
  cells(row: Row): Cell[];
}

interface Column<Row> {
  header: string;
  cell: (row: Row) => Cell;
}

/** Citizens name their commune in free text (no commune picker yet); the answer to this question. */
export const CITIZEN_COMMUNE_QUESTION = 'commune';

const STATUS_LABELS: Record<WideExportRow['status'], string> = {
  in_progress: 'Đang làm',
  submitted: 'Đã nộp',
  cancelled: 'Đã hủy',
};
const REPLACED_LABEL = 'Đã nộp (đã có bản nộp sau thay thế)';
const MET = 'Đạt';
const NOT_MET = 'Chưa đạt';
const NOT_APPLICABLE = 'Không áp dụng';

interface ParsedResponse {
  row: WideExportRow;
  answers: Map<string, { raw: string; value: string | number }>;
  result: FlowResult | null;
}

function parseResponse(row: WideExportRow): ParsedResponse {
  const answers = new Map<string, { raw: string; value: string | number }>();
  const stored = JSON.parse(row.answers ?? '{}') as Record<string, [string, string]>;
  for (const [qid, [raw, value]] of Object.entries(stored)) answers.set(qid, { raw, value: storedValue(value) });
  let result: FlowResult | null = null;
  if (row.result) {
    try {
      const parsed = JSON.parse(row.result) as Partial<FlowResult>;
      if (Array.isArray(parsed.criteria) && Array.isArray(parsed.indicators)) result = parsed as FlowResult;
    } catch {
      // an unreadable result leaves the outcome columns empty; the row itself is still exported
    }
  }
  return { row, answers, result };
}

/**
 * A free-text answer may hold anything a person typed; questions we no longer know count as free text,
 * and so does a commune typed by name (it may not have matched the list).
 */
function isFreeText(question: Question | undefined): boolean {
  return question === undefined || question.type === 'text' || question.type === 'commune';
}

/** What a person would read: the option's label for choices, the number for numbers, the text otherwise. */
function displayValue(question: Question | undefined, answer: { raw: string; value: string | number }): Cell {
  if (question?.type === 'single') return question.options.find((o) => o.id === answer.value)?.label ?? String(answer.value);
  if (question?.type === 'yesno') return answer.value === 'yes' ? 'Có' : answer.value === 'no' ? 'Không' : String(answer.value);
  if (typeof answer.value === 'number') return answer.value;
  if (question?.type === 'date') return answer.value;
  return answer.raw;
}

const metLabel = (o: { met: boolean; applicable?: boolean } | undefined): Cell =>
  o === undefined ? null : o.applicable === false ? NOT_APPLICABLE : o.met ? MET : NOT_MET;

export function buildWideTable(flows: Flow[], pseudonymiser: Pseudonymiser | undefined): Table<WideExportRow> {
  const flowById = new Map(flows.map((f) => [f.id, f]));
  const hideText = (text: string | null): Cell => (text === null ? null : pseudonymiser ? pseudonymiser.freeText(text) : text);

  const base: Column<ParsedResponse>[] = [
    { header: 'Mã phiếu', cell: (p) => p.row.id },
    { header: 'Kênh', cell: (p) => p.row.channel },
    {
      header: 'Người trả lời (mã trên kênh)',
      cell: (p) => (pseudonymiser ? pseudonymiser.person(p.row.channel, p.row.external_id) : p.row.external_id),
    },
    { header: 'Mã đơn vị', cell: (p) => p.row.unit_id },
    { header: 'Tên đơn vị', cell: (p) => p.row.unit_name },
    { header: 'Loại đơn vị', cell: (p) => (p.row.unit_type ? (UNIT_TYPE_LABELS[p.row.unit_type as UnitType] ?? p.row.unit_type) : null) },
    { header: 'Cấp quản lý', cell: (p) => (p.row.unit_tier ? (TIER_LABELS[p.row.unit_tier as Tier] ?? p.row.unit_tier) : null) },
    { header: 'Mã xã/phường', cell: (p) => p.row.commune_code },
    {
      header: 'Xã/phường',
      cell: (p) =>
        p.row.unit_id !== null ? p.row.commune_name : hideText(p.answers.get(CITIZEN_COMMUNE_QUESTION)?.raw ?? null),
    },
    { header: 'Mã biểu mẫu', cell: (p) => p.row.flow_id },
    { header: 'Biểu mẫu', cell: (p) => flowById.get(p.row.flow_id)?.title ?? null },
    { header: 'Phiên bản biểu mẫu', cell: (p) => p.row.flow_version },
    { header: 'Kỳ đánh giá', cell: (p) => p.row.period },
    { header: 'Trạng thái', cell: (p) => (p.row.replaced_at !== null ? REPLACED_LABEL : STATUS_LABELS[p.row.status] ?? p.row.status) },
    { header: 'Bắt đầu lúc (giờ Việt Nam)', cell: (p) => vietnamTimestamp(p.row.started_at) },
    { header: 'Nộp lúc (giờ Việt Nam)', cell: (p) => vietnamTimestamp(p.row.submitted_at) },
    { header: 'Bị thay thế lúc (giờ Việt Nam)', cell: (p) => vietnamTimestamp(p.row.replaced_at) },
    { header: 'Kết quả', cell: (p) => (p.row.passed === null ? null : p.row.passed === 1 ? MET : NOT_MET) },
    { header: 'Mức đạt', cell: (p) => levelTitle(flowById.get(p.row.flow_id), p.row.level) },
    { header: 'Điểm', cell: (p) => p.row.score },
  ];

  const perFlow = flows.flatMap((flow) => flowColumns(flow, flows.length > 1 ? `${flow.id} · ` : '', pseudonymiser));
  const columns = [...base, ...perFlow];
  return {
    headers: columns.map((c) => c.header),
    widths: columns.map((c) => widthFor(c.header)),
    cells: (row) => {
      const parsed = parseResponse(row);
      return columns.map((c) => c.cell(parsed));
    },
  };
}

/** One column per question, then per criterion and per indicator (with points columns for points flows). */
function flowColumns(flow: Flow, prefix: string, pseudonymiser: Pseudonymiser | undefined): Column<ParsedResponse>[] {
  const mine = (p: ParsedResponse) => p.row.flow_id === flow.id;
  const points = flow.scoring.kind === 'points';
  const questions: Column<ParsedResponse>[] = flow.questions.map((q) => ({
    header: `${prefix}${q.short ?? q.text} [${q.id}]`,
    cell: (p) => {
      const answer = mine(p) ? p.answers.get(q.id) : undefined;
      if (!answer) return null;
      return pseudonymiser && isFreeText(q) ? pseudonymiser.freeText(answer.raw) : displayValue(q, answer);
    },
  }));
  const outcomeColumns = <O extends CriterionOutcome | IndicatorOutcome>(
    items: Array<{ id: string; title: string }>,
    find: (r: FlowResult, id: string) => O | undefined,
  ): Column<ParsedResponse>[] =>
    items.flatMap((item) => {
      const outcome = (p: ParsedResponse) => (mine(p) && p.result ? find(p.result, item.id) : undefined);
      const header = `${prefix}${item.id} – ${item.title}`;
      const met: Column<ParsedResponse> = { header, cell: (p) => metLabel(outcome(p)) };
      return points ? [met, { header: `${header} (điểm)`, cell: (p) => outcome(p)?.score ?? null }] : [met];
    });
  return [
    ...questions,
    ...outcomeColumns(flow.criteria, (r, id) => r.criteria.find((c) => c.id === id)),
    ...outcomeColumns(flow.indicators, (r, id) => r.indicators.find((i) => i.id === id)),
  ];
}

function levelTitle(flow: Flow | undefined, level: string | null): Cell {
  if (level === null) return null;
  if (flow?.scoring.kind === 'passFail') return flow.scoring.levels.find((l) => l.id === level)?.title ?? level;
  return level;
}

export function buildLongTable(flows: Flow[], pseudonymiser: Pseudonymiser | undefined): Table<LongExportRow> {
  const questions = new Map(flows.flatMap((f) => f.questions.map((q) => [`${f.id}\u0000${q.id}`, q] as const)));
  const headers = [
    'Mã phiếu',
    'Mã biểu mẫu',
    'Phiên bản biểu mẫu',
    'Mã câu hỏi',
    'Câu hỏi (như đã hỏi)',
    'Trả lời (nguyên văn)',
    'Giá trị chuẩn hóa',
    'Trả lời lúc (giờ Việt Nam)',
    'Bị thay thế lúc (giờ Việt Nam)',
  ];
  return {
    headers,
    widths: headers.map((h) => (h.startsWith('Câu hỏi') ? 60 : widthFor(h))),
    cells: (a) => {
      const value = storedValue(a.value);
      const hide = pseudonymiser !== undefined && isFreeText(questions.get(`${a.flow_id}\u0000${a.question_id}`));
      return [
        a.response_id,
        a.flow_id,
        a.flow_version,
        a.question_id,
        a.question_text,
        hide ? pseudonymiser.freeText(a.raw) : a.raw,
        hide ? pseudonymiser.freeText(String(value)) : value,
        vietnamTimestamp(a.answered_at),
        vietnamTimestamp(a.superseded_at),
      ];
    },
  };
}

function widthFor(header: string): number {
  return Math.min(40, Math.max(10, header.length + 2));
}
