/**
 * Who gets a notification (`notification.send`'s `to`): `customer`, `assignee`, `queue`,
 * `queueManagers`, `managers` or an address. An unassigned case's `assignee` is its queue's
 * managers (members of the queue with the manager or admin role), or every manager when the
 * queue has none: an SLA warning or breach always reaches someone.
 *
 * Written as look-ups in order (the first that finds anyone decides; the last one's
 * `fallback` says who stood in), each one SQL valid on both dialects, run either synchronously
 * on SQLite's cached statements (a notification performed inside the transaction that queued
 * it: `resolveOnSqlite`) or through a handle of the storage port (`resolveIn`).
 */
import type { Db } from '../db/client.js';
import { statement } from '../db/fast.js';
import type { Handle } from '../db/store/index.js';
import { all } from '../db/store/rows.js';
import { isUndeliverableAddress } from '../text/email-address.js';

export interface Recipients {
  addresses: string[];
  /** Who stood in for an absent assignee, or the queue's absent managers. */
  fallback?: 'queue managers' | 'managers';
}

export interface CaseRecipients {
  customerId: number;
  assigneeId: number | null;
  queueId: string;
}

interface Lookup {
  sql: string;
  params: unknown[];
  fallback?: Recipients['fallback'];
}

const MANAGER = "s.role IN ('manager', 'admin') AND s.active = TRUE";
const CUSTOMER = 'SELECT email FROM customers WHERE id = ?';
const STAFF = 'SELECT s.email FROM staff s WHERE s.id = ? AND s.active = TRUE';
const MEMBERS = 'SELECT s.email FROM staff_queues q JOIN staff s ON s.id = q.staff_id WHERE q.queue_id = ? AND s.active = TRUE';
const QUEUE_MANAGERS = `SELECT s.email FROM staff_queues q JOIN staff s ON s.id = q.staff_id WHERE q.queue_id = ? AND ${MANAGER}`;
const MANAGERS = `SELECT s.email FROM staff s WHERE ${MANAGER}`;

/** The look-ups for `to`, in order; null for an address (no look-up). */
function lookups(to: string, c: CaseRecipients): Lookup[] | null {
  const queueManagers = (fallback?: Recipients['fallback']): Lookup[] => [
    { sql: QUEUE_MANAGERS, params: [c.queueId], ...(fallback ? { fallback } : {}) },
    { sql: MANAGERS, params: [], fallback: 'managers' },
  ];
  switch (to) {
    case 'customer':
      return [{ sql: CUSTOMER, params: [c.customerId] }];
    case 'assignee':
      return [...(c.assigneeId === null ? [] : [{ sql: STAFF, params: [c.assigneeId] }]), ...queueManagers('queue managers')];
    case 'queueManagers':
      return queueManagers();
    case 'queue':
      return [{ sql: MEMBERS, params: [c.queueId] }];
    case 'managers':
      return [{ sql: MANAGERS, params: [] }];
    default:
      return null;
  }
}

/** The addresses a look-up found (a caller known only by their phone number, an erased customer, has an address under .invalid that nobody receives). */
function found(to: string, rows: readonly { email: string }[]): string[] {
  const emails = rows.map((r) => r.email);
  return to === 'customer' ? emails.filter((e) => !isUndeliverableAddress(e)) : emails;
}

/** Synchronously on SQLite's connection (inside a transaction that must not await). */
export function resolveOnSqlite(db: Db, to: string, c: CaseRecipients): Recipients {
  const steps = lookups(to, c);
  if (!steps) return { addresses: [to] };
  let result: Recipients = { addresses: [] };
  for (const step of steps) {
    result = { addresses: found(to, statement<unknown[], { email: string }>(db, step.sql).all(...step.params)), ...(step.fallback ? { fallback: step.fallback } : {}) };
    if (result.addresses.length > 0) break;
  }
  return result;
}

/** With a handle of the storage port. */
export async function resolveIn(q: Handle, to: string, c: CaseRecipients): Promise<Recipients> {
  const steps = lookups(to, c);
  if (!steps) return { addresses: [to] };
  let result: Recipients = { addresses: [] };
  for (const step of steps) {
    result = { addresses: found(to, await all<{ email: string }>(q, step.sql, step.params)), ...(step.fallback ? { fallback: step.fallback } : {}) };
    if (result.addresses.length > 0) break;
  }
  return result;
}
