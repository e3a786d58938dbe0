/**
 * The authorization matrix, generated from the app's route table: every route × every kind
 * of caller gets the outcome written below. A route without an entry fails the test, so a
 * new route cannot ship without someone deciding who may use it.
 *
 * Callers, in order: anonymous · the case's customer · another customer · an agent of the
 * case's queue · an agent of another queue · an advanced (tier-2) agent · a manager · an
 * admin. API routes are called with bearer tokens, pages with a session and a valid CSRF
 * token. Outcomes:
 *   ok     the caller got through (2xx, 3xx other than to sign-in, 409, 422: authorization passed)
 *   login  pages: redirected to sign-in        401  API: no valid token
 *   403    refused for the caller's role        404  hidden (the caller may not see it)
 *   -      not applicable (public assets, sign-in pages)
 */
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/auth/api-tokens.js';
import { createSession } from '../../src/auth/sessions.js';
import { createCase } from '../../src/cases/create-case.js';
import { storeFiles } from '../../src/attachments/record.js';
import { csatKey, makeCsatToken } from '../../src/channels/email/csat-link.js';
import { createReport } from '../../src/reports/create-report.js';
import { createSite } from '../../src/chat/sites.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import type { Handle } from '../../src/db/store/index.js';
import { ADMIN, ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';

const CALLERS = ['anonymous', 'customer', 'otherCustomer', 'agent', 'otherAgent', 'advanced', 'manager', 'admin'] as const;
type Caller = (typeof CALLERS)[number];

// prettier-ignore
const MATRIX: Record<string, string> = {
  //                                              anon  cust  other agent other adv   mgr   admin
  'GET /health':                                   'ok    ok    ok    ok    ok    ok    ok    ok',
  'GET /healthz':                                  'ok    ok    ok    ok    ok    ok    ok    ok',
  'GET /readyz':                                   'ok    ok    ok    ok    ok    ok    ok    ok',
  // Prometheus scrapes: METRICS_TOKEN or an admin's token (test/ops/metrics.test.ts), called like the API
  'GET /metrics':                                  '401   403   403   403   403   403   403   ok',
  'GET /assets/:name':                             'ok    ok    ok    ok    ok    ok    ok    ok',
  'GET /favicon.ico':                              'ok    ok    ok    ok    ok    ok    ok    ok',
  // JSON API
  'POST /api/v1/cases':                            '401   ok    ok    ok    ok    ok    ok    ok',
  'GET /api/v1/cases':                             '401   ok    ok    ok    ok    ok    ok    ok',
  'GET /api/v1/cases/:id':                         '401   ok    404   ok    404   404   ok    ok',
  'PATCH /api/v1/cases/:id':                        '401   403   403   ok    404   404   ok    ok',
  'GET /api/v1/cases/:id/events':                  '401   ok    404   ok    404   404   ok    ok',
  'POST /api/v1/cases/:id/transitions':            '401   ok    404   ok    404   404   ok    ok',
  'POST /api/v1/cases/:id/messages':               '401   ok    404   ok    404   404   ok    ok',
  // A file of the customer's request (an internal note's file: test/pages/attachments.test.ts)
  'GET /api/v1/cases/:id/attachments/:attachment': '401   ok    404   ok    404   404   ok    ok',
  'POST /api/v1/cases/:id/offered-solution':       '401   ok    404   403   404   404   403   403',
  'POST /api/v1/cases/:id/assignment':             '401   403   403   ok    404   404   ok    ok',
  'POST /api/v1/cases/:id/calls':                  '401   403   403   ok    404   404   ok    ok',
  'GET /api/v1/cases/:id/held-mail':               '401   403   403   ok    404   404   ok    ok',
  'POST /api/v1/cases/:id/held-mail/release':      '401   403   403   ok    404   404   ok    ok',
  // Merging a duplicate into another case (staff who may see it: test/api/merge.test.ts)
  'POST /api/v1/cases/:id/merge':                  '401   403   403   ok    404   404   ok    ok',
  'POST /api/v1/cases/:id/reviewed-mail/:note':    '401   403   403   ok    404   404   ok    ok',
  // Macros: staff; a shared macro is changed by managers (each caller gets a fresh one: see call())
  'GET /api/v1/macros':                            '401   403   403   ok    ok    ok    ok    ok',
  'POST /api/v1/macros':                           '401   403   403   ok    ok    ok    ok    ok',
  'GET /api/v1/macros/:id':                        '401   403   403   ok    ok    ok    ok    ok',
  'PATCH /api/v1/macros/:id':                      '401   403   403   403   403   403   ok    ok',
  'DELETE /api/v1/macros/:id':                     '401   403   403   403   403   403   ok    ok',
  'POST /api/v1/cases/:id/macros/:macroId/preview':'401   403   403   ok    404   404   ok    ok',
  'POST /api/v1/cases/:id/macros/:macroId/apply':  '401   403   403   ok    404   404   ok    ok',
  'POST /api/v1/import/cases':                    '401   403   403   403   403   403   ok    ok',
  'PATCH /api/v1/customers/:id':                   '401   403   403   403   403   403   ok    ok',
  // Privacy: a customer's export (managers), erasure and the audit log (admins)
  'GET /api/v1/customers/:id/export':              '401   403   403   403   403   403   ok    ok',
  'POST /api/v1/customers/:id/erase':              '401   403   403   403   403   403   403   ok',
  'GET /api/v1/audit':                             '401   403   403   403   403   403   403   ok',
  // Churn marks from a CRM or billing system (managers, admins, or a churn-scoped token: test/integrations/chat-crm.test.ts)
  'POST /api/v1/customers/:id/churn':              '401   403   403   403   403   403   ok    ok',
  // Webhooks: endpoints and signing secrets are infrastructure (admins)
  'POST /api/v1/webhooks':                         '401   403   403   403   403   403   403   ok',
  'GET /api/v1/webhooks':                          '401   403   403   403   403   403   403   ok',
  'GET /api/v1/webhooks/:id':                      '401   403   403   403   403   403   403   ok',
  'DELETE /api/v1/webhooks/:id':                   '401   403   403   403   403   403   403   ok',
  'POST /api/v1/webhooks/:id/enable':              '401   403   403   403   403   403   403   ok',
  'POST /api/v1/webhooks/:id/rotate-secret':       '401   403   403   403   403   403   403   ok',
  'GET /api/v1/webhooks/:id/deliveries':           '401   403   403   403   403   403   403   ok',
  'POST /api/v1/webhooks/:id/deliveries/:delivery/replay': '401   403   403   403   403   403   403   ok',
  'POST /api/v1/webhooks/:id/deliveries/replay':   '401   403   403   403   403   403   403   ok',
  // Mailboxes are servers, accounts and passwords: admins only
  'GET /api/v1/channels/mailboxes':                 '401   403   403   403   403   403   403   ok',
  'POST /api/v1/channels/mailboxes':                '401   403   403   403   403   403   403   ok',
  'PATCH /api/v1/channels/mailboxes/:id':           '401   403   403   403   403   403   403   ok',
  'DELETE /api/v1/channels/mailboxes/:id':          '401   403   403   403   403   403   403   ok',
  // Raw mail in (admins, or a token with the inbound scope: test/email/inbound-http.test.ts)
  'POST /api/v1/inbound/email':                    '401   403   403   403   403   403   403   ok',
  // A telephony provider's call webhook: signed with PHONE_WEBHOOK_SECRET, no token; unset here, so off for everyone (test/pages/phone-cases.test.ts)
  'POST /api/v1/channels/phone/calls':             '503   503   503   503   503   503   503   503',
  'GET /api/v1/rulesets':                          '401   403   403   ok    ok    ok    ok    ok',
  'GET /api/v1/rulesets/:name':                    '401   403   403   ok    ok    ok    ok    ok',
  'GET /api/v1/rulesets/:name/versions':           '401   403   403   ok    ok    ok    ok    ok',
  'PUT /api/v1/rulesets/:name':                    '401   403   403   403   403   403   ok    ok',
  'GET /api/v1/tokens':                            '401   403   403   403   403   403   403   ok',
  'POST /api/v1/tokens':                           '401   403   403   403   403   403   403   ok',
  'DELETE /api/v1/tokens/:id':                     '401   403   403   403   403   403   403   ok',
  'POST /api/v1/users':                            '401   403   403   403   403   403   403   ok',
  'POST /api/v1/users/password-links':             '401   403   403   403   403   403   403   ok',
  'GET /api/v1/sla-config':                        '401   403   403   ok    ok    ok    ok    ok',
  'GET /api/v1/sla-config/versions':               '401   403   403   ok    ok    ok    ok    ok',
  'PUT /api/v1/sla-config':                        '401   403   403   403   403   403   ok    ok',
  'POST /api/v1/sla/sweep':                        '401   403   403   403   403   403   403   ok',
  'POST /api/v1/sla/reapply':                      '401   403   403   403   403   403   ok    ok',
  'GET /api/v1/reports':                           '401   403   403   403   403   403   ok    ok',
  'POST /api/v1/reports':                          '401   403   403   403   403   403   ok    ok',
  'GET /api/v1/reports/:id':                       '401   403   403   403   403   403   ok    ok',
  'GET /api/v1/reports/:id/report.csv':            '401   403   403   403   403   403   ok    ok',
  'GET /api/v1/reports/:id/report.html':           '401   403   403   403   403   403   ok    ok',
  'POST /api/v1/reports/:id/deliver':              '401   403   403   403   403   403   ok    ok',
  // The dashboard's numbers (test/api/metrics-api.test.ts)
  'GET /api/v1/metrics':                           '401   403   403   403   403   403   ok    ok',
  'GET /api/v1/queues':                            '401   403   403   ok    ok    ok    ok    ok',
  'GET /api/v1/workflows/:name':                   '401   403   403   ok    ok    ok    ok    ok',
  'GET /api/v1/workflows':                         '401   403   403   403   403   403   ok    ok',
  'POST /api/v1/workflows/:name/reapply':          '401   403   403   403   403   403   ok    ok',
  'GET /api/v1/templates':                         '401   403   403   403   403   403   ok    ok',
  'GET /api/v1/templates/:name/:audience':         '401   403   403   403   403   403   ok    ok',
  'PUT /api/v1/templates/:name/:audience':         '401   403   403   403   403   403   ok    ok',
  'DELETE /api/v1/templates/:name/:audience':      '401   403   403   403   403   403   ok    ok',
  'POST /api/v1/templates/:name/:audience/preview':'401   403   403   403   403   403   ok    ok',
  // The API's description and its reference page are public (test/api/openapi.test.ts)
  'GET /api/v1/openapi.json':                      'ok    ok    ok    ok    ok    ok    ok    ok',
  'GET /api/docs':                                 'ok    ok    ok    ok    ok    ok    ok    ok',
  // Search: everyone signed in, each finding only what they may see (test/search/)
  'GET /api/v1/search':                            '401   ok    ok    ok    ok    ok    ok    ok',
  // Sign-in and the portal
  'GET /':                                         'login ok    ok    ok    ok    ok    ok    ok',
  'GET /login':                                    'ok    ok    ok    ok    ok    ok    ok    ok',
  'POST /login':                                   '-     -     -     -     -     -     -     -',
  'POST /logout':                                  'login login login login login login login login',
  'GET /set-password':                             '-     -     -     -     -     -     -     -',
  'POST /set-password':                            '-     -     -     -     -     -     -     -',
  // Mailed ways in (visitor forms; a link's page without a valid token is a 404 or sign-in)
  'POST /login/link':                              '-     -     -     -     -     -     -     -',
  'GET /login/link':                               '-     -     -     -     -     -     -     -',
  'POST /login/link/confirm':                      '-     -     -     -     -     -     -     -',
  'GET /forgot-password':                          'ok    ok    ok    ok    ok    ok    ok    ok',
  'POST /forgot-password':                         '-     -     -     -     -     -     -     -',
  'GET /signup':                                   'ok    ok    ok    ok    ok    ok    ok    ok',
  'POST /signup':                                  '-     -     -     -     -     -     -     -',
  'GET /signup/confirm':                           '-     -     -     -     -     -     -     -',
  'POST /signup/confirm':                          '-     -     -     -     -     -     -     -',
  'GET /portal':                                   'login ok    ok    404   404   404   404   404',
  'GET /portal/new':                               'login ok    ok    404   404   404   404   404',
  'GET /portal/suggestions':                       'login ok    ok    404   404   404   404   404',
  'POST /portal/cases':                            'login ok    ok    404   404   404   404   404',
  // The agent workspace
  'GET /inbox':                                    'login 404   404   ok    ok    ok    ok    ok',
  'GET /inbox/counts':                             'login 404   404   ok    ok    ok    ok    ok',
  'GET /inbox/views':                              'login 404   404   ok    ok    ok    ok    ok',
  'POST /availability':                            'login 404   404   ok    ok    ok    ok    ok',
  // Log a phone call or walk-in as a case (staff)
  'GET /cases/new':                                'login 404   404   ok    ok    ok    ok    ok',
  'POST /cases/new':                               'login 404   404   ok    ok    ok    ok    ok',
  'GET /cases/:id':                                'login ok    404   ok    404   404   ok    ok',
  'GET /cases/:id/live':                           'login ok    404   ok    404   404   ok    ok',
  'POST /cases/:id/messages':                      'login ok    404   ok    404   404   ok    ok',
  'GET /cases/:id/attachments/:attachment':        'login ok    404   ok    404   404   ok    ok',
  'POST /cases/:id/transitions':                   'login ok    404   ok    404   404   ok    ok',
  'POST /cases/:id/assignment':                    'login 404   404   ok    404   404   ok    ok',
  'POST /cases/:id/calls':                         'login 404   404   ok    404   404   ok    ok',
  'POST /cases/:id/customer':                      'login 404   404   404   404   404   ok    ok',
  'POST /cases/:id/edit':                          'login 404   404   ok    404   404   ok    ok',
  'POST /cases/:id/mentions':                      'login 404   404   ok    404   404   ok    ok',
  'GET /cases/:id/merge':                          'login 404   404   ok    404   404   ok    ok',
  'POST /cases/:id/merge':                         'login 404   404   ok    404   404   ok    ok',
  // A mail held for review posted as the customer's message (staff who may see the case: test/email/accept-review.test.ts)
  'POST /cases/:id/reviewed-mail/:note':           'login 404   404   ok    404   404   ok    ok',
  // Presence heartbeat on a case page (staff who may see the case)
  'POST /cases/:id/presence':                      'login 404   404   ok    404   404   ok    ok',
  // Reply drafts (staff who may see the case; each agent's own: test/pages/drafts.test.ts)
  'POST /cases/:id/draft':                         'login 404   404   ok    404   404   ok    ok',
  'POST /cases/:id/rating':                        'login ok    404   404   404   404   404   404',
  'POST /cases/:id/offered-solution':              'login ok    404   404   404   404   404   404',
  'POST /cases/:id/macros/preview':                'login 404   404   ok    404   404   ok    ok',
  'POST /cases/:id/macros/apply':                  'login 404   404   ok    404   404   ok    ok',
  // Bulk actions and saved views in the inbox; macros (a shared view or macro is changed by managers)
  'POST /inbox/bulk':                              'login 404   404   ok    ok    ok    ok    ok',
  'POST /inbox/views':                             'login 404   404   ok    ok    ok    ok    ok',
  'POST /inbox/views/:id/delete':                  'login 404   404   403   403   403   ok    ok',
  'GET /macros':                                   'login 404   404   ok    ok    ok    ok    ok',
  'GET /macros/new':                               'login 404   404   ok    ok    ok    ok    ok',
  'POST /macros':                                  'login 404   404   ok    ok    ok    ok    ok',
  'POST /macros/preview':                          'login 404   404   ok    ok    ok    ok    ok',
  'GET /macros/:id':                               'login 404   404   ok    ok    ok    ok    ok',
  'POST /macros/:id':                              'login 404   404   403   403   403   ok    ok',
  'POST /macros/:id/delete':                       'login 404   404   403   403   403   ok    ok',
  // One-click CSAT from the resolved mail: the signed link is the authorization, whoever holds it (test/email/csat.test.ts)
  'GET /csat/:token':                              'ok    ok    ok    ok    ok    ok    ok    ok',
  'POST /csat/:token':                             'ok    ok    ok    ok    ok    ok    ok    ok',
  'GET /search':                                   'login ok    ok    ok    ok    ok    ok    ok',
  // One's own profile (name, time zone, password) and the browser's zone on a first visit
  'GET /profile':                                  'login ok    ok    ok    ok    ok    ok    ok',
  'POST /profile':                                 'login ok    ok    ok    ok    ok    ok    ok',
  'POST /profile/password':                        'login ok    ok    ok    ok    ok    ok    ok',
  'POST /profile/time-zone':                       'login ok    ok    ok    ok    ok    ok    ok',
  // Live chat: the case page's chat (staff who see the case; this case has no chat: 404 once seen)
  'GET /cases/:id/chat/stream':                    'login 404   404   404   404   404   404   404',
  'POST /cases/:id/chat/typing':                   'login 404   404   404   404   404   404   404',
  'POST /cases/:id/chat/end':                      'login 404   404   404   404   404   404   404',
  'POST /cases/:id/chat/held-mail':                'login 404   404   404   404   404   404   404',
  // The widget and its window: public (the site's allowed origins and the visitor token are the checks: test/chat/)
  'GET /chat/widget.js':                           'ok    ok    ok    ok    ok    ok    ok    ok',
  'GET /chat/frame/:site':                         '-     -     -     -     -     -     -     -',
  'GET /chat/api/sites/:site/status':              '-     -     -     -     -     -     -     -',
  'POST /chat/api/sites/:site/sessions':           '-     -     -     -     -     -     -     -',
  'POST /chat/api/sites/:site/offline':            '-     -     -     -     -     -     -     -',
  'GET /chat/api/session':                         '-     -     -     -     -     -     -     -',
  'GET /chat/api/stream':                          '-     -     -     -     -     -     -     -',
  'GET /chat/api/messages':                        '-     -     -     -     -     -     -     -',
  'GET /chat/api/files/:id':                       '-     -     -     -     -     -     -     -',
  'POST /chat/api/messages':                       '-     -     -     -     -     -     -     -',
  'POST /chat/api/typing':                         '-     -     -     -     -     -     -     -',
  'POST /chat/api/seen':                           '-     -     -     -     -     -     -     -',
  'POST /chat/api/end':                            '-     -     -     -     -     -     -     -',
  'POST /chat/api/transcript':                     '-     -     -     -     -     -     -     -',
  'POST /chat/api/rating':                         '-     -     -     -     -     -     -     -',
};

const MANAGE = 'login 404   404   403   403   403   ok    ok';

const MANAGE_ROUTES = [
  'GET /manage', 'GET /manage/rules', 'POST /manage/rules/export', 'POST /manage/rules/import', 'GET /manage/rules/:name', 'POST /manage/rules/:name/validate',
  'POST /manage/rules/:name/drafts', 'POST /manage/rules/:name/publish', 'POST /manage/rules/:name/rollback', 'GET /manage/rules/:name/versions/:version',
  'POST /manage/rules/:name/dry-runs', 'POST /manage/rules/:name/builder', 'POST /manage/rules/:name/examples', 'GET /manage/workflows', 'GET /manage/workflows/:name', 'POST /manage/workflows/:name/validate',
  'POST /manage/workflows/:name/drafts', 'POST /manage/workflows/:name/builder', 'POST /manage/workflows/:name/publish', 'POST /manage/workflows/:name/rollback',
  'GET /manage/workflows/:name/versions/:version', 'GET /manage/workflows/:name/reapply', 'POST /manage/workflows/:name/reapply', 'GET /manage/sla/calculator', 'GET /manage/sla/reapply', 'POST /manage/sla/reapply', 'GET /manage/sla',
  'POST /manage/sla/validate', 'POST /manage/sla/drafts', 'POST /manage/sla/publish', 'POST /manage/sla/rollback', 'GET /manage/sla/versions/:version',
  'GET /manage/team', 'GET /manage/team/queues/new', 'POST /manage/team/queues', 'GET /manage/team/queues/:id', 'POST /manage/team/queues/:id',
  'POST /manage/team/queues/:id/deactivate', 'POST /manage/team/queues/:id/reactivate', 'GET /manage/team/staff/new', 'POST /manage/team/staff',
  'GET /manage/team/staff/:id', 'POST /manage/team/staff/:id', 'POST /manage/team/staff/:id/deactivate', 'POST /manage/team/staff/:id/reactivate',
  'GET /manage/team/problems', 'GET /manage/team/problems/new', 'POST /manage/team/problems', 'GET /manage/team/problems/:id', 'POST /manage/team/problems/:id',
  'POST /manage/team/problems/:id/deactivate', 'POST /manage/team/problems/:id/reactivate', 'GET /manage/team/customers', 'GET /manage/team/customers/:id',
  'POST /manage/team/customers/:id/churn', 'GET /manage/reports', 'GET /manage/reports/csv/:name', 'GET /manage/reports/drill', 'GET /manage/reports/drill.csv',
  'GET /manage/reports/sla', 'GET /manage/reports/sla/:id', 'GET /manage/reports/sla/:id/report.csv', 'GET /manage/reports/sla/:id/report.html',
  'POST /manage/reports/sla/:id/deliver', 'GET /manage/templates', 'GET /manage/templates/:name/:audience', 'POST /manage/templates/:name/:audience',
  'POST /manage/templates/:name/:audience/preview', 'POST /manage/templates/:name/:audience/reset',
];
for (const route of MANAGE_ROUTES) MATRIX[route] = MANAGE;
// The channels console: managers read it, only admins change mailboxes.
const ADMIN_ONLY = 'login 404   404   403   403   403   403   ok';
MATRIX['GET /manage/channels'] = MANAGE;
// Privacy: managers export and read the audit log; only admins erase.
MATRIX['GET /manage/team/customers/:id/export'] = MANAGE;
MATRIX['GET /manage/audit'] = MANAGE;
MATRIX['POST /manage/team/customers/:id/erase'] = ADMIN_ONLY;
MATRIX['GET /manage/channels/mailboxes/:id'] = MANAGE;
for (const route of [
  'GET /manage/channels/mailboxes/new', 'POST /manage/channels/mailboxes', 'POST /manage/channels/mailboxes/:id', 'POST /manage/channels/mailboxes/:id/test',
  'POST /manage/channels/mailboxes/:id/enable', 'POST /manage/channels/mailboxes/:id/disable', 'POST /manage/channels/mailboxes/:id/delete',
  'GET /manage/webhooks', 'POST /manage/webhooks', 'GET /manage/webhooks/:id', 'POST /manage/webhooks/:id/enable', 'POST /manage/webhooks/:id/delete',
  'POST /manage/webhooks/:id/rotate-secret', 'POST /manage/webhooks/:id/deliveries/:delivery/replay', 'POST /manage/webhooks/:id/deliveries/replay',
  'GET /manage/tokens', 'POST /manage/tokens', 'POST /manage/tokens/:id/revoke',
]) MATRIX[route] = ADMIN_ONLY;
MATRIX['GET /manage/channels/chat-sites/:id'] = MANAGE;
for (const route of ['POST /manage/channels/chat-sites', 'POST /manage/channels/chat-sites/:id', 'POST /manage/channels/chat-sites/:id/secret']) MATRIX[route] = ADMIN_ONLY;
// A dry-run job belongs to whoever started it: for everyone else, and for an id that does not exist, it is hidden.
MATRIX['GET /manage/rules/:name/dry-runs/:id'] = 'login 404   404   403   403   403   404   404';

/** Form fields for page posts that need some to reach their authorization (all else: empty). */
const FORMS: Record<string, Record<string, string>> = {
  'POST /manage/rules/:name/dry-runs': { draft: '1', kind: 'last', count: '10' },
};

interface World {
  h: Harness;
  caseRef: string;
  actors: Record<Exclude<Caller, 'anonymous'>, TestActor>;
  params: Record<string, string>;
}

function harness(): Harness {
  const h = createHarness({ services: { channelsKey: parseChannelsKey('22'.repeat(32)) } });
  standardQueues(h);
  return h;
}

/** A harness with the demo's queues, and a cast in it. */
async function world(): Promise<World> {
  return cast(harness());
}

/** What every case and caller depends on: the published rules, workflows and SLA policies, the templates. */
async function definitionsInForce(h: Harness): Promise<string> {
  const published = await h.query((q) =>
    q.db.select({ id: q.tables.definitionVersions.id }).from(q.tables.definitionVersions).where(eq(q.tables.definitionVersions.state, 'published')).orderBy(q.tables.definitionVersions.id),
  );
  const t = (q: Handle) => q.tables.notificationTemplates;
  const templates = await h.query((q) => q.db.select().from(t(q)).orderBy(t(q).name, t(q).audience));
  return JSON.stringify([published, templates]);
}

let casts = 0;

/**
 * The callers, a case of the customer's (with a file) in the general queue, and one of each
 * object a route names, all new: in a harness already used by other routes they are still
 * untouched by those routes' callers.
 */
async function cast(h: Harness): Promise<World> {
  const n = ++casts;
  const queue = h.queue(`billing-${n}`);
  const actors = {
    customer: h.customer({ email: `chloe.${n}@example.com`, name: 'Chloe' }),
    otherCustomer: h.customer({ email: `sam.${n}@example.org`, name: 'Sam' }),
    agent: h.agent({ name: 'Alice', queues: ['general'] }),
    otherAgent: h.agent({ name: 'Bob', queues: ['technical'] }),
    advanced: h.agent({ name: 'Dana', role: 'advanced', queues: ['advanced'] }),
    manager: h.agent({ name: 'Maria', role: 'manager' }),
    admin: h.agent({ name: 'Adam', role: 'admin' }),
  };
  const file = await storeFiles(h.services.attachments.store, [{ name: 'screenshot.png', mediaType: 'image/png', bytes: new Uint8Array([137, 80, 78, 71]) }]);
  const c = await createCase(h.services, { subject: 'Hello', description: 'A question about my account' }, actors.customer, { customerId: actors.customer.id, attachments: file });
  const [attachment] = await h.query((q) => q.db.select().from(q.tables.attachments).where(eq(q.tables.attachments.caseId, c.id)));
  const now = h.clock.now();
  const write = h.services.store.write.bind(h.services.store);
  // A mail held for review on the case (src/channels/email/accept-review.ts).
  const [note] = await write((q) => q.db.insert(q.tables.caseEvents).values({ caseId: c.id, type: 'staff.noted', at: now, actorType: 'system', actorId: null, data: { body: 'From my work address', review: true, from: `chloe.${n}@work.example` } }).returning());
  const [problem] = await write((q) => q.db.insert(q.tables.problems).values({ title: `P ${n}`, symptoms: 's', solution: 'x', createdAt: now, updatedAt: now }).returning());
  const report = await createReport(h.services, { from: now - 86_400_000, to: now, trigger: 'manual' });
  const token = await write((q) => createApiToken(q, { type: 'customer', id: actors.otherCustomer.id }, 'x', now));
  // A mailbox on a port nothing listens on (a test of its connection fails at once); no password stored.
  const [mailbox] = await write((q) => q.db.insert(q.tables.mailboxes).values({ name: `Sales ${n}`, host: '127.0.0.1', port: 1, tls: false, username: 'sales', path: 'INBOX', queueId: queue, createdAt: now, updatedAt: now }).returning());
  const [webhook] = await write((q) => q.db.insert(q.tables.webhookSubscriptions).values({ url: 'https://hooks.example.com/casebook', events: ['case.created'], secret: 'whsec_dGVzdA==', createdBy: 'test', createdAt: now }).returning());
  const [delivery] = await write((q) => q.db.insert(q.tables.webhookDeliveries).values({ subscriptionId: webhook!.id, messageId: `msg_${n}`, eventType: 'case.created', payload: '{}', status: 'succeeded', createdAt: now, updatedAt: now }).returning());
  const w: World = {
    h,
    caseRef: `C-${c.id}`,
    actors,
    params: {
      case: `C-${c.id}`,
      name: 'routing',
      workflow: 'support',
      version: '1',
      queue,
      staff: String(actors.otherAgent.id),
      problem: String(problem!.id),
      customer: String(actors.otherCustomer.id),
      report: String(report.id),
      token: String(token.id),
      csat: makeCsatToken(await csatKey(h.services), c.id, actors.customer.id, now + 86_400_000),
      attachment: String(attachment!.id),
      note: String(note!.id),
      mailbox: String(mailbox!.id),
      webhook: String(webhook!.id),
      delivery: String(delivery!.id),
      chatSite: (await createSite(h.services, { name: `Shop ${n}`, origins: 'https://shop.example', queue: 'general' })).id,
    },
  };
  await freshShared(w);
  return w;
}

function concrete(w: World, path: string): string {
  const p = w.params;
  return path
    .replace('/templates/:name/:audience', '/templates/case-resolved/customer')
    .replace(/^\/(api\/v1\/)?cases\/:id/, (m) => m.replace(':id', p.case!))
    .replace('/attachments/:attachment', `/attachments/${p.attachment}`)
    .replace('/reviewed-mail/:note', `/reviewed-mail/${p.note}`)
    .replace('/workflows/:name', `/workflows/${p.workflow}`)
    .replace(':name/dry-runs/:id', `${p.name}/dry-runs/${'x'.repeat(43)}`)
    .replace('/rules/:name', `/rules/${p.name}`)
    .replace('/rulesets/:name', `/rulesets/${p.name}`)
    .replace(':version', p.version!)
    .replace('/queues/:id', `/queues/${p.queue}`)
    .replace('/staff/:id', `/staff/${p.staff}`)
    .replace('/problems/:id', `/problems/${p.problem}`)
    .replace('/customers/:id', `/customers/${p.customer}`)
    .replace('/reports/csv/:name', '/reports/csv/backlog')
    .replace(/\/reports\/(sla\/)?:id/, (m) => m.replace(':id', p.report!))
    .replace('/tokens/:id', `/tokens/${p.token}`)
    .replace('/mailboxes/:id', `/mailboxes/${p.mailbox}`)
    .replace(/\/webhooks\/:id/, `/webhooks/${p.webhook}`)
    .replace('/deliveries/:delivery', `/deliveries/${p.delivery}`)
    .replace('/chat-sites/:id', `/chat-sites/${p.chatSite}`)
    .replace('/assets/:name', '/assets/app.css')
    .replace('/csat/:token', `/csat/${p.csat}`)
    .replace(/\/macros\/:(id|macroId)/, `/macros/${p.macro}`)
    .replace('/views/:id', `/views/${p.view}`);
}

/** A shared macro and a shared view of their own for each caller: one caller's DELETE does not hide them from the next. */
async function freshShared(w: World): Promise<void> {
  const now = w.h.clock.now();
  const by = { createdBy: 'Maria', createdAt: now };
  const macro = (await w.h.services.store.write((q) => q.db.insert(q.tables.macros).values({ name: `Shared ${now}-${Math.random()}`, body: 'Hello {{customer.firstName}}', actions: {}, ...by, updatedBy: 'Maria', updatedAt: now }).returning()))[0]!;
  const view = (await w.h.services.store.write((q) => q.db.insert(q.tables.inboxViews).values({ name: `Shared ${now}-${Math.random()}`, query: 'view=mine', ...by }).returning()))[0]!;
  w.params.macro = String(macro.id);
  w.params.view = String(view.id);
}

function routes(h: Harness): string[] {
  const seen = new Set<string>();
  for (const r of h.app.routes) if (r.method !== 'ALL') seen.add(`${r.method} ${r.path}`);
  return [...seen];
}

function outcome(res: Response, isApi: boolean): string {
  if (isApi && res.status === 401) return '401';
  if (res.status === 403) return '403';
  if (res.status === 404) return '404';
  if (res.status >= 300 && res.status < 400 && (res.headers.get('Location') ?? '').startsWith('/login')) return 'login';
  if (!isApi && res.status === 401) return 'login';
  if (res.status >= 500) return `${res.status}`;
  return 'ok';
}

async function call(w: World, caller: Caller, route: string): Promise<string> {
  const [method, path] = route.split(' ') as [string, string];
  if (/\/(macros|views)\/:/.test(path)) await freshShared(w);
  const url = concrete(w, path);
  const isApi = path.startsWith('/api/') || path === '/metrics';
  const headers: Record<string, string> = {};
  const form = FORMS[route] ?? {};
  if (isApi) {
    if (caller !== 'anonymous') headers.Authorization = `Bearer ${(await w.h.services.store.write((q) => createApiToken(q, { type: w.actors[caller].type as 'staff' | 'customer', id: w.actors[caller].id }, 't', w.h.clock.now()))).token}`;
    const body = method === 'GET' || method === 'DELETE' ? undefined : '{}';
    if (body) headers['Content-Type'] = 'application/json';
    return outcome(await w.h.app.request(url, { method, headers, ...(body ? { body } : {}) }), true);
  }
  let csrf = 'x'.repeat(43);
  if (caller === 'anonymous') {
    const login = await w.h.app.request('http://localhost/login');
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1]!;
    headers.Cookie = cookie;
  } else {
    const session = await w.h.services.store.write((q) => createSession(q, { type: w.actors[caller].type as 'staff' | 'customer', id: w.actors[caller].id }, w.h.clock.now()));
    headers.Cookie = `casebook_session=${session.id}`;
    csrf = session.csrfToken;
  }
  if (method === 'GET') return outcome(await w.h.app.request(`http://localhost${url}`, { headers }), false);
  headers['Content-Type'] = 'application/x-www-form-urlencoded';
  headers.Origin = 'http://localhost';
  return outcome(await w.h.app.request(`http://localhost${url}`, { method, headers, body: new URLSearchParams({ ...form, _csrf: csrf }).toString() }), false);
}

let current: World | null = null;
afterEach(() => current?.h.close());

describe('the authorization matrix', () => {
  it('has an entry for every route of the app', async () => {
    current = await world();
    const missing = routes(current.h).filter((r) => !(r in MATRIX));
    expect(missing, 'routes without an authorization entry').toEqual([]);
    const stale = Object.keys(MATRIX).filter((r) => !routes(current!.h).includes(r));
    expect(stale, 'entries for routes that no longer exist').toEqual([]);
  });

  it('gives every caller exactly the expected outcome on every route', async () => {
    const all = routes((current = await world()).h);
    current.h.close();
    current = null;
    const checked = all.filter((route) => !MATRIX[route]!.split(/\s+/).every((e) => e === '-'));
    const mismatches = new Map<string, string>();
    const check = async (w: World, route: string) => {
      const expected = MATRIX[route]!.split(/\s+/);
      const got: string[] = [];
      for (const caller of CALLERS) got.push(expected[CALLERS.indexOf(caller)] === '-' ? '-' : await call(w, caller, route));
      if (got.join(' ') !== expected.join(' ')) mismatches.set(route, `${route}\n   expected ${expected.join(' ')}\n   got      ${got.join(' ')}`);
    };
    // Each route's callers meet a world nothing else has touched. A GET changes nothing: the
    // GETs share one world. Any other route gets callers and objects of its own (a new cast),
    // in a harness shared with other such routes as long as none of them changed the
    // definitions every case and caller depends on; one that did retires the harness. Three
    // workers at a time: on PostgreSQL a harness is a database copied from the template, and
    // the waits overlap.
    const reads = async () => {
      const w = await world();
      try {
        for (const route of checked.filter((r) => r.startsWith('GET '))) await check(w, route);
      } finally {
        w.h.close();
      }
    };
    const writes = checked.filter((r) => !r.startsWith('GET '));
    const next = { index: 0 };
    const worker = async () => {
      let shared: { h: Harness; definitions: string } | null = null;
      try {
        for (let route = writes[next.index++]; route !== undefined; route = writes[next.index++]) {
          if (!shared) {
            const h = harness();
            shared = { h, definitions: await definitionsInForce(h) };
          }
          await check(await cast(shared.h), route);
          if ((await definitionsInForce(shared.h)) !== shared.definitions) {
            shared.h.close();
            shared = null;
          }
        }
      } finally {
        shared?.h.close();
      }
    };
    await Promise.all([reads(), worker(), worker(), worker()]);
    expect(checked.map((route) => mismatches.get(route)).filter(Boolean).join('\n')).toBe('');
  }, 120_000);

  it('the ADMIN_TOKEN has admin rights on the API', async () => {
    current = await world();
    for (const route of ['POST /api/v1/tokens', 'POST /api/v1/sla/sweep', 'GET /api/v1/workflows', 'GET /api/v1/cases/:id']) {
      const [method, path] = route.split(' ') as [string, string];
      const res = await current.h.app.request(concrete(current, path), { method, headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' }, ...(method === 'GET' ? {} : { body: '{}' }) });
      expect(outcome(res, true), route).toBe('ok');
    }
  });

  it('refuses state-changing page requests without the CSRF token or from another origin, on every route', async () => {
    current = await world();
    const w = current;
    const session = await w.h.services.store.write((q) => createSession(q, { type: 'staff', id: w.actors.admin.id }, w.h.clock.now()));
    // (The live chat's visitor API, /chat/api, has no session or CSRF token: its checks are the Origin and the visitor token, test/chat/.)
    const posts = routes(w.h).filter((r) => r.startsWith('POST /') && !r.startsWith('POST /api/') && !r.startsWith('POST /chat/'));
    expect(posts.length).toBeGreaterThan(35);
    for (const route of posts) {
      const url = `http://localhost${concrete(w, route.slice(5))}`;
      const form = (token?: string) => new URLSearchParams(token ? { _csrf: token } : {}).toString();
      const base = { Cookie: `casebook_session=${session.id}`, 'Content-Type': 'application/x-www-form-urlencoded' };
      const noToken = await w.h.app.request(url, { method: 'POST', headers: { ...base, Origin: 'http://localhost' }, body: form() });
      expect(noToken.status, `${route} without a token`).toBe(403);
      const foreign = await w.h.app.request(url, { method: 'POST', headers: { ...base, Origin: 'https://evil.example' }, body: form(session.csrfToken) });
      expect(foreign.status, `${route} from another origin`).toBe(403);
      const crossSite = await w.h.app.request(url, { method: 'POST', headers: { ...base, 'Sec-Fetch-Site': 'cross-site' }, body: form(session.csrfToken) });
      expect(crossSite.status, `${route} cross-site without Origin`).toBe(403);
    }
    // The admin account is untouched by all of that.
    expect(await w.h.query((q) => q.db.select({ active: q.tables.staff.active }).from(q.tables.staff).where(eq(q.tables.staff.id, w.actors.admin.id)))).toEqual([{ active: true }]);
  });

  it('never accepts a session cookie on the API', async () => {
    const w = (current = await world());
    const session = await w.h.services.store.write((q) => createSession(q, { type: 'staff', id: w.actors.admin.id }, w.h.clock.now()));
    const res = await w.h.app.request('/api/v1/cases', { headers: { Cookie: `casebook_session=${session.id}` } });
    expect(res.status).toBe(401);
  });
});

void ADMIN;
