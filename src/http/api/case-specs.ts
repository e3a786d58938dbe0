/** The descriptions of `/api/v1/cases` (cases.ts registers them; the OpenAPI document lists them). */
import { z } from 'zod';
import { acceptReviewSchema } from '../../channels/email/accept-review.js';
import { editCaseSchema } from '../../cases/edit-case.js';
import { staffCallSchema } from '../../cases/log-call.js';
import { importCaseSchema } from '../../cases/import-case.js';
import { listCasesSchema } from '../../cases/list-cases.js';
import { mergeSchema } from '../../cases/merge-case.js';
import { reassignSchema } from '../../cases/reassign-case.js';
import { sendMessageSchema } from '../../cases/send-message.js';
import { offerAnswerSchema } from '../../cases/solution-offer.js';
import { transitionSchema } from '../../cases/transition-case.js';
import { IDEMPOTENCY_HEADER } from '../idempotency.js';
import { RATE_LIMIT_HEADERS } from '../limits.js';
import { apiGroup, EVERYONE, STAFF_ONLY, type HeaderSpec } from '../openapi/route-spec.js';
import { IF_MATCH_HEADER } from './if-match.js';
import { callAnswer, caseAnswer, caseList, caseReference, editedCase, messageAnswer, timelineAnswer } from './schemas/cases.js';

export const caseApi = apiGroup('/cases', 'Cases');

const caseId = z.string().meta({ description: 'The case reference.', examples: ['C-1042'] });

const idempotencyKey: Record<string, HeaderSpec> = {
  [IDEMPOTENCY_HEADER]: {
    description: 'A retry with the same key (per caller, 24 h) gets the first answer again (`Idempotent-Replayed: true`) and creates nothing.',
    schema: z.string().min(1).max(257).meta({ examples: ['"8e03978e-40d5-43e8-bc93-6894a57f9324"'] }),
  },
};

/** What changing answers carry: the case version GET gives as `ETag` (staff), so `If-Match` needs no GET first. */
const VERSION_HEADER = { ETag: 'The case’s version now (staff), as GET gives it: send it as `If-Match` next' };

const ifMatch = IF_MATCH_HEADER;

export const createCaseRoute = caseApi.route({
  method: 'post',
  path: '/',
  summary: 'Submit a case',
  description: 'Intake: the case is routed, assigned and its SLA timers started before the answer. Managers and admins may add import fields (docs/import.md); such a case with an `externalId` seen before answers 200, and its imported history sends no webhook, not even `case.created` (docs/integrations.md, *Imported cases*).',
  access: EVERYONE,
  headers: idempotencyKey,
  body: importCaseSchema,
  responses: {
    201: { description: 'The case (only its reference for a caller who may not see it)', schema: z.union([caseAnswer, caseReference]), headers: { Location: 'The case’s URL', ...VERSION_HEADER, ...RATE_LIMIT_HEADERS } },
    200: { description: 'An imported case whose externalId was imported before', schema: caseAnswer, headers: VERSION_HEADER },
  },
  errors: [409, 429],
});

export const listCasesRoute = caseApi.route({
  method: 'get',
  path: '/',
  summary: 'List cases',
  description:
    'Newest first, keyset pagination (`nextCursor`). Customers get their own cases in the customer projection. A queue or state that does not exist is 422 naming it. With `updatedSince` (staff) it is an incremental sync: the cases changed since, oldest change first, never skipping or repeating one while paging, and a `syncCursor` to send as `cursor` next time (docs/api.md, *Incremental sync*).',
  access: EVERYONE,
  query: listCasesSchema,
  responses: { 200: caseList },
});

export const getCaseRoute = caseApi.route({
  method: 'get',
  path: '/:id',
  summary: 'A case',
  description:
    'Staff get the full case with the transitions they may use now (and its version as `ETag`); customers the customer projection. `If-None-Match` with the `ETag` answers 304 while the case version is unchanged.',
  access: EVERYONE,
  params: { id: caseId },
  headers: { 'If-None-Match': { description: 'The `ETag` seen last (staff): 304 without a body while the case is at that version.', schema: z.string().meta({ examples: ['"7"'] }) } },
  responses: {
    200: { description: 'The case', schema: caseAnswer, headers: { ETag: 'The case version (staff), for `If-Match`' } },
    304: { description: 'Not modified: the case is still at the version `If-None-Match` named', headers: { ETag: 'The case version' } },
  },
});

export const editCaseRoute = caseApi.route({
  method: 'patch',
  path: '/:id',
  summary: 'Edit priority, tags, subject',
  description: '`If-Match: "<version>"` or `expectedVersion` make the edit conditional (409 CONFLICT when stale). Each change is on the timeline.',
  access: STAFF_ONLY,
  params: { id: caseId },
  headers: ifMatch,
  body: editCaseSchema,
  responses: { 200: { description: 'The edited case and its changes', schema: editedCase, headers: VERSION_HEADER } },
  errors: [409],
});

export const caseEventsRoute = caseApi.route({
  method: 'get',
  path: '/:id/events',
  summary: 'The timeline',
  description: 'Oldest first. Customers see their projection of it.',
  access: EVERYONE,
  params: { id: caseId },
  responses: { 200: timelineAnswer },
});

export const transitionRoute = caseApi.route({
  method: 'post',
  path: '/:id/transitions',
  summary: 'Use a workflow transition',
  description: '`If-Match: "<version>"` or `expectedVersion` make it conditional (409 CONFLICT, nothing done, when the case changed since).',
  access: EVERYONE,
  params: { id: caseId },
  headers: ifMatch,
  body: transitionSchema,
  responses: { 200: { description: 'The case after the transition', schema: caseAnswer, headers: { ...VERSION_HEADER, ...RATE_LIMIT_HEADERS } } },
  errors: [409, 429],
});

export const messageRoute = caseApi.route({
  method: 'post',
  path: '/:id/messages',
  summary: 'Reply or add an internal note',
  description:
    'Public replies, and internal notes (staff; `@name` mentions notify colleagues). With `transition` the message and the transition happen together or not at all. Files come as `multipart/form-data` (`files`, any number). `If-Match: "<version>"` or `expectedVersion` make it conditional: 409 CONFLICT, and nothing sent, when the case changed since. Unlike the console, the API does not ask before a public reply after a note nor before one mailed to an address a chat visitor typed and did not verify (`chat.state` `ended` and `chat.emailVerified` false in the case view): check those yourself.',
  access: EVERYONE,
  params: { id: caseId },
  headers: { ...idempotencyKey, ...ifMatch },
  body: sendMessageSchema,
  bodyAlternatives: {
    'multipart/form-data': sendMessageSchema.extend({
      public: z.enum(['true', 'false']).optional(),
      expectedVersion: z.string().regex(/^\d{1,12}$/).optional(),
      files: z.array(z.string().meta({ contentMediaType: 'application/octet-stream' })).optional(),
    }),
  },
  responses: { 201: { description: 'The message and the case', schema: messageAnswer, headers: { ...VERSION_HEADER, ...RATE_LIMIT_HEADERS } } },
  errors: [409, 429],
});

export const callRoute = caseApi.route({
  method: 'post',
  path: '/:id/calls',
  summary: 'Log a call or visit',
  description:
    'A phone call or walk-in visit staff had with the customer, on the timeline as `call.logged` (staff only: the customer never sees it). The caller spoke with the customer, so the call answers running `firstResponse` and `nextResponse` clocks as a public reply does (`sla.fulfilled` with `by: "call"`); an `inbound` call is also the customer getting in touch, as their reply: the workflow’s `customer.replied` transitions run (a case pending on the customer goes back to work). It sends nothing to the customer and does not move the case to pending (docs/sla.md, *Calls*). A closed case takes no call: 409 INVALID_TRANSITION.',
  access: STAFF_ONLY,
  params: { id: caseId },
  headers: idempotencyKey,
  body: staffCallSchema,
  responses: { 201: { description: 'The call’s timeline entry and the case', schema: callAnswer, headers: VERSION_HEADER } },
  errors: [409],
});

export const attachmentRoute = caseApi.route({
  method: 'get',
  path: '/:id/attachments/:attachment',
  summary: 'Download a file of the case',
  description: 'Staff: any file of the case; the customer: those of their request, their messages and public replies.',
  access: EVERYONE,
  params: { id: caseId, attachment: z.string().meta({ description: 'The attachment id.' }) },
  responses: { 200: { description: 'The file, with its own media type (a download)', contentType: '*/*' } },
});

export const offeredSolutionRoute = caseApi.route({
  method: 'post',
  path: '/:id/offered-solution',
  summary: 'Answer the solution offered (customer)',
  description: 'The customer answers the known problem’s solution offered to them. Staff callers get 403.',
  access: EVERYONE,
  params: { id: caseId },
  body: offerAnswerSchema,
  responses: { 200: caseAnswer },
  errors: [403, 409],
});

export const assignmentRoute = caseApi.route({
  method: 'post',
  path: '/:id/assignment',
  summary: 'Reassign or transfer',
  description: 'A higher-tier queue is an escalation and needs `reason`; beyond capacity only a manager with `overrideCapacity`. `If-Match: "<version>"` or `expectedVersion` make it conditional (409 CONFLICT when stale).',
  access: STAFF_ONLY,
  params: { id: caseId },
  headers: ifMatch,
  body: reassignSchema,
  responses: { 200: { description: 'The case, reassigned', schema: caseAnswer, headers: VERSION_HEADER } },
  errors: [409],
});

export const mergeRoute = caseApi.route({
  method: 'post',
  path: '/:id/merge',
  summary: 'Merge a duplicate into another case',
  description:
    'The case in the path (the duplicate) is merged into `into` (docs/api.md, *Merging duplicates*): its request, messages, notes and their files are copied onto the other case’s timeline with their authors and times, it is closed (transition `merge`; its SLA clocks stand still; nothing is mailed) and `mergedInto` names the other case; mail to its thread goes on there. Answers the duplicate. Merging again into the same case answers the same (nothing is copied twice), so a retry is safe without an Idempotency-Key. 409 MERGE_REFUSED: into itself, a case already merged or closed on either side. 422 MERGE_CONFIRMATION_REQUIRED: the cases are of different customers and `confirmDifferentCustomer` is not `true` (then every copy is an internal note). A target the caller may not see is 404.',
  access: STAFF_ONLY,
  params: { id: caseId },
  headers: ifMatch,
  body: mergeSchema,
  responses: { 200: { description: 'The duplicate, merged and closed', schema: caseAnswer, headers: VERSION_HEADER } },
  errors: [409],
});

const heldMail = z
  .object({
    id: z.number().int().meta({ description: 'The `email.held` timeline entry.' }),
    at: z.string().meta({ description: 'When it was held (ISO 8601).' }),
    kind: z.string().meta({ description: '`notification` (with its `template`) or `missed-replies`.', examples: ['notification'] }),
    template: z.string().optional().meta({ examples: ['case-resolved'] }),
    to: z.string().meta({ description: 'The address the visitor typed.' }),
    current: z.boolean().meta({
      description: 'Whether a release now sends it. `false` for a mail the case has moved on from (*Resolved* of a case reopened since, *Waiting on you* of a case no longer waiting, *Known solution offered* once the offer was answered or the case resolved or closed, the acknowledgement once staff replied publicly or the case was resolved or closed): a release records it as not sent (`dropped` on `email.released`).',
    }),
  })
  .meta({ id: 'HeldMail' });

export const heldMailRoute = caseApi.route({
  method: 'get',
  path: '/:id/held-mail',
  summary: 'Mail held for a typed address',
  description: 'Automatic mail (and a chat’s missed replies) to an address a chat visitor only typed waits for a person’s confirmation (docs/chat.md). Oldest first; empty when nothing waits.',
  access: STAFF_ONLY,
  params: { id: caseId },
  responses: { 200: { description: 'The held mails', schema: z.object({ items: z.array(heldMail) }) } },
});

export const acceptReviewedMailRoute = caseApi.route({
  method: 'post',
  path: '/:id/reviewed-mail/:note',
  summary: 'Post a mail held for review as the customer’s message',
  description:
    'A mail threaded to the case from someone neither its customer nor copied on it is kept as an internal note for review (`staff.noted` with `review: true`, docs/email.md). This posts it as the customer’s message, as *Post as the customer’s message* on the case page does: its text cut at the quoted history becomes `customer.replied` with the sender as `from`, its files go with it, and `email.accepted` records who did it. `copy: true` also copies the sender on the case (their later mail posts without review). 404 when `note` is not such a mail of this case; 409 CONFLICT when it was posted already; 409 INVALID_TRANSITION on a closed case.',
  access: STAFF_ONLY,
  params: { id: caseId, note: z.string().meta({ description: 'The id of the note (its timeline entry).', examples: ['5012'] }) },
  body: acceptReviewSchema,
  responses: { 200: { description: 'The case, with the customer’s message', schema: caseAnswer, headers: VERSION_HEADER } },
  errors: [409],
});

export const releaseHeldMailRoute = caseApi.route({
  method: 'post',
  path: '/:id/held-mail/release',
  summary: 'Confirm the typed address: send the held mail',
  description: 'As the confirmation on the case page: every held mail still `current` is queued again, rendered when sent, and `email.released` names them (`held`) and those the case has moved on from (`dropped`, not sent). `released` is how many are sent: 0 when nothing was held or none was current.',
  access: STAFF_ONLY,
  params: { id: caseId },
  responses: { 200: { description: 'How many were released', schema: z.object({ released: z.number().int() }) } },
});
