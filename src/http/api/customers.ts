/**
 * `/api/v1/customers/:id` (managers and admins): `PATCH` the recorded way to change a
 * customer's profile; `GET …/export` everything held about them (docs/privacy.md);
 * `POST …/erase` (admins) erases their personal data for good.
 */
import { Hono } from 'hono';
import { caseRef } from '../../cases/case-ref.js';
import { editCustomer, editCustomerSchema, profileHistory } from '../../cases/edit-customer.js';
import { DomainError } from '../../errors.js';
import { eraseCustomer } from '../../privacy/erase-customer.js';
import { exportCustomer } from '../../privacy/export-customer.js';
import { jsonBody } from '../json-body.js';
import { MANAGERS, requireRole } from '../middleware/api-auth.js';
import type { AppEnv } from '../types.js';
import { z } from 'zod';
import { ADMINS_ONLY, apiGroup, MANAGERS_ONLY, on } from '../openapi/route-spec.js';
import { customerErasure, customerExport } from './schemas/privacy.js';
import { customerProfile } from './schemas/workspace.js';

export const customerApi = apiGroup('/customers', 'Customers');

const customerIdParam = { id: z.string().meta({ description: 'The customer id.' }) };

export const editCustomerRoute = customerApi.route({
  method: 'patch',
  path: '/:id',
  summary: 'Change a customer’s profile',
  description: 'The recorded way to change a profile: the answer carries the changes and the whole recorded history.',
  access: MANAGERS_ONLY,
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

export function customerRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requireRole(...MANAGERS));

  on(app, exportCustomerRoute, (c) => {
    const id = customerId(c.req.param('id'));
    const body = exportCustomer(c.get('services'), id);
    c.header('Content-Disposition', `attachment; filename="customer-${id}-export.json"`);
    return c.json(body);
  });

  on(app, eraseCustomerRoute, (c) => {
    const id = customerId(c.req.param('id'));
    const result = eraseCustomer(c.get('services'), id, c.get('principal')!.actor);
    return c.json({ erased: true, customer: result.customerId, erasure: result.erasureId, cases: result.cases, summary: result.summary });
  });

  on(app, editCustomerRoute, async (c) => {
    const id = customerId(c.req.param('id'));
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

function customerId(param: string): number {
  if (!/^\d{1,12}$/.test(param)) throw new DomainError('NOT_FOUND', `No customer ${param}.`);
  return Number(param);
}
