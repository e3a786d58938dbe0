/**
 * Cases left by an earlier defect with `previous_status` equal to their own state, written as a
 * database before the repair (SQL valid on SQLite and PostgreSQL), for the migrations that
 * recompute it from the timeline (drizzle/0031_previous_status_repair.sql,
 * drizzle/pg/0007_previous_status_repair.sql): what each case's `@previous` should be afterwards.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './harness.js';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const text = (value: unknown) => `'${JSON.stringify(value).replaceAll("'", "''")}'`;
const moved = (from: string, to: string, transition = 'move') => ({ transition, from, to });

interface Stored {
  status: string;
  previous: string | null;
  /** The case's state changes, oldest first. */
  changes: { transition: string; from: string; to: string }[];
}

const CASES: Record<number, Stored> = {
  // Open, waiting on the customer, then a reminder back into pending overwrote "open".
  2001: { status: 'pending', previous: 'pending', changes: [moved('new', 'open', 'start'), moved('open', 'pending', 'waitOnCustomer'), moved('pending', 'pending', 'remind')] },
  // Escalated before waiting; two reminders.
  2002: { status: 'pending', previous: 'pending', changes: [moved('new', 'escalated'), moved('escalated', 'pending'), moved('pending', 'pending', 'remind'), moved('pending', 'pending', 'remind')] },
  // Never in another state: nothing to return to.
  2003: { status: 'new', previous: 'new', changes: [moved('new', 'new', 'remind')] },
  // The other state is not one of its workflow version's (renamed since, by a re-apply's map): nothing to return to.
  2004: { status: 'pending', previous: 'pending', changes: [moved('waiting', 'pending'), moved('pending', 'pending', 'remind')] },
  // Not broken: left as it is.
  2005: { status: 'pending', previous: 'escalated', changes: [moved('new', 'open'), moved('open', 'escalated'), moved('escalated', 'pending')] },
};

/** Each case's `previous_status` after the repair. */
export const EXPECTED_PREVIOUS_STATUS: Record<number, string | null> = { 2001: 'open', 2002: 'escalated', 2003: null, 2004: null, 2005: 'escalated' };

/** The statements that write the cases (the support workflow as version 1). */
export function previousStatusStatements(): string[] {
  const workflow = JSON.parse(fs.readFileSync(path.join(ROOT, 'workflows/support.json'), 'utf8')) as unknown;
  const out = [
    `INSERT INTO queues (id, name, created_at) VALUES ('general', 'General', ${T0})`,
    `INSERT INTO customers (id, email, name, created_at, updated_at) VALUES (1, 'olga@example.com', 'Olga', ${T0}, ${T0})`,
    `INSERT INTO definition_versions (kind, name, version, state, body, created_at) VALUES ('workflow', 'support', 1, 'published', ${text(workflow)}, ${T0})`,
  ];
  for (const [id, c] of Object.entries(CASES)) {
    out.push(
      `INSERT INTO cases (id, customer_id, subject, description, status, previous_status, state_entered_at, queue_id, workflow, workflow_version, created_at, updated_at)
       VALUES (${id}, 1, 'Case ${id}', 'A question', '${c.status}', ${c.previous === null ? 'NULL' : `'${c.previous}'`}, ${T0}, 'general', 'support', 1, ${T0}, ${T0})`,
    );
    c.changes.forEach((change, i) => out.push(`INSERT INTO case_events (case_id, type, at, actor_type, data) VALUES (${id}, 'case.transitioned', ${T0 + i * 60_000}, 'staff', ${text(change)})`));
  }
  return out;
}
