/**
 * A server on SQLite loads nothing of PostgreSQL's: not node-postgres, not drizzle's
 * node-postgres driver, not Casebook's PostgreSQL modules (src/db/pg/, the store's pg.ts). They
 * are loaded only for a DATABASE_URL (src/db/server-database.ts, src/http/ops.ts); a static
 * import of one of them anywhere the server reaches would keep ~2 MiB of heap for nothing.
 * Checked on the built server as `npm start` runs it, through a module hook that records every
 * module it loads, while it serves the pages, the API and the probes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, ROOT, tempDir } from '../support/harness.js';
import { startServer, type RunningServer } from '../support/server.js';

const POSTGRES_MODULES = /\/node_modules\/(pg|pg-[a-z-]+)\/|\/node_modules\/drizzle-orm\/node-postgres\/|\/dist\/src\/db\/pg\/|\/dist\/src\/db\/store\/(pg|open)\.js$/;

let dir: string;
let trace: string;
let server: RunningServer;

beforeAll(async () => {
  dir = tempDir('sqlite-modules');
  trace = path.join(dir, 'modules.txt');
  const hook = path.join(ROOT, 'test/support/module-trace/register.mjs');
  server = await startServer({ databasePath: path.join(dir, 'casebook.db'), env: { NODE_OPTIONS: `--import ${hook}`, MODULE_TRACE_FILE: trace } });
});
afterAll(async () => {
  await server?.stop();
});

describe('a server on SQLite', () => {
  it('loads none of PostgreSQL’s modules, started and serving', async () => {
    const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    const created = await fetch(`${server.url}/api/v1/cases`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ customer: { email: 'chloe@example.com' }, subject: 'Printer', description: 'It jams.' }) });
    expect(created.status).toBe(201);
    for (const url of ['/readyz', '/healthz', '/metrics', '/login', '/api/v1/cases']) {
      const res = await fetch(`${server.url}${url}`, { headers: auth });
      expect(res.status, url).toBe(200);
    }
    const loaded = fs.readFileSync(trace, 'utf8').split('\n').filter(Boolean);
    // The trace works: the server's own modules and SQLite's driver are in it.
    expect(loaded.some((url) => url.endsWith('/dist/src/main.js'))).toBe(true);
    expect(loaded.some((url) => url.includes('/node_modules/better-sqlite3/'))).toBe(true);
    expect([...new Set(loaded.filter((url) => POSTGRES_MODULES.test(url)))]).toEqual([]);
  });
});
