/**
 * The mail pipeline's look-ups on SQLite (prechecks.ts): cached prepared statements, run at
 * once; the caller awaits each look-up once.
 */
import { statement } from '../../db/fast.js';
import { sqliteOf, type Handle } from '../../db/store/index.js';
import { caseRef } from '../../cases/case-ref.js';

const RECEIVED = "SELECT fingerprint FROM email_messages WHERE message_id = ? AND direction = 'in'";
const STAFF = 'SELECT 1 FROM staff WHERE email = ?';
/** Read by `inbound_mail_from_idx` (test/core/index-plans.test.ts), as is OPENED_FROM. */
export const MAILS_FROM = "SELECT count(*) AS n FROM inbound_mail WHERE from_address = ? AND received_at > ? AND coalesce(reason, '') NOT IN ('duplicate', 'rate-limited')";
/**
 * `INDEXED BY`: without statistics SQLite's planner rates `outcome = 'created'` and the time
 * (`inbound_mail_outcome_idx`) as good as the address and the time, and took that index: every
 * case opened by mail in the hour was read for each new mail (2.8 ms a mail with 18,000 of
 * them, against 4 µs by the address).
 */
export const OPENED_FROM = "SELECT count(*) AS n FROM inbound_mail INDEXED BY inbound_mail_from_idx WHERE from_address = ? AND received_at > ? AND outcome = 'created'";
const CASE_OF = 'SELECT case_id FROM email_messages WHERE message_id = ?';
const CASE = 'SELECT 1 FROM cases WHERE id = ?';
/** The customer's side of the thread (prechecks.ts `threadOf`): our mails to them, and the mails of theirs a customer entry records. */
const THREAD = `SELECT m.message_id FROM email_messages m WHERE m.case_id = ? AND m.message_id != ? AND m.message_id NOT LIKE '%@derived.casebook'
  AND (m.direction = 'out' OR EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = m.case_id AND e.type IN ('email.received', 'customer.replied')
    AND json_extract(e.data, '$.messageId') = m.message_id AND json_extract(e.data, '$.forwardedBy') IS NULL))
  ORDER BY m.at, m.rowid`;

const FOLLOW_UP = `SELECT c.id FROM cases c WHERE c.customer_id = ? AND c.id > ?
  AND EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.type = 'email.received' AND json_extract(e.data, '$.followUpOf') = ?)
  ORDER BY c.id DESC LIMIT 1`;

export async function received(q: Handle, messageId: string): Promise<{ fingerprint: string | null } | undefined> {
  return statement<[string], { fingerprint: string | null }>(sqliteOf(q), RECEIVED).get(messageId);
}

export async function isStaff(q: Handle, address: string): Promise<boolean> {
  return statement<[string]>(sqliteOf(q), STAFF).get(address) !== undefined;
}

export async function mailsFrom(q: Handle, address: string, since: number): Promise<number> {
  return statement<[string, number], { n: number }>(sqliteOf(q), MAILS_FROM).get(address, since)!.n;
}

export async function casesOpenedFrom(q: Handle, address: string, since: number): Promise<number> {
  return statement<[string, number], { n: number }>(sqliteOf(q), OPENED_FROM).get(address, since)!.n;
}

export async function firstCaseOf(q: Handle, ids: readonly string[]): Promise<number | null> {
  const caseOf = statement<[string], { case_id: number | null }>(sqliteOf(q), CASE_OF);
  for (const id of ids) {
    const caseId = caseOf.get(id)?.case_id ?? null;
    if (caseId !== null) return caseId;
  }
  return null;
}

export async function firstExistingCase(q: Handle, ids: readonly number[]): Promise<number | null> {
  const exists = statement<[number]>(sqliteOf(q), CASE);
  for (const id of ids) if (exists.get(id) !== undefined) return id;
  return null;
}

export async function threadOf(q: Handle, caseId: number, except: string): Promise<string[]> {
  return statement<[number, string], string>(sqliteOf(q), THREAD).pluck().all(caseId, except);
}

export async function latestFollowUpOf(q: Handle, closedCaseId: number, customerId: number): Promise<number | null> {
  return statement<[number, number, string], number>(sqliteOf(q), FOLLOW_UP).pluck().get(customerId, closedCaseId, caseRef(closedCaseId)) ?? null;
}
