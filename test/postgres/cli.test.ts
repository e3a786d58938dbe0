/**
 * The command-line scripts on PostgreSQL: with DATABASE_URL they open the server's database
 * as the server does (migrated under the advisory lock, the live-signal relay) and never look
 * for a SQLite file. `sla:sweep` records the breaches that are due, `rules:export` and
 * `rules:import` round-trip the definitions — and a server running on the database learns of
 * the version a script published at once — `import` takes cases from NDJSON, and a database
 * that cannot be reached stops a script with one line. The real scripts, as `npm run` runs them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timeline } from '../../src/cases/case-read.js';
import { createCase } from '../../src/cases/create-case.js';
import { ManualClock } from '../../src/clock.js';
import { createServicesOn } from '../../src/compose.js';
import { openServerPostgres, type ServerPostgres } from '../../src/db/pg/startup.js';
import { createLogger } from '../../src/logger.js';
import { SYSTEM_ACTOR } from '../../src/roles.js';
import { seedDefinitions } from '../../src/seed/seed-definitions.js';
import type { Services } from '../../src/services.js';
import { HARNESS_START, loadRepoDefinitions, tempDir } from '../support/harness.js';
import { createMigratedDatabase } from '../support/postgres-store.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';
import { freePort } from '../support/free-port.js';
import { runScript } from '../support/server.js';

let cluster: PostgresCluster;
let url: string;
let server: ServerPostgres;
/** A server's services on the database, listening for other instances' signals. */
let services: Services;
let caseId: number;
/** Where a SQLite database would be: no script may create it. */
let sqlitePath: string;

beforeAll(async () => {
  cluster = await startPostgres();
  url = await createMigratedDatabase(cluster);
  server = await openServerPostgres(url, { logger: createLogger('silent') });
  services = await createServicesOn(server.store, new ManualClock(HARNESS_START), { relay: server.relay });
  await seedDefinitions(services, loadRepoDefinitions());
  // Created in March: its first-response clock has long run out by the scripts' real time.
  caseId = (await createCase(services, { customer: { email: 'chloe@example.com' }, subject: 'Printer jams', description: 'It jams on every page.' }, SYSTEM_ACTOR)).id;
  sqlitePath = path.join(tempDir(), 'data', 'casebook.db');
}, 60_000);

afterAll(async () => {
  services?.outbox.stop();
  await server?.close();
  await cluster?.stop();
});

const env = () => ({ DATABASE_URL: url, DATABASE_PATH: sqlitePath });

describe('the scripts with DATABASE_URL', () => {
  it('sla:sweep records the breaches due on PostgreSQL, once', async () => {
    const first = await runScript('scripts/sla-sweep.ts', [], env());
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^SLA sweep at \S+: \d+ warning\(s\), [1-9]\d* breach\(es\)/);
    expect(first.stdout).toContain(`C-${caseId}`);
    const breaches = (await timeline(services, caseId)).filter((e) => e.type === 'sla.breached');
    expect(breaches.length).toBeGreaterThan(0);
    const again = await runScript('scripts/sla-sweep.ts', [], env());
    expect(again.stdout).toMatch(/, 0 breach\(es\)/);
    expect((await timeline(services, caseId)).filter((e) => e.type === 'sla.breached')).toHaveLength(breaches.length);
    expect(fs.existsSync(sqlitePath)).toBe(false);
  });

  it('rules:export writes the versions in force; rules:import publishes a changed file, and a running server follows at once', async () => {
    const dir = tempDir();
    const dirs = ['--rules-dir', path.join(dir, 'rules'), '--workflows-dir', path.join(dir, 'workflows')];
    const exported = await runScript('scripts/rules-export.ts', dirs, env());
    expect(exported.code, exported.stderr).toBe(0);
    const file = path.join(dir, 'rules', 'routing.json');
    const routing = JSON.parse(fs.readFileSync(file, 'utf8')) as { description?: string };
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'workflows', 'support.json'), 'utf8'))).toMatchObject({ workflow: 'support' });
    const before = services.definitions.publishedVersion('ruleset', 'routing')!;

    fs.writeFileSync(file, JSON.stringify({ ...routing, description: 'Routing, as changed on the command line' }, null, 2));
    const imported = await runScript('scripts/rules-import.ts', dirs, env());
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain(`published ruleset routing v${before + 1}`);
    expect(imported.stdout).toContain('unchanged workflow support');
    // The script's publish reached this "server" through LISTEN/NOTIFY, not a restart.
    await expect.poll(() => services.definitions.publishedVersion('ruleset', 'routing'), { timeout: 10_000 }).toBe(before + 1);
    expect((services.definitions.version('ruleset', 'routing', before + 1)!.body as { description: string }).description).toBe('Routing, as changed on the command line');
  });

  it('report builds one for the dates given and says its period as the desk reads it (`--to` is an exclusive midnight)', async () => {
    const result = await runScript('scripts/report.ts', ['--from', '2026-12-01', '--to', '2026-12-31', '--no-email'], { ...env(), REPORT_TIMEZONE: 'Europe/Berlin' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^Report \d+: 2026-12-01 00:00 – 2026-12-31 00:00 \(Europe\/Berlin\), last day 2026-12-30; 2026-11-30T23:00:00\.000Z → 2026-12-30T23:00:00\.000Z\n {2}breaches \d+, warnings \d+,/,
    );
    expect(fs.existsSync(sqlitePath)).toBe(false);
  });

  it('import takes cases from NDJSON on standard input', async () => {
    const lines = [1, 2].map((n) => JSON.stringify({ externalId: `PG-CLI-${n}`, customer: { email: `old${n}@example.com` }, subject: `Old question ${n}`, description: 'How do I change my display name?', createdAt: '2026-01-05T10:00:00Z', status: 'closed', closedAt: '2026-01-06T10:00:00Z' }));
    const result = await runScript('scripts/import.ts', ['-'], env(), lines.join('\n') + '\n');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('2 lines: 2 imported, 0 already imported (skipped), 0 failed');
    const rows = await services.store.query((q) => q.db.select({ externalId: q.tables.cases.externalId, status: q.tables.cases.status }).from(q.tables.cases));
    expect(rows.filter((r) => r.externalId?.startsWith('PG-CLI-'))).toEqual([
      { externalId: 'PG-CLI-1', status: 'closed' },
      { externalId: 'PG-CLI-2', status: 'closed' },
    ]);
  });

  it('a database that cannot be reached stops the script with one line, the password not shown, no SQLite file made', async () => {
    const unreachable = `postgres://casebook:s3cret-pass@127.0.0.1:${await freePort()}/casebook`;
    const result = await runScript('scripts/sla-sweep.ts', [], { DATABASE_URL: unreachable, DATABASE_PATH: sqlitePath });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/cannot be reached/);
    expect(result.stderr).not.toContain('s3cret-pass');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(sqlitePath)).toBe(false);
  });
});
