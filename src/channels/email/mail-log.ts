/**
 * What the channel writes for every mail: its Message-ID (exactly once, with the case it
 * belongs to) and a row in the channel log (`inbound_mail`) with the outcome.
 */
import type { Db } from '../../db/client.js';
import { statement } from '../../db/fast.js';
import type { InboundOutcome } from '../../db/schema/index.js';
import type { Handle } from '../../db/store/index.js';
import { get, run } from '../../db/store/rows.js';

export interface LogEntry {
  messageId: string;
  via: 'http' | 'smtp' | 'imap';
  mailbox: string | null;
  mailboxId: number | null;
  from: string | null;
  subject: string | null;
  size: number;
  outcome: InboundOutcome;
  reason: string | null;
  caseId: number | null;
  at: number;
}

/** A mail with this Message-ID was already received (re-delivered): rolls its transaction back. */
export class DuplicateMailError extends Error {
  constructor(readonly messageId: string) {
    super(`The mail ${messageId} was already received.`);
    this.name = 'DuplicateMailError';
  }
}

export function wasReceived(db: Db, messageId: string): boolean {
  return statement<[string]>(db, "SELECT 1 FROM email_messages WHERE message_id = ? AND direction = 'in'").get(messageId) !== undefined;
}

/** Inside a transaction: claims the Message-ID, or throws DuplicateMailError when another delivery got it first. */
export function claimMessageId(db: Db, messageId: string, caseId: number | null, at: number): void {
  const inserted = statement<[string, number | null, number]>(db, "INSERT OR IGNORE INTO email_messages (message_id, case_id, direction, at) VALUES (?, ?, 'in', ?)").run(messageId, caseId, at);
  if (inserted.changes === 0) throw new DuplicateMailError(messageId);
}

export function logMail(db: Db, e: LogEntry): void {
  statement<unknown[]>(
    db,
    'INSERT INTO inbound_mail (message_id, via, mailbox, mailbox_id, from_address, subject, size, outcome, reason, case_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(e.messageId, e.via, e.mailbox, e.mailboxId, e.from, e.subject === null ? null : e.subject.slice(0, 300), e.size, e.outcome, e.reason, e.caseId, e.at);
}

/** Mails from this sender counted against the rate limit since `since` (duplicates and refusals for the limit itself do not count). */
export function mailsFrom(db: Db, address: string, since: number): number {
  return statement<[string, number], { n: number }>(
    db,
    "SELECT count(*) AS n FROM inbound_mail WHERE from_address = ? AND received_at > ? AND coalesce(reason, '') NOT IN ('duplicate', 'rate-limited')",
  ).get(address, since)!.n;
}

/**
 * Most addresses copied on one case. A mail to thousands (a mass mailing, a list) would make
 * every staff reply go to all of them: past the cap, the rest stay in the mail (its To/Cc on
 * `email.received`, the stored original) but are not copied on replies.
 */
export const MAX_CONTACTS = 50;

/** Adds addresses to those copied on a case (kept once each, at most MAX_CONTACTS); returns how many new ones were left out. */
export function addContacts(db: Db, caseId: number, contacts: readonly { address: string; name: string }[], at: number): number {
  const insert = statement<[number, string, string | null, number]>(db, 'INSERT OR IGNORE INTO case_email_contacts (case_id, address, name, added_at) VALUES (?, ?, ?, ?)');
  let count = statement<[number], { n: number }>(db, 'SELECT count(*) AS n FROM case_email_contacts WHERE case_id = ?').get(caseId)!.n;
  let leftOut = 0;
  for (const c of contacts) {
    if (count >= MAX_CONTACTS) {
      if (!isContact(db, caseId, c.address)) leftOut++;
      continue;
    }
    count += insert.run(caseId, c.address, c.name || null, at).changes;
  }
  return leftOut;
}

export function isContact(db: Db, caseId: number, address: string): boolean {
  return statement<[number, string]>(db, 'SELECT 1 FROM case_email_contacts WHERE case_id = ? AND address = ?').get(caseId, address) !== undefined;
}

export function contactsOf(db: Db, caseId: number): { address: string; name: string | null }[] {
  return statement<[number], { address: string; name: string | null }>(db, 'SELECT address, name FROM case_email_contacts WHERE case_id = ? ORDER BY added_at, address').all(caseId);
}

/*
 * The same writes inside a case's transaction of the storage port (the channel's intake and
 * appends, src/cases' `within`): one SQL on both dialects (`ON CONFLICT DO NOTHING`).
 */

/** `claimMessageId` in a transaction of the storage port. */
export async function claimMessageIdOn(q: Handle, messageId: string, caseId: number | null, at: number): Promise<void> {
  const inserted = await run(q, "INSERT INTO email_messages (message_id, case_id, direction, at) VALUES (?, ?, 'in', ?) ON CONFLICT DO NOTHING", [messageId, caseId, at]);
  if (inserted === 0) throw new DuplicateMailError(messageId);
}

/** `logMail` in a transaction of the storage port. */
export async function logMailOn(q: Handle, e: LogEntry): Promise<void> {
  await run(
    q,
    'INSERT INTO inbound_mail (message_id, via, mailbox, mailbox_id, from_address, subject, size, outcome, reason, case_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [e.messageId, e.via, e.mailbox, e.mailboxId, e.from, e.subject === null ? null : e.subject.slice(0, 300), e.size, e.outcome, e.reason, e.caseId, e.at],
  );
}

/** `addContacts` in a transaction of the storage port. */
export async function addContactsOn(q: Handle, caseId: number, contacts: readonly { address: string; name: string }[], at: number): Promise<number> {
  let count = (await get<{ n: number }>(q, 'SELECT count(*) AS n FROM case_email_contacts WHERE case_id = ?', [caseId]))!.n;
  let leftOut = 0;
  for (const c of contacts) {
    if (count >= MAX_CONTACTS) {
      if (!(await get(q, 'SELECT 1 AS one FROM case_email_contacts WHERE case_id = ? AND address = ?', [caseId, c.address]))) leftOut++;
      continue;
    }
    count += await run(q, 'INSERT INTO case_email_contacts (case_id, address, name, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [caseId, c.address, c.name || null, at]);
  }
  return leftOut;
}
