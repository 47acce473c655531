import type { Flow } from '../flow/schema.ts';
import { type Command, parseCommand } from './commands.ts';
import * as msg from './messages.ts';
import { type Commune, choicesOf, matchChoice, parseAnswer } from './parseAnswer.ts';
import { firstUnanswered, pruneAnswers, questionText, visibleQuestions } from './path.ts';
import {
  boundResolver,
  confirmPrompt,
  consentPrompt,
  factsOf,
  introText,
  menuPrompt,
  questionPrompt,
  summaryPrompt,
} from './prompts.ts';
import { scoreFlow } from './score.ts';
import type { AnswerValue, ConversationState, Effect, FlowSession, Input, Output, StepResult } from './types.ts';
import { fold } from './vietnamese.ts';

export interface StepParams {
  /** The flows this person may start (already filtered by audience), in menu order. */
  flows: Flow[];
  /** Flows that exist but this person may not start yet (unit flows before registration). */
  restrictedFlows?: Flow[];
  state: ConversationState;
  input: Input;
  now: Date;
  /** Facts copied into a new flow session (e.g. the unit's type for unit flows). */
  context?: Record<string, string>;
  /** The communes in force, for questions of type "commune". */
  communes?: Commune[];
}

/**
 * The conversation engine: (flows, state, input, now) → (state, outputs, effects).
 * Pure: no clock, storage or network. Never throws on any input; a bad input yields a re-prompt.
 */
export function step(params: StepParams): StepResult {
  return runTurn(params, structuredClone(params.state));
}

/**
 * `step` for a caller that hands its state over and never reads it again (the conversation service,
 * whose state was just parsed from its row): the same turn without the defensive copy, which grows
 * with every answer and was the largest per-step cost that did.
 */
export function stepOwningState(params: StepParams): StepResult {
  return runTurn(params, params.state);
}

function runTurn(params: StepParams, state: ConversationState): StepResult {
  const out = new Turn(params, state);
  out.run();
  return { state: out.state, outputs: out.outputs, effects: out.effects };
}

const AGREE = ['dong y', 'co', 'c', 'yes', 'y', 'ok', 'dong y a', 'toi dong y', 'agree'];
const DECLINE = ['khong dong y', 'khong', 'k', 'ko', 'no', 'n', 'tu choi', 'decline'];
const SUBMIT = ['gui', 'nop', 'submit', 'gui ket qua', 'xac nhan', 'dong y', 'ok', 'co'];

class Turn {
  state: ConversationState;
  readonly outputs: Output[] = [];
  readonly effects: Effect[] = [];
  private readonly flows: Flow[];
  private readonly restricted: Flow[];
  private readonly input: Input;
  private readonly now: Date;
  private readonly context: Record<string, string>;
  private readonly communes: Commune[];

  constructor(p: StepParams, state: ConversationState) {
    this.state = state;
    this.flows = p.flows;
    this.restricted = p.restrictedFlows ?? [];
    this.input = p.input;
    this.now = p.now;
    this.context = p.context ?? {};
    this.communes = p.communes ?? [];
  }

  private say(text: string): void {
    this.outputs.push({ kind: 'message', text });
  }

  run(): void {
    const { input } = this;
    const text = input.kind === 'text' ? input.text.normalize('NFC') : '';
    const command = input.kind === 'text' ? parseCommand(text) : undefined;

    if (this.state.consent === 'pending') return this.handleConsent(text, command);

    this.refreshFlowVersion();

    if (this.state.confirming) {
      const kind = this.state.confirming;
      this.state.confirming = undefined;
      // A "Có" button of some older yes/no question must never confirm a deletion.
      const tapHere = input.kind === 'choice' && (input.scope === undefined || input.scope === kind);
      const yes =
        (tapHere && input.choiceId === 'yes') ||
        (input.kind === 'text' && !command && matchChoice(text, msg.yesNoChoices, (id) => (id === 'yes' ? AGREE : DECLINE))?.id === 'yes');
      const no =
        (tapHere && input.choiceId === 'no') ||
        (input.kind === 'text' && !command && matchChoice(text, msg.yesNoChoices, (id) => (id === 'yes' ? AGREE : DECLINE))?.id === 'no');
      if (yes) return kind === 'delete' ? this.deleteData() : this.restartFlow();
      if (no) {
        this.say(msg.keptText);
        return this.reprompt();
      }
      // Anything else: the person moved on; treat it as a fresh input.
    }

    if (input.kind === 'unsupported') {
      this.say(msg.unsupportedInFlow);
      return this.reprompt();
    }
    if (command) return this.handleCommand(command);
    if (input.kind === 'choice') return this.handleChoice(input.choiceId, input.scope);
    return this.handleText(text);
  }

  private handleConsent(text: string, command: Command | undefined): void {
    const { input } = this;
    let decision: 'agree' | 'decline' | undefined;
    if (input.kind === 'choice' && (input.scope === undefined || input.scope === 'consent')) {
      if (input.choiceId === 'agree') decision = 'agree';
      if (input.choiceId === 'decline') decision = 'decline';
    } else if (input.kind === 'text' && !command) {
      const f = fold(text);
      if (f === '1' || AGREE.includes(f)) decision = 'agree';
      else if (f === '2' || DECLINE.includes(f)) decision = 'decline';
    }
    if (decision === 'decline') return this.say(msg.consentDeclined);
    if (decision === 'agree') {
      this.state.consent = 'given';
      this.effects.push({ kind: 'consentGiven' });
      return this.offerStart(msg.consentThanks);
    }
    if (command?.name === 'help') this.say(msg.helpText(this.flows));
    if (command?.name === 'delete') this.say('Bot chưa lưu dữ liệu nào của Anh/Chị.');
    if (command?.name === 'unknown') this.say(msg.unknownCommand(command.raw));
    this.outputs.push(consentPrompt());
  }

  /** Starts the only flow, or offers a menu when several are available. */
  private offerStart(prefix?: string, wanted?: string): void {
    const pick = wanted ? this.findFlow(wanted) : undefined;
    if (pick) return this.startFlow(pick, prefix);
    const locked = wanted ? this.restricted.find((f) => f.id === wanted) : undefined;
    if (locked) return this.say(msg.restrictedFlowText(locked));
    if (this.flows.length === 1) return this.startFlow(this.flows[0]!, prefix);
    if (this.flows.length === 0) return this.say(`${prefix ? `${prefix}\n` : ''}Hiện chưa có phần tự đánh giá nào dành cho Anh/Chị.`);
    this.outputs.push(menuPrompt(this.flows, prefix));
  }

  private findFlow(key: string): Flow | undefined {
    const exact = this.flows.find((f) => f.id === key);
    if (exact) return exact;
    const picked = matchChoice(key, this.flows.map((f) => ({ id: f.id, label: f.title })));
    return picked ? this.flows.find((f) => f.id === picked.id) : undefined;
  }

  private startFlow(flow: Flow, prefix?: string): void {
    const session: FlowSession = {
      flowId: flow.id,
      flowVersion: flow.version,
      current: null,
      answers: {},
      startedAt: this.now.toISOString(),
      context: { ...this.context },
    };
    this.state.flow = session;
    this.effects.push({ kind: 'flowStarted', flowId: flow.id, flowVersion: flow.version });
    if (prefix) this.say(prefix);
    this.say(introText(flow));
    this.advance(flow, session);
  }

  private currentFlow(): { flow: Flow; session: FlowSession } | undefined {
    const session = this.state.flow;
    if (!session) return undefined;
    const flow = this.flows.find((f) => f.id === session.flowId);
    return flow ? { flow, session } : undefined;
  }

  /** A flow file may change between two turns: keep every answer that still fits, drop the rest. */
  private refreshFlowVersion(): void {
    const session = this.state.flow;
    if (!session) return;
    const flow = this.flows.find((f) => f.id === session.flowId);
    if (!flow) {
      this.state.flow = undefined;
      this.say('Phần tự đánh giá Anh/Chị đang làm hiện không còn được sử dụng. Gõ "bắt đầu" để chọn phần khác.');
      return;
    }
    if (flow.version === session.flowVersion) return;
    const kept: FlowSession['answers'] = {};
    for (const [qid, a] of Object.entries(session.answers)) {
      const q = flow.questions.find((x) => x.id === qid);
      if (!q) continue;
      const choices = choicesOf(q);
      if (choices && !choices.some((c) => c.id === a.value)) continue;
      if (!choices && (q.type === 'integer' || q.type === 'decimal') !== (typeof a.value === 'number')) continue;
      kept[qid] = a;
    }
    session.flowVersion = flow.version;
    const before = session.answers;
    session.answers = pruneAnswers(flow, { answers: kept, context: session.context });
    this.dropped(flow, missingFrom(session.answers, before));
    if (session.current && !flow.questions.some((q) => q.id === session.current)) session.current = null;
    this.say(msg.flowChangedText(flow));
  }

  /** Moves to the first unanswered visible question, or to the summary when all are answered. */
  private advance(flow: Flow, session: FlowSession, prefix?: string): void {
    let next = firstUnanswered(flow, factsOf(session));
    while (next && this.prefill(flow, session, next)) next = firstUnanswered(flow, factsOf(session));
    if (next) {
      session.current = next.id;
      this.outputs.push(questionPrompt(flow, session, next, prefix));
    } else {
      session.current = null;
      this.outputs.push(summaryPrompt(flow, session, prefix));
    }
  }

  /** Shows again whatever the person is expected to answer. */
  private reprompt(prefix?: string): void {
    if (this.state.consent === 'pending') return void this.outputs.push(consentPrompt(prefix));
    const cur = this.currentFlow();
    if (!cur) {
      if (prefix) this.say(prefix);
      return this.say(this.state.lastResult ? 'Gõ "bắt đầu" để làm lại, hoặc "xem kết quả" để xem lại kết quả.' : msg.noFlowInProgress);
    }
    const { flow, session } = cur;
    const q = session.current ? flow.questions.find((x) => x.id === session.current) : undefined;
    if (q && visibleQuestions(flow, factsOf(session)).some((v) => v.id === q.id)) {
      this.outputs.push(questionPrompt(flow, session, q, prefix));
    } else {
      this.advance(flow, session, prefix);
    }
  }

  private handleCommand(command: Command): void {
    const cur = this.currentFlow();
    switch (command.name) {
      case 'help':
        this.say(msg.helpText(this.flows));
        return cur ? this.reprompt() : undefined;
      case 'start':
        if (cur && !command.arg) return this.reprompt(msg.resumeText(cur.flow));
        if (cur && command.arg && this.findFlow(command.arg)?.id === cur.flow.id) return this.reprompt(msg.resumeText(cur.flow));
        return this.offerStart(undefined, command.arg);
      case 'back': {
        if (!cur) return this.say(msg.noFlowInProgress);
        const { flow, session } = cur;
        const visible = visibleQuestions(flow, factsOf(session));
        const at = session.current ? visible.findIndex((q) => q.id === session.current) : visible.length;
        const prev = at > 0 ? visible[at - 1] : undefined;
        if (!prev) return this.reprompt(msg.noPreviousQuestion);
        session.current = prev.id;
        return void this.outputs.push(questionPrompt(flow, session, prev));
      }
      case 'edit': {
        if (!cur) return this.say(msg.noFlowInProgress);
        const { flow, session } = cur;
        if (command.n === undefined) {
          this.say(msg.editHowTo);
          return void this.outputs.push(summaryPrompt(flow, session));
        }
        const answered = visibleQuestions(flow, factsOf(session));
        const q = answered[command.n - 1];
        if (!q || (!session.answers[q.id] && q.id !== session.current)) return this.reprompt(msg.editOutOfRange(command.n));
        session.current = q.id;
        return void this.outputs.push(questionPrompt(flow, session, q));
      }
      case 'summary':
        if (!cur) return this.say(msg.noFlowInProgress);
        return void this.outputs.push(summaryPrompt(cur.flow, cur.session));
      case 'restart':
        if (!cur) return this.offerStart();
        this.state.confirming = 'restart';
        return void this.outputs.push(confirmPrompt('restart'));
      case 'cancel':
        if (!cur) return this.say(msg.noFlowInProgress);
        this.effects.push({ kind: 'flowCancelled', flowId: cur.flow.id });
        this.state.flow = undefined;
        return this.say(msg.cancelledText);
      case 'result': {
        const r = this.state.lastResult;
        const flow = r ? this.flows.find((f) => f.id === r.flow) : undefined;
        if (!r || !flow) return this.say(msg.noResultYet);
        this.outputs.push({ kind: 'message', text: msg.resultText(flow, r) });
        return cur ? this.reprompt() : undefined;
      }
      case 'delete':
        this.state.confirming = 'delete';
        return void this.outputs.push(confirmPrompt('delete'));
      case 'unknown':
        return this.reprompt(msg.unknownCommand(command.raw));
    }
  }

  private restartFlow(): void {
    const cur = this.currentFlow();
    if (!cur) return this.offerStart();
    this.effects.push({ kind: 'flowCancelled', flowId: cur.flow.id });
    this.startFlow(cur.flow, msg.restartedText);
  }

  private deleteData(): void {
    this.effects.push({ kind: 'deleteMyData' });
    this.state = { v: 1, consent: 'pending' };
    this.say(msg.deletedText);
  }

  private handleChoice(choiceId: string, scope: string | undefined): void {
    const cur = this.currentFlow();
    if (scope === 'menu' || (!cur && this.flows.some((f) => f.id === choiceId))) {
      if (cur) return this.reprompt(msg.resumeText(cur.flow));
      const flow = this.flows.find((f) => f.id === choiceId);
      return flow ? this.startFlow(flow) : this.offerStart();
    }
    if (!cur) return this.reprompt();
    const { flow, session } = cur;
    if (scope === 'confirm' || (scope === undefined && session.current === null)) {
      if (session.current !== null) return this.reprompt(msg.staleButtonText);
      if (choiceId === 'submit') return this.submit(flow, session);
      this.say(msg.editHowTo);
      return void this.outputs.push(summaryPrompt(flow, session));
    }
    if (scope !== undefined && scope !== session.current) return this.reprompt(msg.staleButtonText);
    this.answer(flow, session, { choiceId });
  }

  private handleText(text: string): void {
    const cur = this.currentFlow();
    if (!cur) {
      if (text.trim() === '') return this.say(msg.emptyText);
      if (this.flows.length > 1) {
        const picked = matchChoice(text, this.flows.map((f) => ({ id: f.id, label: f.title })));
        if (picked) return this.startFlow(this.flows.find((f) => f.id === picked.id)!);
      }
      if (this.state.lastResult) return this.reprompt();
      return this.offerStart();
    }
    const { flow, session } = cur;
    if (text.trim() === '') return this.reprompt(msg.emptyText);
    if (session.current === null) {
      const f = fold(text);
      if (f === '1' || SUBMIT.includes(f)) return this.submit(flow, session);
      if (f === '2' || f === 'sua') {
        this.say(msg.editHowTo);
        return void this.outputs.push(summaryPrompt(flow, session));
      }
      return this.reprompt('Anh/Chị chọn "Gửi" để nộp, hoặc gõ "sửa <số câu>" để sửa.');
    }
    this.answer(flow, session, { text });
  }

  private answer(flow: Flow, session: FlowSession, given: { text?: string; choiceId?: string }): void {
    const q = flow.questions.find((x) => x.id === session.current);
    if (!q) return this.advance(flow, session);
    const parsed = parseAnswer(q, given, boundResolver(session), this.communes);
    if (!parsed.ok) return void this.outputs.push(questionPrompt(flow, session, q, `${msg.invalidAnswerPrefix} ${parsed.problem}`));
    session.answers[q.id] = parsed.answer;
    // Answers that depend on this one may no longer be valid (a bound, or a branch).
    const before = session.answers;
    session.answers = pruneAnswers(flow, factsOf(session));
    const dropped = missingFrom(session.answers, before);
    dropped.push(...this.dropBrokenBounds(flow, session));
    this.recorded(flow, session, q, parsed.answer);
    this.dropped(flow, dropped);
    this.advance(flow, session);
  }

  /** The effect that takes answers back from the stored response (after any answer of the same turn). */
  private dropped(flow: Flow, questionIds: string[]): void {
    if (questionIds.length > 0) this.effects.push({ kind: 'answersDropped', flowId: flow.id, questionIds });
  }

  /** The effect that stores an answer, with the question's wording as the person saw it. */
  private recorded(flow: Flow, session: FlowSession, q: Flow['questions'][number], answer: AnswerValue): void {
    this.effects.push({ kind: 'answerRecorded', flowId: flow.id, flowVersion: flow.version, questionId: q.id, questionText: questionText(q, factsOf(session)), answer });
  }

  /** Answers a question from the context (e.g. the registered unit type); false when it cannot. */
  private prefill(flow: Flow, session: FlowSession, q: Flow['questions'][number]): boolean {
    const known = q.fromContext ? session.context[q.fromContext] : undefined;
    if (known === undefined) return false;
    const choices = choicesOf(q);
    const parsed = choices
      ? parseAnswer(q, { choiceId: known }, boundResolver(session))
      : parseAnswer(q, { text: known }, boundResolver(session), this.communes);
    if (!parsed.ok) return false;
    const answer = { raw: `${parsed.answer.raw} (theo hồ sơ đơn vị)`, value: parsed.answer.value };
    session.answers[q.id] = answer;
    this.recorded(flow, session, q, answer);
    return true;
  }

  /** A count later bounded by this answer ("members who passed" ≤ "members") is re-asked if now too big: returns those dropped. */
  private dropBrokenBounds(flow: Flow, session: FlowSession): string[] {
    const dropped: string[] = [];
    for (const q of flow.questions) {
      if ((q.type === 'integer' || q.type === 'decimal') && typeof q.max === 'object') {
        const bound = session.answers[q.max.question]?.value;
        const own = session.answers[q.id]?.value;
        if (typeof bound === 'number' && typeof own === 'number' && own > bound) {
          delete session.answers[q.id];
          dropped.push(q.id);
        }
      }
    }
    return dropped;
  }

  private submit(flow: Flow, session: FlowSession): void {
    const missing = firstUnanswered(flow, factsOf(session));
    if (missing) return this.advance(flow, session, 'Còn câu hỏi chưa trả lời:');
    const result = scoreFlow(flow, factsOf(session));
    this.effects.push({ kind: 'flowSubmitted', result, answers: session.answers });
    this.state.flow = undefined;
    this.state.lastResult = result;
    this.outputs.push({ kind: 'result', result });
    this.say(msg.resultText(flow, result));
  }
}

/** The questions answered in `before` that `after` no longer answers (none when it is the same object). */
function missingFrom(after: FlowSession['answers'], before: FlowSession['answers']): string[] {
  return after === before ? [] : Object.keys(before).filter((id) => after[id] === undefined);
}
