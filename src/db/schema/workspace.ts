/**
 * The agent workspace's saved things (src/macros/, src/cases/inbox-views.ts): macros — saved
 * replies with variables that may also change the case — and saved inbox views. Both are
 * personal (`owner_id`: the staff member) or shared with the team (`owner_id` null; managers
 * manage those).
 */
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { staff } from './people.js';
import { cases, type Priority } from './cases.js';

/** What a macro changes besides the reply, applied in the same transaction as the reply. */
export interface MacroActions {
  /** A workflow transition by name (e.g. `waitOnCustomer`). */
  transition?: string;
  priority?: Priority;
  tags?: { add: string[]; remove: string[] };
  /** `me`: whoever applies it; a staff id; `unassign`: back to automatic assignment. */
  assignee?: 'me' | 'unassign' | number;
}

export const macros = sqliteTable(
  'macros',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    /** The reply, in the template language (`{{customer.firstName}}`); may be empty when the macro only changes the case. */
    body: text('body').notNull(),
    actions: text('actions', { mode: 'json' }).$type<MacroActions>().notNull(),
    /** The staff member a personal macro belongs to; null: shared with the team. */
    ownerId: integer('owner_id').references(() => staff.id),
    /** Bumped by every change: an apply can insist on the version it previewed. */
    version: integer('version').notNull().default(1),
    usageCount: integer('usage_count').notNull().default(0),
    lastUsedAt: integer('last_used_at'),
    createdById: integer('created_by_id'),
    createdBy: text('created_by').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedById: integer('updated_by_id'),
    updatedBy: text('updated_by').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('macros_owner_name_idx').on(t.ownerId, t.name)],
);

/** A saved inbox filter: the inbox's own query string (`view=mine&priority=urgent`). */
export const inboxViews = sqliteTable(
  'inbox_views',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    query: text('query').notNull(),
    /** The agent a personal view belongs to; null: shared by a manager with the team. */
    ownerId: integer('owner_id').references(() => staff.id),
    createdById: integer('created_by_id'),
    createdBy: text('created_by').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('inbox_views_owner_idx').on(t.ownerId, t.name)],
);

/**
 * An agent's unsent reply or internal note on a case (src/cases/drafts.ts): autosaved while
 * typing, restored when the agent opens the case again, deleted when it is sent, discarded or
 * the case's content is erased. One per agent, case and kind; only its author ever reads the
 * text (colleagues see that one exists, customers nothing).
 */
export const replyDrafts = sqliteTable(
  'reply_drafts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    caseId: integer('case_id')
      .notNull()
      .references(() => cases.id),
    staffId: integer('staff_id')
      .notNull()
      .references(() => staff.id),
    /** `reply`: a public reply; `note`: an internal note. */
    kind: text('kind', { enum: ['reply', 'note'] }).notNull(),
    body: text('body').notNull(),
    /** The macro inserted into it (its changes apply with "Send with macro"), if any. */
    macroId: integer('macro_id'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [uniqueIndex('reply_drafts_owner_idx').on(t.staffId, t.caseId, t.kind), index('reply_drafts_case_idx').on(t.caseId)],
);
