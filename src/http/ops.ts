/**
 * What an orchestrator and a monitoring system ask (docs/deploying.md "Monitoring"):
 *
 *   GET /healthz   the process is alive and answers (touches nothing, not even the database)
 *   GET /readyz    ready for traffic: the database can be written (the write probe of /health:
 *                  a page write rolled back), its migrations are this code's, the definitions
 *                  in force load; 503 naming what failed. Anyone gets the status of each check;
 *                  the details (migration and definition versions, file paths and errors in
 *                  the reasons) only with a token good for /metrics — an anonymous prober
 *                  learns nothing about the deployment (the reasons are logged anyway)
 *   GET /metrics   Prometheus text format: a bearer METRICS_TOKEN, the ADMIN_TOKEN or an admin's
 *                  API token (401 without a valid token, 403 for anyone else's)
 *
 * `/health` (health.ts) is the database check alone, with the same rule for its reason.
 */
import { Hono, type Context } from 'hono';
import { principalForToken } from '../auth/api-tokens.js';
import { safeEqual } from '../auth/tokens.js';
import { migrationStatus } from '../db/migrations-status.js';
import { DomainError } from '../errors.js';
import { throttledLog } from '../logger.js';
import { METRICS_CONTENT_TYPE, scrapeMetrics } from '../metrics/scrape.js';
import type { Services } from '../services.js';
import { databaseState } from './health.js';
import { bearer, mayReadDetails, type ProbeAccess } from './probe-access.js';
import type { AppEnv } from './types.js';

export type OpsOptions = ProbeAccess;

type Check = { ok: true; detail?: Record<string, unknown> } | { ok: false; reason: string };

async function databaseCheck(services: Services): Promise<Check> {
  const database = await databaseState(services);
  return 'reason' in database ? { ok: false, reason: `${database.state}: ${database.reason}` } : { ok: true, detail: { state: database.state } };
}

async function migrationsCheck(services: Services): Promise<Check> {
  const { sqlite } = services;
  if (sqlite && !sqlite.$client.open) return { ok: false, reason: 'the database connection is closed' };
  // PostgreSQL's status is loaded on PostgreSQL only: a server on SQLite never loads its modules (src/db/server-database.ts).
  const status = sqlite ? migrationStatus(sqlite.$client) : await import('../db/pg/migrations-status.js').then((m) => m.postgresMigrationStatus(services.store));
  switch (status.state) {
    case 'current':
      return { ok: true, detail: { applied: status.applied, latest: status.latest } };
    case 'behind':
      return { ok: false, reason: `${status.missing.length} migration${status.missing.length === 1 ? '' : 's'} not applied: ${status.missing.join(', ')} (restart Casebook to apply them)` };
    default:
      return { ok: false, reason: status.reason };
  }
}

function definitionsCheck(services: Services): Check {
  try {
    const workflow = services.definitions.workflow(services.defaultWorkflow);
    const sla = services.definitions.sla();
    const refused = services.definitions.refusedRulesets().map((r) => `${r.name} v${r.version}`);
    // A refused ruleset is not run (main.ts logs why); the server still works, so it is said, not failed.
    return { ok: true, detail: { workflow: `${services.defaultWorkflow} v${workflow.version}`, sla: `v${sla.version}`, ...(refused.length > 0 ? { refusedRulesets: refused } : {}) } };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

async function checkAll(services: Services): Promise<Record<string, Check>> {
  const database = await databaseCheck(services);
  // Without a readable database the other two cannot be asked (a closed SQLite file; a PostgreSQL server that does not answer).
  const unreadable = services.sqlite ? !services.sqlite.$client.open : !database.ok;
  if (!database.ok && unreadable) return { database, migrations: { ok: false, reason: 'not checked: no database' }, definitions: { ok: false, reason: 'not checked: no database' } };
  return { database, migrations: await migrationsCheck(services), definitions: definitionsCheck(services) };
}

/** METRICS_TOKEN, ADMIN_TOKEN, or an admin's API token (not one limited to scopes). */
async function authorizeScrape(c: Context<AppEnv>, options: OpsOptions): Promise<void> {
  const token = bearer(c);
  if (token === null) throw new DomainError('UNAUTHENTICATED', 'Send the METRICS_TOKEN or an admin API token: "Authorization: Bearer <token>".');
  if (options.metricsToken !== null && safeEqual(token, options.metricsToken)) return;
  if (options.adminToken !== null && safeEqual(token, options.adminToken)) return;
  const services = c.get('services');
  const principal = await services.store.query((q) => principalForToken(q, token, services.clock.now()));
  if (!principal) throw new DomainError('UNAUTHENTICATED', 'The token is unknown, revoked or expired.');
  c.set('principal', principal);
  if (principal.actor.role !== 'admin' || (principal.scopes?.length ?? 0) > 0) throw new DomainError('FORBIDDEN', 'Metrics need the METRICS_TOKEN or an admin API token.');
}

export function opsRoutes(options: OpsOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  let log: ReturnType<typeof throttledLog> | null = null;

  app.get('/healthz', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json({ status: 'ok' });
  });

  app.get('/readyz', async (c) => {
    const services = c.get('services');
    c.header('Cache-Control', 'no-store');
    const checks = await checkAll(services);
    const failed = Object.entries(checks).filter(([, check]) => !check.ok);
    const details = await mayReadDetails(c, options);
    const body = {
      status: failed.length === 0 ? 'ready' : 'not ready',
      checks: Object.fromEntries(
        Object.entries(checks).map(([name, check]) => [name, !details ? { status: check.ok ? 'ok' : 'failed' } : check.ok ? { status: 'ok', ...check.detail } : { status: 'failed', reason: check.reason }]),
      ),
      ...(failed.length > 0 ? { failed: failed.map(([name]) => name) } : {}),
    };
    if (failed.length === 0) return c.json(body);
    log ??= throttledLog(services.logger, () => services.clock.now());
    log(`readyz:${failed.map(([name]) => name).join(',')}`, 'error', 'not ready', { failed: body.failed, reasons: Object.fromEntries(failed.map(([name, check]) => [name, (check as { reason: string }).reason])) });
    return c.json(body, 503);
  });

  app.get('/metrics', async (c) => {
    await authorizeScrape(c, options);
    c.header('Cache-Control', 'no-store');
    return c.body(await scrapeMetrics(c.get('services')), 200, { 'Content-Type': METRICS_CONTENT_TYPE });
  });

  return app;
}
