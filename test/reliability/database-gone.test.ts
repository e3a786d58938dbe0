/**
 * The database file deleted (its folder removed) or replaced under the running server:
 * writes are refused with 503 DATABASE_GONE instead of landing in an unlinked file, /health
 * says so, and one error line names the path (at most once a minute) and how to rescue what
 * was written: the open file, copied from /proc while the server still runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { transaction } from '../../src/db/client.js';
import { faultsOf } from '../../src/db/faults.js';
import { watchDatabaseFile, type FileWatch } from '../../src/db/file-watch.js';
import { createLogger } from '../../src/logger.js';
import { ADMIN_TOKEN, createHarness, standardQueues, tempDir, type Harness } from '../support/harness.js';
import { startServer } from '../support/server.js';

const intake = (subject: string) => ({ customer: { email: 'gone@example.com' }, subject, description: 'I was charged twice, please refund' });

describe('the database folder deleted under the real server', () => {
  it('refuses writes with 503 DATABASE_GONE, reports it on /health, logs one line with the rescue', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'data', 'casebook.db');
    const server = await startServer({ databasePath: dbPath });
    const post = (subject: string) =>
      fetch(`${server.url}/api/v1/cases`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(intake(subject)) });
    try {
      expect((await post('Before')).status).toBe(201);
      fs.rmSync(path.join(dir, 'data'), { recursive: true });

      // /health looks at once (not only on the watcher's timer); the reason (a path) only for a token.
      const health = await fetch(`${server.url}/health`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'unavailable', checks: { database: 'gone' }, reason: expect.stringContaining(dbPath) });
      for (const subject of ['After 1', 'After 2', 'After 3']) {
        const res = await post(subject);
        expect(res.status).toBe(503);
        expect(res.headers.get('Content-Type')).toBe('application/problem+json');
        expect(await res.json()).toMatchObject({ code: 'DATABASE_GONE', detail: expect.stringContaining(`${dbPath} was deleted`) });
      }
      expect((await fetch(`${server.url}/health`)).status).toBe(503);
      // Reads go on from the open file.
      expect((await fetch(`${server.url}/api/v1/cases`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);

      const lines = server.output().split('\n').filter((l) => l.includes('Database gone'));
      expect(lines).toHaveLength(1);
      const line = JSON.parse(lines[0]!) as { level: string; msg: string; database: string };
      expect(line).toMatchObject({ level: 'error', database: dbPath });
      expect(line.msg).toContain('Writes are refused (503 DATABASE_GONE)');
      expect(server.output()).not.toMatch(/\n\s+at /);

      // The rescue the line describes works: the open file holds every acknowledged case.
      const descriptor = /cp (\/proc\/\d+\/fd\/\d+) /.exec(line.msg)?.[1];
      expect(descriptor).toBeDefined();
      const rescued = path.join(dir, 'rescued.db');
      fs.copyFileSync(descriptor!, rescued);
      const copy = new Database(rescued, { readonly: true });
      expect(copy.prepare('SELECT subject FROM cases').pluck().all()).toEqual(['Before']);
      expect(copy.pragma('quick_check', { simple: true })).toBe('ok');
      copy.close();
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 60_000);
});

describe('watchDatabaseFile', () => {
  let h: Harness | null = null;
  let watch: FileWatch | null = null;
  afterEach(() => {
    watch?.stop();
    h?.close();
    h = null;
    watch = null;
  });

  it('refuses writes when the file is replaced, logs at most once a minute, and allows them again when it comes back', async () => {
    const lines: string[] = [];
    h = createHarness();
    standardQueues(h);
    const clock = h.clock;
    watch = watchDatabaseFile(h.db, h.dbPath, createLogger('info', (l) => lines.push(l)), { intervalMs: 3_600_000, now: () => clock.now() });
    expect(watch.check()).toBe(true);

    const aside = `${h.dbPath}.aside`;
    fs.renameSync(h.dbPath, aside);
    new Database(h.dbPath).close(); // another file at the path
    fs.writeFileSync(h.dbPath, 'not ours');
    expect(watch.check()).toBe(false);
    const faults = faultsOf(h.db.$client);
    expect(faults.refusal).toMatchObject({ code: 'DATABASE_GONE', reason: expect.stringContaining('was replaced by another file') });
    expect(() => transaction(h!.db, () => h!.db.$client.prepare('DELETE FROM queues').run())).toThrow(expect.objectContaining({ code: 'DATABASE_GONE' }));
    // Writes outside transaction() are refused too (the connection is query_only).
    expect(() => h!.db.$client.prepare("INSERT INTO queues (id, name, tier, created_at) VALUES ('x', 'x', 1, 0)").run()).toThrow(/readonly/);
    const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: intake('Refused') });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { code: string }).code).toBe('DATABASE_GONE');

    for (let i = 0; i < 5; i++) watch.check();
    expect(lines.filter((l) => l.includes('Database gone'))).toHaveLength(1);
    clock.advance(60_000);
    watch.check();
    const gone = lines.filter((l) => l.includes('Database gone'));
    expect(gone).toHaveLength(2);
    expect(JSON.parse(gone[1]!)).toMatchObject({ alsoSince: 5 });

    // The very same file back at its path: writes go on.
    fs.renameSync(aside, h.dbPath);
    expect(watch.check()).toBe(true);
    expect(faults.refusal).toBeNull();
    expect((await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: intake('Back') })).status).toBe(201);
    expect(lines.some((l) => l.includes('is back at its path'))).toBe(true);
  });
});
