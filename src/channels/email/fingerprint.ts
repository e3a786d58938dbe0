/**
 * A received mail's fingerprint: what tells a re-delivery of the same mail (a provider's retry,
 * IMAP reading a mailbox again, the same mail through the SMTP receiver and a mailbox, a copy
 * through a mailing list the support address is on) from another mail that reuses its Message-ID
 * — a sender's broken mailer (a carrier's notification system, a scanner, a web form) that writes
 * one Message-ID on every mail.
 *
 * It is the mail's Date: the moment its sender wrote it, which every copy of one mail keeps
 * (relays add trace headers and may re-encode it; a list rewrites its From, prefixes its subject
 * and appends a footer, but keeps its Date), while the mails of a broken mailer were written at
 * different moments. A mail without a Date is fingerprinted by what its sender wrote instead:
 * From, Subject, the decoded text and each file's type, size and checksum.
 */
import { createHash } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { headerValues } from './header-values.js';

/**
 * The Date header as written (its first), its moment when it reads as one (the same moment in
 * another zone or spelling is the same Date), or null without one. Not mailparser's `date`, which
 * is the time of parsing when the header is no date: a re-delivery would differ.
 */
function dateOf(parsed: ParsedMail): string | null {
  const value = headerValues(parsed, 'date')[0];
  if (value === undefined) return null;
  const moment = Date.parse(value);
  return Number.isNaN(moment) ? value : new Date(moment).toISOString();
}

export function mailFingerprint(parsed: ParsedMail, from: string | null, subject: string, text: string): string {
  const date = dateOf(parsed);
  const written = date !== null ? ['date', date] : ['content', from ?? '', subject, text, parsed.attachments.map((a) => [a.contentType, a.size, a.checksum])];
  return createHash('sha256').update(JSON.stringify(written)).digest('hex');
}

/**
 * The id a mail is kept by when its Message-ID was already taken by another mail (a different
 * fingerprint): derived from that Message-ID and its fingerprint, so a re-delivery of this mail is a
 * duplicate of it, and a mail of another sender's broken mailer (another Message-ID) written in the
 * same second — the same Date, the same fingerprint — is not. Derived ids are never written into
 * References of mail to customers (their clients never saw them).
 */
export function reusedMessageId(messageId: string, fingerprint: string): string {
  return `reused-${createHash('sha256').update(JSON.stringify([messageId, fingerprint])).digest('hex')}@derived.casebook`;
}
