/**
 * The one automatic answer to a mail too large to take, read over IMAP or posted to the
 * inbound HTTP route (the SMTP receiver refuses it with 552, and the sending server tells its
 * sender). Without it the sender never learns the mail was not taken. At most one per sender
 * address in 24 hours (counted from the log's `too-large` lines before this mail's), and never
 * to an address whose mail the pipeline ignores as noise or a loop: no From, one that cannot
 * be written to, our own addresses, the blocklist, auto-replies, bulk and list mail, bounces
 * and the mailer-daemon. `Auto-Submitted: auto-replied` (RFC 3834); no case is opened.
 */
import { and, count, eq, gt } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';
import { automaticHeaders } from '../../notifications/mailer.js';
import type { OutboxItem } from '../../outbox/outbox.js';
import { enqueueIn } from '../../outbox/dialect.js';
import type { Services } from '../../services.js';
import { clipText } from '../../text/clip-text.js';
import { isEmailAddress } from '../../text/email-address.js';
import { isAutoReply, isBounce, noAutomaticAnswer } from './noise.js';
import { headersParsed } from './parse-mail.js';
import { isBlocked, isOwnAddress } from './settings.js';

export const TOO_LARGE_MAIL = 'email.too-large';
export const TOO_LARGE_NOTICE_WINDOW_MS = 24 * 3_600_000;

export interface TooLargeNotice {
  to: string;
  subject: string | null;
  messageId: string | null;
  size: number;
  limit: number;
}

/** Whether the sender of this too-large mail may be told (by its headers alone); the address, or null. */
export async function tooLargeNoticeTo(services: Services, raw: Buffer, from: string | null): Promise<string | null> {
  const settings = services.email;
  if (!services.mailer || !from || !isEmailAddress(from) || isOwnAddress(settings, from) || isBlocked(settings, from)) return null;
  try {
    const head = await headersParsed(raw);
    return isAutoReply(head) || isBounce(head) || noAutomaticAnswer(head, settings.supportAddress) !== null ? null : from;
  } catch {
    return null;
  }
}

/** Queues the notice in `q`'s transaction unless this sender was sent one within 24 hours; before this mail's log line is written. */
export async function queueTooLargeNoticeOn(q: Handle, notice: TooLargeNotice, at: number): Promise<void> {
  const { inboundMail } = q.tables;
  const [row] = await q.db
    .select({ n: count() })
    .from(inboundMail)
    .where(and(eq(inboundMail.fromAddress, notice.to), eq(inboundMail.reason, 'too-large'), gt(inboundMail.receivedAt, at - TOO_LARGE_NOTICE_WINDOW_MS)));
  if ((row?.n ?? 0) > 0) return;
  await enqueueIn(q, TOO_LARGE_MAIL, { ...notice }, at);
}

function megabytes(bytes: number): string {
  return bytes < 1_048_576 ? `${Math.ceil(bytes / 1024)} KB` : `${Math.round((bytes / 1_048_576) * 10) / 10} MB`;
}

export async function sendTooLargeNotice(services: Services, item: OutboxItem): Promise<void> {
  if (!services.mailer) return;
  const notice = item.payload as unknown as TooLargeNotice;
  const about = notice.subject ? ` “${clipText(notice.subject, 200)}”` : '';
  await services.mailer.send({
    to: [notice.to],
    subject: clipText(`Your mail was too large to receive${notice.subject ? `: ${notice.subject}` : ''}`, 250),
    text: [
      `Your mail${about} (${megabytes(notice.size)}) was not received by our support desk: we take mails up to ${megabytes(notice.limit)}, attachments included.`,
      'Please send it again without the large files: share them through a link (a file-sharing or cloud storage service) or make them smaller (compressed pictures, a long document split over several mails).',
      'This is an automatic reply. No case was opened for your mail.',
    ].join('\n\n'),
    ...(notice.messageId ? { inReplyTo: notice.messageId, references: [notice.messageId] } : {}),
    headers: automaticHeaders('auto-replied', services.email.supportAddress),
  });
}
