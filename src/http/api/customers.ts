/**
 * `PATCH /api/v1/customers/:id` (managers and admins): the recorded way to change a customer's profile.
 * `POST /api/v1/customers/:id/churn` (managers, admins, or a token with the `churn` scope — what a
 * CRM or billing system calls): `{ source?, reason?, at? }` marks the customer churned; the mark
 * counts in the churn metric beside the console's manual marks.
 */
import { Hono } from 'hono';
import { caseRef } from '../../cases/case-ref.js';
import { editCustomer, editCustomerSchema, profileHistory } from '../../cases/edit-customer.js';
import { DomainError } from '../../errors.js';
import { jsonBody } from '../json-body.js';
import type { AppEnv } from '../types.js';
import { z } from 'zod';
import { churnHistory, markChurn } from '../../team/churn.js';
import { apiGroup, MANAGERS_ONLY, on } from '../openapi/route-spec.js';
import { churnMarked } from './schemas/integrations.js';
import { customerProfile } from './schemas/workspace.js';

export const customerApi = apiGroup('/customers', 'Customers');

export const editCustomerRoute = customerApi.route({
  method: 'patch',
  path: '/:id',
  summary: 'Change a customer’s profile',
  description: 'The recorded way to change a profile: the answer carries the changes and the whole recorded history.',
  access: MANAGERS_ONLY,
  params: { id: z.string().meta({ description: 'The customer id.' }) },
  body: editCustomerSchema,
  responses: { 200: customerProfile },
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
  params: { id: z.string().meta({ description: 'The customer id.' }) },
  body: churnApiSchema,
  responses: { 201: { description: 'The customer is marked churned', schema: churnMarked } },
  errors: [409],
});

export function customerRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  on(app, markChurnRoute, async (c) => {
    const id = /^\d{1,12}$/.test(c.req.param('id')) ? Number(c.req.param('id')) : null;
    if (id === null) throw new DomainError('NOT_FOUND', `No customer ${c.req.param('id')}.`);
    const services = c.get('services');
    const input = await jsonBody(c, markChurnRoute.body);
    const customer = markChurn(
      services,
      id,
      { churned: true, at: input.at === undefined ? services.clock.now() : Date.parse(input.at), note: input.reason ?? '' },
      c.get('principal')!.actor,
      input.source ?? 'api',
    );
    const mark = churnHistory(services, id)[0]!;
    return c.json({ customer: { id: customer.id, email: customer.email, name: customer.name, churnedAt: new Date(customer.churnedAt!).toISOString() }, mark: { at: new Date(mark.at).toISOString(), source: mark.source, reason: mark.note } }, 201);
  });

  on(app, editCustomerRoute, async (c) => {
    const id = /^\d{1,12}$/.test(c.req.param('id')) ? Number(c.req.param('id')) : null;
    if (id === null) throw new DomainError('NOT_FOUND', `No customer ${c.req.param('id')}.`);
    const services = c.get('services');
    const input = await jsonBody(c, editCustomerRoute.body);
    const { customer, changes } = editCustomer(services, id, input, c.get('principal')!.actor);
    return c.json({
      id: customer.id,
      email: customer.email,
      name: customer.name,
      tier: customer.tier,
      organization: customer.organization,
      changes,
      history: profileHistory(services, customer.id).map((h) => ({ ...h, caseId: h.caseId === null ? null : caseRef(h.caseId) })),
    });
  });

  return app;
}
