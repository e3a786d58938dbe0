/** `/api/v1/cases`: intake, reading, the timeline, transitions, messages, reassignment. */
import { Hono, type Context } from 'hono';
import { addMessage, messageSchema } from '../../cases/add-message.js';
import { assertCanSee, canSeeCase } from '../../cases/access.js';
import { parseCaseRef, caseRef } from '../../cases/case-ref.js';
import { caseView, iso, loadCase, timeline, type CaseRow } from '../../cases/case-view.js';
import { createCase } from '../../cases/create-case.js';
import { customerCaseSummary, customerCaseView, customerTimeline } from '../../cases/customer-view.js';
import { assertMayImport, importCase, importCaseSchema, isImport } from '../../cases/import-case.js';
import { listCases, listCasesSchema } from '../../cases/list-cases.js';
import { reassignCase, reassignSchema } from '../../cases/reassign-case.js';
import { answerSolutionOffer, offerAnswerSchema } from '../../cases/solution-offer.js';
import { transitionCase, transitionSchema } from '../../cases/transition-case.js';
import { readTransaction } from '../../db/client.js';
import { NO_DUE_AT } from '../../db/schema/index.js';
import { DomainError } from '../../errors.js';
import { mayHaveFollowUps } from '../../workflow/context.js';
import { availableTransitions } from '../../workflow/transition.js';
import { jsonBody, parseWith } from '../json-body.js';
import { takeRateLimit } from '../limits.js';
import { STAFF, requireRole } from '../middleware/api-auth.js';
import type { AppEnv, Principal } from '../types.js';

/** The timeline entries that are messages. */
const MESSAGE_EVENTS = ['customer.replied', 'staff.replied', 'staff.noted'];

function principalOf(c: Context<AppEnv>): Principal {
  return c.get('principal')!;
}

/** The case named in the path, if the caller may see it (404 otherwise). */
function visibleCase(c: Context<AppEnv>): CaseRow {
  const id = parseCaseRef(c.req.param('id') ?? '');
  if (id === null) throw new DomainError('CASE_NOT_FOUND', `No case ${c.req.param('id')}.`);
  const row = loadCase(c.get('services'), id);
  assertCanSee(principalOf(c), row);
  return row;
}

function isCustomer(c: Context<AppEnv>): boolean {
  return principalOf(c).actor.type === 'customer';
}

/** The case as the caller may see it: the customer projection for customers, everything for staff. */
function fullView(c: Context<AppEnv>, row: CaseRow) {
  const services = c.get('services');
  if (isCustomer(c)) return customerCaseView(services, row);
  const view = caseView(services, row);
  const workflow = services.definitions.workflow(row.workflow, row.workflowVersion).definition;
  return { ...view, transitions: availableTransitions(workflow, row, principalOf(c).actor.role) };
}

/**
 * Performs the command's follow-up work (rules on events) before answering. `committed`: the
 * case as the command saved it, the answer when it left no such work (intake, usually).
 */
async function settle(c: Context<AppEnv>, caseId: number, committed?: CaseRow): Promise<CaseRow> {
  const services = c.get('services');
  if (committed && !mayHaveFollowUps(committed)) {
    services.outbox.kick();
    return committed;
  }
  await services.outbox.settle(caseId);
  return loadCase(services, caseId);
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
  };
}

export function caseRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/', async (c) => {
    const services = c.get('services');
    const principal = principalOf(c);
    const input = await jsonBody(c, importCaseSchema);
    if (isImport(input)) {
      // History from another help desk (docs/import.md); idempotent by externalId.
      assertMayImport(principal.actor);
      const imported = await importCase(services, input, principal.actor);
      const settled = await settle(c, imported.case.id);
      c.header('Location', `/api/v1/cases/${caseRef(imported.case.id)}`);
      return c.json(fullView(c, settled), imported.created ? 201 : 200);
    }
    takeRateLimit(c, principal, 'cases');
    const row =
      principal.actor.type === 'customer'
        ? await createCase(services, input, principal.actor, { customerId: principal.customerId!, channel: 'api' })
        : await createCase(services, input, principal.actor, { channel: 'api' });
    const settled = await settle(c, row.id, row);
    // Someone filing for a customer into a queue they do not work gets the reference only.
    if (!canSeeCase(principal, settled)) return c.json({ id: caseRef(row.id) }, 201);
    c.header('Location', `/api/v1/cases/${caseRef(row.id)}`);
    return c.json(readTransaction(services.db, () => fullView(c, settled)), 201);
  });

  app.get('/', (c) => {
    const query = parseWith(listCasesSchema, c.req.query());
    const { rows, nextCursor } = listCases(c.get('services'), principalOf(c), query);
    const services = c.get('services');
    return c.json({ items: rows.map((row) => (isCustomer(c) ? customerCaseSummary(services, row) : summary(row))), nextCursor });
  });

  app.get('/:id', (c) => c.json(fullView(c, visibleCase(c))));

  app.get('/:id/events', (c) => {
    const row = visibleCase(c);
    if (isCustomer(c)) return c.json(customerTimeline(c.get('services'), row, principalOf(c).customerId));
    return c.json(timeline(c.get('services'), row.id));
  });

  app.post('/:id/transitions', async (c) => {
    const row = visibleCase(c);
    const input = await jsonBody(c, transitionSchema);
    transitionCase(c.get('services'), row.id, input, principalOf(c).actor);
    return c.json(fullView(c, await settle(c, row.id)));
  });

  app.post('/:id/messages', async (c) => {
    const row = visibleCase(c);
    const input = await jsonBody(c, messageSchema);
    takeRateLimit(c, principalOf(c), 'messages');
    addMessage(c.get('services'), row.id, input, principalOf(c).actor);
    const settled = await settle(c, row.id);
    const message = isCustomer(c)
      ? customerTimeline(c.get('services'), settled, principalOf(c).customerId).findLast((e) => e.type === 'customer.replied')
      : timeline(c.get('services'), row.id, { types: MESSAGE_EVENTS }).at(-1);
    return c.json({ message, case: fullView(c, settled) }, 201);
  });

  /** The customer's answer to the known solution offered to them: { "answer": "solved" | "notSolved" }. */
  app.post('/:id/offered-solution', async (c) => {
    const row = visibleCase(c);
    if (principalOf(c).actor.type !== 'customer') throw new DomainError('FORBIDDEN', 'Only the customer answers an offered solution.');
    const input = await jsonBody(c, offerAnswerSchema);
    answerSolutionOffer(c.get('services'), row.id, input, principalOf(c).actor);
    return c.json(fullView(c, await settle(c, row.id)));
  });

  app.post('/:id/assignment', requireRole(...STAFF), async (c) => {
    const row = visibleCase(c);
    const input = await jsonBody(c, reassignSchema);
    reassignCase(c.get('services'), row.id, input, principalOf(c).actor);
    return c.json(fullView(c, await settle(c, row.id)));
  });

  return app;
}
