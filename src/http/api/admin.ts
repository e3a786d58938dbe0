/** `/api/v1/tokens`, `/api/v1/queues`, `/api/v1/workflows`: setup and reference data. */
import { asc } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { issueApiToken, listApiTokens, revokeApiTokenAudited, TOKEN_SCOPES } from '../../auth/api-tokens.js';
import { normalizeEmail } from '../../cases/customers.js';
import { iso } from '../../cases/case-view.js';
import { DomainError } from '../../errors.js';
import { hideNotifyUrls } from '../../im/hidden-urls.js';
import { isManagerRole } from '../../roles.js';
import { jsonBody, parseWith, readJson } from '../json-body.js';
import { reapplyWorkflow } from '../../cases/reapply-workflow.js';
import { requireRole } from '../middleware/api-auth.js';
import { ADMINS_ONLY, apiGroup, MANAGERS_ONLY, on, STAFF_ONLY } from '../openapi/route-spec.js';
import { createdToken, tokenList } from './schemas/admin.js';
import { queue, workflow, workflowReapplyResult } from './schemas/definitions.js';
import type { AppEnv } from '../types.js';
import { emailField } from '../../text/email-address.js';

const tokenSchema = z.strictObject({
  email: emailField(),
  name: z.string().trim().min(1).max(100).default('API token'),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
  scopes: z.array(z.enum(TOKEN_SCOPES)).max(TOKEN_SCOPES.length).optional(),
});

export const tokenApi = apiGroup('/tokens', 'Setup');

export const createTokenRoute = tokenApi.route({
  method: 'post',
  path: '/',
  summary: 'Create an API token',
  description: 'For a staff member or a customer, by address. The token is shown once; `scopes` limits it to those routes: `inbound` (`POST /inbound/email`), `churn` (`POST /customers/{id}/churn`). A scope narrows a token, never widens it: only an account whose role may call the scope’s route may hold it (`inbound`: admins; `churn`: managers and admins); anyone else is 422 naming why, and a token minted before for such an account (or whose role changed since) gets 403.',
  access: ADMINS_ONLY,
  body: tokenSchema,
  responses: { 201: createdToken },
  errors: [403, 404],
});
export const listTokensRoute = tokenApi.route({
  method: 'get',
  path: '/',
  summary: 'An account’s API tokens',
  description: 'Every token of the staff member or customer with this address, newest first, revoked and expired ones included (`live` says which work): name, prefix, scopes and times, never the token or its hash. What a password reset leaves working; revoke one with `DELETE /tokens/{id}`, or all with `POST /users/password-links` and `revokeAccess`.',
  access: ADMINS_ONLY,
  query: z.strictObject({ email: emailField() }),
  responses: { 200: tokenList },
  errors: [404],
});
export const revokeTokenRoute = tokenApi.route({ method: 'delete', path: '/:id', summary: 'Revoke an API token', access: ADMINS_ONLY, params: { id: z.string().meta({ description: 'The token id.' }) }, responses: { 204: { description: 'Revoked' } } });

export function tokenRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requireRole('admin'));

  on(app, createTokenRoute, async (c) => {
    const services = c.get('services');
    const input = await jsonBody(c, createTokenRoute.body);
    const email = normalizeEmail(input.email);
    const scopes = [...new Set(input.scopes ?? [])];
    const created = await issueApiToken(services, c.get('principal')!.actor, { email, name: input.name, expiresInDays: input.expiresInDays, scopes });
    return c.json({ id: created.id, token: created.token, prefix: created.prefix, principal: { ...created.principal, email }, scopes, expiresAt: iso(created.expiresAt) }, 201);
  });

  on(app, listTokensRoute, async (c) => {
    const services = c.get('services');
    const { email } = parseWith(listTokensRoute.query, c.req.query());
    const address = normalizeEmail(email);
    const listed = await services.store.query((q) => listApiTokens(q, address, services.clock.now()));
    return c.json({
      principal: { ...listed.principal, email: address },
      items: listed.tokens.map((t) => ({ ...t, createdAt: iso(t.createdAt), lastUsedAt: iso(t.lastUsedAt), expiresAt: iso(t.expiresAt), revokedAt: iso(t.revokedAt) })),
    });
  });

  on(app, revokeTokenRoute, async (c) => {
    const services = c.get('services');
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || !(await revokeApiTokenAudited(services, c.get('principal')!.actor, id))) {
      throw new DomainError('NOT_FOUND', `No active token ${c.req.param('id')}.`);
    }
    return c.body(null, 204);
  });
  return app;
}

export const referenceApi = apiGroup('', 'Reference');

export const queuesRoute = referenceApi.route({ method: 'get', path: '/queues', summary: 'Queues', access: STAFF_ONLY, responses: { 200: z.array(queue) } });
export const workflowRoute = referenceApi.route({
  method: 'get',
  path: '/workflows/:name',
  summary: 'A workflow in force',
  description: 'For agents, the `url` of a notify action (a Slack/Teams incoming webhook, a credential) reads `(hidden)`; managers and admins get it as written.',
  access: STAFF_ONLY,
  params: { name: z.string().meta({ examples: ['support'] }) },
  responses: { 200: workflow },
});
export const workflowsRoute = referenceApi.route({ method: 'get', path: '/workflows', summary: 'Workflow names', access: MANAGERS_ONLY, responses: { 200: z.array(z.string()) } });

const stateName = z.string().min(1).max(100);
const workflowReapplySchema = z.strictObject({
  dryRun: z.boolean().default(false),
  version: z.number().int().positive().optional().meta({ description: 'The version previewed: 409 CONFLICT when another is in force by now.' }),
  stateMap: z.record(stateName, stateName).optional().meta({ description: 'A case state → the state it takes in the version in force.' }),
  limit: z.number().int().min(0).max(10_000).optional(),
});
export const workflowReapplyRoute = referenceApi.route({
  method: 'post',
  path: '/workflows/:name/reapply',
  summary: 'Re-apply a workflow to running cases',
  description:
    'Cases on another version of the workflow (not in a final state) move to the version in force. `{ "dryRun": true }` previews; `stateMap` moves cases in a state to another (one the new version no longer has, or renamed); cases that cannot move are listed in `blocked` and stay on their version. `limit` caps the listed cases. The body may be empty.',
  access: MANAGERS_ONLY,
  params: { name: z.string().meta({ examples: ['support'] }) },
  body: workflowReapplySchema,
  bodyOptional: true,
  responses: { 200: workflowReapplyResult },
  errors: [404, 409, 422],
});

export function referenceRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // A queue's Slack/Teams incoming-webhook URLs carry their credentials: never in this answer (every staff member reads it).
  on(app, queuesRoute, async (c) => {
    const rows = await c.get('services').store.query((q) => q.db.select().from(q.tables.queues).orderBy(asc(q.tables.queues.tier), asc(q.tables.queues.id)));
    return c.json(rows.map(({ slackWebhookUrl: _slack, teamsWebhookUrl: _teams, ...queue }) => queue));
  });
  on(app, workflowRoute, (c) => {
    const { definitions } = c.get('services');
    const { version, definition } = definitions.workflow(c.req.param('name'));
    // A notify action's Slack/Teams URL is a credential: only those who manage workflows read it.
    return c.json({ version, definition: isManagerRole(c.get('principal')!.actor.role) ? definition : hideNotifyUrls(definition) });
  });
  on(app, workflowsRoute, (c) => c.json(c.get('services').definitions.names('workflow')));
  on(app, workflowReapplyRoute, async (c) => {
    const text = await c.req.text(); // Hono caches the body: readJson reads it again
    const input = parseWith(workflowReapplyRoute.body, text.trim() === '' ? {} : await readJson(c));
    const result = await reapplyWorkflow(c.get('services'), c.req.param('name'), {
      dryRun: input.dryRun,
      actor: c.get('principal')!.actor,
      ...(input.version !== undefined ? { version: input.version } : {}),
      ...(input.stateMap ? { stateMap: input.stateMap } : {}),
      ...(input.limit !== undefined ? { limit: input.limit } : {}),
    });
    return c.json(result);
  });

  return app;
}
