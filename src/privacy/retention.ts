/**
 * Retention (`RETENTION_DAYS`, docs/privacy.md): a daily job erases the personal data of
 * cases closed longer ago than the period — the case part of an erasure
 * (src/privacy/erase-cases.ts), one case per transaction, each with its own `erasures` row
 * (`reason: retention`) and audit entry. The customer's profile stays (they may have other
 * cases; erasing a customer is a request: src/privacy/erase-customer.ts). A case already
 * erased is never picked again, so a tick run twice, or by two processes, erases once.
 */
import { eq, sql } from 'drizzle-orm';
import { auditIn } from '../audit/record-audit.js';
import { SYSTEM_ACTOR } from '../roles.js';
import type { Services } from '../services.js';
import { eraseCaseContent } from './erase-cases.js';
import { afterErasure, erasing } from './erase-customer.js';

export const RETENTION_CRON = '23 3 * * *';
const DAY_MS = 86_400_000;

export interface RetentionResult {
  erased: number;
  /** More cases were due than one run takes (the next run continues). */
  more: boolean;
}

/**
 * Closed before `cutoff`, never erased (nor its customer since it closed); standard SQL, the
 * same on both dialects. An erasure of another customer that only took their address and words
 * off this case (src/privacy/erase-mentions.ts: its `customer_id` is theirs) does not count.
 */
const due = (cutoff: number, limit: number, caseId?: number) => sql`SELECT c.id, c.customer_id FROM cases c
  WHERE c.closed_at IS NOT NULL AND c.closed_at <= ${cutoff}${caseId === undefined ? sql`` : sql` AND c.id = ${caseId}`}
    AND NOT EXISTS (SELECT 1 FROM erasures e WHERE (e.case_id = c.id AND e.customer_id = c.customer_id)
                    OR (e.case_id IS NULL AND e.customer_id = c.customer_id AND e.started_at >= c.closed_at))
  ORDER BY c.closed_at, c.id LIMIT ${limit}`;

export async function eraseExpiredCases(services: Services, retentionDays: number, limit = 500): Promise<RetentionResult> {
  const { clock, store } = services;
  const cutoff = clock.now() - retentionDays * DAY_MS;
  const dueCases = await store.query((q) => q.all<{ id: number; customer_id: number }>(due(cutoff, limit + 1)));
  let erased = 0;
  for (const c of dueCases.slice(0, limit)) {
    const files = await erasing(services, async (q) => {
      // Re-checked inside the transaction: another process may have erased it meanwhile.
      if (!(await q.get(due(cutoff, 1, c.id)))) return null;
      const now = clock.now();
      const t = q.tables;
      const [row] = await q.db
        .insert(t.erasures)
        .values({ customerId: c.customer_id, caseId: c.id, reason: 'retention', actorType: 'system', actorId: null, actorName: SYSTEM_ACTOR.name, startedAt: now })
        .returning({ id: t.erasures.id });
      const result = await eraseCaseContent(q, [c.id], now);
      await q.db.update(t.erasures).set({ completedAt: now, summary: result.summary }).where(eq(t.erasures.id, row!.id));
      await auditIn(q, clock, SYSTEM_ACTOR, 'case', `C-${c.id}`, 'erased', null, { erasure: row!.id, reason: 'retention', retentionDays, summary: result.summary });
      return result.files;
    });
    if (files === null) continue;
    await afterErasure(services, files);
    erased++;
  }
  if (erased > 0) services.logger.info('privacy: retention erased closed cases', { erased, retentionDays });
  return { erased, more: dueCases.length > limit };
}
