/**
 * The answers of `/api/v1/cases`: the staff view of a case, the customer projection, list
 * items, timeline entries (staff and customer), and what an edit changed. They mirror
 * src/cases/case-view.ts and customer-view.ts; test/api/openapi-responses.test.ts checks real
 * answers against them.
 */
import { z } from 'zod';
import { actor, caseRef, change, instant, json, jsonObject, phoneNumber, priority, stateCategory } from './common.js';
import { crmRecord } from './integrations.js';

export const attachment = z
  .object({ id: z.number().int(), name: z.string(), size: z.number().int(), mediaType: z.string(), kind: z.enum(['attachment', 'inline', 'original-mail']) })
  .meta({ id: 'Attachment', description: 'A file of the case; download it at `/cases/{id}/attachments/{attachment}`.' });

export const slaTimer = z
  .object({
    metric: z.string().meta({ examples: ['firstResponse', 'resolution'] }),
    policy: z.string(),
    policyVersion: z.number().int(),
    state: z.string(),
    startedAt: instant,
    dueAt: instant.nullable(),
    warnAt: instant.nullable(),
    level: z.enum(['ok', 'warning', 'breached', 'paused', 'fulfilled']),
    minutesLeft: z.number().nullable(),
    overdueMinutes: z.number().nullable(),
    businessMinutesLeft: z.number().nullable(),
    targetMinutes: z.number(),
    usedMinutes: z.number(),
    pauseReason: z.string().nullable(),
    stopReason: z.string().nullable(),
    warnedAt: instant.nullable(),
    breachedAt: instant.nullable(),
    fulfilledAt: instant.nullable(),
  })
  .meta({ id: 'SlaTimer' });

export const availableTransition = z
  .object({ name: z.string(), label: z.string(), to: z.string(), requires: z.array(z.string()), allows: z.array(z.string()) })
  .meta({ id: 'AvailableTransition', description: 'A transition the caller may use now, and the fields it requires or allows.' });

/** The staff view of a case. */
export const staffCase = z
  .object({
    id: caseRef,
    subject: z.string(),
    description: z.string(),
    channel: z.string().meta({ examples: ['web', 'api', 'email'] }),
    status: z.string(),
    statusLabel: z.string(),
    open: z.boolean(),
    queue: z.string(),
    priority,
    requestedPriority: priority,
    tier: z.number().int(),
    assignee: z.object({ id: z.number().int(), name: z.string() }).nullable(),
    waitingSince: instant.nullable(),
    tags: z.array(z.string()),
    skills: z.array(z.string()),
    customer: z.object({
      id: z.number().int(),
      email: z.string(),
      name: z.string(),
      tier: z.string(),
      organization: z.string().nullable(),
      phone: phoneNumber.nullable(),
      crm: crmRecord.nullable(),
    }),
    workflow: z.object({ name: z.string(), version: z.number().int() }),
    solution: z.string().nullable().meta({ description: "The current resolution's solution; null while open (a reopen ends the resolution: the earlier solution stays on the timeline)." }),
    reopenCount: z.number().int(),
    escalationCount: z.number().int(),
    createdAt: instant,
    updatedAt: instant,
    firstResponseAt: instant.nullable(),
    resolvedAt: instant.nullable(),
    closedAt: instant.nullable(),
    mergedInto: caseRef.nullable().meta({ description: 'The case this one was merged into as a duplicate (`POST /api/v1/cases/{id}/merge`); null when not merged.' }),
    sla: z.array(slaTimer),
    slaPolicy: z.string().nullable(),
    routing: z
      .object({
        ruleset: z.string(),
        version: z.number().int(),
        fired: z.array(z.object({ rule: z.string(), event: json })),
        error: z.string().optional(),
        defaultQueue: z.string().optional(),
        mailbox: z.string().optional(),
      })
      .nullable()
      .meta({ description: 'Why the case is here: the routing ruleset version and the rules that fired.' }),
    suggestions: z.array(z.object({ problemId: z.number().int(), title: z.string(), score: z.number() })),
    chat: z
      .object({
        site: z.string(),
        state: z.enum(['open', 'ended']),
        visitorEmail: z.string(),
        emailVerified: z.boolean().meta({ description: 'false: the visitor typed this address and the site did not sign it; they may not be the customer of that address. For a message left in the chat window, true once an agent confirmed the address (`POST /api/v1/cases/{id}/held-mail/release`).' }),
      })
      .nullable()
      .meta({ description: 'A chat case’s visitor (its latest chat), or the visitor who left a message in the chat window when nobody was available (a case of channel `email`, `state` `ended`); null for other cases.' }),
    version: z.number().int().meta({ description: 'Changes on every write; send it back as `expectedVersion` or `If-Match`.' }),
    transitions: z.array(availableTransition),
  })
  .meta({ id: 'Case', description: 'A case as staff see it.' });

const customerStatusFields = {
  status: z.string().meta({ description: 'The state in customer wording.' }),
  statusCategory: stateCategory.nullable(),
  open: z.boolean(),
};

/** The customer projection of a case (the same in the portal, the API and mails). */
export const customerCase = z
  .object({
    id: caseRef,
    subject: z.string(),
    ...customerStatusFields,
    createdAt: instant,
    updatedAt: instant,
    description: z.string(),
    solution: z.string().nullable().meta({ description: "The current resolution's solution; null while open (a reopen ends the resolution: the earlier solution stays on the timeline)." }),
    resolvedAt: instant.nullable(),
    closedAt: instant.nullable(),
    mergedInto: caseRef.nullable().meta({ description: 'The case of theirs this request was merged into (its messages go on there); null when not merged, or merged into a case that is not theirs.' }),
    rating: z.object({ satisfied: z.boolean(), comment: z.string(), ratedAt: instant }).nullable().meta({ description: "The rating of the current resolution; null until rated, and again after a reopen (the earlier rating stays on the timeline and in CSAT)." }),
    transitions: z.array(z.object({ name: z.string(), label: z.string() })),
    offer: z.object({ title: z.string(), solution: z.string(), answer: z.enum(['open', 'solved', 'notSolved']) }).nullable(),
  })
  .meta({ id: 'CustomerCase', description: 'A case as its customer sees it: no internal notes, routing, queue, tier or assignee.' });

/** Staff tokens get a Case, customer tokens a CustomerCase. */
export const caseAnswer = z.union([staffCase, customerCase]);

export const staffCaseSummary = z
  .object({
    id: caseRef,
    subject: z.string(),
    status: z.string(),
    open: z.boolean(),
    queue: z.string(),
    priority,
    tier: z.number().int(),
    assigneeId: z.number().int().nullable(),
    tags: z.array(z.string()),
    slaDueAt: instant.nullable(),
    createdAt: instant,
    updatedAt: instant,
    version: z.number().int().meta({ description: 'The case version, as `GET /cases/{id}` gives it (`ETag`): a sync keeps the newest it saw of each case.' }),
  })
  .meta({ id: 'CaseSummary' });

export const customerCaseSummary = z
  .object({ id: caseRef, subject: z.string(), ...customerStatusFields, createdAt: instant, updatedAt: instant })
  .meta({ id: 'CustomerCaseSummary' });

export const caseList = z.object({
  items: z.array(z.union([staffCaseSummary, customerCaseSummary])),
  nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last.' }),
  syncCursor: z
    .string()
    .optional()
    .meta({ description: 'Incremental sync only (`updatedSince` or a sync cursor): keep the last page’s and send it as `cursor` next time to get only the cases changed after this answer.' }),
});

/** Only the case's reference: for someone filing into a queue they do not work. */
export const caseReference = z.object({ id: caseRef });

export const timelineEntry = z
  .object({ id: z.number().int(), type: z.string().meta({ examples: ['case.created', 'staff.replied', 'sla.breached'] }), at: instant, actor, data: jsonObject, attachments: z.array(attachment).optional() })
  .meta({ id: 'TimelineEntry', description: 'One entry of the append-only timeline; `data` depends on `type` (docs/workflows.md).' });

const customerAttachment = z.object({ id: z.number().int(), name: z.string(), size: z.number().int(), mediaType: z.string() }).meta({ id: 'CustomerAttachment' });
const at = { id: z.number().int(), at: instant };

export const customerTimelineEntry = z
  .union([
    z.object({ ...at, type: z.literal('case.created'), attachments: z.array(customerAttachment).optional() }),
    z.object({
      ...at,
      type: z.enum(['customer.replied', 'staff.replied']),
      author: z.object({ type: z.enum(['customer', 'staff']), name: z.string(), you: z.boolean() }),
      body: z.string(),
      attachments: z.array(customerAttachment).optional(),
    }),
    z.object({ ...at, type: z.literal('case.transitioned'), status: z.string(), solution: z.string().optional() }),
    z.object({ ...at, type: z.literal('case.subject_changed'), subject: z.string() }),
    z.object({ ...at, type: z.literal('case.rated'), satisfied: z.boolean(), comment: z.string() }),
    z.object({ ...at, type: z.literal('case.solutionOffered'), title: z.string(), solution: z.string() }),
    z.object({ ...at, type: z.enum(['case.solutionAccepted', 'case.solutionDeclined']), title: z.string() }),
  ])
  .meta({ id: 'CustomerTimelineEntry', description: 'What the customer sees of the timeline.' });

export const timelineAnswer = z.union([z.array(timelineEntry), z.array(customerTimelineEntry)]);

export const caseChanges = z
  .object({
    priority: change(priority).optional(),
    tags: z.object({ from: z.array(z.string()), to: z.array(z.string()), added: z.array(z.string()), removed: z.array(z.string()) }).optional(),
    subject: change(z.string()).optional(),
  })
  .meta({ id: 'CaseChanges' });

export const editedCase = z.object({ ...staffCase.shape, changes: caseChanges });

export const messageAnswer = z.object({
  message: z.union([timelineEntry, customerTimelineEntry]).optional().meta({ description: 'The message as the caller sees it on the timeline.' }),
  case: caseAnswer,
});

export const callAnswer = z.object({
  call: timelineEntry.meta({ description: 'The `call.logged` entry.' }),
  case: staffCase,
});
