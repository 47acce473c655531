import { CONSENT_PURPOSE, CONSENT_VERSION } from '../engine/messages.ts';
import { stepOwningState } from '../engine/step.ts';
import type { Commune } from '../engine/parseAnswer.ts';
import { type AnswerValue, type ConversationState, type Effect, INITIAL_STATE, type Input, type Output } from '../engine/types.ts';
import type { Flow } from '../flow/schema.ts';
import type { PersonRow, Store } from '../store/store.ts';
import { assessedPeriod, unitOfPerson } from '../units/access.ts';
import { vietnamDate, vietnamYear } from '../util/time.ts';
import { parseSessionRow, SaveIds, sessionRowText } from './sessionRow.ts';

/** One inbound event, after a channel adapter has verified and normalised it. */
export interface InboundEvent {
  channel: string;
  /** Unique per channel (Telegram update_id, Zalo message_id, a local counter …): the dedupe key. */
  eventId: string;
  /** The person's identity on that channel. */
  userKey: string;
  /** Where replies go (often equal to userKey). */
  chatId: string;
  input: Input;
  receivedAt: Date;
}

export type InboundOutcome =
  | { status: 'duplicate' }
  | { status: 'processed'; outputs: Output[]; personId: number | null };

/** What an outbox row carries: one engine output, serialised. */
export type OutboxPayload = Output;

/**
 * A handler that may answer an inbound event before the engine does (registration codes, replies to
 * reminders). It runs inside the turn's transaction; returning true ends the turn there. One that
 * returns false has changed nothing (the engine then works with the person as found before it).
 */
export interface Interceptor {
  (ctx: InterceptContext): boolean;
}

export interface InterceptContext {
  event: InboundEvent;
  /** The person, when they have agreed to the data notice (nothing is stored before that). */
  person: PersonRow | undefined;
  store: Store;
  now: Date;
  /** Flows by id, for interceptors that start or describe a flow. */
  flows: Flow[];
  /** Queues replies to the person, in order, in this transaction. */
  reply: (outputs: Output[]) => void;
  /** Hands the event (or a replacement input) to the engine, e.g. "bắt đầu" from a reminder. */
  runEngine: (input?: Input) => void;
}

export interface ConversationDeps {
  store: Store;
  flows: Flow[];
  interceptors?: Interceptor[];
  /**
   * The flows a person may start and the facts unit flows branch on (focal points see unit flows);
   * citizen flows and no facts by default.
   */
  accessFor?: (person: PersonRow | undefined) => { flows: Flow[]; context: Record<string, string> };
  /** The communes in force, for questions of type "commune". */
  communes?: Commune[];
}

/** How many people's last states the service keeps parsed: those in the middle of a self-check. */
const RECENT_STATES = 1000;

/**
 * A state as the last turn left it, answers included, with the exact text that turn stored for it
 * (which names that save). It must not change after that: a turn's outputs can share objects with it
 * (a result), and nothing downstream alters an output.
 */
interface RecentState {
  text: string;
  state: ConversationState;
}

/**
 * Turns an inbound event into one SQLite transaction: dedupe, session state, answers, replies.
 * Synchronous on purpose: nothing can interleave between the dedupe check and the commit.
 */
export class ConversationService {
  /**
   * Each recent person's state as their last turn left it, so their next turn neither parses the row
   * nor reads the answers back from the table. Used only while the row still holds the save that
   * turn wrote, so a write by anyone else, or a turn rolled back, is read from the database. Taken
   * out when used (the engine changes it in place), put back after the next save; the oldest entry
   * goes first.
   */
  private readonly recentStates = new Map<number, RecentState>();
  private readonly saves = new SaveIds();

  constructor(private readonly deps: ConversationDeps) {}

  handle(event: InboundEvent): InboundOutcome {
    const { store } = this.deps;
    const now = event.receivedAt;
    const nowIso = now.toISOString();
    return store.transaction((): InboundOutcome => {
      if (!store.claimInbound(event.channel, event.eventId, nowIso)) return { status: 'duplicate' };
      const found = store.findPerson(event.channel, event.userKey);
      if (found) store.touchPerson(found.id, nowIso);
      const sent: Output[] = [];
      // Bound methods, not closures: tsx names every closure it sees bound to a name, per turn.
      const context: InterceptContext = {
        event,
        person: found,
        store,
        now,
        flows: this.deps.flows,
        reply: this.replyFromInterceptor.bind(this, event, sent),
        runEngine: this.engineFromInterceptor.bind(this, event, sent),
      };
      for (const intercept of this.deps.interceptors ?? []) {
        if (intercept(context)) {
          return { status: 'processed', outputs: sent, personId: store.findPerson(event.channel, event.userKey)?.id ?? null };
        }
      }
      return { status: 'processed', ...this.runEngine(event, now, found) };
    });
  }

  private replyFromInterceptor(event: InboundEvent, sent: Output[], outputs: Output[]): void {
    this.enqueue(event, outputs, this.deps.store.findPerson(event.channel, event.userKey)?.id ?? null, event.receivedAt.toISOString());
    sent.push(...outputs);
  }

  private engineFromInterceptor(event: InboundEvent, sent: Output[], input?: Input): void {
    const person = this.deps.store.findPerson(event.channel, event.userKey);
    sent.push(...this.runEngine(input ? { ...event, input } : event, event.receivedAt, person).outputs);
  }

  /** One engine turn for the event's person, with its effects and replies (inside the open transaction). */
  private runEngine(event: InboundEvent, now: Date, found: PersonRow | undefined): { outputs: Output[]; personId: number | null } {
    const { store } = this.deps;
    const nowIso = now.toISOString();
    {
      let person = found;
      // Read afresh, or taken out of recentStates, for this turn alone: the engine may work on it in place.
      const state = person ? this.loadState(person.id, nowIso) : structuredClone(INITIAL_STATE);
      const { flows, context } = this.deps.accessFor?.(person) ?? { flows: this.deps.flows.filter((f) => f.audience === 'citizen'), context: {} };
      const restricted = this.deps.flows.filter((f) => !flows.includes(f));
      const result = stepOwningState({ flows, restrictedFlows: restricted, state, input: event.input, now, context, communes: this.deps.communes ?? [] });

      const wantsPerson = result.effects.some((e) => e.kind === 'consentGiven');
      if (!person && wantsPerson) person = store.createPerson(event.channel, event.userKey, nowIso);

      let deleted = false;
      for (const effect of result.effects) {
        if (!person) break;
        deleted = this.apply(effect, person, event, now) || deleted;
      }
      // Before consent (and after deletion) nothing about the person is kept, only the replies to send.
      if (person && !deleted && result.state.consent === 'given') {
        const text = sessionRowText(result.state, this.saves.next());
        store.saveSession(person.id, text, nowIso);
        this.rememberState(person.id, text, result.state);
      }
      const personId = person && !deleted ? person.id : null;
      this.enqueue(event, result.outputs, personId, nowIso);
      return { outputs: result.outputs, personId };
    }
  }

  private enqueue(event: InboundEvent, outputs: Output[], personId: number | null, nowIso: string): void {
    for (const output of outputs) {
      this.deps.store.enqueue(
        { channel: event.channel, chatId: event.chatId, personId, kind: output.kind, payload: JSON.stringify(output) },
        nowIso,
      );
    }
  }

  private loadState(personId: number, nowIso: string): ConversationState {
    const raw = this.deps.store.loadSession(personId);
    const recent = this.recentStates.get(personId);
    if (recent) {
      this.recentStates.delete(personId);
      if (recent.text === raw) return recent.state;
    }
    // An unreadable state restarts the conversation; the answers stay in `answers`.
    const row = raw === undefined ? undefined : parseSessionRow(raw);
    if (!row) return { v: 1, consent: 'given' };
    const flow = row.state.flow;
    if (flow && row.answersInRow) this.settleAnswersOfOldRow(personId, flow.flowId, Object.keys(flow.answers), nowIso);
    else if (flow) flow.answers = this.answersInTable(personId, flow.flowId);
    return row.state;
  }

  /** The flow's answers as the open response holds them. */
  private answersInTable(personId: number, flowId: string): Record<string, AnswerValue> {
    const answers: Record<string, AnswerValue> = {};
    const responseId = this.deps.store.openResponseIdOf(personId, flowId);
    if (responseId === undefined) return answers;
    for (const a of this.deps.store.currentAnswers(responseId)) {
      try {
        answers[a.question_id] = { raw: a.raw, value: JSON.parse(a.value) as string | number };
      } catch {
        // A value that cannot be read is asked again.
      }
    }
    return answers;
  }

  /**
   * A row from before the answers left it holds the person's answers; the table may also hold some
   * an edit dropped since (they were superseded only at submission then). The next save leaves them
   * out of the row, so from this turn on the table must hold exactly these.
   */
  private settleAnswersOfOldRow(personId: number, flowId: string, questionIds: string[], nowIso: string): void {
    const responseId = this.deps.store.openResponseIdOf(personId, flowId);
    if (responseId !== undefined) this.deps.store.keepOnlyAnswers(responseId, questionIds, nowIso);
  }

  private rememberState(personId: number, text: string, state: ConversationState): void {
    this.recentStates.delete(personId);
    this.recentStates.set(personId, { text, state });
    if (this.recentStates.size > RECENT_STATES) this.recentStates.delete(this.recentStates.keys().next().value!);
  }

  /** Applies one engine effect inside the open transaction. Returns true when the person was deleted. */
  private apply(effect: Effect, person: PersonRow, event: InboundEvent, now: Date): boolean {
    const { store } = this.deps;
    const nowIso = now.toISOString();
    switch (effect.kind) {
      case 'consentGiven':
        store.recordConsent(person.id, CONSENT_PURPOSE, CONSENT_VERSION, nowIso);
        return false;
      case 'flowStarted': {
        const responseId = store.openResponse({ personId: person.id, channel: event.channel, flowId: effect.flowId, flowVersion: effect.flowVersion, now: nowIso });
        this.attachUnit(responseId, person, effect.flowId);
        return false;
      }
      case 'answerRecorded': {
        const responseId = this.responseIdFor(person, event.channel, effect.flowId, effect.flowVersion, nowIso);
        store.recordAnswer({
          responseId,
          flowId: effect.flowId,
          flowVersion: effect.flowVersion,
          questionId: effect.questionId,
          questionText: effect.questionText,
          raw: effect.answer.raw,
          value: effect.answer.value,
          now: nowIso,
        });
        return false;
      }
      case 'answersDropped': {
        const responseId = store.openResponseIdOf(person.id, effect.flowId);
        if (responseId !== undefined) store.supersedeAnswers(responseId, effect.questionIds, nowIso);
        return false;
      }
      case 'flowCancelled':
        store.cancelOpenResponses(person.id, effect.flowId, nowIso);
        return false;
      case 'flowSubmitted': {
        const r = effect.result;
        const responseId = this.responseIdFor(person, event.channel, r.flow, r.flowVersion, nowIso);
        const unitId = store.getResponse(responseId)?.unit_id ?? null;
        const period = unitId ? assessedPeriod(vietnamDate(now)) : vietnamYear(now);
        store.submitResponse({
          responseId,
          period,
          communeCode: this.communeOf(r.flow, effect.answers, unitId),
          passed: r.passed,
          score: r.score,
          level: r.level,
          result: JSON.stringify(r),
          keepQuestionIds: Object.keys(effect.answers),
          now: nowIso,
        });
        if (unitId) store.units.replacePreviousSubmissions({ unitId, flowId: r.flow, period, keepResponseId: responseId, now: nowIso });
        return false;
      }
      case 'deleteMyData':
        store.deletePerson(person.id);
        return true;
    }
  }

  private responseIdFor(person: PersonRow, channel: string, flowId: string, flowVersion: string, now: string): number {
    const open = this.deps.store.openResponseIdOf(person.id, flowId);
    if (open !== undefined) return open;
    const id = this.deps.store.openResponse({ personId: person.id, channel, flowId, flowVersion, now });
    this.attachUnit(id, person, flowId);
    return id;
  }

  /** The unit's commune, or the commune the person named in a question of type "commune". */
  private communeOf(flowId: string, answers: Record<string, AnswerValue>, unitId: string | null): string | null {
    if (unitId) return this.deps.store.units.unit(unitId)?.communeCode ?? null;
    const flow = this.deps.flows.find((f) => f.id === flowId);
    const q = flow?.questions.find((x) => x.type === 'commune' && answers[x.id] !== undefined);
    const code = q ? String(answers[q.id]!.value) : undefined;
    return code && this.deps.communes?.some((c) => c.code === code) ? code : null;
  }

  /** A unit flow's response belongs to the unit the focal point represents. */
  private attachUnit(responseId: number, person: PersonRow, flowId: string): void {
    const flow = this.deps.flows.find((f) => f.id === flowId);
    if (flow?.audience !== 'unit') return;
    const unit = unitOfPerson(this.deps.store, person.id);
    if (unit) this.deps.store.units.attachResponseToUnit(responseId, unit.id);
  }
}
