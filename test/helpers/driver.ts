import { step } from '../../src/engine/step.ts';
import { type ConversationState, type Effect, INITIAL_STATE, type Input, type Output } from '../../src/engine/types.ts';
import type { Flow } from '../../src/flow/schema.ts';

/** Drives the pure engine turn by turn, keeping state, like the service does without storage. */
export class Driver {
  state: ConversationState = INITIAL_STATE;
  effects: Effect[] = [];
  last: Output[] = [];
  now = new Date('2026-11-22T03:00:00Z');
  communes: Array<{ code: string; name: string }> = [];

  constructor(readonly flows: Flow[], readonly context: Record<string, string> = {}) {}

  send(input: Input | string): Output[] {
    const i: Input = typeof input === 'string' ? { kind: 'text', text: input } : input;
    const r = step({ flows: this.flows, state: this.state, input: i, now: this.now, context: this.context, communes: this.communes });
    this.state = r.state;
    this.effects.push(...r.effects);
    this.last = r.outputs;
    return r.outputs;
  }

  tap(choiceId: string, scope?: string): Output[] {
    return this.send(scope === undefined ? { kind: 'choice', choiceId } : { kind: 'choice', choiceId, scope });
  }

  /** All message texts of the last turn joined, for assertions. */
  get text(): string {
    return this.last.map((o) => (o.kind === 'message' ? o.text : '')).join('\n');
  }

  /** The scope (question id) of the last prompt. */
  get scope(): string | undefined {
    const prompts = this.last.filter((o) => o.kind === 'message' && o.scope);
    const lastPrompt = prompts[prompts.length - 1];
    return lastPrompt?.kind === 'message' ? lastPrompt.scope : undefined;
  }

  agree(): void {
    this.send('xin chào');
    this.tap('agree', 'consent');
  }
}
