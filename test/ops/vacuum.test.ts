/**
 * `npm run vacuum`: the database file rebuilt, the server stopped. Old bytes of deleted rows in
 * the free space of pages (what a database written before secure_delete was on for good kept
 * of an erased customer, docs/privacy.md) are gone; the data is the same; a database a server
 * holds is refused and not touched; PostgreSQL is sent to VACUUM FULL.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { ADMIN_TOKEN, tempDir } from '../support/harness.js';
import { runScript, startServer } from '../support/server.js';

const MARKER = 'vacuum-marker-7q2x';
const holds = (file: string) => fs.existsSync(file) && fs.readFileSync(file).includes(Buffer.from(MARKER));

describe('npm run vacuum', () => {
  it('rebuilds the file without the old bytes of deleted rows, keeping every row, and refuses a database a server holds', async () => {
    const dbPath = path.join(tempDir(), 'casebook.db');
    openDatabase(dbPath).$client.close();
    // Rows deleted the way a database did before secure_delete was on for good: their bytes stay in the page.
    const old = new Database(dbPath);
    old.pragma('secure_delete = OFF');
    old.exec(`CREATE TABLE scratch (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO scratch (text) VALUES ('${MARKER} one'), ('kept row'), ('${MARKER} two'); DELETE FROM scratch WHERE text LIKE '${MARKER}%'`);
    old.pragma('wal_checkpoint(TRUNCATE)');
    old.close();
    expect(holds(dbPath)).toBe(true);

    // A running server holds it: refused, nothing changed.
    const server = await startServer({ databasePath: dbPath });
    try {
      const created = await fetch(`${server.url}/api/v1/cases`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ customer: { email: 'chloe@example.com' }, subject: 'Printer jams', description: 'It jams on every page.' }),
      });
      expect(created.status).toBe(201);
      const refused = await runScript('scripts/vacuum.ts', [], { DATABASE_PATH: dbPath });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(new RegExp(`^${dbPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by a running Casebook server \\(pid ${server.child.pid} on .*\\); stop the server first, then vacuum\n$`));
    } finally {
      await server.stop();
    }
    expect(holds(dbPath)).toBe(true);

    // Another program reading it (the sqlite3 shell, say): refused too.
    const reader = new Database(dbPath, { readonly: true });
    try {
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM cases').get();
      const busy = await runScript('scripts/vacuum.ts', [], { DATABASE_PATH: dbPath });
      expect(busy.code).toBe(1);
      expect(busy.stderr).toBe(`${dbPath} is in use (a Casebook server or another program has it open); stop the server first, then vacuum\n`);
    } finally {
      reader.close();
    }
    expect(holds(dbPath)).toBe(true);

    const bytesBefore = fs.statSync(dbPath).size + (fs.existsSync(`${dbPath}-wal`) ? fs.statSync(`${dbPath}-wal`).size : 0);
    const done = await runScript('scripts/vacuum.ts', [], { DATABASE_PATH: dbPath });
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(new RegExp(`^Vacuumed ${dbPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} in \\d+\\.\\d s: \\d+\\.\\d MB before \\(file and WAL\\), \\d+\\.\\d MB after\\n$`));
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    expect(done.stdout).toContain(`: ${mb(bytesBefore)} before (file and WAL), ${mb(fs.statSync(dbPath).size)} after`);
    expect(holds(dbPath)).toBe(false);
    expect(holds(`${dbPath}-wal`)).toBe(false);
    const db = new Database(dbPath, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare('SELECT text FROM scratch').pluck().all()).toEqual(['kept row']);
      expect(db.prepare('SELECT subject FROM cases').pluck().all()).toEqual(['Printer jams']);
    } finally {
      db.close();
    }
  });

  it('refuses a PostgreSQL DATABASE_URL and names VACUUM FULL instead', async () => {
    const dbPath = path.join(tempDir(), 'casebook.db');
    const result = await runScript('scripts/vacuum.ts', [], { DATABASE_URL: 'postgres://casebook@db.example/casebook', DATABASE_PATH: dbPath });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('On PostgreSQL run VACUUM FULL in psql');
    expect(fs.existsSync(dbPath)).toBe(false);
  });
});
