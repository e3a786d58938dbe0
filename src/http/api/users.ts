/**
 * `POST /api/v1/users` (admin only): provision a staff member or a customer. Without a
 * password the answer carries a one-time `setPasswordUrl`. See docs/ui.md.
 */
import { Hono } from 'hono';
import { iso } from '../../cases/case-view.js';
import { createUser, createUserSchema } from '../../users/create-user.js';
import { z } from 'zod';
import { issuePasswordLink } from '../../users/password-tokens.js';
import { jsonBody, readJson } from '../json-body.js';
import { requireRole } from '../middleware/api-auth.js';
import type { AppEnv } from '../types.js';
import { ADMINS_ONLY, apiGroup, on } from '../openapi/route-spec.js';
import { createdUser, passwordLink } from './schemas/admin.js';
import { emailField } from '../../text/email-address.js';

export const userApi = apiGroup('/users', 'Setup');

export const createUserRoute = userApi.route({
  method: 'post',
  path: '/',
  summary: 'Provision an account',
  description: 'A staff member or a customer. Without a password the answer carries a one-time `setPasswordUrl`.',
  access: ADMINS_ONLY,
  body: createUserSchema,
  responses: { 201: createdUser },
  errors: [409],
});
export const passwordLinkRoute = userApi.route({
  method: 'post',
  path: '/password-links',
  summary: 'A one-time set-password link',
  description:
    'For an existing account (portal access, reset). It revokes the account’s earlier password links; the password, sessions and API tokens stay until the link is used, and using it ends the sessions but keeps the API tokens (`apiTokensLive` counts them). For a compromised account send `revokeAccess: true`: in the same transaction the password is cleared, every session ends, every API token is revoked and every other one-time link goes (audited as `access-revoked`), so the new link is the only way in.',
  access: ADMINS_ONLY,
  body: z.strictObject({
    email: emailField(),
    revokeAccess: z.boolean().optional().meta({ description: 'The account is compromised: clear its password, end its sessions, revoke its API tokens and other links now.' }),
  }),
  responses: { 201: passwordLink },
});

export function userRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requireRole('admin'));

  on(app, createUserRoute, async (c) => {
    const created = await createUser(c.get('services'), await readJson(c), c.get('principal')!.actor);
    return c.json(
      {
        id: created.ref.id,
        type: created.ref.type,
        email: created.email,
        name: created.name,
        role: created.role,
        queues: created.queues,
        skills: created.skills,
        capacity: created.capacity,
        chatLimit: created.chatLimit,
        available: created.available,
        ...(created.setPassword ? { setPasswordUrl: created.setPassword.url, setPasswordExpiresAt: iso(created.setPassword.expiresAt) } : {}),
      },
      201,
    );
  });
  /** A one-time link to set a password for an existing account (portal access, reset). */
  on(app, passwordLinkRoute, async (c) => {
    const { email, revokeAccess } = await jsonBody(c, passwordLinkRoute.body);
    const link = await issuePasswordLink(c.get('services'), email, { revokeAccess: revokeAccess === true, actor: c.get('principal')!.actor });
    return c.json(
      {
        id: link.ref.id,
        type: link.ref.type,
        email: email.toLowerCase(),
        setPasswordUrl: link.url,
        setPasswordExpiresAt: iso(link.expiresAt),
        sessionsEnded: link.sessionsEnded,
        apiTokensRevoked: link.apiTokensRevoked,
        apiTokensLive: link.apiTokensLive,
      },
      201,
    );
  });
  return app;
}
