/** The demo's known accounts (an admin among them) are never seeded in production unless asked for. */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/harness.js';
import { startServer, type RunningServer } from '../support/server.js';

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

function staffCount(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM staff').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('SEED_DEMO with NODE_ENV=production', () => {
  it('seeds nothing on an empty database unless SEED_DEMO is set, and says so', async () => {
    const dbPath = path.join(tempDir(), 'casebook.db');
    server = await startServer({ databasePath: dbPath, env: { NODE_ENV: 'production', SEED_DEMO: '' } });
    expect(server.output()).toContain('No demo data: NODE_ENV=production turns SEED_DEMO off');
    expect(server.output()).not.toContain('admin@casebook.test');
    expect(staffCount(dbPath)).toBe(0);
  });
});
