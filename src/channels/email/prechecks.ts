/**
 * The mail pipeline's look-ups before it writes anything (every inbound mail: a hot path):
 * whether the Message-ID was received already, whether the sender is staff, how many mails a
 * sender sent lately, and the case a mail continues by Message-ID or by case number; and the
 * thread a mail about a case continues (outbound.ts: In-Reply-To, References). One pair
 * per dialect (sqlite.ts: the cached prepared statements, run synchronously and awaited once
 * per look-up; pg.ts: one statement each, a list of ids in one `IN (…)`), chosen here.
 */
import type { Handle } from '../../db/store/index.js';
import * as pgChecks from './pg.js';
import * as sqliteChecks from './sqlite.js';

export interface MailChecks {
  /** The mail received before with this Message-ID (its fingerprint: null on rows from before fingerprints), or undefined. */
  received(q: Handle, messageId: string): Promise<{ fingerprint: string | null } | undefined>;
  isStaff(q: Handle, address: string): Promise<boolean>;
  /** Mails from this sender counted against the rate limit since `since` (duplicates and refusals for the limit itself do not count). */
  mailsFrom(q: Handle, address: string, since: number): Promise<number>;
  /** Cases opened by mail from this sender since `since` (the acknowledgements' limit: open-mail-case.ts). */
  casesOpenedFrom(q: Handle, address: string, since: number): Promise<number>;
  /** The case of the first of `ids` (in order) that is a Message-ID Casebook received or sent for a case, or null. */
  firstCaseOf(q: Handle, ids: readonly string[]): Promise<number | null>;
  /** The first of `ids` (in order) that is a case, or null. */
  firstExistingCase(q: Handle, ids: readonly number[]): Promise<number | null>;
  /**
   * The Message-IDs of the customer's side of a case's thread but `except`, oldest first: what
   * a mail to the customer continues (outbound.ts). That is the mails Casebook sent (to the
   * customer and those copied: staff notifications are not recorded) and the mails received
   * that a customer entry records (`email.received` of the request — not of an agent's
   * forward — and `customer.replied`); never a stranger's mail filed for review or a bounce,
   * which only staff see, nor ids derived for mail without one. SQLite
   * orders a millisecond's rows by rowid, PostgreSQL, which has none, by ctid (insertion
   * order: rows are never updated; only a VACUUM reusing space an erasure freed can reorder).
   */
  threadOf(q: Handle, caseId: number, except: string): Promise<string[]>;
  /**
   * The newest case of `customerId` that a mail of theirs opened as a follow-up of the closed
   * case `closedCaseId` (`email.received` with `followUpOf`), or null.
   */
  latestFollowUpOf(q: Handle, closedCaseId: number, customerId: number): Promise<number | null>;
}

export function mailChecks(q: Handle): MailChecks {
  return q.dialect === 'sqlite' ? sqliteChecks : pgChecks;
}
