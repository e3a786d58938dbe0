/**
 * What the channel writes for every mail: its Message-ID (exactly once, with the case it
 * belongs to) and a row in the channel log (`inbound_mail`) with the outcome.
 */
import type { InboundOutcome } from '../../db/schema/index.js';
import type { Handle } from '../../db/store/index.js';
import { all, get, run } from '../../db/store/rows.js';
import { clipText } from '../../text/clip-text.js';
import { storedForms } from '../../text/email-address.js';

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

/**
 * Most addresses copied on one case. A mail to thousands (a mass mailing, a list) would make
 * every staff reply go to all of them: past the cap, the rest stay in the mail (its To/Cc on
 * `email.received`, the stored original) but are not copied on replies.
 */
export const MAX_CONTACTS = 50;

/*
 * On the storage port, inside a case's transaction (the channel's intake and appends,
 * src/cases' `within`) or one of their own: one SQL on both dialects (`ON CONFLICT DO
 * NOTHING`), cached prepared statements on SQLite (rows.ts).
 */

/**
 * Inside a transaction: claims the mail's Message-ID with its fingerprint (fingerprint.ts), or
 * throws DuplicateMailError when another delivery got it first.
 */
export async function claimMessageIdOn(q: Handle, mail: { messageId: string; fingerprint: string }, caseId: number | null, at: number): Promise<void> {
  const { messageId, fingerprint } = mail;
  const inserted = await run(q, "INSERT INTO email_messages (message_id, case_id, direction, at, fingerprint) VALUES (?, ?, 'in', ?, ?) ON CONFLICT DO NOTHING", [messageId, caseId, at, fingerprint]);
  if (inserted === 0) throw new DuplicateMailError(messageId);
}

/** The mail's line in the channel log. */
export async function logMailOn(q: Handle, e: LogEntry): Promise<void> {
  await run(
    q,
    'INSERT INTO inbound_mail (message_id, via, mailbox, mailbox_id, from_address, subject, size, outcome, reason, case_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [e.messageId, e.via, e.mailbox, e.mailboxId, e.from, e.subject === null ? null : clipText(e.subject, 300), e.size, e.outcome, e.reason, e.caseId, e.at],
  );
}

/** Adds addresses to those copied on a case (kept once each, at most MAX_CONTACTS); returns how many new ones were left out. */
export async function addContactsOn(q: Handle, caseId: number, contacts: readonly { address: string; name: string }[], at: number): Promise<number> {
  let count = (await get<{ n: number }>(q, 'SELECT count(*) AS n FROM case_email_contacts WHERE case_id = ?', [caseId]))!.n;
  let leftOut = 0;
  for (const c of contacts) {
    if (count >= MAX_CONTACTS) {
      if (!(await isContactOn(q, caseId, c.address))) leftOut++;
      continue;
    }
    count += await run(q, 'INSERT INTO case_email_contacts (case_id, address, name, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [caseId, c.address, c.name || null, at]);
  }
  return leftOut;
}

/** Whether the address is copied on the case (in either form of an internationalized domain: contacts kept before addresses had one form have the Unicode one). */
export async function isContactOn(q: Handle, caseId: number, address: string): Promise<boolean> {
  const [canonical, unicode = canonical] = storedForms(address);
  return (await get(q, 'SELECT 1 AS one FROM case_email_contacts WHERE case_id = ? AND address IN (?, ?)', [caseId, canonical, unicode])) !== undefined;
}

export async function contactsOn(q: Handle, caseId: number): Promise<{ address: string; name: string | null }[]> {
  return all<{ address: string; name: string | null }>(q, 'SELECT address, name FROM case_email_contacts WHERE case_id = ? ORDER BY added_at, address', [caseId]);
}
