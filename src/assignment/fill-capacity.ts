/**
 * When an agent frees capacity (a case resolved, they became available, joined a queue
 * or got more capacity), the oldest waiting cases in their queues that they have the
 * skills for are assigned to them first. Runs inside the caller's transaction.
 */
import { statement } from '../db/fast.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext } from '../workflow/context.js';
import { assignTo } from './assign.js';
import { hasSkills, loadOf } from './pick-agent.js';

interface WaitingRow {
  id: number;
  skills: string;
}

const SCAN = 200;

export function fillCapacity(services: Services, staffId: number, actor: Actor): number {
  const db = services.db;
  const waiting = statement<[number, number], WaitingRow>(db, `
    SELECT c.id, c.skills FROM cases c
    WHERE c.waiting_since IS NOT NULL
      AND c.queue_id IN (SELECT queue_id FROM staff_queues WHERE staff_id = ?)
    ORDER BY c.waiting_since, c.id
    LIMIT ?`);
  const available = statement<[number], { ok: number }>(db, 'SELECT 1 AS ok FROM staff WHERE id = ? AND active = 1 AND available = 1');
  let assigned = 0;
  if (!available.get(staffId)) return 0;
  for (;;) {
    const agent = loadOf(db, staffId);
    if (!agent || agent.load >= agent.capacity) break;
    const next = waiting.all(staffId, SCAN).find((row) => hasSkills(agent, JSON.parse(row.skills) as string[]));
    if (!next) break;
    const ctx = CaseContext.load(services, next.id, actor);
    assignTo(ctx, agent, 'capacity freed');
    ctx.save();
    assigned++;
  }
  return assigned;
}
