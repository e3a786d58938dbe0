/**
 * `eraseCustomer`: a customer's right to erasure (admins; docs/privacy.md). In one
 * transaction, with an `erasures` row open (the recorded, audited exception to the
 * timeline's append-only trigger) and SQLite's secure_delete on, so the erased bytes are
 * overwritten in the file rather than left in free space:
 *
 * - every case of theirs: eraseCaseContent (src/privacy/erase-cases.ts);
 * - the profile anonymised (`erased-<id>@erased.invalid`, "Erased customer", no
 *   organization, phone number, time zone or password); its search document replaced by
 *   the index trigger; the profile history's values and reasons erased; churn-mark notes
 *   removed;
 * - chats they started without writing (no case: found by their address) erased like a
 *   case's chats (src/privacy/erase-chats.ts);
 * - sessions, one-time links, pending sign-ups and sign-in throttling rows deleted; API
 *   tokens revoked and unnamed; outbox items that name their address emptied;
 * - the erasure closed with its counts and an audit entry (no personal data in either).
 *
 * After commit: the attachment files no other case uses are deleted and the WAL is
 * checkpointed (TRUNCATE), so no old page image keeps the erased text.
 * Rows, ids, states, times and flags stay: every dashboard number is the same afterwards.
 */
import fs from 'node:fs';
import { audit } from '../audit/record-audit.js';
import { transaction, type Db } from '../db/client.js';
import { erasures } from '../db/schema/index.js';
import { DomainError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { eraseCaseContent, eraseWebhookPayloads, type ErasureSummary } from './erase-cases.js';
import { eraseChatSessions } from './erase-chats.js';
import { ERASED, eraseStrings } from './redact.js';

export interface ErasureResult {
  erasureId: number;
  customerId: number;
  cases: number;
  summary: ErasureSummary;
}

export const ERASED_NAME = 'Erased customer';
export const erasedEmail = (id: number) => `erased-${id}@erased.invalid`;

/**
 * Runs `fn` in a transaction with SQLite's secure_delete on: the bytes of what it deletes or
 * overwrites are zeroed, not left in free space. (The search index has FTS5's secure-delete on
 * for good, since the `privacy` migration: its deleted documents leave no entries behind.)
 */
export function withSecureDelete<T>(db: Db, fn: () => T): T {
  const sql = db.$client;
  const before = sql.pragma('secure_delete', { simple: true }) as number;
  sql.pragma('secure_delete = ON');
  try {
    return transaction(db, fn);
  } finally {
    sql.pragma(`secure_delete = ${before ? 'ON' : 'OFF'}`);
  }
}

/**
 * After commit: the files nobody names any more are deleted (a crash before this leaves
 * files no row names; erasing again does not find them: docs/privacy.md), then the WAL is
 * emptied (best effort: a busy WAL is truncated by the checkpointer later).
 */
export function afterErasure(services: Services, files: readonly string[]): void {
  for (const hash of files) {
    try {
      fs.rmSync(services.attachments.store.pathOf(hash), { force: true });
    } catch (error) {
      services.logger.warn('erasure: a file could not be deleted', { sha256: hash, error });
    }
  }
  try {
    services.db.$client.pragma('wal_checkpoint(TRUNCATE)');
  } catch (error) {
    services.logger.warn('erasure: the WAL could not be checkpointed now', { error });
  }
}

export function eraseCustomer(services: Services, customerId: number, actor: Actor): ErasureResult {
  if (actor.role !== 'admin') throw new DomainError('FORBIDDEN', 'Only admins erase customers.');
  const { db, clock } = services;
  const now = clock.now();
  const sql = db.$client;
  const { result, files } = withSecureDelete(db, () => {
    const customer = sql.prepare('SELECT id, email FROM customers WHERE id = ?').get(customerId) as { id: number; email: string } | undefined;
    if (!customer) throw new DomainError('NOT_FOUND', `No customer ${customerId}.`, { customerId });
    const erasure = db
      .insert(erasures)
      .values({ customerId, caseId: null, reason: 'request', actorType: actor.type, actorId: actor.id, actorName: actor.name, startedAt: now })
      .returning({ id: erasures.id })
      .get();
    const caseIds = (sql.prepare('SELECT id FROM cases WHERE customer_id = ? ORDER BY id').all(customerId) as { id: number }[]).map((r) => r.id);
    const { summary, files } = eraseCaseContent(db, caseIds, now);
    const count = (key: string, n: number) => (summary[key] = (summary[key] ?? 0) + n);

    // The profile's history: its values and reasons go; who changed it and when stay.
    const history = sql.prepare('SELECT id, changes, actor_type AS actorType FROM customer_changes WHERE customer_id = ?').all(customerId) as { id: number; changes: string; actorType: string }[];
    const updateHistory = sql.prepare('UPDATE customer_changes SET changes = ?, reason = NULL, actor_name = CASE WHEN actor_type = ? THEN ? ELSE actor_name END WHERE id = ?');
    for (const h of history) updateHistory.run(JSON.stringify(eraseStrings(JSON.parse(h.changes))), 'customer', ERASED_NAME, h.id);
    count('profileChanges', history.length);
    count('churnNotes', sql.prepare('UPDATE customer_churn_marks SET note = NULL WHERE customer_id = ? AND note IS NOT NULL').run(customerId).changes);

    // Chats started under their address that never became a case (the cases' chats went with the cases).
    const chats = eraseChatSessions(db, 'case_id IS NULL AND email = lower(?)', customer.email);
    count('chatSessions', chats.chatSessions);
    count('chatLines', chats.chatLines);

    // Integrations: webhook deliveries about the customer (e.g. customer.churned), the CRM's record of the address.
    count('webhookDeliveries', eraseWebhookPayloads(db, "json_extract(payload, '$.data.customer.id') = ?", customerId));
    count('crmRecords', sql.prepare('DELETE FROM crm_records WHERE email = ?').run(customer.email).changes);

    // Ways in: sessions, links, sign-ups, throttling, tokens.
    count('sessions', sql.prepare("DELETE FROM sessions WHERE principal_type = 'customer' AND principal_id = ?").run(customerId).changes);
    count('accessLinks', sql.prepare("DELETE FROM password_tokens WHERE principal_type = 'customer' AND principal_id = ?").run(customerId).changes);
    count('apiTokens', sql.prepare("UPDATE api_tokens SET name = ?, revoked_at = coalesce(revoked_at, ?) WHERE principal_type = 'customer' AND principal_id = ?").run(ERASED, now, customerId).changes);
    count('idempotencyKeys', sql.prepare('DELETE FROM idempotency_keys WHERE principal = ?').run(`customer:${customerId}`).changes);
    count('signUps', sql.prepare('DELETE FROM sign_ups WHERE email = ?').run(customer.email).changes);
    count('signInAttempts', sql.prepare("DELETE FROM sign_in_attempts WHERE key = ? OR key LIKE '% ' || ?").run(`email:${customer.email}`, customer.email).changes);
    count('inboundMail', sql.prepare("UPDATE inbound_mail SET message_id = 'erased:' || id, from_address = NULL, subject = NULL, reason = NULL WHERE lower(from_address) = ?").run(customer.email).changes);
    count(
      'outboxItems',
      sql
        .prepare(
          `UPDATE outbox SET payload = '{"erased":true}', last_error = NULL, locked_until = NULL, locked_by = NULL,
             done_at = CASE WHEN done_at IS NULL AND failed_at IS NULL THEN ? ELSE done_at END
           WHERE instr(lower(payload), ?) > 0 OR instr(lower(coalesce(last_error, '')), ?) > 0`,
        )
        .run(now, customer.email, customer.email).changes,
    );

    // The profile itself (the search trigger swaps its document for the anonymous one).
    sql.prepare('UPDATE customers SET email = ?, name = ?, organization = NULL, phone = NULL, time_zone = NULL, password_hash = NULL, updated_at = ? WHERE id = ?').run(erasedEmail(customerId), ERASED_NAME, now, customerId);

    sql.prepare('UPDATE erasures SET completed_at = ?, summary = ? WHERE id = ?').run(now, JSON.stringify(summary), erasure.id);
    audit(services, actor, 'customer', customerId, 'erased', null, { erasure: erasure.id, reason: 'request', cases: caseIds.length, summary });
    return { result: { erasureId: erasure.id, customerId, cases: caseIds.length, summary }, files };
  });
  afterErasure(services, files);
  services.logger.info('privacy: customer erased', { customer: customerId, erasure: result.erasureId, cases: result.cases, by: actor.name });
  return result;
}
