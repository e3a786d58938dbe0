/**
 * The attempts at one IMAP mail (`imap_mail_attempts`), kept in the database rather than in the
 * poller's memory: a mail that keeps failing is set aside after `maxMailAttempts` failures over
 * `setAsideAfterMs` however many restarts they span — and so is a mail that brings the server
 * down (it runs out of memory on it, say, or hangs and is killed), which no in-memory count can
 * ever see: every attempt is marked in hand before it begins, and an attempt found still in
 * hand by the next one was cut short and counts as a failure.
 *
 * Written once for both dialects (drizzle's builder). One small write before each mail; the
 * row goes in the same transaction as the mail's checkpoint once it is received or set aside.
 */
import { and, eq } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';

/** One mail of one mailbox: the mailbox's URL without the password, its UIDVALIDITY, the mail's UID. */
export interface MailRef {
  mailbox: string;
  uidValidity: string;
  uid: number;
}

/** Where an attempt failed: the server did not hand the mail over, storing it failed, or it never ended. */
export type FailedStage = 'fetch' | 'receive' | 'cut';

/** A mail's failed attempts so far. */
export interface Attempts {
  failures: number;
  /** When the first failure was recorded (the services' clock); null while none was. */
  firstFailedAt: number | null;
  /** Where the last one failed; null while none did. */
  stage: FailedStage | null;
  error: string | null;
}

/** The words recorded for an attempt that never ended. */
export const CUT_SHORT = 'Casebook stopped while it had this mail in hand (a crash, a kill or a restart)';

const NONE: Attempts = { failures: 0, firstFailedAt: null, stage: null, error: null };

function where(q: Handle, ref: MailRef) {
  const t = q.tables.imapMailAttempts;
  return and(eq(t.mailbox, ref.mailbox), eq(t.uidValidity, ref.uidValidity), eq(t.uid, ref.uid));
}

function attemptsOf(row: { failures: number; firstFailedAt: number | null; stage: string | null; error: string | null }): Attempts {
  return { failures: row.failures, firstFailedAt: row.firstFailedAt, stage: row.stage as FailedStage | null, error: row.error };
}

/**
 * Begins an attempt at the mail (run it in a write): the one before, if it is still in hand,
 * was cut short and is counted first. Returns the failures before this attempt; the attempt
 * is in hand until `failAttempt` or `endAttempts`.
 */
export async function beginAttempt(q: Handle, ref: MailRef, at: number): Promise<Attempts> {
  const t = q.tables.imapMailAttempts;
  const [row] = await q.db.select().from(t).where(where(q, ref)).limit(1);
  if (!row) {
    await q.db.insert(t).values({ ...ref, failures: 0, inHand: true, updatedAt: at });
    return NONE;
  }
  const before = row.inHand ? { failures: row.failures + 1, firstFailedAt: row.firstFailedAt ?? at, stage: 'cut' as const, error: CUT_SHORT } : attemptsOf(row);
  await q.db
    .update(t)
    .set({ failures: before.failures, firstFailedAt: before.firstFailedAt, stage: before.stage, error: before.error, inHand: true, updatedAt: at })
    .where(where(q, ref));
  return before;
}

/** The attempt in hand failed at `stage` with `error`: counted; returns the failures so far. */
export async function failAttempt(q: Handle, ref: MailRef, stage: Exclude<FailedStage, 'cut'>, error: string, at: number): Promise<Attempts> {
  const t = q.tables.imapMailAttempts;
  const [row] = await q.db.select().from(t).where(where(q, ref)).limit(1);
  const failed: Attempts = { failures: (row?.failures ?? 0) + 1, firstFailedAt: row?.firstFailedAt ?? at, stage, error };
  await q.db
    .insert(t)
    .values({ ...ref, ...failed, inHand: false, updatedAt: at })
    .onConflictDoUpdate({ target: [t.mailbox, t.uidValidity, t.uid], set: { ...failed, inHand: false, updatedAt: at } });
  return failed;
}

/** The mail was received, set aside or is gone: its attempts are forgotten. */
export async function endAttempts(q: Handle, ref: MailRef): Promise<void> {
  await q.db.delete(q.tables.imapMailAttempts).where(where(q, ref));
}

/** What the mail log and the server log say of a mail set aside after `a`. */
export function failureWords(a: Attempts): string {
  return a.stage === 'fetch' ? `the server could not hand it over: ${a.error}` : (a.error ?? 'unknown');
}
