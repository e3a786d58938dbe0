/**
 * What the case routes that only read (GET /api/v1/cases/:id, /events) need on the storage
 * port: the case named in the path if the caller may see it, and the view each caller gets
 * (the customer projection for customers, everything for staff) — `visibleCase` and
 * `fullView` of cases.ts, read through a handle (src/cases/case-read.ts).
 */
import type { Context } from 'hono';
import { assertCanSee } from '../../cases/access.js';
import { findCase, readCaseView, readCustomerCaseView } from '../../cases/case-read.js';
import { parseCaseRef } from '../../cases/case-ref.js';
import type { CaseRow, KnownViewParts } from '../../cases/case-view.js';
import type { Handle } from '../../db/store/index.js';
import { DomainError } from '../../errors.js';
import { availableTransitions } from '../../workflow/transition.js';
import type { AppEnv } from '../types.js';

/** The case named in the path, if the caller may see it (404 otherwise). */
export async function visibleCaseOn(c: Context<AppEnv>, q: Handle): Promise<CaseRow> {
  const id = parseCaseRef(c.req.param('id') ?? '');
  if (id === null) throw new DomainError('CASE_NOT_FOUND', `No case ${c.req.param('id')}.`);
  const row = await findCase(q, id);
  assertCanSee(c.get('principal')!, row);
  return row;
}

/**
 * The case as the caller may see it: the customer projection for customers, everything for
 * staff; `known`: the view parts the command that returned `row` handed over (an intake's).
 */
export async function readFullView(c: Context<AppEnv>, q: Handle, row: CaseRow, known?: KnownViewParts) {
  const services = c.get('services');
  const principal = c.get('principal')!;
  if (principal.actor.type === 'customer') return readCustomerCaseView(q, services, row);
  const view = await readCaseView(q, services, row, known);
  const workflow = services.definitions.workflow(row.workflow, row.workflowVersion).definition;
  // `transitions` first: a spread followed by a property the source lacks makes a new hidden
  // class on every call once optimized (docs/performance.md, "New hidden classes").
  return { transitions: availableTransitions(workflow, row, principal.actor.role), ...view };
}
