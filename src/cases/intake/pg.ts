/**
 * Intake's SQL that differs by dialect, PostgreSQL's side (see sqlite.ts): the next case id
 * is taken from the identity column's sequence — concurrent intakes each get their own, and
 * an id taken by a transaction that rolls back is never handed out again (as AUTOINCREMENT).
 */
import { sql } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';

export async function nextCaseId(q: Handle): Promise<number> {
  const row = await q.get<{ id: number }>(sql`SELECT nextval(pg_get_serial_sequence('cases', 'id')) AS id`);
  return Number(row!.id);
}
