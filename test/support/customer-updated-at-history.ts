/**
 * Cases with a history, written as a database before `customer_updated_at` holds them (SQL valid
 * on SQLite and PostgreSQL), for the migrations that fill it in from the timeline
 * (drizzle/0028_customer_updated_at.sql, drizzle/pg/0004_customer_updated_at.sql): what each
 * case's customer should be shown as its last update afterwards.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './harness.js';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const at = (minutes: number) => T0 + minutes * 60_000;
const text = (value: unknown) => `'${JSON.stringify(value).replaceAll("'", "''")}'`;

/** The support workflow, plus `archived`: *Solved* to customers like `resolved`, but closed. */
function workflow(): unknown {
  const support = JSON.parse(fs.readFileSync(path.join(ROOT, 'workflows/support.json'), 'utf8')) as { states: Record<string, unknown> };
  return { ...support, states: { ...support.states, archived: { label: 'Archived', customerLabel: 'Solved', category: 'closed', final: true } } };
}

type Entry = [minutes: number, type: string, actor: 'system' | 'staff' | 'customer', data: Record<string, unknown>];

const HISTORY: Record<number, Entry[]> = {
  // Started, answered, noted, escalated (In progress both), then waiting on the customer; then SLA and routing work.
  1001: [
    [0, 'case.created', 'customer', { channel: 'web' }],
    [1, 'case.transitioned', 'system', { transition: 'start', from: 'new', to: 'open', on: 'case.assigned' }],
    [2, 'staff.replied', 'staff', { body: 'We are on it.' }],
    [3, 'staff.noted', 'staff', { body: 'INTERNAL' }],
    [4, 'case.transitioned', 'staff', { transition: 'escalate', from: 'open', to: 'escalated', reason: 'fraud?' }],
    [5, 'case.transitioned', 'staff', { transition: 'waitOnCustomer', from: 'escalated', to: 'pending' }],
    [6, 'sla.breached', 'system', { metric: 'resolution' }],
    [7, 'case.assigned', 'system', { assignee: 'Dana' }],
    [8, 'staff.noted', 'staff', { body: 'INTERNAL again' }],
  ],
  // Nothing the customer saw after the request.
  1002: [
    [0, 'case.created', 'customer', { channel: 'api' }],
    [3, 'staff.noted', 'staff', { body: 'INTERNAL' }],
    [4, 'case.transitioned', 'staff', { transition: 'escalate', from: 'open', to: 'escalated', reason: 'tier 2' }],
    [5, 'case.routed', 'system', { queue: 'general' }],
  ],
  // Their reply, staff's solution, then archived: still *Solved*, but closed now.
  1003: [
    [0, 'case.created', 'customer', { channel: 'email' }],
    [2, 'customer.replied', 'customer', { body: 'Any news?' }],
    [6, 'case.transitioned', 'staff', { transition: 'resolve', from: 'open', to: 'resolved', solution: 'Refunded.' }],
    [9, 'case.transitioned', 'system', { transition: 'archive', from: 'resolved', to: 'archived', on: 'timer' }],
    [10, 'notification.sent', 'system', { to: 'customer' }],
  ],
  // A solution sent along by the customer is not the case's: nothing changed for them.
  1004: [
    [0, 'case.created', 'customer', { channel: 'api' }],
    [4, 'case.transitioned', 'customer', { transition: 'odd', from: 'open', to: 'escalated', solution: 'mine' }],
  ],
};

/** What each case's customer should see as its last change (ms), null: nothing since the request. */
export const EXPECTED_CUSTOMER_UPDATED_AT: Record<number, number | null> = { 1001: at(5), 1002: null, 1003: at(9), 1004: null };

/** The statements that write the history (one case per customer's request, the workflow as version 1). */
export function historyStatements(): string[] {
  const out = [
    `INSERT INTO queues (id, name, created_at) VALUES ('general', 'General', ${T0})`,
    `INSERT INTO customers (id, email, name, created_at, updated_at) VALUES (1, 'olga@example.com', 'Olga', ${T0}, ${T0})`,
    `INSERT INTO definition_versions (kind, name, version, state, body, created_at) VALUES ('workflow', 'support', 1, 'published', ${text(workflow())}, ${T0})`,
  ];
  for (const [id, entries] of Object.entries(HISTORY)) {
    const last = at(Math.max(...entries.map((e) => e[0])));
    out.push(
      `INSERT INTO cases (id, customer_id, subject, description, status, state_entered_at, queue_id, workflow, workflow_version, created_at, updated_at)
       VALUES (${id}, 1, 'Case ${id}', 'A question', 'open', ${T0}, 'general', 'support', 1, ${T0}, ${last})`,
    );
    for (const [minutes, type, actor, data] of entries) {
      out.push(`INSERT INTO case_events (case_id, type, at, actor_type, data) VALUES (${id}, '${type}', ${at(minutes)}, '${actor}', ${text(data)})`);
    }
  }
  return out;
}
