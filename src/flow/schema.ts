import { z } from 'zod';
import { UNIT_TYPES } from '../units/types.ts';

/**
 * The shape of a flow file (flows/*.yaml). Structural rules live here; rules that need the whole
 * flow (references, reachability, citations) live in crossCheck.ts.
 */

const id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$/, 'must use only letters, digits, _ . - (max 48)');

/** A condition over earlier answers and the conversation context (e.g. the unit's type). */
export type Condition =
  | { question: string; equals: string | number | boolean }
  | { question: string; in: Array<string | number> }
  | { question: string; notIn: Array<string | number> }
  | { question: string; answered: boolean }
  | { question: string; gte: number }
  | { question: string; lte: number }
  | { context: string; in: string[] }
  | { context: string; equals: string }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

const scalar = z.union([z.string(), z.number(), z.boolean()]);
export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ question: id, equals: scalar }),
    z.strictObject({ question: id, in: z.array(z.union([z.string(), z.number()])).min(1) }),
    z.strictObject({ question: id, notIn: z.array(z.union([z.string(), z.number()])).min(1) }),
    z.strictObject({ question: id, answered: z.boolean() }),
    z.strictObject({ question: id, gte: z.number() }),
    z.strictObject({ question: id, lte: z.number() }),
    z.strictObject({ context: id, in: z.array(z.string()).min(1) }),
    z.strictObject({ context: id, equals: z.string() }),
    z.strictObject({ all: z.array(conditionSchema).min(1) }),
    z.strictObject({ any: z.array(conditionSchema).min(1) }),
    z.strictObject({ not: conditionSchema }),
  ]),
);

const text = z.string().trim().min(1, 'must not be empty');

const optionSchema = z.strictObject({
  id,
  label: text,
  /** Extra words accepted for this option (matched without diacritics or case). */
  aliases: z.array(z.string().min(1)).optional(),
  /** Points this option gives to the question's indicator (points scoring). */
  points: z.number().min(0).optional(),
});

const variantSchema = z.strictObject({ when: conditionSchema, text });

const common = {
  id,
  text,
  /** Alternative wordings, the first whose condition holds is asked (e.g. by target group). */
  variants: z.array(variantSchema).optional(),
  help: z.string().optional(),
  when: conditionSchema.optional(),
  /** The indicator this question scores (points flows) or feeds (pass/fail flows). */
  indicator: id.optional(),
  /** A short name used in the summary and in exports. */
  short: z.string().max(80).optional(),
  /**
   * Answered from the conversation context when it holds this key with a valid answer (e.g. the unit
   * type the secretariat registered), so the person is not asked what is already known. Still editable.
   */
  fromContext: id.optional(),
};

const bound = z.union([z.number(), z.strictObject({ question: id })]);

export const questionSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...common, type: z.literal('single'), options: z.array(optionSchema).min(2).max(20) }),
  z.strictObject({
    ...common,
    type: z.literal('yesno'),
    /** Points for yes / no in points flows. */
    points: z.strictObject({ yes: z.number().min(0), no: z.number().min(0) }).optional(),
  }),
  z.strictObject({
    ...common,
    type: z.literal('integer'),
    min: z.number().int().default(0),
    max: bound.optional(),
    unit: z.string().optional(),
  }),
  z.strictObject({
    ...common,
    type: z.literal('decimal'),
    min: z.number().default(0),
    max: bound.optional(),
    percent: z.boolean().default(false),
    unit: z.string().optional(),
  }),
  z.strictObject({
    ...common,
    type: z.literal('text'),
    minLength: z.number().int().min(0).default(1),
    maxLength: z.number().int().min(1).max(2000).default(200),
  }),
  /** The person's commune, matched by name (with or without diacritics) against the administrative units. */
  z.strictObject({ ...common, type: z.literal('commune') }),
  z.strictObject({
    ...common,
    type: z.literal('date'),
    /** ISO dates (yyyy-mm-dd) bounding the accepted answer. */
    min: z.iso.date().optional(),
    max: z.iso.date().optional(),
  }),
]);
export type Question = z.output<typeof questionSchema>;
export type QuestionType = Question['type'];

const sourceSchema = z.strictObject({
  id,
  title: text,
  url: z.url().optional(),
  /** H: read in the legal text; M: credible secondary source; L: inference. */
  confidence: z.enum(['H', 'M', 'L']),
});

const citation = z.strictObject({ source: id, clause: text });

/** A threshold may differ by level ("1", "2"). */
const threshold = z.union([z.number(), z.record(id, z.number())]);

/**
 * Accepted options of a choice rule: one list for every level, or a list per level ("1", "2"), e.g.
 * "PCGD tiểu học mức độ 2 or 3" for level 1 and "mức độ 3" for level 2.
 */
export type ChoiceSet = string[] | Record<string, string[]>;

export type Rule =
  | { yes: string }
  | { choice: string; in: ChoiceSet }
  | { ratio: { numerator: string; denominator: string }; min: number | Record<string, number> }
  | { value: string; min: number | Record<string, number> }
  | { all: Rule[] };

export const ruleSchema: z.ZodType<Rule> = z.lazy(() =>
  z.union([
    z.strictObject({ yes: id }),
    z.strictObject({ choice: id, in: z.union([z.array(id).min(1), z.record(id, z.array(id).min(1))]) }),
    z.strictObject({ ratio: z.strictObject({ numerator: id, denominator: id }), min: threshold }),
    z.strictObject({ value: id, min: threshold }),
    z.strictObject({ all: z.array(ruleSchema).min(1) }),
  ]),
);

const indicatorSchema = z.strictObject({
  id,
  criterion: id,
  title: text,
  cite: citation,
  /** Shown when the indicator is not met: one concrete next step. */
  advice: text,
  /** Pass/fail flows: the rule deciding the indicator. Points flows: omitted (points come from questions). */
  rule: ruleSchema.optional(),
  /** Only assessed where this holds (e.g. not for economic organisations). */
  appliesIf: conditionSchema.optional(),
  /** Only assessed for these levels (pass/fail flows). */
  levels: z.array(id).optional(),
  /** Points flows: the most points this indicator can give. */
  maxPoints: z.number().positive().optional(),
});
export type Indicator = z.output<typeof indicatorSchema>;

const criterionSchema = z.strictObject({ id, title: text, cite: citation });
export type Criterion = z.output<typeof criterionSchema>;

const scoringSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('points'),
    maxTotal: z.number().positive(),
    pass: z.strictObject({ minTotal: z.number().min(0), minPerIndicator: z.number().min(0).default(0) }),
  }),
  z.strictObject({
    kind: z.literal('passFail'),
    /** Ordered from the lowest to the highest level; a level is met when every applicable indicator passes. */
    levels: z.array(z.strictObject({ id, title: text })).min(1),
  }),
]);
export type Scoring = z.output<typeof scoringSchema>;

export const flowSchema = z.strictObject({
  id,
  version: z.string().regex(/^[0-9A-Za-z.+-]{1,32}$/, 'must be a short version string such as 2026.1'),
  title: text,
  /** Who may start it: citizens, or registered unit focal points. */
  audience: z.enum(['citizen', 'unit']).default('citizen'),
  /** Unit flows: the unit types that take this assessment (all when omitted). */
  unitTypes: z.array(z.enum(UNIT_TYPES)).min(1).optional(),
  /** Marks a flow built from incomplete public sources; its result says so. */
  provisional: z.boolean().default(false),
  description: z.string().optional(),
  intro: text,
  /** Said with the result: what the person should do next, who recognises the title. */
  outro: z.string().optional(),
  sources: z.array(sourceSchema).min(1),
  criteria: z.array(criterionSchema).min(1),
  indicators: z.array(indicatorSchema).min(1),
  questions: z.array(questionSchema).min(1),
  scoring: scoringSchema,
});
export type Flow = z.output<typeof flowSchema>;
export type FlowInput = z.input<typeof flowSchema>;
