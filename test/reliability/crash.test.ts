/**
 * Crash safety: the real server, killed with SIGKILL in the middle of a stream of case
 * creations, restarted on the same file. Every case that got a 201 is there with its
 * timeline; no case is half-written. Repeated a few times on one database.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, tempDir } from '../support/harness.js';
import { startServer } from '../support/server.js';

const ROUNDS = 3;
const IN_FLIGHT = 8;

async function streamUntilKilled(url: string, round: number, acknowledge: number, onEnough: () => Promise<void>): Promise<string[]> {
  const acked: string[] = [];
  let sent = 0;
  let killed = false;
  const worker = async () => {
    while (!killed) {
      const n = sent++;
      try {
        const res = await fetch(`${url}/api/v1/cases`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ customer: { email: `r${round}-${n % 7}@example.com` }, subject: `Round ${round} #${n} invoice`, description: 'I was charged twice, please refund' }),
        });
        if (res.status === 201) {
          acked.push(((await res.json()) as { id: string }).id);
          if (acked.length === acknowledge && !killed) {
            killed = true;
            await onEnough();
          }
        }
      } catch {
        return; // the server is gone
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return acked;
}

describe('kill -9 during intake', () => {
  it('keeps every acknowledged case whole, round after round', async () => {
    const dbPath = path.join(tempDir(), 'casebook.db');
    const allAcked: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const server = await startServer({ databasePath: dbPath });
      const acked = await streamUntilKilled(server.url, round, 20 + round * 15, () => server.crash());
      expect(acked.length).toBeGreaterThanOrEqual(20 + round * 15);
      allAcked.push(...acked);
    }
    // A last clean start proves the file opens and migrates after the crashes.
    const server = await startServer({ databasePath: dbPath });
    const res = await fetch(`${server.url}/api/v1/cases?limit=1`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await server.stop()).toBe(0);

    const db = new Database(dbPath, { readonly: true });
    const ids = new Set((db.prepare('SELECT id FROM cases').all() as { id: number }[]).map((r) => `C-${r.id}`));
    for (const id of allAcked) expect(ids.has(id)).toBe(true);

    // Whole: every stored case has its routing record, its timeline from creation to routing, and its SLA timers.
    const broken = db
      .prepare(
        `SELECT c.id FROM cases c
         WHERE c.routing IS NULL
            OR NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.type = 'case.created')
            OR NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.type = 'case.routed')
            OR NOT EXISTS (SELECT 1 FROM sla_timers t WHERE t.case_id = c.id)`,
      )
      .all();
    expect(broken).toEqual([]);
    const orphans = db.prepare('SELECT count(*) AS n FROM case_events e WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = e.case_id)').get();
    expect(orphans).toEqual({ n: 0 });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  }, 120_000);
});
