/**
 * Notification templates edited by managers (src/notifications/): the override in force per
 * template and audience (no row: the built-in default), and every change with who made it.
 */
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const TEMPLATE_AUDIENCES = ['customer', 'staff'] as const;
export type TemplateAudience = (typeof TEMPLATE_AUDIENCES)[number];

/** A manager's wording of a template for one audience; deleted when reset to the default. */
export const notificationTemplates = sqliteTable(
  'notification_templates',
  {
    name: text('name').notNull(),
    audience: text('audience', { enum: TEMPLATE_AUDIENCES }).notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    updatedById: integer('updated_by_id'),
    updatedBy: text('updated_by').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.name, t.audience] })],
);

/** Every save and reset, newest last: the audit trail of the templates. */
export const notificationTemplateChanges = sqliteTable(
  'notification_template_changes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    audience: text('audience', { enum: TEMPLATE_AUDIENCES }).notNull(),
    action: text('action', { enum: ['saved', 'reset'] }).notNull(),
    /** The wording saved; null for a reset (the default applies again). */
    subject: text('subject'),
    body: text('body'),
    actorId: integer('actor_id'),
    actor: text('actor').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [index('notification_template_changes_name_idx').on(t.name, t.audience, t.id)],
);

/**
 * Keys Casebook makes for itself on first use (random, never shown): e.g. the key that signs
 * the one-click CSAT links when no EMAIL_SECRET is configured. Shared by every process on
 * the database.
 */
export const serverSecrets = sqliteTable('server_secrets', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: integer('created_at').notNull(),
});
