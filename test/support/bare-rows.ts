/**
 * A customer, a case or a timeline entry written with one INSERT each, nothing else (no intake, no workflow):
 * for tests of what the schema's triggers do with the rows (the search index's, say).
 */
import type { Db } from '../../src/db/client.js';

export function bareRows(db: () => Db, at: number) {
  return {
    addCustomer(email: string, name: string): number {
      return Number(db().$client.prepare('INSERT INTO customers (email, name, created_at, updated_at) VALUES (?, ?, ?, ?)').run(email, name, at, at).lastInsertRowid);
    },
    /** A timeline entry (a reply or note when `type` says so: its body in `data`, as the app writes it). */
    addEntry(caseId: number, type: string, body: string): number {
      return Number(
        db()
          .$client.prepare("INSERT INTO case_events (case_id, type, at, actor_type, actor_id, data) VALUES (?, ?, ?, 'customer', NULL, ?)")
          .run(caseId, type, at, JSON.stringify({ body })).lastInsertRowid,
      );
    },
    /** A case in the `general` queue (which the test creates). */
    addCase(customerId: number, subject: string, description = 'Details follow.'): number {
      return Number(
        db()
          .$client.prepare(
            `INSERT INTO cases (customer_id, subject, description, status, state_entered_at, queue_id, workflow, workflow_version, created_at, updated_at)
             VALUES (?, ?, ?, 'new', ?, 'general', 'support', 1, ?, ?)`,
          )
          .run(customerId, subject, description, at, at, at).lastInsertRowid,
      );
    },
  };
}
