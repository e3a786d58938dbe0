/** Answers of the workspace API: macros, search, customer profiles, the telephony hook. */
import { z } from 'zod';
import { actor, caseRef, change, instant, phoneNumber, priority, stateCategory } from './common.js';
import { staffCase, timelineEntry } from './cases.js';

export const macroActions = z
  .object({
    transition: z.string().optional(),
    priority: priority.optional(),
    tags: z.object({ add: z.array(z.string()), remove: z.array(z.string()) }).optional(),
    assignee: z.union([z.enum(['me', 'unassign']), z.number().int()]).optional(),
  })
  .meta({ id: 'MacroActions' });

export const macro = z
  .object({
    id: z.number().int(),
    name: z.string(),
    body: z.string(),
    actions: macroActions,
    scope: z.enum(['personal', 'shared']),
    version: z.number().int(),
    usageCount: z.number().int(),
    lastUsedAt: instant.nullable(),
    createdBy: z.string(),
    createdAt: instant,
    updatedBy: z.string(),
    updatedAt: instant,
    editable: z.boolean().meta({ description: 'The caller may change or delete it.' }),
  })
  .meta({ id: 'Macro' });

const macroChange = z
  .object({ field: z.enum(['status', 'priority', 'tags', 'assignee', 'queue']), from: z.unknown(), to: z.unknown(), text: z.string() })
  .meta({ id: 'MacroChange' });

export const macroPreview = z.object({
  case: caseRef,
  macro: z.object({ id: z.number().int(), name: z.string() }),
  text: z.string(),
  planned: z.array(z.string()),
  changes: z.array(macroChange),
  problem: z.object({ code: z.string(), message: z.string() }).nullable(),
  caseVersion: z.number().int(),
  macroVersion: z.number().int(),
});

export const macroApplied = z.object({ macro, message: timelineEntry.nullable(), changes: z.array(macroChange), case: staffCase });

const marked = z
  .object({ text: z.string(), highlights: z.array(z.tuple([z.number().int(), z.number().int()])).meta({ description: '[start, end) offsets of the hits in `text`.' }) })
  .meta({ id: 'MarkedText' });

const caseResult = z.object({
  id: caseRef,
  subject: marked,
  status: z.string(),
  statusLabel: z.string(),
  statusCategory: stateCategory.nullable(),
  open: z.boolean(),
  createdAt: instant,
  updatedAt: instant,
  match: z.object({ in: z.enum(['description', 'reply', 'note']), at: instant, author: z.object({ type: z.enum(['customer', 'staff']), name: z.string() }).nullable(), snippet: marked }),
  moreMatches: z.number().int().meta({ description: 'The case’s other messages the caller may see that hold every searched word and phrase themselves (not counting the one in `match`); a message holding only some of them is not counted. 0 when searching by filters only.' }),
  queue: z.string().optional(),
  priority: z.string().optional(),
  assignee: z.object({ id: z.number().int(), name: z.string() }).nullable().optional(),
  customer: z.object({ id: z.number().int(), name: z.string(), email: z.string() }).optional(),
  tags: z.array(z.string()).optional(),
});

export const searchResults = z.object({
  q: z.string(),
  jump: z.object({ id: caseRef, url: z.string() }).nullable(),
  cases: z.object({ items: z.array(caseResult), nextCursor: z.string().nullable(), partial: z.boolean() }),
  customers: z.array(z.object({ id: z.number().int(), email: z.string(), name: marked, details: marked, cases: z.number().int() })).optional().meta({ description: 'Staff only.' }),
  library: z.array(z.object({ id: z.number().int(), title: marked, solution: marked })),
});

const profileChanges = z.object({
  name: change(z.string()).optional(),
  email: change(z.string()).optional(),
  tier: change(z.string()).optional(),
  organization: change(z.string().nullable()).optional(),
  phone: change(phoneNumber.nullable()).optional(),
});

export const customerProfile = z.object({
  id: z.number().int(),
  email: z.string(),
  name: z.string(),
  tier: z.string(),
  organization: z.string().nullable(),
  phone: phoneNumber.nullable(),
  changes: profileChanges,
  history: z.array(z.object({ at: instant, via: z.enum(['edit', 'intake']), by: actor, caseId: caseRef.nullable(), changes: profileChanges, reason: z.string().nullable() })),
});

/** What the telephony hook did with a call (`POST /channels/phone/calls`). */
export const callReceived = z.object({
  result: z.enum(['created', 'appended']).meta({ description: '`created`: the call opened a case; `appended`: it joined the caller’s open phone case.' }),
  case: caseRef,
  customer: z.number().int().meta({ description: 'The caller’s customer id (a new customer for an unknown number).' }),
  event: z.number().int().meta({ description: 'The call’s timeline entry.' }),
  replayed: z.boolean().meta({ description: 'This call id was received before: nothing changed now.' }),
});
