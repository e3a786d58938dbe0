/**
 * The Hono application: built from services and options, no globals, so tests call
 * `createApp(...).request()` against a real database without a socket.
 */
import path from 'node:path';
import { Hono } from 'hono';
import type { Folders } from '../definitions/export-import.js';
import { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimits } from '../auth/rate-limit.js';
import { SharedRateLimiter } from '../auth/shared-rate-limit.js';
import { DomainError } from '../errors.js';
import type { Services } from '../services.js';
import { apiDocument, apiMethods, apiRoutes } from './api/index.js';
import { apiDocsPage } from './api-docs.js';
import { chatFrameRoutes } from './chat/frame.js';
import { chatVisitorRoutes } from './chat/visitor.js';
import { healthCheck } from './health.js';
import { hsts } from './middleware/hsts.js';
import { securityHeaderList, securityHeaders } from './middleware/security-headers.js';
import { observeRequests, routeOf } from './middleware/observe-requests.js';
import { opsRoutes } from './ops.js';
import { displayTextOnly } from './middleware/display-text.js';
import { compressAnswers } from './middleware/compress.js';
import { requestIds } from './middleware/request-id.js';
import { assetRoutes } from './pages/assets.js';
import { pageErrorResponse } from './pages/errors.js';
import { pageRoutes } from './pages/index.js';
import { MANAGE_LINKS } from './pages/manage/index.js';
import { isPagePath } from './pages/session.js';
import type { NavLink } from '../../views/viewer.js';
import { problemResponse, asDomainError } from './problem.js';
import { methodNotAllowed, methodsByPath } from './allowed-methods.js';
import { faultsOf } from '../db/faults.js';
import type { RequestFingerprint } from '../idempotency/store.js';
import { throttledLog } from '../logger.js';
import type { AppEnv } from './types.js';
import { MemoRouter } from './memo-router.js';
import { REPO_ROOT } from '../repo-root.js';

export interface AppOptions {
  adminToken: string | null;
  /** METRICS_TOKEN: a bearer token for `/metrics` only (besides admin tokens). Default none. */
  metricsToken?: string | null;
  /** Public base URL; its origin is accepted on state-changing page requests. Default: services.publicUrl. */
  publicUrl?: string;
  /** Secure cookies (`__Host-` names). Default: the public URL is https. */
  secureCookies?: boolean;
  /** Reverse proxies of ours in front of the server (TRUST_PROXY; `true` is 1): the client address (sign-in throttling) comes from X-Forwarded-For. Default 0. */
  trustProxy?: boolean | number;
  /** Intake and message rate limits. Default DEFAULT_RATE_LIMITS. */
  rateLimits?: RateLimits;
  /** Links for the "Manage" section of the staff navigation (managers and admins). */
  manageLinks?: NavLink[];
  /** Seconds between live-update polls on the inbox and case pages. Default 5. */
  pollSeconds?: number;
  /** Folders the manager console exports definitions to and imports from. Default: the repository's `rules/` and `workflows/`. */
  definitionFolders?: Folders;
}

export const DEFAULT_DEFINITION_FOLDERS: Folders = { rulesDir: path.join(REPO_ROOT, 'rules'), workflowsDir: path.join(REPO_ROOT, 'workflows') };

/** Our pages load only our own scripts and styles; nothing inline, no framing. */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  objectSrc: ["'none'"],
};

function errorText(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${message} (${code})` : message;
}

export function createApp(services: Services, options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ router: new MemoRouter() });
  // On PostgreSQL several instances may serve one database: they take from the same buckets.
  const limiter = services.store.dialect === 'postgres' ? new SharedRateLimiter(services.store, services.clock) : new RateLimiter(services.clock);
  const limits = { limiter, rates: options.rateLimits ?? DEFAULT_RATE_LIMITS };
  const idempotencyKeys = new Map<string, RequestFingerprint>();
  // Pages, fragments, JSON and CSV go out compressed when the client accepts it; static
  // assets come precompressed (assets.ts) and are left alone.
  app.use(compressAnswers());
  app.use(async function provideServices(c, next) {
    c.set('services', services);
    c.set('principal', null);
    c.set('tokenKey', null);
    c.set('limits', limits);
    c.set('idempotencyKeys', idempotencyKeys);
    await next();
  });
  app.use(requestIds());
  const trustProxy = options.trustProxy === true ? 1 : options.trustProxy || 0;
  const publicUrl = options.publicUrl ?? services.publicUrl;
  app.use(observeRequests({ trustProxy }));
  app.use(displayTextOnly());
  // same-origin: no Referer leaves the site (set-password tokens stay private), and browsers
  // still send a real Origin on our own form posts (no-referrer makes it "null", which the
  // CSRF check refuses, so plain forms would fail).
  // A header a handler set itself is kept: attachment downloads send their own sandboxing CSP.
  // Strict-Transport-Security only on answers that went out over HTTPS (middleware/hsts.ts).
  const pageHeaders = securityHeaderList({ contentSecurityPolicy: CONTENT_SECURITY_POLICY, xFrameOptions: 'DENY', referrerPolicy: 'same-origin', crossOriginResourcePolicy: 'same-origin' });
  // The live chat's loader is a script other sites load, and its window is framed by the sites a manager allowed:
  // the window sends its own CSP (frame-ancestors), neither sends X-Frame-Options or a same-origin resource policy.
  const chatHeaders = securityHeaderList({ xFrameOptions: false, referrerPolicy: 'no-referrer', crossOriginResourcePolicy: 'cross-origin' });
  app.use(securityHeaders((c) => (c.req.path.startsWith('/chat/frame/') || c.req.path === '/chat/widget.js' ? chatHeaders : pageHeaders)));
  app.use(hsts({ trustProxy, publicUrl }));

  const probeAccess = { adminToken: options.adminToken, metricsToken: options.metricsToken ?? null };
  app.get('/health', healthCheck(services, probeAccess));
  app.route('/', opsRoutes(probeAccess));
  app.route('/api/v1', apiRoutes({ adminToken: options.adminToken }));
  app.get('/api/docs', apiDocsPage(apiDocument));
  app.route('/', assetRoutes());
  app.route('/', chatFrameRoutes());
  app.route('/', chatVisitorRoutes({ publicOrigin: new URL(publicUrl).origin, trustProxy: options.trustProxy === true ? 1 : options.trustProxy || 0 }));
  app.route(
    '/',
    pageRoutes({
      secureCookies: options.secureCookies ?? publicUrl.startsWith('https:'),
      allowedOrigins: [new URL(publicUrl).origin],
      trustProxy,
      manageLinks: options.manageLinks ?? MANAGE_LINKS,
      pollSeconds: options.pollSeconds ?? 5,
      definitionFolders: options.definitionFolders ?? DEFAULT_DEFINITION_FOLDERS,
    }),
  );

  // SQLite's file faults (a full disk, a file gone or damaged); PostgreSQL reports its own.
  const faults = services.sqlite ? faultsOf(services.sqlite.$client) : null;
  // Storage and database faults fail every write alike: one line a minute says so (no stack trace per request).
  const logFault = throttledLog(services.logger, () => services.clock.now());
  faults?.onStorageRecovered(() => services.logger.warn('storage available again: writes succeed', { database: faults.file }));
  app.onError((error, c) => {
    const domain = asDomainError(error, faults ?? undefined);
    if (domain.code === 'STORAGE_FULL' && faults) {
      faults.storageFull();
      logFault('STORAGE_FULL', 'error', 'storage full: writes answer 503 STORAGE_FULL until space is freed', { database: faults.file, error: errorText(error), lastRequestId: c.get('requestId') });
    } else if (domain.code === 'DATABASE_UNAVAILABLE' && !faults?.refusal) {
      // (Refused writes — file gone or damaged — are logged once a minute by whoever found out.)
      // On PostgreSQL: the server restarting or out of reach; requests succeed again once it is back (no restart of Casebook).
      const what = faults
        ? `writes refused: ${domain.code}`
        : domain.details.timedOut === true
          ? `the database did not answer within DATABASE_STATEMENT_TIMEOUT_MS (a lock held by another session, or the server stalled): requests answer 503 ${domain.code}`
          : `the database cannot be reached: requests answer 503 ${domain.code} until it is back`;
      logFault(domain.details.timedOut === true ? 'DATABASE_TIMEOUT' : domain.code, 'error', what, { database: faults?.file ?? 'PostgreSQL', reason: errorText(error), lastRequestId: c.get('requestId') });
    } else if (domain.code === 'DATABASE_BUSY') {
      // SQLite: another process (a script, a backup, a sqlite3 shell) held the write lock past DATABASE_BUSY_TIMEOUT_MS.
      logFault(domain.code, 'warn', 'the database is locked by another process beyond DATABASE_BUSY_TIMEOUT_MS: writes answer 503 DATABASE_BUSY', { database: faults?.file ?? 'PostgreSQL', reason: errorText(error), lastRequestId: c.get('requestId') });
    } else if (domain.code === 'INTERNAL') {
      services.logger.error('request failed', { requestId: c.get('requestId'), clientRequestId: c.get('clientRequestId'), method: c.req.method, route: routeOf(c), error });
    }
    return isPagePath(c.req.path) ? pageErrorResponse(c, domain) : problemResponse(c, domain);
  });
  // A known path asked with another method is 405 with `Allow`: the API's from its route specs,
  // the pages' from the app's route table.
  let pageMethods: ((path: string) => string[]) | null = null;
  const methodsOf = (path: string): string[] => {
    if (path === '/api/v1' || path.startsWith('/api/v1/')) return apiMethods(path);
    if (!isPagePath(path)) return [];
    pageMethods ??= methodsByPath(app.routes.filter((route) => isPagePath(route.path)));
    return pageMethods(path);
  };
  app.notFound((c) => {
    const error = methodNotAllowed(c, methodsOf(c.req.path)) ?? new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
    return isPagePath(c.req.path) ? pageErrorResponse(c, error) : problemResponse(c, error);
  });
  return app;
}
