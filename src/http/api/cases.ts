/** `/api/v1/cases`: intake, reading, editing, the timeline, transitions, messages, reassignment. */
import { Hono, type Context } from 'hono';
import { assertWithinLimits } from '../../attachments/limits.js';
import { storeFiles } from '../../attachments/record.js';
import { MESSAGE_EVENTS } from '../../cases/add-message.js';
import { assertCanSee, canSeeCase } from '../../cases/access.js';
import { parseCaseRef, caseRef } from '../../cases/case-ref.js';
import { iso, partsFit, type CaseRow, type KnownViewParts } from '../../cases/case-view.js';
import { createCase } from '../../cases/create-case.js';
import { findVisibleAttachment } from '../../cases/find-attachment.js';
import { editCase } from '../../cases/edit-case.js';
import { customerCaseSummary } from '../../cases/customer-view.js';
import { assertMayImport, importCase, isImport } from '../../cases/import-case.js';
import { listCases } from '../../cases/list-cases.js';
import { findCase, loadCase, readCustomerTimeline, readTimeline } from '../../cases/case-read.js';
import { readFullView, visibleCaseOn } from './case-reads.js';
import { mergeCase } from '../../cases/merge-case.js';
import { reassignCase } from '../../cases/reassign-case.js';
import { sendMessage } from '../../cases/send-message.js';
import { logCall } from '../../cases/log-call.js';
import { answerSolutionOffer } from '../../cases/solution-offer.js';
import { transitionCase } from '../../cases/transition-case.js';
import { NO_DUE_AT } from '../../db/schema/index.js';
import { DomainError, ValidationError } from '../../errors.js';
import { mayHaveFollowUps, mayHaveLeftWorkDue, type CaseContext } from '../../workflow/context.js';
import { availableTransitions } from '../../workflow/transition.js';
import { attachmentResponse } from '../attachment-download.js';
import { withIdempotency, type RecordKey } from '../idempotency.js';
import { jsonBody, parseWith } from '../json-body.js';
import { versionFromIfMatch, withIfMatch } from './if-match.js';
import { takeRateLimit } from '../limits.js';
import { heldMails, releaseHeldMails } from '../../notifications/held-mail.js';
import { acceptReviewedMail } from '../../channels/email/accept-review.js';
import { on } from '../openapi/route-spec.js';
import type { AppEnv, Principal } from '../types.js';
import { FILES_FIELD, readUploads } from '../uploads.js';
import {
  assignmentRoute,
  acceptReviewedMailRoute,
  attachmentRoute,
  callRoute,
  caseEventsRoute,
  createCaseRoute,
  editCaseRoute,
  getCaseRoute,
  heldMailRoute,
  listCasesRoute,
  mergeRoute,
  messageRoute,
  offeredSolutionRoute,
  releaseHeldMailRoute,
  transitionRoute,
} from './case-specs.js';

function principalOf(c: Context<AppEnv>): Principal {
  return c.get('principal')!;
}

/** The case named in the path, if the caller may see it (404 otherwise). */
async function visibleCase(c: Context<AppEnv>): Promise<CaseRow> {
  const id = parseCaseRef(c.req.param('id') ?? '');
  if (id === null) throw new DomainError('CASE_NOT_FOUND', `No case ${c.req.param('id')}.`);
  const row = await loadCase(c.get('services'), id);
  assertCanSee(principalOf(c), row);
  return row;
}

function isCustomer(c: Context<AppEnv>): boolean {
  return principalOf(c).actor.type === 'customer';
}

/** The case as the caller may see it: the customer projection for customers, everything for staff. */
function fullView(c: Context<AppEnv>, row: CaseRow) {
  return c.get('services').store.query((q) => readFullView(c, q, row));
}

/**
 * Performs the command's follow-up work (rules on events) before answering. `committed`: the
 * case as the command saved it, the answer when it left no such work (intake, usually).
 */
async function settle(c: Context<AppEnv>, caseId: number, committed?: CaseRow): Promise<CaseRow> {
  const services = c.get('services');
  if (committed && !mayHaveFollowUps(committed)) {
    // The background drain, only when something is due (the intake's own mail was performed in its transaction).
    if (mayHaveLeftWorkDue(committed)) services.outbox.kick();
    return committed;
  }
  await services.outbox.settle(caseId);
  return services.store.query((q) => findCase(q, caseId));
}

function summary(row: CaseRow) {
  return {
    id: caseRef(row.id),
    subject: row.subject,
    status: row.status,
    open: row.open,
    queue: row.queueId,
    priority: row.priority,
    tier: row.tier,
    assigneeId: row.assigneeId,
    tags: row.tags,
    slaDueAt: row.slaDueAt === NO_DUE_AT ? null : iso(row.slaDueAt),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
    version: row.version,
  };
}

/** The text fields of a multipart message, shaped like its JSON (`public` as a boolean); the schema refuses anything else. */
async function multipartFields(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const form = await c.req.parseBody({ all: true });
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(form)) {
    if (key === FILES_FIELD) continue;
    out[key] = key === 'public' && typeof value === 'string' ? (value === 'true' ? true : value === 'false' ? false : value) : value;
    if (key === 'expectedVersion' && typeof value === 'string' && /^\d{1,12}$/.test(value)) out[key] = Number(value);
  }
  return out;
}

/** An import's `within` option that records the Idempotency-Key with the case it stores. */
function recordCase(record: RecordKey | undefined): { within?: (ctx: CaseContext) => Promise<void> } {
  return record ? { within: (ctx) => record(ctx.q, { caseId: ctx.case.id }) } : {};
}

/** Intake's `whenStored` option that records the Idempotency-Key once the new case is inserted. */
function recordNewCase(record: RecordKey | undefined): { whenStored?: (ctx: CaseContext) => Promise<void> } {
  return record ? { whenStored: (ctx) => record(ctx.q, { caseId: ctx.case.id }) } : {};
}

/** The case's version as GET /api/v1/cases/:id gives it (`"7"`), for `If-Match` next: staff only, customers are not shown it. */
function versionTag(c: Context<AppEnv>, row: CaseRow): string | null {
  if (isCustomer(c)) return null;
  const tag = `"${row.version}"`;
  c.header('ETag', tag);
  return tag;
}

/** Whether `If-None-Match` names this tag (or `*`); weak and strong tags compare alike (RFC 9110 §13.1.2). */
function noneMatch(header: string | undefined, tag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((part) => {
    const value = part.trim().replace(/^W\//, '');
    return value === '*' || value === tag;
  });
}

/**
 * 201 with the case (the reference only for someone filing into a queue they do not work).
 * `known`: the view parts the intake handed over with `settled` (CreateCaseOptions.view).
 */
async function intakeAnswer(c: Context<AppEnv>, settled: CaseRow, known?: KnownViewParts): Promise<Response> {
  if (!canSeeCase(principalOf(c), settled)) return c.json({ id: caseRef(settled.id) }, 201);
  c.header('Location', `/api/v1/cases/${caseRef(settled.id)}`);
  versionTag(c, settled);
  // Staff: the view as intake committed it, when its parts still fit (no reads); otherwise
  // one read transaction for the view's reads (customer, assignee, timers).
  if (!isCustomer(c) && known && partsFit(settled, known)) return c.json(await c.get('services').store.query((q) => readFullView(c, q, settled, known)), 201);
  return c.json(await c.get('services').store.read((q) => readFullView(c, q, settled)), 201);
}

/** 200 with the case a command changed, and its new version as `ETag` (staff). */
async function changedAnswer(c: Context<AppEnv>, settled: CaseRow): Promise<Response> {
  versionTag(c, settled);
  return c.json(await fullView(c, settled));
}

/** 201 with the message (the given timeline entry, else the newest message) and the case. */
async function messageAnswer(c: Context<AppEnv>, settled: CaseRow, eventId: number | null): Promise<Response> {
  const services = c.get('services');
  const { message, view } = await services.store.query(async (q) => ({
    message: isCustomer(c)
      ? (await readCustomerTimeline(q, services, settled, principalOf(c).customerId)).filter((e) => e.type === 'customer.replied' && (eventId === null || e.id === eventId)).at(-1)
      : (await readTimeline(q, settled.id, { types: MESSAGE_EVENTS })).filter((e) => eventId === null || e.id === eventId).at(-1),
    view: await readFullView(c, q, settled),
  }));
  versionTag(c, settled);
  return c.json({ message, case: view }, 201);
}

export function caseRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // Idempotency-Key (idempotency.ts): a retry gets the first answer, never a second case.
  on(app, createCaseRoute, (c) =>
    withIdempotency(
      c,
      async (record) => {
        const services = c.get('services');
        const principal = principalOf(c);
        const input = await jsonBody(c, createCaseRoute.body);
        const within = recordCase(record);
        if (isImport(input)) {
          // History from another help desk (docs/import.md); idempotent by externalId.
          assertMayImport(principal.actor);
          const imported = await importCase(services, input, principal.actor, within);
          const settled = await settle(c, imported.case.id);
          c.header('Location', `/api/v1/cases/${caseRef(imported.case.id)}`);
          versionTag(c, settled);
          return c.json(await fullView(c, settled), imported.created ? 201 : 200);
        }
        await takeRateLimit(c, principal, 'cases');
        let known: KnownViewParts | undefined;
        const view = (parts: KnownViewParts) => void (known = parts);
        const row =
          principal.actor.type === 'customer'
            ? await createCase(services, input, principal.actor, { customerId: principal.customerId!, channel: 'api', ...recordNewCase(record) })
            : await createCase(services, input, principal.actor, { channel: 'api', view, ...recordNewCase(record) });
        const settled = await settle(c, row.id, row);
        return intakeAnswer(c, settled, settled === row ? known : undefined);
      },
      async (entry) => intakeAnswer(c, await settle(c, entry.caseId!)),
    ),
  );

  on(app, listCasesRoute, async (c) => {
    const query = parseWith(listCasesRoute.query, c.req.query());
    const { rows, nextCursor, syncCursor } = await listCases(c.get('services'), principalOf(c), query);
    const services = c.get('services');
    const items = rows.map((row) => (isCustomer(c) ? customerCaseSummary(services, row) : summary(row)));
    return c.json(syncCursor === undefined ? { items, nextCursor } : { items, nextCursor, syncCursor });
  });

  on(app, getCaseRoute, async (c) => {
    const answer = await c.get('services').store.query(async (q) => {
      const row = await visibleCaseOn(c, q);
      // Staff may send the version back as If-Match on PATCH; customers are not shown it.
      const tag = versionTag(c, row);
      if (tag !== null && noneMatch(c.req.header('If-None-Match'), tag)) return null;
      return readFullView(c, q, row);
    });
    return answer === null ? c.body(null, 304) : c.json(answer);
  });

  /** Edit priority, tags, subject (staff): `If-Match: "<version>"` or `expectedVersion` makes it conditional (409 CONFLICT). */
  on(app, editCaseRoute, async (c) => {
    const row = await visibleCase(c);
    const input = await jsonBody(c, editCaseRoute.body);
    const ifMatch = versionFromIfMatch(c.req.header('If-Match'));
    const expectedVersion = input.expectedVersion ?? ifMatch;
    const { changes } = await editCase(c.get('services'), row.id, { ...input, ...(expectedVersion !== undefined ? { expectedVersion } : {}) }, principalOf(c).actor);
    const settled = await settle(c, row.id);
    versionTag(c, settled);
    return c.json({ ...(await fullView(c, settled)), changes });
  });

  on(app, caseEventsRoute, async (c) => {
    const services = c.get('services');
    return c.json(
      await services.store.query(async (q) => {
        const row = await visibleCaseOn(c, q);
        return isCustomer(c) ? readCustomerTimeline(q, services, row, principalOf(c).customerId) : readTimeline(q, row.id);
      }),
    );
  });

  on(app, transitionRoute, async (c) => {
    const row = await visibleCase(c);
    const input = withIfMatch(c.req.header('If-Match'), await jsonBody(c, transitionRoute.body));
    await takeRateLimit(c, principalOf(c), 'changes');
    await transitionCase(c.get('services'), row.id, input, principalOf(c).actor);
    return changedAnswer(c, await settle(c, row.id));
  });

  /**
   * JSON `{ body, public, transition? }`, or multipart/form-data with the fields `body`, `public`
   * ("true"/"false"), `transition` and `files` (any number): the message, its files and the
   * transition in one transaction.
   */
  on(app, messageRoute, async (c) => {
    const row = await visibleCase(c);
    return withIdempotency(
      c,
      async (record) => {
        const services = c.get('services');
        const multipart = (c.req.header('Content-Type') ?? '').toLowerCase().startsWith('multipart/form-data');
        const body = multipart ? parseWith(messageRoute.body, await multipartFields(c)) : await jsonBody(c, messageRoute.body);
        // Optional, as on PATCH: a reply written on an older version of the case is not sent blindly (409 CONFLICT).
        const ifMatch = versionFromIfMatch(c.req.header('If-Match'));
        const input = body.expectedVersion === undefined && ifMatch !== undefined ? { ...body, expectedVersion: ifMatch } : body;
        const files = await readUploads(c);
        const { settings, store } = services.attachments;
        // Limits before anything else: a refused upload stores nothing and counts for nothing.
        assertWithinLimits(settings, files);
        await takeRateLimit(c, principalOf(c), 'messages');
        const within = record && ((ctx: CaseContext, eventId: number) => record(ctx.q, { caseId: ctx.case.id, eventId }));
        const sent = await sendMessage(services, row.id, input, principalOf(c).actor, { attachments: await storeFiles(store, files), ...(within ? { within } : {}) });
        return messageAnswer(c, await settle(c, row.id), sent.eventId);
      },
      async (entry) => messageAnswer(c, await settle(c, row.id), entry.eventId),
    );
  });

  /** 201 with the call's entry and the case. */
  async function callAnswer(c: Context<AppEnv>, settled: CaseRow, eventId: number): Promise<Response> {
    const { call, view } = await c.get('services').store.query(async (q) => ({
      call: (await readTimeline(q, settled.id, { types: ['call.logged'] })).find((e) => e.id === eventId),
      view: await readFullView(c, q, settled),
    }));
    versionTag(c, settled);
    return c.json({ call, case: view }, 201);
  }

  /** A call or visit staff had with the customer (docs/sla.md, *Calls*): `{ direction, channel, durationSeconds, notes }`. */
  on(app, callRoute, async (c) => {
    const row = await visibleCase(c);
    return withIdempotency(
      c,
      async (record) => {
        const input = await jsonBody(c, callRoute.body);
        let eventId = 0;
        await logCall(c.get('services'), row.id, input, principalOf(c).actor, async (ctx, id) => {
          eventId = id;
          await record?.(ctx.q, { caseId: ctx.case.id, eventId: id });
        });
        return callAnswer(c, await settle(c, row.id), eventId);
      },
      async (entry) => callAnswer(c, await settle(c, row.id), entry.eventId!),
    );
  });

  /** A file of the case, as a download (staff: any; the customer: those their projection lists). */
  on(app, attachmentRoute, async (c) => {
    const row = await visibleCase(c);
    const services = c.get('services');
    return attachmentResponse(c, services, await findVisibleAttachment(services, principalOf(c), row, c.req.param('attachment')));
  });

  /** The customer's answer to the known solution offered to them: { "answer": "solved" | "notSolved" }. */
  on(app, offeredSolutionRoute, async (c) => {
    const row = await visibleCase(c);
    if (principalOf(c).actor.type !== 'customer') throw new DomainError('FORBIDDEN', 'Only the customer answers an offered solution.');
    const input = await jsonBody(c, offeredSolutionRoute.body);
    await answerSolutionOffer(c.get('services'), row.id, input, principalOf(c).actor);
    return changedAnswer(c, await settle(c, row.id));
  });

  on(app, assignmentRoute, async (c) => {
    const row = await visibleCase(c);
    const input = withIfMatch(c.req.header('If-Match'), await jsonBody(c, assignmentRoute.body));
    await reassignCase(c.get('services'), row.id, input, principalOf(c).actor);
    return changedAnswer(c, await settle(c, row.id));
  });

  on(app, mergeRoute, async (c) => {
    const row = await visibleCase(c);
    const input = await jsonBody(c, mergeRoute.body);
    const principal = principalOf(c);
    const expectedVersion = input.expectedVersion ?? versionFromIfMatch(c.req.header('If-Match'));
    const { merged } = await mergeCase(c.get('services'), row.id, { ...input, ...(expectedVersion !== undefined ? { expectedVersion } : {}) }, principal.actor, {
      canSee: (target) => canSeeCase(principal, target),
    });
    return changedAnswer(c, await settle(c, merged.id));
  });

  on(app, heldMailRoute, async (c) => {
    const row = await visibleCase(c);
    const services = c.get('services');
    const held = await services.store.query((q) => heldMails(q, services, row.id));
    return c.json({ items: held.map((m) => ({ id: m.id, at: new Date(m.at).toISOString(), kind: m.kind, ...(m.template ? { template: m.template } : {}), to: m.to, current: m.current })) });
  });

  on(app, acceptReviewedMailRoute, async (c) => {
    const row = await visibleCase(c);
    const note = c.req.param('note');
    if (!/^\d{1,15}$/.test(note)) throw new DomainError('NOT_FOUND', `${caseRef(row.id)} has no mail held for review with the id ${note}.`);
    const input = await jsonBody(c, acceptReviewedMailRoute.body);
    const accepted = await acceptReviewedMail(c.get('services'), row.id, Number(note), principalOf(c).actor, input);
    return changedAnswer(c, await settle(c, accepted.id));
  });

  on(app, releaseHeldMailRoute, async (c) => {
    const row = await visibleCase(c);
    return c.json({ released: await releaseHeldMails(c.get('services'), row.id, principalOf(c).actor) });
  });

  return app;
}
