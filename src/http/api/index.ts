/** The JSON API under `/api/v1`: bearer tokens, problem+json errors, a body size limit. */
import { Hono } from 'hono';
import { DomainError } from '../../errors.js';
import { API_BODY_LIMIT, DEFINITION_BODY_LIMIT, isUpload, limitBody, uploadLimit } from '../limits.js';
import { apiAuth, limitScopedTokens, type ApiAuthOptions } from '../middleware/api-auth.js';
import type { AppEnv } from '../types.js';
import { referenceApi, referenceRoutes, tokenApi, tokenRoutes } from './admin.js';
import { auditApi, auditRoutes } from './audit.js';
import { caseApi } from './case-specs.js';
import { caseRoutes } from './cases.js';
import { channelApi, channelRoutes } from './channels.js';
import { CHURN_PATH, customerApi, customerRoutes } from './customers.js';
import { importApi, importRoutes } from './import.js';
import { macroApi, macroRoutes } from './macros.js';
import { metricsApi, metricsRoutes } from './metrics.js';
import { INBOUND_PATH, inboundApi, inboundRoutes } from './inbound.js';
import { phoneApi, phoneHookRoutes } from './phone.js';
import { rulesetApi, rulesetRoutes } from './rulesets.js';
import { userApi, userRoutes } from './users.js';
import { reportApi, reportRoutes } from './reports.js';
import { searchApi, searchRoutes } from './search.js';
import { slaApi, slaRoutes } from './sla.js';
import { templateApi, templateRoutes } from './templates.js';
import { webhookApi, webhookRoutes } from './webhooks.js';
import { openApiDocument, openApiGroup, openApiRoutes } from './openapi.js';
import type { ApiGroup } from '../openapi/route-spec.js';
import { methodsByPath } from '../allowed-methods.js';

export { API_BODY_LIMIT };

/**
 * The routes that publish a definition (a ruleset, the SLA config): they take the console's
 * limit for definitions (DEFINITION_BODY_LIMIT), so what the console builds can be sent back.
 */
const DEFINITION_ROUTES = [/^\/api\/v1\/rulesets\/[^/]+$/, /^\/api\/v1\/sla-config$/];

function isDefinitionRoute(method: string, path: string): boolean {
  return method === 'PUT' && DEFINITION_ROUTES.some((r) => r.test(path));
}

/**
 * Every group of described API routes: what `/api/v1/openapi.json` and `/api/docs` describe.
 * A new group (a new file of routes) is added here and mounted below at its `base`.
 */
export const API_GROUPS: readonly ApiGroup[] = [
  caseApi, macroApi, customerApi, auditApi, searchApi, rulesetApi, slaApi, reportApi, metricsApi, templateApi, channelApi, phoneApi, inboundApi, importApi, tokenApi, userApi, webhookApi, referenceApi, openApiGroup,
];

/** The OpenAPI document of the API (built once, from API_GROUPS). */
export const apiDocument = () => openApiDocument(API_GROUPS);

/** The methods an /api/v1 path takes, from the route specs (405's `Allow`; none: an unknown path). */
export const apiMethods = methodsByPath(API_GROUPS.flatMap((group) => group.specs.map((spec) => ({ method: spec.method, path: `/api/v1${spec.fullPath === '/' ? '' : spec.fullPath}` }))));

export function apiRoutes(options: ApiAuthOptions): Hono<AppEnv> {
  const api = new Hono<AppEnv>();
  // API answers are per caller (bearer token) and often personal: no cache keeps them.
  api.use(async function apiNoStore(c, next) {
    c.header('Cache-Control', 'no-store');
    await next();
  });
  const limit = limitBody(API_BODY_LIMIT, 'The body');
  const definitionLimit = limitBody(DEFINITION_BODY_LIMIT, 'The definition');
  // The bulk import streams any size, line by line, with a limit per line (src/import/);
  // inbound mail has the email channel's own size limit (EMAIL_MAX_BYTES); a multipart
  // message with files, the attachment limits; a definition, the console's limit for definitions.
  api.use(function apiBodyLimit(c, next) {
    const own = c.req.method === 'POST' && (c.req.path.endsWith('/api/v1/import/cases') || c.req.path.endsWith('/api/v1/inbound/email'));
    if (own) return next();
    if (isDefinitionRoute(c.req.method, c.req.path)) return definitionLimit(c, next);
    return isUpload(c) ? uploadLimit(c)(c, next) : limit(c, next);
  });
  // The API's description is public: it is registered before the token check.
  api.route(openApiGroup.mount, openApiRoutes(apiDocument));
  // Signed by the provider with PHONE_WEBHOOK_SECRET instead of a bearer token (answers before apiAuth).
  api.route(phoneApi.mount, phoneHookRoutes());
  api.use(apiAuth(options));
  api.use(limitScopedTokens({ inbound: INBOUND_PATH, churn: CHURN_PATH }));
  api.route(macroApi.mount, macroRoutes());
  api.route(caseApi.mount, caseRoutes());
  api.route(customerApi.mount, customerRoutes());
  api.route(auditApi.mount, auditRoutes());
  api.route(channelApi.mount, channelRoutes());
  api.route(importApi.mount, importRoutes());
  api.route(inboundApi.mount, inboundRoutes());
  api.route(rulesetApi.mount, rulesetRoutes());
  api.route(tokenApi.mount, tokenRoutes());
  api.route(userApi.mount, userRoutes());
  api.route(slaApi.mount, slaRoutes());
  api.route(reportApi.mount, reportRoutes());
  api.route(metricsApi.mount, metricsRoutes());
  api.route(templateApi.mount, templateRoutes());
  api.route(searchApi.mount, searchRoutes());
  api.route(webhookApi.mount, webhookRoutes());
  api.route(referenceApi.mount, referenceRoutes());
  // (Hono answers an unmatched request with the parent app's notFound: app.ts, with `apiMethods`.)
  api.notFound(() => {
    throw new DomainError('NOT_FOUND', 'No such API route.');
  });
  return api;
}
