/**
 * What the inbound pipeline's outcomes share: the options and result of `receiveEmail`, the
 * text a mail contributes (clipped, or saying it was empty), and what `email.received` and a
 * message record about its recipients and files.
 */
import type { InboundOutcome } from '../../db/schema/index.js';
import type { Services } from '../../services.js';
import { clipText } from '../../text/clip-text.js';
import { isEmailAddress } from '../../text/email-address.js';
import type { LogEntry } from './mail-log.js';
import type { InboundMail } from './parse-mail.js';
import { isOwnAddress } from './settings.js';

export type InboundVia = 'http' | 'smtp' | 'imap';

export interface ReceiveEmailOptions {
  via: InboundVia;
  /** The mailbox it came from (IMAP), for the log. */
  mailbox?: string;
  /** A console mailbox's id, for the log. */
  mailboxId?: number;
  /** A console mailbox's name: rules see it as `event.mailbox` on `case.created`. */
  mailboxName?: string;
  /** The queue a new case starts in unless a routing rule picks one (a console mailbox's default queue). */
  defaultQueue?: string;
  /** Envelope recipients (SMTP RCPT TO), where a signed reply address may be. */
  recipients?: readonly string[];
  /** The mail's full size when `raw` holds only its start (a mail over the limit, not kept whole). */
  size?: number;
}

export interface InboundResult {
  result: InboundOutcome;
  case?: string;
  reason?: string;
  /** A mail with files: how many were stored, and how many were left out (over a limit; listed on the case). */
  attachments?: { stored: number; skipped: number };
}

/** Largest description and message a mail contributes; the rest stays in the stored original. */
export const MAX_BODY = 20_000;
export const MAX_ORIGINAL = 200_000;

export function clip(text: string): { text: string; clipped: boolean } {
  return text.length <= MAX_BODY ? { text, clipped: false } : { text: `${clipText(text, MAX_BODY - 60).trimEnd()}\n\n[… shortened; the full text is kept with the mail]`, clipped: true };
}

export function emptyBody(mail: InboundMail): string {
  return emptyText(mail.attachments.length);
}

/** What a mail with `n` attachments and no text of its own says (emptyBody; a held mail accepted: accept-review.ts). */
export function emptyText(n: number): string {
  return n > 0 ? `(The mail had no text, only ${n} attachment${n === 1 ? '' : 's'}.)` : '(The mail had no text.)';
}

/** To and Cc as received, the first 500 of each (with the counts when there were more: the stored original has them all). */
export function recipientData(mail: InboundMail): Record<string, unknown> {
  const cap = (key: 'to' | 'cc') => ({ [key]: mail[key].slice(0, 500).map((a) => a.address), ...(mail[key].length > 500 ? { [`${key}Count`]: mail[key].length } : {}) });
  return { ...cap('to'), ...cap('cc') };
}

export function attachmentData(mail: InboundMail): Record<string, unknown> {
  return mail.attachments.length > 0 ? { attachments: mail.attachments.slice(0, 500), ...(mail.attachments.length > 500 ? { attachmentCount: mail.attachments.length } : {}) } : {};
}

export type Entry = (outcome: InboundOutcome, reason: string | null, caseId: number | null) => LogEntry;

export function others(services: Services, mail: InboundMail): { address: string; name: string }[] {
  const sender = mail.from?.address;
  // A single Reply-To names the customer the mail is sent for: not a contact of their own case.
  const seen = new Set<string>(mail.replyTo.length === 1 ? [mail.replyTo[0]!.address] : []);
  return [...mail.to, ...mail.cc].filter((a) => {
    // An address that cannot be written to (a group's leftovers, a domain literal) is no contact.
    if (a.address === sender || seen.has(a.address) || isOwnAddress(services.email, a.address) || !isEmailAddress(a.address)) return false;
    seen.add(a.address);
    return true;
  });
}

