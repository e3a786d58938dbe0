/**
 * `eraseCustomer`: a customer's right to erasure (admins; docs/privacy.md). In one
 * transaction, with an `erasures` row open (the recorded, audited exception to the
 * timeline's append-only trigger) and SQLite's secure_delete on, so the erased bytes are
 * overwritten in the file rather than left in free space:
 *
 * - every case of theirs: eraseCaseContent (src/privacy/erase-cases.ts);
 * - other customers' cases they were copied on or mailed to: their address and what they
 *   wrote there, and they are copied on no case any more (src/privacy/erase-mentions.ts);
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
import { personLimitKey } from '../auth/rate-limit.js';
import { bucketKey } from '../auth/shared-rate-limit.js';
import { currentPasswordKey } from '../auth/sign-in.js';
import { and, eq, inArray, isNotNull, isNull, like, or, sql, type Column } from 'drizzle-orm';
import { auditIn } from '../audit/record-audit.js';
import type { Handle } from '../db/store/index.js';
import { DomainError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { customerAddresses } from './addresses.js';
import { privacySql } from './dialect.js';
import { eraseCaseContent, eraseWebhookPayloads, type ErasureSummary } from './erase-cases.js';
import { eraseChatSessions } from './erase-chats.js';
import { eraseMentions } from './erase-mentions.js';
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
 * After commit: the files nobody names any more are deleted (a crash before this leaves
 * files no row names; erasing again does not find them: docs/privacy.md), then on SQLite the
 * WAL is emptied (best effort: a busy WAL is truncated by the checkpointer later).
 */
export async function afterErasure(services: Services, files: readonly string[]): Promise<void> {
  for (const hash of files) {
    try {
      fs.rmSync(services.attachments.store.pathOf(hash), { force: true });
    } catch (error) {
      services.logger.warn('erasure: a file could not be deleted', { sha256: hash, error });
    }
  }
  try {
    await services.store.query((q) => privacySql(q).checkpoint(q));
  } catch (error) {
    services.logger.warn('erasure: the WAL could not be checkpointed now', { error });
  }
}

const affected = (rows: readonly unknown[]) => rows.length;

export async function eraseCustomer(services: Services, customerId: number, actor: Actor): Promise<ErasureResult> {
  if (actor.role !== 'admin') throw new DomainError('FORBIDDEN', 'Only admins erase customers.');
  const now = services.clock.now();
  const { result, files } = await services.store.write(async (q) => {
    const t = q.tables;
    const dialect = privacySql(q);
    const [customer] = await q.db.select({ id: t.customers.id, email: t.customers.email }).from(t.customers).where(eq(t.customers.id, customerId)).limit(1);
    if (!customer) throw new DomainError('NOT_FOUND', `No customer ${customerId}.`, { customerId });
    const [erasure] = await q.db
      .insert(t.erasures)
      .values({ customerId, caseId: null, reason: 'request', actorType: actor.type, actorId: actor.id, actorName: actor.name, startedAt: now })
      .returning({ id: t.erasures.id });
    const caseIds = (await q.db.select({ id: t.cases.id }).from(t.cases).where(eq(t.cases.customerId, customerId)).orderBy(t.cases.id)).map((r) => r.id);
    const { summary, files } = await eraseCaseContent(q, caseIds, now);
    const count = (key: string, n: number) => (summary[key] = (summary[key] ?? 0) + n);

    // Every address they had: the current one and those an edit replaced (customer_changes, read
    // before the history's values are erased below).
    const addresses = await customerAddresses(q, customerId, customer.email);

    // Other customers' cases they were copied on or mailed to: their address and what they wrote (before the mail log forgets who sent what).
    for (const address of addresses) {
      const elsewhere = await eraseMentions(q, { customerId, email: address, ownCaseIds: caseIds, actor, now });
      for (const [key, n] of Object.entries(elsewhere.summary)) count(key, n);
      files.push(...elsewhere.files.filter((hash) => !files.includes(hash)));
    }

    // The profile's history: its values and reasons go; who changed it and when stay.
    const history = await q.db.select({ id: t.customerChanges.id, changes: t.customerChanges.changes, actorType: t.customerChanges.actorType, actorName: t.customerChanges.actorName }).from(t.customerChanges).where(eq(t.customerChanges.customerId, customerId));
    for (const h of history) {
      await q.db
        .update(t.customerChanges)
        .set({ changes: eraseStrings(h.changes) as typeof h.changes, reason: null, actorName: h.actorType === 'customer' ? ERASED_NAME : h.actorName })
        .where(eq(t.customerChanges.id, h.id));
    }
    count('profileChanges', history.length);
    const marks = t.customerChurnMarks;
    count('churnNotes', affected(await q.db.update(marks).set({ note: null }).where(and(eq(marks.customerId, customerId), isNotNull(marks.note))).returning({ id: marks.id })));

    // Chats started under their address that never became a case (the cases' chats went with the cases).
    for (const address of addresses) {
      const chats = await eraseChatSessions(q, (sessions) => and(isNull(sessions.caseId), eq(sessions.email, sql`lower(${address})`)), now);
      count('chatSessions', chats.chatSessions);
      count('chatLines', chats.chatLines);
    }

    // Integrations: webhook deliveries about the customer (e.g. customer.churned), the CRM's record of the address.
    count('webhookDeliveries', await eraseWebhookPayloads(q, dialect.deliveriesAboutCustomer(customerId)));
    count('crmRecords', affected(await q.db.delete(t.crmRecords).where(inArray(t.crmRecords.email, addresses)).returning({ id: t.crmRecords.id })));

    // Ways in: sessions, links, sign-ups, throttling, tokens.
    const mine = (table: { principalType: Column; principalId: Column }) => and(eq(table.principalType, 'customer'), eq(table.principalId, customerId));
    count('sessions', affected(await q.db.delete(t.sessions).where(mine(t.sessions)).returning({ id: t.sessions.idHash })));
    count('accessLinks', affected(await q.db.delete(t.passwordTokens).where(mine(t.passwordTokens)).returning({ id: t.passwordTokens.tokenHash })));
    count('apiTokens', affected(await q.db.update(t.apiTokens).set({ name: ERASED, revokedAt: sql`coalesce(${t.apiTokens.revokedAt}, ${now})` }).where(mine(t.apiTokens)).returning({ id: t.apiTokens.id })));
    count('idempotencyKeys', affected(await q.db.delete(t.idempotencyKeys).where(eq(t.idempotencyKeys.principal, `customer:${customerId}`)).returning({ key: t.idempotencyKeys.key })));
    count('signUps', affected(await q.db.delete(t.signUps).where(inArray(t.signUps.email, addresses)).returning({ id: t.signUps.tokenHash })));
    const attempts = t.signInAttempts;
    count('signInAttempts', affected(await q.db.delete(attempts).where(eq(attempts.key, currentPasswordKey({ type: 'customer', id: customerId }))).returning({ key: attempts.key })));
    for (const address of addresses) {
      count('signInAttempts', affected(await q.db.delete(attempts).where(or(eq(attempts.key, `email:${address}`), like(attempts.key, `% ${address}`))).returning({ key: attempts.key })));
    }
    // Rate-limit buckets named by the address or the customer (rows on PostgreSQL; SQLite's limiter keeps its buckets in memory only).
    const buckets = t.rateBuckets;
    const bucketKeys = [...addresses.map((a) => personLimitKey.address(a)), personLimitKey.customer('cases', customerId), personLimitKey.customer('messages', customerId), personLimitKey.customer('changes', customerId)].map(bucketKey);
    count('rateBuckets', affected(await q.db.delete(buckets).where(inArray(buckets.key, bucketKeys)).returning({ key: buckets.key })));
    const mail = t.inboundMail;
    const outbox = t.outbox;
    for (const address of addresses) {
      count(
        'inboundMail',
        affected(await q.db.update(mail).set({ messageId: sql`'erased:' || ${mail.id}`, fromAddress: null, subject: null, reason: null }).where(eq(sql`lower(${mail.fromAddress})`, address)).returning({ id: mail.id })),
      );
      count(
        'outboxItems',
        affected(
          await q.db
            .update(outbox)
            .set({ payload: { erased: true }, lastError: null, lockedUntil: null, lockedBy: null, doneAt: sql`CASE WHEN ${outbox.doneAt} IS NULL AND ${outbox.failedAt} IS NULL THEN ${now} ELSE ${outbox.doneAt} END` })
            .where(dialect.outboxMentioning(address))
            .returning({ id: outbox.id }),
        ),
      );
    }

    // The profile itself (the search trigger swaps its document for the anonymous one).
    await q.db
      .update(t.customers)
      .set({ email: erasedEmail(customerId), name: ERASED_NAME, organization: null, phone: null, timeZone: null, passwordHash: null, updatedAt: now })
      .where(eq(t.customers.id, customerId));

    await q.db.update(t.erasures).set({ completedAt: now, summary }).where(eq(t.erasures.id, erasure!.id));
    await auditIn(q, services.clock, actor, 'customer', customerId, 'erased', null, { erasure: erasure!.id, reason: 'request', cases: caseIds.length, summary });
    return { result: { erasureId: erasure!.id, customerId, cases: caseIds.length, summary }, files };
  });
  await afterErasure(services, files);
  services.logger.info('privacy: customer erased', { customer: customerId, erasure: result.erasureId, cases: result.cases, by: actor.name });
  return result;
}
