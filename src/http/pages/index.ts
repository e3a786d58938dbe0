/**
 * The server-rendered pages (hono/jsx views in `views/`, htmx for partial updates):
 * sign-in, the customer portal, the agent workspace. Sessions and CSRF apply to these
 * routes only; `/api` keeps bearer tokens.
 */
import { Hono } from 'hono';
import { bodyLimit } from '../middleware/body-limit.js';
import { DomainError } from '../../errors.js';
import { authPages } from './auth.js';
import { casePages } from './cases.js';
import type { PageEnv, PageOptions } from './env.js';
import { inboxPages } from './inbox.js';
import { managePages } from './manage/index.js';
import { portalPages } from './portal.js';
import { redirectTo } from './render.js';
import { isPagePath, pageSession } from './session.js';

export const PAGE_BODY_LIMIT = 64 * 1024;

export function pageRoutes(options: PageOptions): Hono<PageEnv> {
  const app = new Hono<PageEnv>();
  const limit = bodyLimit({
    maxSize: PAGE_BODY_LIMIT,
    onError: () => {
      throw new DomainError('PAYLOAD_TOO_LARGE', `The form is larger than ${PAGE_BODY_LIMIT / 1024} KiB.`);
    },
  });
  app.use(async function pageBodyLimit(c, next) {
    return isPagePath(c.req.path) ? limit(c, next) : next();
  });
  app.use(pageSession(options));

  app.get('/', (c) => {
    const principal = c.get('principal');
    return redirectTo(c, !principal ? '/login' : principal.actor.type === 'customer' ? '/portal' : '/inbox');
  });
  app.route('/', authPages());
  app.route('/', portalPages());
  app.route('/', inboxPages());
  app.route('/', casePages());
  app.route('/', managePages());
  return app;
}
