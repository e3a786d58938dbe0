/**
 * The server-rendered pages (hono/jsx views in `views/`, htmx for partial updates):
 * sign-in, the customer portal, the agent workspace, the manager console, the one-click
 * CSAT page of the resolved mail. Sessions and CSRF apply to these
 * routes only; `/api` keeps bearer tokens.
 */
import { Hono } from 'hono';
import { DomainError } from '../../errors.js';
import { accessPages } from './access.js';
import { DEFINITION_BODY_LIMIT, isUpload, limitBody, uploadLimit } from '../limits.js';
import { authPages } from './auth.js';
import { caseMacroPages } from './case-macros.js';
import { caseDraftPages } from './case-drafts.js';
import { casePages } from './cases.js';
import { csatPages } from './csat.js';
import { caseEditPages } from './case-edit.js';
import { caseChatPages } from './case-chat.js';
import { reviewMailPages } from './review-mail.js';
import type { PageEnv, PageOptions } from './env.js';
import { inboxActionPages } from './inbox-actions.js';
import { inboxPages } from './inbox.js';
import { macroPages } from './macros.js';
import { managePages } from './manage/index.js';
import { portalPages } from './portal.js';
import { newCasePages } from './new-case.js';
import { profilePages } from './profile.js';
import { caseMergePages } from './case-merge.js';
import { redirectTo } from './render.js';
import { searchPages } from './search.js';
import { isPagePath, pageCsrf, pageSession } from './session.js';

export const PAGE_BODY_LIMIT = 64 * 1024;

/**
 * The definition editors' forms (the rule builder, the workflow editor, the JSON editors and
 * what they post as you type, the dry-run) carry the whole document: they take the definitions'
 * limit, the same as the API's publishing routes (DEFINITION_BODY_LIMIT, src/http/limits.ts).
 */
export const DEFINITION_FORM_LIMIT = DEFINITION_BODY_LIMIT;
const DEFINITION_FORMS = /^\/manage\/(?:(?:rules|workflows)\/[^/]+\/(?:builder|drafts|validate|publish|rollback|dry-runs)|sla\/(?:drafts|validate|publish|rollback))$/;

export function pageRoutes(options: PageOptions): Hono<PageEnv> {
  const app = new Hono<PageEnv>();
  const limit = limitBody(PAGE_BODY_LIMIT, 'The form');
  const definitionLimit = limitBody(DEFINITION_FORM_LIMIT, 'The form');
  // The session first (cookies only, no body), so a form over the limit answers a page that knows who is signed in.
  app.use(pageSession(options));
  // Forms with files (a message, a new request) take the attachment limits instead.
  app.use(async function pageBodyLimit(c, next) {
    if (!isPagePath(c.req.path)) return next();
    if (isUpload(c)) return uploadLimit(c)(c, next);
    return c.req.method === 'POST' && DEFINITION_FORMS.test(c.req.path) ? definitionLimit(c, next) : limit(c, next);
  });
  // The CSRF token may be in the body: checked once the body is known to be within the limit.
  app.use(pageCsrf(options));

  app.get('/', (c) => {
    const principal = c.get('principal');
    return redirectTo(c, !principal ? '/login' : principal.actor.type === 'customer' ? '/portal' : '/inbox');
  });
  app.route('/', authPages());
  app.route('/', accessPages());
  app.route('/', portalPages());
  app.route('/', inboxPages());
  app.route('/', inboxActionPages());
  // Before the case pages: `/cases/new` is not a case reference.
  app.route('/', newCasePages());
  app.route('/', casePages());
  app.route('/', caseEditPages());
  app.route('/', caseMergePages());
  app.route('/', caseChatPages());
  app.route('/', reviewMailPages());
  app.route('/', searchPages());
  app.route('/', caseMacroPages());
  app.route('/', caseDraftPages());
  app.route('/', macroPages());
  app.route('/', managePages());
  app.route('/', csatPages());
  app.route('/', profilePages());
  return app;
}
