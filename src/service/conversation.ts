import { z } from 'zod';
import { CONSENT_PURPOSE, CONSENT_VERSION } from '../engine/messages.ts';
import { step } from '../engine/step.ts';
import { type ConversationState, type Effect, INITIAL_STATE, type Input, type Output } from '../engine/types.ts';
import type { Flow } from '../flow/schema.ts';
import type { PersonRow, Store } from '../store/store.ts';
import { vietnamYear } from '../util/time.ts';

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

export interface ConversationDeps {
  store: Store;
  flows: Flow[];
  /** Extra facts and flows for a person (focal points see unit flows); citizens by default. */
  flowsFor?: (person: PersonRow | undefined) => Flow[];
  contextFor?: (person: PersonRow | undefined) => Record<string, string>;
}

const stateSchema = z.object({ v: z.literal(1), consent: z.enum(['pending', 'given']) }).passthrough();

/**
 * Turns an inbound event into one SQLite transaction: dedupe, session state, answers, replies.
 * Synchronous on purpose: nothing can interleave between the dedupe check and the commit.
 */
export class ConversationService {
  constructor(private readonly deps: ConversationDeps) {}

  handle(event: InboundEvent): InboundOutcome {
    const { store } = this.deps;
    const now = event.receivedAt;
    const nowIso = now.toISOString();
    return store.transaction((): InboundOutcome => {
      if (!store.claimInbound(event.channel, event.eventId, nowIso)) return { status: 'duplicate' };
      let person = store.findPerson(event.channel, event.userKey);
      const state = person ? this.loadState(person.id) : INITIAL_STATE;
      const flows = this.deps.flowsFor ? this.deps.flowsFor(person) : this.deps.flows.filter((f) => f.audience === 'citizen');
      const context = this.deps.contextFor?.(person) ?? {};
      const result = step({ flows, state, input: event.input, now, context });

      const wantsPerson = result.effects.some((e) => e.kind === 'consentGiven');
      if (!person && wantsPerson) person = store.createPerson(event.channel, event.userKey, nowIso);
      if (person) store.touchPerson(person.id, nowIso);

      let deleted = false;
      for (const effect of result.effects) {
        if (!person) break;
        deleted = this.apply(effect, person, event, now) || deleted;
      }
      // Before consent (and after deletion) nothing about the person is kept, only the replies to send.
      if (person && !deleted && result.state.consent === 'given') {
        store.saveSession(person.id, JSON.stringify(result.state), nowIso);
      }
      const personId = person && !deleted ? person.id : null;
      for (const output of result.outputs) {
        store.enqueue({ channel: event.channel, chatId: event.chatId, personId, kind: output.kind, payload: JSON.stringify(output) }, nowIso);
      }
      return { status: 'processed', outputs: result.outputs, personId };
    });
  }

  private loadState(personId: number): ConversationState {
    const raw = this.deps.store.loadSession(personId);
    if (!raw) return { v: 1, consent: 'given' };
    try {
      const parsed = stateSchema.safeParse(JSON.parse(raw));
      if (parsed.success) return parsed.data as unknown as ConversationState;
    } catch {
      // fall through: an unreadable state restarts the conversation, answers stay in `answers`.
    }
    return { v: 1, consent: 'given' };
  }

  /** Applies one engine effect inside the open transaction. Returns true when the person was deleted. */
  private apply(effect: Effect, person: PersonRow, event: InboundEvent, now: Date): boolean {
    const { store } = this.deps;
    const nowIso = now.toISOString();
    switch (effect.kind) {
      case 'consentGiven':
        store.recordConsent(person.id, CONSENT_PURPOSE, CONSENT_VERSION, nowIso);
        return false;
      case 'flowStarted':
        store.openResponse({ personId: person.id, channel: event.channel, flowId: effect.flowId, flowVersion: effect.flowVersion, now: nowIso });
        return false;
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
      case 'flowCancelled':
        store.cancelOpenResponses(person.id, effect.flowId, nowIso);
        return false;
      case 'flowSubmitted': {
        const r = effect.result;
        const responseId = this.responseIdFor(person, event.channel, r.flow, r.flowVersion, nowIso);
        store.submitResponse({
          responseId,
          period: vietnamYear(now),
          passed: r.passed,
          score: r.score,
          level: r.level,
          result: JSON.stringify(r),
          keepQuestionIds: Object.keys(effect.answers),
          now: nowIso,
        });
        return false;
      }
      case 'deleteMyData':
        store.deletePerson(person.id);
        return true;
    }
  }

  private responseIdFor(person: PersonRow, channel: string, flowId: string, flowVersion: string, now: string): number {
    const open = this.deps.store.openResponseOf(person.id, flowId);
    return open ? open.id : this.deps.store.openResponse({ personId: person.id, channel, flowId, flowVersion, now });
  }
}
