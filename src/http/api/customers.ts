/**
 * `/api/v1/customers/:id` (managers and admins): `PATCH` the recorded way to change a
 * customer's profile (agents: only a phone caller's stand-in address, src/cases/edit-customer.ts); `GET …/export` everything held about them (docs/privacy.md);
 * `POST …/erase` (admins) erases their personal data for good.
 * `POST /api/v1/customers/:id/churn` (managers, admins, or a token with the `churn` scope — what a
 * CRM or billing system calls): `{ source?, reason?, at? }` marks the customer churned; the mark
 * counts in the churn metric beside the console's manual marks.
 */
import { Hono } from 'hono';
import { caseRef } from '../../cases/case-ref.js';
import { assertMayReplaceStandIn, editCustomer, editCustomerSchema, profileHistory } from '../../cases/edit-customer.js';
import { byId } from '../../db/store/rows.js';
import { isManagerRole } from '../../roles.js';
import { DomainError } from '../../errors.js';
import { eraseCustomer } from '../../privacy/erase-customer.js';
import { exportCustomer } from '../../privacy/export-customer.js';
import { jsonBody } from '../json-body.js';
import type { AppEnv } from '../types.js';
import { z } from 'zod';
import { ADMINS_ONLY, apiGroup, MANAGERS_ONLY, on, STAFF_ONLY } from '../openapi/route-spec.js';
import { customerErasure, customerExport } from './schemas/privacy.js';
import { churnHistory, markChurn } from '../../team/churn.js';
import { churnMarked } from './schemas/integrations.js';
import { customerProfile } from './schemas/workspace.js';

export const customerApi = apiGroup('/customers', 'Customers');

const customerIdParam = { id: z.string().meta({ description: 'The customer id.' }) };

export const editCustomerRoute = customerApi.route({
  method: 'patch',
  path: '/:id',
  summary: 'Change a customer’s profile',
  description:
    'The recorded way to change a profile (managers and admins): the answer carries the changes and the whole recorded history. `email` is validated and normalised as at intake; an address another customer has is 422 naming them (`existingCustomer: { id, name, path }`) — customers are never merged —, a staff member’s is 422 too. A changed address ends the customer’s outstanding sign-in/set-password/reset links and their sessions. Agents may send only `email` (and `reason`), and only to replace a stand-in address under `phone.invalid` of a customer with a case assigned to them; anything else is 403.',
  access: STAFF_ONLY,
  params: customerIdParam,
  body: editCustomerSchema,
  responses: { 200: customerProfile },
});

export const exportCustomerRoute = customerApi.route({
  method: 'get',
  path: '/:id/export',
  summary: 'Export everything held about a customer',
  description:
    'The right of access (docs/privacy.md): profile and its history, every case with messages (internal notes marked `internal: true`), attachments (not the bytes), timeline, mail log, ways in (never a secret) and past erasures. Sent as a download.',
  access: MANAGERS_ONLY,
  params: customerIdParam,
  responses: { 200: { description: 'The export (`format: casebook.customer-export/1`)', schema: customerExport, headers: { 'Content-Disposition': '`attachment; filename="customer-<id>-export.json"`' } } },
});

export const eraseCustomerRoute = customerApi.route({
  method: 'post',
  path: '/:id/erase',
  summary: 'Erase a customer’s personal data',
  description:
    'The right to erasure (docs/privacy.md), in one transaction and for good: the profile is anonymised, every case’s texts, timeline data, files, mail log, sessions, links and tokens erased; rows, states, times and counters stay. No body. Audited.',
  access: ADMINS_ONLY,
  params: customerIdParam,
  responses: { 200: customerErasure },
});

/** The path a `churn`-scoped token may call. */
export const CHURN_PATH = /^\/api\/v1\/customers\/\d{1,12}\/churn$/;

const churnApiSchema = z.strictObject({
  /** Who marks it (`crm`, `billing`…; default `api`). */
  source: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9_.-]{0,39}$/, 'lower-case letters, digits, "_", "." and "-" (at most 40)')
    .refine((s) => s !== 'manual', 'manual is the console’s')
    .optional()
    .meta({ description: 'Who marks it (`crm`, `billing`…; default `api`; `manual` is the console’s).' }),
  reason: z.string().trim().max(500).optional().meta({ description: 'Kept as the mark’s note.' }),
  at: z.iso.datetime({ offset: true }).optional().meta({ description: 'When the customer churned (ISO 8601; default now; not in the future, not before the latest mark).' }),
});

export const markChurnRoute = customerApi.route({
  method: 'post',
  path: '/:id/churn',
  summary: 'Mark a customer churned',
  description:
    'What a CRM or billing system calls: the mark counts in the churn metric (dashboard, reports) like a manual one and raises the `customer.churned` webhook. 409 when the customer is already churned. Managers and admins, or a token with the `churn` scope.',
  access: { roles: ['manager', 'admin'], scopes: ['churn'] },
  params: customerIdParam,
  body: churnApiSchema,
  responses: { 201: { description: 'The customer is marked churned', schema: churnMarked } },
  errors: [409],
});

export function customerRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  on(app, markChurnRoute, async (c) => {
    const id = customerId(c.req.param('id'));
    const services = c.get('services');
    const input = await jsonBody(c, markChurnRoute.body);
    const customer = await markChurn(
      services,
      id,
      { churned: true, at: input.at === undefined ? services.clock.now() : Date.parse(input.at), note: input.reason ?? '' },
      c.get('principal')!.actor,
      input.source ?? 'api',
    );
    const [mark] = await churnHistory(services, id);
    return c.json({ customer: { id: customer.id, email: customer.email, name: customer.name, churnedAt: new Date(customer.churnedAt!).toISOString() }, mark: { at: new Date(mark!.at).toISOString(), source: mark!.source, reason: mark!.note } }, 201);
  });

  on(app, exportCustomerRoute, async (c) => {
    const id = customerId(c.req.param('id'));
    const body = await exportCustomer(c.get('services'), id);
    c.header('Content-Disposition', `attachment; filename="customer-${id}-export.json"`);
    return c.json(body);
  });

  on(app, eraseCustomerRoute, async (c) => {
    const id = customerId(c.req.param('id'));
    const result = await eraseCustomer(c.get('services'), id, c.get('principal')!.actor);
    return c.json({ erased: true, customer: result.customerId, erasure: result.erasureId, cases: result.cases, summary: result.summary });
  });

  on(app, editCustomerRoute, async (c) => {
    const id = customerId(c.req.param('id'));
    const services = c.get('services');
    const actor = c.get('principal')!.actor;
    // Someone who is not a manager may at most replace a stand-in address: refused before the body is read.
    if (!isManagerRole(actor.role)) {
      await services.store.query(async (q) => {
        const existing = await byId(q, q.tables.customers, id);
        if (!existing) throw new DomainError('NOT_FOUND', `No customer ${id}.`);
        await assertMayReplaceStandIn(q, actor, existing);
      });
    }
    const input = await jsonBody(c, editCustomerRoute.body);
    const { customer, changes } = await editCustomer(services, id, input, actor);
    return c.json({
      id: customer.id,
      email: customer.email,
      name: customer.name,
      tier: customer.tier,
      organization: customer.organization,
      phone: customer.phone,
      changes,
      history: (await services.store.query((q) => profileHistory(q, customer.id))).map((h) => ({ ...h, caseId: h.caseId === null ? null : caseRef(h.caseId) })),
    });
  });

  return app;
}

function customerId(param: string): number {
  if (!/^\d{1,12}$/.test(param)) throw new DomainError('NOT_FOUND', `No customer ${param}.`);
  return Number(param);
}
