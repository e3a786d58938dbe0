/** What the team pages read beside the commands (team.tsx): a queue's page, the forms' choices, a member's cases. */
import { and, count, eq } from 'drizzle-orm';
import { FALLBACK_QUEUE } from '../../../cases/create-case.js';
import type { Handle } from '../../../db/store/index.js';
import type { Services } from '../../../services.js';
import { activeQueues, channelsOfQueue, definitionsUsingQueue, inactiveQueueIds, openCasesIn, queueIn } from '../../../team/queues.js';
import { memberships } from '../../../team/staff.js';
import { escalationsNeedingQueue } from '../../../team/queue-escalations.js';
import { activeQueueTiersIn } from '../../../definitions/version-rows.js';
import type { QueuePageData } from '../../../../views/pages/manage/team.js';

/**
 * The workflow versions ("support v1") of a tier-2 queue's open cases that have no transition on
 * `case.deescalated`: moved to a tier-1 queue, those cases keep their state (escalated).
 */
async function withoutDeescalation(services: Services, q: Handle, queueId: string): Promise<string[]> {
  const c = q.tables.cases;
  const versions = await q.db.selectDistinct({ workflow: c.workflow, version: c.workflowVersion }).from(c).where(and(eq(c.queueId, queueId), eq(c.open, true)));
  return versions
    .filter((v) => !Object.values(services.definitions.workflow(v.workflow, v.version).definition.transitions).some((t) => t.on?.includes('case.deescalated')))
    .map((v) => `${v.workflow} v${v.version}`)
    .sort();
}

/** A queue's page: the queue, its open cases, the definitions and channels naming it, where its cases may go. */
export async function queueData(services: Services, id: string): Promise<QueuePageData> {
  const { queue, openCases, channels, noDeescalation, tiers } = await services.store.read(async (q) => {
    const queue = await queueIn(q, id);
    return { queue, openCases: (await openCasesIn(q, id)).length, channels: await channelsOfQueue(q, id), noDeescalation: queue.tier > 1 ? await withoutDeescalation(services, q, id) : [], tiers: await activeQueueTiersIn(q) };
  });
  const targets = (await activeQueues(services)).filter((q) => q.id !== id).map((q) => ({ value: q.id, label: `${q.name} (tier ${q.tier})` }));
  return { queue, openCases, channels, noDeescalation, uses: definitionsUsingQueue(services, id), neededBy: queue.active ? escalationsNeedingQueue(services, id, tiers) : [], targets, fallback: id === FALLBACK_QUEUE, defaultWaitAlert: services.queueWaitAlertMinutes };
}

/** The active queues a staff member may be put in. */
export async function activeQueueChoices(services: Services): Promise<{ id: string; name: string; tier: number }[]> {
  return (await activeQueues(services)).map((q) => ({ id: q.id, name: q.name, tier: q.tier }));
}

/** The member's queues that are inactive now (kept, not shown as choices). */
export async function inactiveMemberships(services: Services, staffId: number): Promise<string[]> {
  const inactive = new Set(await inactiveQueueIds(services));
  return (await memberships(services, staffId)).filter((id) => inactive.has(id));
}

/** Open cases assigned to the member. */
export function openAssigned(services: Services, staffId: number): Promise<number> {
  return services.store.query(async (q) => {
    const t = q.tables.cases;
    const [row] = await q.db.select({ n: count() }).from(t).where(and(eq(t.assigneeId, staffId), eq(t.open, true)));
    return row?.n ?? 0;
  });
}
