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
import { z } from 'zod';
import { churnHistory, markChurn } from '../../team/churn.js';
import { MANAGERS, requireRole, requireScopeOrRole } from '../middleware/api-auth.js';
import type { AppEnv } from '../types.js';

/** The path a `churn`-scoped token may call. */
export const CHURN_PATH = /^\/api\/v1\/customers\/\d{1,12}\/churn$/;

const churnApiSchema = z.strictObject({
  /** Who marks it (`crm`, `billing`…; default `api`). */
  source: z.string().trim().regex(/^[a-z0-9][a-z0-9_.-]{0,39}$/, 'lower-case letters, digits, "_", "." and "-" (at most 40)').refine((s) => s !== 'manual', 'manual is the console’s').optional(),
  reason: z.string().trim().max(500).optional(),
  /** When the customer churned (ISO 8601; default now). */
  at: z.iso.datetime({ offset: true }).optional(),
});

export function customerRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/:id/churn', requireScopeOrRole('churn', ...MANAGERS), async (c) => {
    const id = /^\d{1,12}$/.test(c.req.param('id')) ? Number(c.req.param('id')) : null;
    if (id === null) throw new DomainError('NOT_FOUND', `No customer ${c.req.param('id')}.`);
    const services = c.get('services');
    const input = await jsonBody(c, churnApiSchema);
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

  app.patch('/:id', requireRole(...MANAGERS), async (c) => {
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
      changes,
      history: profileHistory(services, customer.id).map((h) => ({ ...h, caseId: h.caseId === null ? null : caseRef(h.caseId) })),
    });
  });

  return app;
}
