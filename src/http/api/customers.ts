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

export function customerRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requireRole(...MANAGERS));

  app.get('/:id/export', (c) => {
    const id = customerId(c.req.param('id'));
    const body = exportCustomer(c.get('services'), id);
    c.header('Content-Disposition', `attachment; filename="customer-${id}-export.json"`);
    return c.json(body);
  });

  app.post('/:id/erase', requireRole('admin'), (c) => {
    const id = customerId(c.req.param('id'));
    const result = eraseCustomer(c.get('services'), id, c.get('principal')!.actor);
    return c.json({ erased: true, customer: result.customerId, erasure: result.erasureId, cases: result.cases, summary: result.summary });
  });

  app.patch('/:id', async (c) => {
    const id = customerId(c.req.param('id'));
    const services = c.get('services');
    const input = await jsonBody(c, editCustomerSchema);
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
