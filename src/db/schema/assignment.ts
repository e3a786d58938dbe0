import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { cases } from './cases.js';

/**
 * Alerts sent about cases waiting too long in a queue: one row per case, waiting spell
 * (`waiting_since`) and threshold. The unique index is what makes the alert exactly-once
 * across concurrent sweeps and restarts (INSERT … ON CONFLICT DO NOTHING decides).
 */
export const caseWaitAlerts = sqliteTable(
  'case_wait_alerts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    caseId: integer('case_id')
      .notNull()
      .references(() => cases.id),
    queueId: text('queue_id').notNull(),
    waitingSince: integer('waiting_since').notNull(),
    thresholdMinutes: integer('threshold_minutes').notNull(),
    alertedAt: integer('alerted_at').notNull(),
  },
  (t) => [
    uniqueIndex('case_wait_alerts_spell_idx').on(t.caseId, t.waitingSince, t.thresholdMinutes),
    index('case_wait_alerts_alerted_idx').on(t.alertedAt),
  ],
);
