import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Scheduled and on-demand SLA escalation reports, with their delivery state. */
export const slaReports = sqliteTable(
  'sla_reports',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    periodStart: integer('period_start').notNull(),
    periodEnd: integer('period_end').notNull(),
    trigger: text('trigger', { enum: ['schedule', 'manual'] }).notNull(),
    createdAt: integer('created_at').notNull(),
    summary: text('summary', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    html: text('html').notNull(),
    csv: text('csv').notNull(),
    deliveryState: text('delivery_state', { enum: ['none', 'pending', 'sent', 'failed'] }).notNull().default('none'),
    deliveryAttempts: integer('delivery_attempts').notNull().default(0),
    deliveryError: text('delivery_error'),
    deliveredAt: integer('delivered_at'),
    recipients: text('recipients', { mode: 'json' }).$type<string[]>(),
  },
  (t) => [index('sla_reports_period_idx').on(t.periodEnd)],
);
