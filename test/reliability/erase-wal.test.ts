/**
 * An erasure empties the WAL even when it cannot at its commit: the real server (default
 * `worker` checkpoints), a reader on another connection (a report, a copy being made, the
 * sqlite3 shell) holding a snapshot from before the erasure. The erasure's own
 * `wal_checkpoint(TRUNCATE)` cannot finish while that snapshot needs the WAL; the routine
 * resets only start the WAL over (RESTART), which leaves the old frames — the customer's words —
 * in the file until they are overwritten. So the checkpointer truncates it as soon as the reader
 * is done (docs/privacy.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, tempDir } from '../support/harness.js';
import { startServer } from '../support/server.js';

const MARKER = '9wqlmarker';

function walHolds(dbPath: string, text: string): boolean {
  const file = `${dbPath}-wal`;
  return fs.existsSync(file) && fs.readFileSync(file).includes(Buffer.from(text, 'utf8'));
}

describe('erasing a customer while another connection reads', () => {
  it('leaves no byte of their words in the WAL once the reader is done', async () => {
    const dbPath = path.join(tempDir(), 'casebook.db');
    const server = await startServer({ databasePath: dbPath, env: { LOG_LEVEL: 'warn' } });
    const reader = new Database(dbPath, { readonly: true });
    try {
      const created = await fetch(`${server.url}/api/v1/cases`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ customer: { email: `zoe.${MARKER}@example.com`, name: `Zoe ${MARKER}` }, subject: `Refund ${MARKER}`, description: `My card ${MARKER} was charged twice.` }),
      });
      expect(created.status).toBe(201);
      expect(walHolds(dbPath, MARKER)).toBe(true);
      const { id } = reader.prepare('SELECT id FROM customers WHERE email = ?').get(`zoe.${MARKER}@example.com`) as { id: number };

      // The reader's snapshot, taken before the erasure, is held while it runs.
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM cases').get();
      const started = Date.now();
      const erased = await fetch(`${server.url}/api/v1/customers/${id}/erase`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(erased.status).toBe(200);
      // The erasure does not wait for the reader (it waited its busy timeout, 5 s, on the event loop: every request with it).
      expect(Date.now() - started).toBeLessThan(2500);
      reader.exec('COMMIT');

      // The checkpointer looks every 10 ms, backing off to a second after a try the reader kept busy: allow it a few seconds.
      const deadline = Date.now() + 8000;
      while (walHolds(dbPath, MARKER) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(walHolds(dbPath, MARKER), 'WAL').toBe(false);
      expect(fs.readFileSync(dbPath).includes(Buffer.from(MARKER)), 'database file').toBe(false);
      expect(server.output()).toContain('the WAL could not be checkpointed now');
    } finally {
      reader.close();
      await server.stop();
    }
  }, 30_000);
});
