/**
 * Retention (`RETENTION_DAYS`, docs/privacy.md): a daily job erases the personal data of
 * cases closed longer ago than the period — the case part of an erasure
 * (src/privacy/erase-cases.ts), one case per transaction, each with its own `erasures` row
 * (`reason: retention`) and audit entry. The customer's profile stays (they may have other
 * cases; erasing a customer is a request: src/privacy/erase-customer.ts). A case already
 * erased is never picked again, so a tick run twice, or by two processes, erases once.
 */
import { audit } from '../audit/record-audit.js';
import { erasures } from '../db/schema/index.js';
import { SYSTEM_ACTOR } from '../roles.js';
import type { Services } from '../services.js';
import { eraseCaseContent } from './erase-cases.js';
import { afterErasure, withSecureDelete } from './erase-customer.js';

export const RETENTION_CRON = '23 3 * * *';
const DAY_MS = 86_400_000;

export interface RetentionResult {
  erased: number;
  /** More cases were due than one run takes (the next run continues). */
  more: boolean;
}

const DUE = `SELECT c.id, c.customer_id AS customerId FROM cases c
  WHERE c.closed_at IS NOT NULL AND c.closed_at <= ?
    AND NOT EXISTS (SELECT 1 FROM erasures e WHERE e.case_id = c.id
                    OR (e.case_id IS NULL AND e.customer_id = c.customer_id AND e.started_at >= c.closed_at))
  ORDER BY c.closed_at, c.id LIMIT ?`;

export function eraseExpiredCases(services: Services, retentionDays: number, limit = 500): RetentionResult {
  const { db, clock } = services;
  const cutoff = clock.now() - retentionDays * DAY_MS;
  const due = db.$client.prepare(DUE).all(cutoff, limit + 1) as { id: number; customerId: number }[];
  let erased = 0;
  for (const c of due.slice(0, limit)) {
    const files = withSecureDelete(db, () => {
      // Re-checked inside the transaction: another process may have erased it meanwhile.
      if (!db.$client.prepare(`SELECT 1 FROM (${DUE}) WHERE id = ?`).get(cutoff, limit + 1, c.id)) return null;
      const now = clock.now();
      const row = db
        .insert(erasures)
        .values({ customerId: c.customerId, caseId: c.id, reason: 'retention', actorType: 'system', actorId: null, actorName: SYSTEM_ACTOR.name, startedAt: now })
        .returning({ id: erasures.id })
        .get();
      const result = eraseCaseContent(db, [c.id], now);
      db.$client.prepare('UPDATE erasures SET completed_at = ?, summary = ? WHERE id = ?').run(now, JSON.stringify(result.summary), row.id);
      audit(services, SYSTEM_ACTOR, 'case', `C-${c.id}`, 'erased', null, { erasure: row.id, reason: 'retention', retentionDays, summary: result.summary });
      return result.files;
    });
    if (files === null) continue;
    afterErasure(services, files);
    erased++;
  }
  if (erased > 0) services.logger.info('privacy: retention erased closed cases', { erased, retentionDays });
  return { erased, more: due.length > limit };
}
