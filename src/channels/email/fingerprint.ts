/**
 * A received mail's fingerprint: what tells a re-delivery of the same mail (a provider's retry,
 * IMAP reading a mailbox again, the same mail through the SMTP receiver and a mailbox) from
 * another mail that reuses its Message-ID — a sender's broken mailer (a carrier's notification
 * system, a scanner, a web form) that writes one Message-ID on every mail. A hash of what the
 * sender wrote, decoded: From, Date, Subject, the text and each file's type, size and checksum.
 * Headers a delivery adds (Received, Delivered-To, Return-Path…) and the transfer encoding
 * (a relay re-encoding 8-bit text as quoted-printable) leave it unchanged.
 */
import { createHash } from 'node:crypto';
import type { ParsedMail } from 'mailparser';

export function mailFingerprint(parsed: ParsedMail, from: string | null, subject: string, text: string): string {
  const date = parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date.toISOString() : '';
  const files = parsed.attachments.map((a) => [a.contentType, a.size, a.checksum]);
  return createHash('sha256')
    .update(JSON.stringify([from ?? '', date, subject, text, files]))
    .digest('hex');
}

/**
 * The id a mail is kept by when its Message-ID was already taken by another mail (a different
 * fingerprint): derived from its fingerprint, so a re-delivery of this mail is a duplicate of it.
 * Derived ids are never written into References of mail to customers (their clients never saw them).
 */
export function reusedMessageId(fingerprint: string): string {
  return `reused-${fingerprint}@derived.casebook`;
}
