/**
 * Privacy and the audit log (src/privacy/, src/audit/, docs/privacy.md).
 *
 * `audit_log`: every change to the console's configuration (staff, roles, queues, API tokens,
 * the problem library, mailboxes, mail templates, shared macros, definitions, erasures), with
 * who, when and the entity before and after (secrets redacted). Append-only: triggers refuse
 * UPDATE and DELETE (drizzle/ migration `privacy`). Written in the transaction of the change.
 *
 * `erasures`: every erasure of personal data, a customer's on request or a closed case's by
 * the retention job. While an erasure row of a case or customer is open (`completed_at` null,
 * only ever inside the erasing transaction) the append-only timeline and profile history of
 * that case or customer accept the redacting UPDATE; the row is then closed, and closed rows
 * never change again.
 */
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    actorType: text('actor_type', { enum: ['staff', 'customer', 'system'] }).notNull(),
    actorId: integer('actor_id'),
    actorName: text('actor_name').notNull(),
    /** `staff`, `queue`, `token`, `problem`, `mailbox`, `template`, `macro`, `definition`, `customer`, `case`, … */
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    /** `created`, `updated`, `deleted`, `deactivated`, `published`, `erased`, … */
    action: text('action').notNull(),
    before: text('before', { mode: 'json' }).$type<unknown>(),
    after: text('after', { mode: 'json' }).$type<unknown>(),
  },
  (t) => [
    index('audit_log_at_idx').on(t.at, t.id),
    index('audit_log_entity_idx').on(t.entityType, t.entityId, t.id),
    index('audit_log_actor_idx').on(t.actorType, t.actorId, t.id),
  ],
);

export const ERASURE_REASONS = ['request', 'retention'] as const;
export type ErasureReason = (typeof ERASURE_REASONS)[number];

export const erasures = sqliteTable(
  'erasures',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    customerId: integer('customer_id').notNull(),
    /** Null: everything of the customer; else one case (retention). */
    caseId: integer('case_id'),
    reason: text('reason', { enum: ERASURE_REASONS }).notNull(),
    actorType: text('actor_type', { enum: ['staff', 'customer', 'system'] }).notNull(),
    actorId: integer('actor_id'),
    actorName: text('actor_name').notNull(),
    startedAt: integer('started_at').notNull(),
    completedAt: integer('completed_at'),
    /** What was erased, counted (rows and files per kind); never the data itself. */
    summary: text('summary', { mode: 'json' }).$type<Record<string, number>>(),
  },
  (t) => [index('erasures_customer_idx').on(t.customerId), index('erasures_case_idx').on(t.caseId)],
);
