/**
 * The Hono application: built from services and options, no globals, so tests call
 * `createApp(...).request()` against a real database without a socket.
 */
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { DomainError } from '../errors.js';
import type { Services } from '../services.js';
import { apiRoutes } from './api/index.js';
import { problemResponse, toDomainError } from './problem.js';
import type { AppEnv } from './types.js';

export interface AppOptions {
  adminToken: string | null;
}

export function createApp(services: Services, options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestId({ limitLength: 64 }));
  app.use(async function provideServices(c, next) {
    c.set('services', services);
    c.set('principal', null);
    await next();
  });
  app.use(secureHeaders());

  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.route('/api/v1', apiRoutes({ adminToken: options.adminToken }));

  app.onError((error, c) => {
    const domain = toDomainError(error);
    if (domain.code === 'INTERNAL') {
      services.logger.error('request failed', { requestId: c.get('requestId'), method: c.req.method, path: c.req.path, error });
    }
    return problemResponse(c, domain);
  });
  app.notFound((c) => problemResponse(c, new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`)));
  return app;
}
