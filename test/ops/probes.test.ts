/** `/healthz` (alive, no database), `/readyz` (database writable, migrations current, definitions loaded), HSTS. */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createServices } from '../../src/compose.js';
import type { Db } from '../../src/db/client.js';
import { watchDatabaseFile, type FileWatch } from '../../src/db/file-watch.js';
import * as schema from '../../src/db/schema/index.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { ADMIN_TOKEN, createHarness, type Harness } from '../support/harness.js';

interface Ready {
  status: string;
  checks: Record<string, { status: string; reason?: string }>;
  failed?: string[];
}

let h: Harness | null = null;
let watch: FileWatch | null = null;
afterEach(() => {
  watch?.stop();
  h?.close();
  h = null;
  watch = null;
});

/** `/readyz` as monitoring asks it: with a token good for /metrics, so the details are there. */
async function ready(app: { request: (url: string, init?: RequestInit) => Response | Promise<Response> }, token: string | null = ADMIN_TOKEN): Promise<{ status: number; body: Ready; res: Response }> {
  const res = await app.request('/readyz', token === null ? {} : { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Ready, res };
}

describe('/healthz', () => {
  it('answers while the process lives, without touching the database (even a closed one)', async () => {
    h = createHarness();
    const res = await h.app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    h.db.$client.close();
    expect((await h.app.request('/healthz')).status).toBe(200);
    expect((await h.app.request('/health')).status).toBe(503);
    expect((await ready(h.app)).status).toBe(503);
    h = null;
  });
});

describe('/readyz', () => {
  it('is ready with a writable, migrated database and the definitions in force', async () => {
    h = createHarness();
    const { status, body, res } = await ready(h.app);
    expect(status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(body).toMatchObject({ status: 'ready', checks: { database: { status: 'ok' }, migrations: { status: 'ok' }, definitions: { status: 'ok', workflow: 'support v1' } } });
    expect(body.failed).toBeUndefined();
    // /health still answers as before (other tests and load balancers use it).
    expect(await (await h.app.request('/health')).json()).toEqual({ status: 'ok', checks: { database: 'ok' } });
  });

  it('tells an anonymous caller (or a wrong token) only the status of each check: no versions, no migration names, no paths or errors', async () => {
    h = createHarness();
    const app = createApp(h.services, { adminToken: ADMIN_TOKEN, metricsToken: 'metrics-token-0123456789' });
    for (const token of [null, 'not-a-token', h.tokenFor(h.agent({ role: 'manager' }))]) {
      const { status, body } = await ready(app, token);
      expect(status).toBe(200);
      expect(body).toEqual({ status: 'ready', checks: { database: { status: 'ok' }, migrations: { status: 'ok' }, definitions: { status: 'ok' } } });
    }
    expect((await ready(app, 'metrics-token-0123456789')).body.checks.definitions).toEqual({ status: 'ok', workflow: 'support v1', sla: 'v1' });
    expect((await ready(app, h.tokenFor(h.agent({ role: 'admin' })))).body.checks.migrations).toMatchObject({ status: 'ok', latest: expect.any(String) });
    h.db.$client.close();
    const down = await ready(app, null);
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'not ready', failed: ['database', 'migrations', 'definitions'], checks: { database: { status: 'failed' }, migrations: { status: 'failed' }, definitions: { status: 'failed' } } });
    expect((await ready(app, ADMIN_TOKEN)).body.checks.database!.reason).toEqual(expect.any(String));
    h = null;
  });

  it('is not ready when the database cannot be written (opened read-only)', async () => {
    h = createHarness();
    const readOnly = drizzle(new Database(h.dbPath, { readonly: true }), { schema }) as Db;
    const services = createServices(readOnly, h.clock);
    try {
      const { status, body } = await ready(createApp(services, { adminToken: ADMIN_TOKEN }));
      expect(status).toBe(503);
      expect(body.status).toBe('not ready');
      expect(body.failed).toEqual(['database']);
      expect(body.checks.database!.reason).toMatch(/read-only|cannot be written/);
      expect(body.checks.migrations!.status).toBe('ok');
    } finally {
      readOnly.$client.close();
    }
  });

  it('is not ready when the database file is gone, and says so', async () => {
    h = createHarness();
    const lines: string[] = [];
    watch = watchDatabaseFile(h.db, h.dbPath, createLogger('silent'), { intervalMs: 3_600_000 });
    h.services.logger = createLogger('error', (l) => lines.push(l));
    fs.renameSync(h.dbPath, `${h.dbPath}.moved`);
    const { status, body } = await ready(h.app);
    expect(status).toBe(503);
    expect(body.failed).toContain('database');
    expect(body.checks.database!.reason).toMatch(/^gone: /);
    await ready(h.app);
    expect(lines.filter((l) => l.includes('not ready'))).toHaveLength(1); // once a minute, not per probe
    fs.renameSync(`${h.dbPath}.moved`, h.dbPath);
    watch.check();
    expect((await ready(h.app)).status).toBe(200);
  });

  it('/health tells an anonymous caller the database state but not the reason naming the file', async () => {
    h = createHarness();
    const app = createApp(h.services, { adminToken: ADMIN_TOKEN, metricsToken: 'metrics-token-0123456789' });
    watch = watchDatabaseFile(h.db, h.dbPath, createLogger('silent'), { intervalMs: 3_600_000 });
    h.services.logger = createLogger('silent');
    fs.renameSync(h.dbPath, `${h.dbPath}.moved`);
    for (const token of [null, 'not-a-token', h.tokenFor(h.agent({ role: 'manager' }))]) {
      const res = await app.request('/health', token === null ? {} : { headers: { Authorization: `Bearer ${token}` } });
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ status: 'unavailable', checks: { database: 'gone' } });
      expect(text).not.toContain(h.dbPath.split('/').slice(0, -1).join('/'));
    }
    const detailed = await app.request('/health', { headers: { Authorization: 'Bearer metrics-token-0123456789' } });
    expect(await detailed.json()).toEqual({ status: 'unavailable', checks: { database: 'gone' }, reason: expect.stringContaining(h.dbPath) });
    fs.renameSync(`${h.dbPath}.moved`, h.dbPath);
    watch.check();
    expect((await app.request('/health')).status).toBe(200);
  });

  it('is not ready when the database is behind the code’s migrations, naming them', async () => {
    h = createHarness();
    const journal = JSON.parse(fs.readFileSync(new URL('../../drizzle/meta/_journal.json', import.meta.url), 'utf8')) as { entries: { tag: string; when: number }[] };
    const last = journal.entries[journal.entries.length - 1]!;
    h.db.$client.prepare('DELETE FROM __drizzle_migrations WHERE created_at = ?').run(last.when);
    const { status, body } = await ready(h.app);
    expect(status).toBe(503);
    expect(body.failed).toEqual(['migrations']);
    expect(body.checks.migrations!.reason).toBe(`1 migration not applied: ${last.tag} (restart Casebook to apply them)`);
    // A database migrated by newer code is not this code's either.
    h.db.$client.prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)').run('x', last.when);
    h.db.$client.prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)').run('y', last.when + 1000);
    const ahead = await ready(h.app);
    expect(ahead.status).toBe(503);
    expect(ahead.body.checks.migrations!.reason).toMatch(/migrated by a newer Casebook/);
  });

  it('is not ready when the default workflow is not there', async () => {
    h = createHarness();
    const services = createServices(h.db, h.clock, { defaultWorkflow: 'nowhere' });
    const { status, body } = await ready(createApp(services, { adminToken: ADMIN_TOKEN }));
    expect(status).toBe(503);
    expect(body.failed).toEqual(['definitions']);
    expect(body.checks.definitions!.reason).toContain('nowhere');
  });
});

describe('Strict-Transport-Security', () => {
  const hsts = async (app: ReturnType<typeof createApp>, url: string, headers: Record<string, string> = {}) => (await app.request(url, { headers })).headers.get('Strict-Transport-Security');

  it('only on answers that went out over HTTPS; X-Forwarded-Proto only from trusted proxies', async () => {
    h = createHarness();
    const plain = createApp(h.services, { adminToken: null, publicUrl: 'http://localhost:3000' });
    expect(await hsts(plain, 'http://localhost/login')).toBeNull();
    expect(await hsts(plain, 'http://localhost/login', { 'X-Forwarded-Proto': 'https' })).toBeNull();
    expect(await hsts(plain, 'https://localhost/login')).toBe('max-age=31536000');
    const proxied = createApp(h.services, { adminToken: null, publicUrl: 'https://support.example.com', trustProxy: 1 });
    expect(await hsts(proxied, 'http://localhost/login', { 'X-Forwarded-Proto': 'https' })).toBe('max-age=31536000');
    expect(await hsts(proxied, 'http://localhost/healthz', { 'X-Forwarded-Proto': 'http' })).toBeNull();
    const httpsPublic = createApp(h.services, { adminToken: null, publicUrl: 'https://support.example.com' });
    expect(await hsts(httpsPublic, 'http://localhost/login')).toBe('max-age=31536000');
  });
});
