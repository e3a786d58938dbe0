/** `PATCH /api/v1/customers/:id` (managers and admins): the recorded way to change a customer's profile. */
import { Hono } from 'hono';
import { caseRef } from '../../cases/case-ref.js';
import { editCustomer, editCustomerSchema, profileHistory } from '../../cases/edit-customer.js';
import { DomainError } from '../../errors.js';
import { jsonBody } from '../json-body.js';
import { MANAGERS, requireRole } from '../middleware/api-auth.js';
import type { AppEnv } from '../types.js';
import { z } from 'zod';
import { apiGroup, MANAGERS_ONLY, on } from '../openapi/route-spec.js';
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

export function customerRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requireRole(...MANAGERS));

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
