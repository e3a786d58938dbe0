/** The demo's known accounts (an admin among them) are never seeded in production unless asked for. */
import path from 'node:path';
import { count } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { openStore } from '../../src/db/store/open.js';
import { tempDir } from '../support/harness.js';
import { createTestDatabase, ON_POSTGRES, type TestDatabase } from '../support/harness-postgres.js';
import { startServer, type RunningServer } from '../support/server.js';

let server: RunningServer | null = null;
let database: TestDatabase | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
  await database?.release();
  database = null;
});

/** The staff rows of the server's database: its SQLite file, or on PostgreSQL its database (DATABASE_URL). */
async function staffCount(where: { databasePath: string; databaseUrl?: string }): Promise<number> {
  const db = where.databaseUrl ? null : openDatabase(where.databasePath);
  const store = db ? openStore({ sqlite: db }) : openStore({ postgresUrl: where.databaseUrl!, max: 1 });
  try {
    return (await store.query((q) => q.db.select({ n: count() }).from(q.tables.staff)))[0]!.n;
  } finally {
    await store.close();
    db?.$client.close();
  }
}

describe('SEED_DEMO with NODE_ENV=production', () => {
  it('seeds nothing on an empty database unless SEED_DEMO is set, and says so', async () => {
    const where: { databasePath: string; databaseUrl?: string } = { databasePath: path.join(tempDir(), 'casebook.db') };
    if (ON_POSTGRES) {
      database = createTestDatabase();
      await database.created;
      where.databaseUrl = database.url;
    }
    server = await startServer({ ...where, env: { NODE_ENV: 'production', SEED_DEMO: '' } });
    expect(server.output()).toContain('No demo data: NODE_ENV=production turns SEED_DEMO off');
    expect(server.output()).not.toContain('admin@casebook.test');
    expect(await staffCount(where)).toBe(0);
  });
});
