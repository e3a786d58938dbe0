/** `PATCH /api/v1/customers/:id` (managers and admins): the recorded way to change a customer's profile. */
import { Hono } from 'hono';
import { caseRef } from '../../cases/case-ref.js';
import { editCustomer, editCustomerSchema, profileHistory } from '../../cases/edit-customer.js';
import { DomainError } from '../../errors.js';
import { jsonBody } from '../json-body.js';
import { MANAGERS, requireRole } from '../middleware/api-auth.js';
import type { AppEnv } from '../types.js';

export function customerRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requireRole(...MANAGERS));

  app.patch('/:id', async (c) => {
    const id = /^\d{1,12}$/.test(c.req.param('id')) ? Number(c.req.param('id')) : null;
    if (id === null) throw new DomainError('NOT_FOUND', `No customer ${c.req.param('id')}.`);
    const services = c.get('services');
    const input = await jsonBody(c, editCustomerSchema);
    const { customer, changes } = editCustomer(services, id, input, c.get('principal')!.actor);
    return c.json({
      id: customer.id,
      email: customer.email,
      name: customer.name,
      tier: customer.tier,
      organization: customer.organization,
      phone: customer.phone,
      changes,
      history: profileHistory(services, customer.id).map((h) => ({ ...h, caseId: h.caseId === null ? null : caseRef(h.caseId) })),
    });
  });

  return app;
}
