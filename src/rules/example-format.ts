/**
 * The examples a ruleset carries (`"examples": [...]` beside `"rules"`; in files
 * `rules/<name>.examples.json`): a case as it arrives and what must happen to it. Checked on
 * every draft save, in dry-runs and on publish (examples.ts runs them).
 *
 * ```json
 * { "name": "A double charge goes to billing",
 *   "case": { "subject": "Charged twice", "description": "My card was charged twice.",
 *             "channel": "web", "priority": "normal",
 *             "customer": { "tier": "enterprise", "organization": "Acme" },
 *             "knownProblem": false, "createdAt": "2026-03-02T10:00:00Z" },
 *   "expect": { "queue": "billing", "skills": ["refunds"], "escalated": false } }
 * ```
 *
 * Only what `expect` names is checked; `tags` and `skills` are compared as sets.
 */
import { z } from 'zod';
import { CHANNELS, PRIORITIES } from '../db/schema/cases.js';
import { problem, problemsFromZod, type DefinitionProblem, type PathSegment } from '../definitions/problems.js';
import { tagSchema } from './tags.js';

export const exampleCaseSchema = z.strictObject({
  subject: z.string().max(200, 'at most 200 characters'),
  description: z.string().max(20_000, 'at most 20,000 characters'),
  /** How the case came in; default `web`. */
  channel: z.enum(CHANNELS).optional(),
  /** The priority asked for at intake; default `normal`. */
  priority: z.enum(PRIORITIES).optional(),
  customer: z
    .strictObject({
      email: z.string().max(254).optional(),
      name: z.string().max(200).optional(),
      tier: z.string().min(1).max(64).optional(),
      organization: z.string().max(200).nullable().optional(),
      openCases: z.number().int().min(0).optional(),
      /** What the CRM said about the customer (the `customer.crm` fact, docs/integrations.md); default none (null). */
      crm: z
        .strictObject({ plan: z.string().max(200).nullable().optional(), mrr: z.number().nullable().optional(), accountOwner: z.string().max(200).nullable().optional(), churned: z.boolean().optional() })
        .nullable()
        .optional(),
    })
    .optional(),
  /** Whether the problem library knows the problem (the `diagnosis.matched` fact); default false. */
  knownProblem: z.boolean().optional(),
  problemId: z.number().int().positive().nullable().optional(),
  /** When the case arrives (ISO 8601): the `now` and `case.createdAt` facts, and business hours. */
  createdAt: z.iso.datetime({ offset: true, error: 'a time such as 2026-03-02T10:00:00Z' }).optional(),
  /** Overrides what `createdAt` says about business hours (default: computed, or true without a time). */
  withinBusinessHours: z.boolean().optional(),
  /** The queue the case starts in unless a rule routes it (a mailbox's or chat site's default queue; the `case.queue` fact); default `general`. */
  defaultQueue: z.string().min(1).max(64).optional(),
  /** What the `case.created` event says of where the case came from (`{ "mailbox": "Sales" }`, `chatSite`, `via`); `type` is always `case.created`. */
  event: z.record(z.string().min(1).max(64).refine((k) => k !== 'type', '"type" is always case.created'), z.string().max(200)).optional(),
});

export const EXPECTATION_FIELDS = ['queue', 'priority', 'tags', 'skills', 'policy', 'escalated'] as const;
export type ExpectationField = (typeof EXPECTATION_FIELDS)[number];

export const expectationSchema = z
  .strictObject({
    queue: z.string().min(1).optional(),
    priority: z.enum(PRIORITIES).optional(),
    tags: z.array(tagSchema).optional(),
    skills: z.array(tagSchema).optional(),
    /** The SLA policy applied. */
    policy: z.string().min(1).optional(),
    /** Moved to a higher tier at intake. */
    escalated: z.boolean().optional(),
  })
  .refine((e) => EXPECTATION_FIELDS.some((f) => e[f] !== undefined), 'say what must happen: at least one of queue, priority, tags, skills, policy, escalated');

export const exampleSchema = z.strictObject({
  name: z.string().trim().min(1, 'give the example a name').max(200, 'at most 200 characters'),
  case: exampleCaseSchema,
  expect: expectationSchema,
  /** The past case it was kept from (`C-1042`). */
  fromCase: z.string().regex(/^C-\d+$/).optional(),
});

export type RuleExample = z.infer<typeof exampleSchema>;
export type ExampleCase = z.infer<typeof exampleCaseSchema>;
export type Expectation = z.infer<typeof expectationSchema>;

/** Most examples one ruleset carries. */
export const MAX_EXAMPLES = 500;

/** Adds every problem of an `examples` array (shape, unique names) to `problems`. */
export function validateExamples(examples: unknown, at: PathSegment[], problems: DefinitionProblem[]): void {
  if (!Array.isArray(examples)) {
    problems.push(problem(at, 'must be an array of examples { "name", "case", "expect" }'));
    return;
  }
  if (examples.length > MAX_EXAMPLES) problems.push(problem(at, `at most ${MAX_EXAMPLES} examples`));
  const names = new Map<string, number>();
  examples.forEach((example, i) => {
    const parsed = exampleSchema.safeParse(example);
    if (!parsed.success) {
      problems.push(...problemsFromZod(parsed.error.issues, [...at, i]));
      return;
    }
    const first = names.get(parsed.data.name);
    if (first !== undefined) problems.push(problem([...at, i, 'name'], `the name "${parsed.data.name}" is already used by examples[${first}]`));
    else names.set(parsed.data.name, i);
  });
}
