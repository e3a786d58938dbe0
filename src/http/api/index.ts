/** The JSON API under `/api/v1`: bearer tokens, problem+json errors, a body size limit. */
import { Hono } from 'hono';
import { DomainError } from '../../errors.js';
import { isUpload, limitBody, uploadLimit } from '../limits.js';
import { apiAuth, limitScopedTokens, type ApiAuthOptions } from '../middleware/api-auth.js';
import type { AppEnv } from '../types.js';
import { referenceRoutes, tokenRoutes } from './admin.js';
import { caseRoutes } from './cases.js';
import { channelRoutes } from './channels.js';
import { CHURN_PATH, customerRoutes } from './customers.js';
import { importRoutes } from './import.js';
import { macroRoutes } from './macros.js';
import { INBOUND_PATH, inboundRoutes } from './inbound.js';
import { rulesetRoutes } from './rulesets.js';
import { userRoutes } from './users.js';
import { reportRoutes } from './reports.js';
import { searchRoutes } from './search.js';
import { slaRoutes } from './sla.js';
import { templateRoutes } from './templates.js';
import { webhookRoutes } from './webhooks.js';

export const API_BODY_LIMIT = 256 * 1024;

export function apiRoutes(options: ApiAuthOptions): Hono<AppEnv> {
  const api = new Hono<AppEnv>();
  // API answers are per caller (bearer token) and often personal: no cache keeps them.
  api.use(async function apiNoStore(c, next) {
    c.header('Cache-Control', 'no-store');
    await next();
  });
  const limit = limitBody(API_BODY_LIMIT, 'The body');
  // The bulk import streams any size, line by line, with a limit per line (src/import/);
  // inbound mail has the email channel's own size limit (EMAIL_MAX_BYTES); a multipart
  // message with files, the attachment limits.
  api.use(function apiBodyLimit(c, next) {
    const own = c.req.method === 'POST' && (c.req.path.endsWith('/api/v1/import/cases') || c.req.path.endsWith('/api/v1/inbound/email'));
    if (own) return next();
    return isUpload(c) ? uploadLimit(c)(c, next) : limit(c, next);
  });
  api.use(apiAuth(options));
  api.use(limitScopedTokens({ inbound: INBOUND_PATH, churn: CHURN_PATH }));
  api.route('/', macroRoutes());
  api.route('/cases', caseRoutes());
  api.route('/customers', customerRoutes());
  api.route('/channels', channelRoutes());
  api.route('/import', importRoutes());
  api.route('/inbound', inboundRoutes());
  api.route('/rulesets', rulesetRoutes());
  api.route('/tokens', tokenRoutes());
  api.route('/users', userRoutes());
  api.route('/', slaRoutes());
  api.route('/reports', reportRoutes());
  api.route('/templates', templateRoutes());
  api.route('/search', searchRoutes());
  api.route('/webhooks', webhookRoutes());
  api.route('/', referenceRoutes());
  api.notFound(() => {
    throw new DomainError('NOT_FOUND', 'No such API route.');
  });
  return api;
}
