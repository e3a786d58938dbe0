/** `/api/v1/tokens`, `/api/v1/queues`, `/api/v1/workflows`: setup and reference data. */
import { asc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { issueApiToken, revokeApiTokenAudited, TOKEN_SCOPES } from '../../auth/api-tokens.js';
import { findCustomerByEmail, normalizeEmail } from '../../cases/customers.js';
import { iso } from '../../cases/case-view.js';
import { queues, staff } from '../../db/schema/index.js';
import { DomainError } from '../../errors.js';
import { jsonBody } from '../json-body.js';
import { MANAGERS, STAFF, requireRole } from '../middleware/api-auth.js';
import type { AppEnv } from '../types.js';

const tokenSchema = z.strictObject({
  email: z.email(),
  name: z.string().trim().min(1).max(100).default('API token'),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
  scopes: z.array(z.enum(TOKEN_SCOPES)).max(TOKEN_SCOPES.length).optional(),
});

export function tokenRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requireRole('admin'));

  app.post('/', async (c) => {
    const services = c.get('services');
    const input = await jsonBody(c, tokenSchema);
    const email = normalizeEmail(input.email);
    const member = services.db.select().from(staff).where(eq(staff.email, email)).get();
    const customer = member ? undefined : findCustomerByEmail(services.db, email);
    if (!member && !customer) throw new DomainError('NOT_FOUND', `No account with the address ${email}.`);
    if (member && !member.active) throw new DomainError('FORBIDDEN', `${member.name} is deactivated.`);
    const now = services.clock.now();
    const principal = member ? { type: 'staff' as const, id: member.id } : { type: 'customer' as const, id: customer!.id };
    const expiresAt = input.expiresInDays ? now + input.expiresInDays * 86_400_000 : null;
    const scopes = [...new Set(input.scopes ?? [])];
    const created = issueApiToken(services, c.get('principal')!.actor, principal, input.name, expiresAt, scopes);
    return c.json({ id: created.id, token: created.token, prefix: created.prefix, principal: { ...principal, email }, scopes, expiresAt: iso(expiresAt) }, 201);
  });

  app.delete('/:id', (c) => {
    const services = c.get('services');
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || !revokeApiTokenAudited(services, c.get('principal')!.actor, id)) {
      throw new DomainError('NOT_FOUND', `No active token ${c.req.param('id')}.`);
    }
    return c.body(null, 204);
  });
  return app;
}

export function referenceRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/queues', requireRole(...STAFF), (c) => c.json(c.get('services').db.select().from(queues).orderBy(asc(queues.tier), asc(queues.id)).all()));
  app.get('/workflows/:name', requireRole(...STAFF), (c) => {
    const { definitions } = c.get('services');
    const { version, definition } = definitions.workflow(c.req.param('name'));
    return c.json({ version, definition });
  });
  app.get('/workflows', requireRole(...MANAGERS), (c) => c.json(c.get('services').definitions.names('workflow')));
  return app;
}
