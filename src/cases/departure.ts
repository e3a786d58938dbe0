/**
 * Where a case went when it left a staff member's reach: escalated or moved out of their
 * queues, or reassigned away from them — or, filed by them (a call logged on `/cases/new`),
 * routed by the rules to a queue they do not work. Only someone the move concerned is told
 * (it came from one of their queues, was theirs, or they made it); for everyone else the case
 * stays hidden (404), as `access.ts` wants.
 */
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { Handle } from '../db/store/index.js';
import { byId } from '../db/store/rows.js';
import type { Principal } from '../http/types.js';
import { canSeeCase } from './access.js';
import { caseRef } from './case-ref.js';

export interface Departure {
  ref: string;
  how: 'escalated' | 'transferred' | 'reassigned' | 'filed';
  queue: string;
  queueName: string;
  tier: number;
  assignee: string | null;
  at: number;
}

const MOVES = ['case.escalated', 'case.transferred', 'case.unassigned', 'case.created'] as const;
/** How many of the newest moves are looked at for one that concerned the viewer. */
const LOOK_BACK = 20;

/** Null while the viewer can still see the case, for customers, and when the move did not concern them. */
export async function caseDeparture(q: Handle, principal: Principal, caseId: number): Promise<Departure | null> {
  if (principal.actor.type !== 'staff' || principal.staffId === null) return null;
  const { caseEvents, queues, staff } = q.tables;
  const row = await byId(q, q.tables.cases, caseId);
  if (!row || canSeeCase(principal, row)) return null;
  const moves = await q.db
    .select()
    .from(caseEvents)
    .where(and(eq(caseEvents.caseId, caseId), inArray(caseEvents.type, [...MOVES])))
    .orderBy(desc(caseEvents.id))
    .limit(LOOK_BACK);
  const staffId = principal.staffId;
  const move = moves.find((e) => {
    const byViewer = e.actorType === 'staff' && e.actorId === staffId;
    if (e.type === 'case.unassigned') return byViewer || e.data.previousAssigneeId === staffId;
    if (e.type === 'case.created') return byViewer; // they filed it, and the rules routed it out of their reach
    return byViewer || (typeof e.data.fromQueue === 'string' && principal.queues.has(e.data.fromQueue));
  });
  if (!move) return null;
  const [queue] = await q.db.select({ name: queues.name, tier: queues.tier }).from(queues).where(eq(queues.id, row.queueId)).limit(1);
  const [assigned] = row.assigneeId === null ? [] : await q.db.select({ name: staff.name }).from(staff).where(eq(staff.id, row.assigneeId)).limit(1);
  const assignee = assigned?.name ?? null;
  return {
    ref: caseRef(caseId),
    how: move.type === 'case.escalated' ? 'escalated' : move.type === 'case.transferred' ? 'transferred' : move.type === 'case.created' ? 'filed' : 'reassigned',
    queue: row.queueId,
    queueName: queue?.name ?? row.queueId,
    tier: queue?.tier ?? row.tier,
    assignee,
    at: move.at,
  };
}

/** "C-1011 was escalated to the Advanced support queue (tier 2) and is assigned to Dana Diaz. …" */
export function describeDeparture(d: Departure): string {
  const where = `the ${d.queueName} queue (tier ${d.tier})`;
  const who = d.assignee ? `is assigned to ${d.assignee}` : 'waits there for an available agent';
  const what =
    d.how === 'escalated'
      ? `${d.ref} was escalated to ${where} and ${who}.`
      : d.how === 'transferred'
        ? `${d.ref} was moved to ${where} and ${who}.`
        : d.how === 'filed'
          ? `${d.ref} was filed: the routing rules put it in ${where}, where it ${d.assignee ? `is assigned to ${d.assignee}` : 'waits for an available agent'}.`
          : `${d.ref} was reassigned ${d.assignee ? `to ${d.assignee}` : 'for automatic assignment'} in ${where}.`;
  return `${what} It is ${d.how === 'filed' ? 'not' : 'no longer'} in your queues.`;
}
