/**
 * Retention (`RETENTION_DAYS`, docs/privacy.md): a daily job erases the personal data of
 * cases closed longer ago than the period — the case part of an erasure
 * (src/privacy/erase-cases.ts), one case per transaction, each with its own `erasures` row
 * (`reason: retention`) and audit entry. The customer's profile stays (they may have other
 * cases; erasing a customer is a request: src/privacy/erase-customer.ts). A case already
 * erased is never picked again, so a tick run twice, or by two processes, erases once.
 * Chats in which nothing was written (no case: a visitor gave a name and an address, then
 * left) have no case to close: theirs is erased once their last activity is older than the
 * period (`eraseExpiredChatsWithoutCase`), as a case's chats are with it.
 */
import { and, eq, isNull, lte, notLike, sql } from 'drizzle-orm';
import { auditIn } from '../audit/record-audit.js';
import { SYSTEM_ACTOR } from '../roles.js';
import type { Services } from '../services.js';
import { eraseCaseContent } from './erase-cases.js';
import { eraseChatSessions } from './erase-chats.js';
import { afterErasure } from './erase-customer.js';

export const RETENTION_CRON = '23 3 * * *';
const DAY_MS = 86_400_000;

export interface RetentionResult {
  erased: number;
  /** More cases were due than one run takes (the next run continues). */
  more: boolean;
  /** Chats without a case (nothing written) erased. */
  chatsWithoutCase: number;
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
    const files = await services.store.write(async (q) => {
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
  const chatsWithoutCase = await eraseExpiredChatsWithoutCase(services, cutoff, retentionDays);
  return { erased, more: dueCases.length > limit, chatsWithoutCase };
}

/**
 * The chats started before `cutoff` in which nothing was written (no case) and idle since, not
 * erased yet: the visitor's name, e-mail and token hash erased (erase-chats.ts), in one
 * transaction, with one audit entry per site (`chatSite … chatsErased`, the count only).
 * Ended ones, usually (the chat sweep ends an idle chat after minutes); one still open stops
 * working (its token opens nothing).
 */
export async function eraseExpiredChatsWithoutCase(services: Services, cutoff: number, retentionDays: number): Promise<number> {
  const { clock } = services;
  const erased = await services.store.write(async (q) => {
    const s = q.tables.chatSessions;
    const where = () => and(isNull(s.caseId), lte(s.lastActivityAt, cutoff), notLike(s.tokenHash, 'erased:%'));
    const sites = await q.db.select({ site: s.siteId, n: sql<number>`count(*)` }).from(s).where(where()).groupBy(s.siteId);
    if (sites.length === 0) return 0;
    const result = await eraseChatSessions(q, () => where(), clock.now());
    for (const { site, n } of sites) {
      await auditIn(q, clock, SYSTEM_ACTOR, 'chatSite', site, 'chatsErased', null, { reason: 'retention', retentionDays, chatsWithoutCase: Number(n) });
    }
    return result.chatSessions;
  });
  if (erased > 0) {
    await afterErasure(services, []);
    services.logger.info('privacy: retention erased chats without a case', { erased, retentionDays });
  }
  return erased;
}
