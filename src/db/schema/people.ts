import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** Staff roles. `advanced` agents work tier-2 (advanced support) queues. */
export const STAFF_ROLES = ['agent', 'advanced', 'manager', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export const customers = sqliteTable(
  'customers',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Stored lower-cased; unique across customers and staff. */
    email: text('email').notNull(),
    name: text('name').notNull(),
    tier: text('tier').notNull().default('standard'),
    organization: text('organization'),
    passwordHash: text('password_hash'),
    /** E.164 (`+4930123456`), normalised by src/text/phone.ts; calls are matched to customers by it. */
    phone: text('phone'),
    /** IANA zone times are shown in on the portal (set from the browser); null: UTC. */
    timeZone: text('time_zone'),
    /** Set while the customer is marked churned (history in `customer_churn_marks`). */
    churnedAt: integer('churned_at'),
    /**
     * The customer's open cases (the rules' `customer.openCases`), kept by triggers on `cases`
     * (drizzle/0051): read with the customer's row, where a count read one index entry per open
     * case at every intake (a sender of alerts with 10,000 open cases: ~0.2 ms an intake).
     */
    openCases: integer('open_cases').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [uniqueIndex('customers_email_idx').on(t.email), index('customers_phone_idx').on(t.phone).where(sql`${t.phone} IS NOT NULL`)],
);

/** A customer profile field as it was and as it became. */
export interface ProfileChange {
  from: string | null;
  to: string | null;
}
export const PROFILE_FIELDS = ['name', 'email', 'tier', 'organization', 'phone'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];
export type ProfileChanges = Partial<Record<ProfileField, ProfileChange>>;

/**
 * The audit trail of customer profiles: who changed which field from what to what, through
 * an explicit edit (`edit`) or by intake filling a field that was empty (`intake`, with the
 * case it came with). Append-only (triggers refuse UPDATE and DELETE).
 */
export const customerChanges = sqliteTable(
  'customer_changes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    customerId: integer('customer_id')
      .notNull()
      .references(() => customers.id),
    at: integer('at').notNull(),
    via: text('via', { enum: ['edit', 'intake'] }).notNull(),
    caseId: integer('case_id'),
    actorType: text('actor_type', { enum: ['staff', 'customer', 'system'] }).notNull(),
    actorId: integer('actor_id'),
    actorName: text('actor_name').notNull(),
    changes: text('changes', { mode: 'json' }).$type<ProfileChanges>().notNull(),
    reason: text('reason'),
  },
  (t) => [index('customer_changes_customer_idx').on(t.customerId, t.at)],
);

/** Every mark and un-mark of a customer as churned, with the date it applies from. */
export const customerChurnMarks = sqliteTable(
  'customer_churn_marks',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    customerId: integer('customer_id')
      .notNull()
      .references(() => customers.id),
    churned: integer('churned', { mode: 'boolean' }).notNull(),
    at: integer('at').notNull(),
    actorId: integer('actor_id'),
    note: text('note'),
    /** Who marked it: `manual` (the console), or the system that called the churn API (`crm`, `billing`…). */
    source: text('source').notNull().default('manual'),
  },
  (t) => [index('customer_churn_marks_at_idx').on(t.at), index('customer_churn_marks_customer_idx').on(t.customerId, t.at)],
);

export const staff = sqliteTable(
  'staff',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    email: text('email').notNull(),
    name: text('name').notNull(),
    role: text('role', { enum: STAFF_ROLES }).notNull(),
    /** JSON array of skill names. */
    skills: text('skills', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    /** Most open cases this person is assigned at once. */
    capacity: integer('capacity').notNull().default(10),
    /** Most live chats this person takes at once (chats count toward `capacity` too). */
    chatLimit: integer('chat_limit').notNull().default(3),
    available: integer('available', { mode: 'boolean' }).notNull().default(true),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    passwordHash: text('password_hash'),
    /** IANA zone every time is shown in (`/profile`; first set from the browser); null: UTC. */
    timeZone: text('time_zone'),
    /** Last time a case was assigned to this person: the tie-breaker after load. */
    lastAssignedAt: integer('last_assigned_at').notNull().default(0),
    /**
     * Open cases assigned to this person (their load), kept by triggers on `cases` (see the
     * migration), so choosing an agent reads it instead of counting every candidate's cases.
     */
    openCases: integer('open_cases').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  // On SQLite, who could take a case now is kept per queue in assignment's order by triggers:
  // `pick_order` (drizzle/0049_pick_order.sql, src/assignment/sqlite.ts).
  (t) => [uniqueIndex('staff_email_idx').on(t.email)],
);

/** How a queue hands out its waiting cases: by priority then age (default), or plain FIFO. */
export const WAITING_ORDERS = ['priority', 'fifo'] as const;
export type WaitingOrder = (typeof WAITING_ORDERS)[number];

export const queues = sqliteTable('queues', {
  /** Slug used in rules, e.g. `general`, `billing`, `advanced`. */
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  /** 1 = first line, 2 = advanced support. */
  tier: integer('tier').notNull().default(1),
  /** Which waiting case an agent with spare capacity takes first. */
  waitingOrder: text('waiting_order', { enum: WAITING_ORDERS }).notNull().default('priority'),
  /** Managers are alerted about cases waiting longer than this; null: the server default; 0: never. */
  waitAlertMinutes: integer('wait_alert_minutes'),
  /** Incoming-webhook URLs the `notify` targets `slack` and `teams` post to for this queue's cases (null: none). */
  slackWebhookUrl: text('slack_webhook_url'),
  teamsWebhookUrl: text('teams_webhook_url'),
  active: integer('active', { mode: 'boolean' }).notNull().default(true),
  createdAt: integer('created_at').notNull(),
});

export const staffQueues = sqliteTable(
  'staff_queues',
  {
    staffId: integer('staff_id')
      .notNull()
      .references(() => staff.id),
    queueId: text('queue_id')
      .notNull()
      .references(() => queues.id),
  },
  (t) => [primaryKey({ columns: [t.staffId, t.queueId] }), index('staff_queues_queue_idx').on(t.queueId, t.staffId)],
);
