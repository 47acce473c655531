/** Channel-neutral types shared by the engine, the conversation service and every channel adapter. */

/** What a person did, after the channel adapter has verified and normalised it. */
export type Input =
  | { kind: 'text'; text: string }
  /** A tap on a button. `scope` says which prompt the button belonged to (a question id, "consent", …). */
  | { kind: 'choice'; choiceId: string; scope?: string }
  /** Stickers, photos, voice notes, files: nothing the flows can read. */
  | { kind: 'unsupported'; what: string };

export interface Choice {
  id: string;
  label: string;
}

export type Output =
  | {
      kind: 'message';
      text: string;
      /** Options to show as buttons (Telegram) or numbered lines (Zalo). */
      choices?: Choice[];
      /** The prompt the choices answer: a question id, or "consent" / "confirm" / "delete" / "menu". */
      scope?: string;
    }
  | { kind: 'result'; result: FlowResult };

export interface AnswerValue {
  /** What the person typed or tapped, NFC-normalised. */
  raw: string;
  /** The normalised value: an option id, a number, a text, or an ISO date. */
  value: string | number;
}

export interface FlowSession {
  flowId: string;
  flowVersion: string;
  /** The question on screen, or null while the summary awaits confirmation. */
  current: string | null;
  answers: Record<string, AnswerValue>;
  startedAt: string;
  /** Facts about the person or unit the flow may branch on (e.g. unit type). */
  context: Record<string, string>;
}

export interface ConversationState {
  v: 1;
  /** "pending": nothing is stored for this person until they agree. */
  consent: 'pending' | 'given';
  /** A yes/no the person must answer before anything else (deleting data, restarting). */
  confirming?: 'delete' | 'restart' | undefined;
  flow?: FlowSession | undefined;
  /** Set after a result, so "xem kết quả" can show it again. */
  lastResult?: FlowResult | undefined;
}

export interface IndicatorOutcome {
  id: string;
  criterion: string;
  title: string;
  met: boolean;
  /** Points flows: points scored; pass/fail flows: null. */
  score: number | null;
  maxScore: number | null;
  /** Why it is not met (pass/fail) or the points gap, in Vietnamese. */
  detail: string;
  advice: string | null;
  applicable: boolean;
}

export interface CriterionOutcome {
  id: string;
  title: string;
  met: boolean;
  score: number | null;
}

export interface FlowResult {
  flow: string;
  flowVersion: string;
  passed: boolean;
  score: number | null;
  maxScore: number | null;
  /** Pass/fail flows: the highest level met, or null. */
  level: string | null;
  criteria: CriterionOutcome[];
  indicators: IndicatorOutcome[];
}

/** Side effects the conversation service carries out in the same transaction as the state change. */
export type Effect =
  | { kind: 'consentGiven' }
  | { kind: 'flowStarted'; flowId: string; flowVersion: string }
  | { kind: 'answerRecorded'; flowId: string; flowVersion: string; questionId: string; questionText: string; answer: AnswerValue }
  /**
   * Answers the turn took back: to questions an edit hid, counts an edit put over their new bound,
   * questions a new flow version no longer has. Their rows stop being current at once, so the table
   * holds exactly the session's answers.
   */
  | { kind: 'answersDropped'; flowId: string; questionIds: string[] }
  | { kind: 'flowCancelled'; flowId: string }
  | { kind: 'flowSubmitted'; result: FlowResult; answers: Record<string, AnswerValue> }
  | { kind: 'deleteMyData' };

export interface StepResult {
  state: ConversationState;
  outputs: Output[];
  effects: Effect[];
}

export const INITIAL_STATE: ConversationState = { v: 1, consent: 'pending' };
