/**
 * Answers about definitions and reference data: rulesets, the SLA config, workflows, queues,
 * mail templates. Definition bodies (rules, SLA config, workflow) are JSON described in
 * docs/rules.md, docs/sla.md and docs/workflows.md.
 */
import { z } from 'zod';
import { caseRef, instant, json, jsonObject } from './common.js';

const definitionProblem = z.object({ path: z.string(), message: z.string(), severity: z.enum(['error', 'warning']) }).meta({ id: 'DefinitionProblem' });

const versionFields = {
  version: z.number().int(),
  state: z.enum(['draft', 'published']),
  author: z.string(),
  note: z.string(),
  createdAt: instant,
  publishedAt: instant.nullable(),
};

export const definitionVersion = z.object(versionFields).meta({ id: 'DefinitionVersion' });

const rulesetFields = {
  ruleset: z.string(),
  ...versionFields,
  description: z.string(),
  examplesOverride: z.looseObject({ note: z.string(), failed: z.array(z.object({ name: z.string(), differences: z.array(z.string()) })) }).nullable(),
};

export const ruleset = z
  .object({
    ...rulesetFields,
    rules: z.array(json).meta({ description: 'Rules in json-rules-engine format (docs/rules.md).' }),
    sharedConditions: z.record(z.string(), json).meta({ description: 'Conditions the rules refer to as { "condition": name } (json-rules-engine setCondition; docs/rules.md, "Shared conditions"); {} when none.' }),
    examples: z.array(json),
  })
  .meta({ id: 'Ruleset' });

export const rulesetListItem = z.object({ ...rulesetFields, rules: z.number().int().meta({ description: 'How many rules.' }), examples: z.number().int() }).meta({ id: 'RulesetSummary' });

export const publishedRuleset = z.object({
  ...ruleset.shape,
  warnings: z.array(definitionProblem),
  exampleResults: z.object({ passed: z.number().int(), failed: z.number().int(), results: z.array(z.object({ name: z.string(), passed: z.boolean(), differences: z.array(z.string()) })) }),
});

export const slaConfig = z
  .looseObject({ calendars: jsonObject, policies: jsonObject, default: z.string() })
  .meta({ id: 'SlaConfig', description: 'Business-hours calendars and SLA policies (docs/sla.md).' });

export const slaConfigVersion = z.object({ ...versionFields, config: slaConfig, openCasesOnOtherVersions: z.number().int() });
export const publishedSlaConfig = z.object({ ...slaConfigVersion.shape, warnings: z.array(definitionProblem) });

const timerTarget = z.object({ policy: z.string(), policyVersion: z.number().int(), targetMinutes: z.number(), dueAt: instant.nullable() });

export const reapplyResult = z.object({
  dryRun: z.boolean(),
  version: z.number().int(),
  cases: z.number().int(),
  changedCases: z.number().int(),
  changedTimers: z.number().int(),
  changes: z.array(
    z.object({
      caseId: caseRef,
      fromVersion: z.number().int().nullable(),
      policy: z.object({ from: z.string().nullable(), to: z.string() }),
      timers: z.array(
        z.object({
          metric: z.string(),
          state: z.string(),
          from: timerTarget.nullable().meta({ description: 'null: the metric has no timer and one is created (its target now applies).' }),
          to: timerTarget.nullable().meta({ description: 'null: the new version sets no target for this metric; the timer is cancelled.' }),
          startedAt: instant.optional().meta({ description: 'A created timer: where its clock starts (the metric’s own start).' }),
          usedMinutes: z.number().optional().meta({ description: 'A created timer: business minutes used since `startedAt`, less time paused or stopped by states.' }),
        }),
      ),
    }),
  ),
  truncated: z.boolean(),
});

const scheduledTimer = z.object({ transition: z.string(), at: instant });
const clockEffect = z.enum(['run', 'pause', 'stop']);

export const workflowReapplyResult = z.object({
  dryRun: z.boolean(),
  workflow: z.string(),
  version: z.number().int(),
  cases: z.number().int().meta({ description: 'Cases on another version that move (moved, unless dryRun).' }),
  changedCases: z.number().int().meta({ description: 'Of those, the ones whose state, SLA clocks or state timers change.' }),
  changes: z.array(
    z.object({
      caseId: caseRef,
      fromVersion: z.number().int(),
      state: z.object({ from: z.string(), to: z.string() }),
      clocks: z.array(z.object({ metric: z.string(), from: clockEffect, to: clockEffect })),
      timers: z.object({ cancelled: z.array(scheduledTimer), scheduled: z.array(scheduledTimer) }),
    }),
  ),
  blockedCases: z.number().int().meta({ description: 'Cases that cannot move as asked and stay on their version.' }),
  blocked: z.array(z.object({ caseId: caseRef, fromVersion: z.number().int(), state: z.string(), reason: z.string() })),
  blockedStates: z.array(z.object({ state: z.string(), cases: z.number().int(), reason: z.string() })),
  truncated: z.boolean(),
});

export const sweepRun = z.object({
  sweep: z.object({ at: instant, warnings: z.number().int(), breaches: z.number().int(), skipped: z.number().int(), entries: z.array(jsonObject), truncated: z.boolean() }),
  waiting: z.object({ alerted: z.number().int(), skipped: z.number().int(), cases: z.array(z.string()) }),
  outbox: z.object({ done: z.number().int(), failed: z.number().int() }),
});

export const queue = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    tier: z.number().int(),
    waitingOrder: z.enum(['priority', 'fifo']),
    waitAlertMinutes: z.number().int().nullable(),
    active: z.boolean(),
    createdAt: z.number().int().meta({ description: 'Epoch milliseconds.' }),
  })
  .meta({ id: 'Queue' });

export const workflow = z.object({ version: z.number().int(), definition: jsonObject.meta({ description: 'The workflow definition (docs/workflows.md).' }) });

const templateSource = z.object({ subject: z.string(), body: z.string() });

export const template = z
  .object({
    name: z.string(),
    audience: z.enum(['customer', 'staff']),
    title: z.string(),
    when: z.string(),
    customized: z.boolean(),
    subject: z.string(),
    body: z.string(),
    default: templateSource,
    updatedBy: z.string().nullable(),
    updatedAt: instant.nullable(),
    variables: z.array(z.object({ name: z.string(), description: z.string(), sectionOnly: z.boolean() })),
  })
  .meta({ id: 'MailTemplate' });

export const templateWithHistory = z.object({
  ...template.shape,
  history: z.array(z.object({ action: z.string(), subject: z.string().nullable(), body: z.string().nullable(), by: z.string(), at: instant })),
});

export const templatePreview = z.object({ subject: z.string(), text: z.string(), html: z.string(), case: caseRef.nullable() });
