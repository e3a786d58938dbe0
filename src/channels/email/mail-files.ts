/**
 * What an inbound mail brings besides its text: its files, stored within the attachment limits
 * (in the mail's order; a mail cannot be sent back, so the files over a limit are listed on the
 * case as skipped, with the reason, instead of refusing the mail), and the raw mail itself,
 * stored whole as `original-mail` so staff can download it (`.eml`). Both are written to the
 * store before the transaction that records the mail.
 */
import { partitionWithinLimits, type SkippedFile } from '../../attachments/limits.js';
import { recordAttachments, storeFile, storeFiles, type StoredFile } from '../../attachments/record.js';
import type { Services } from '../../services.js';
import { clipText } from '../../text/clip-text.js';
import type { CaseContext } from '../../workflow/context.js';
import type { InboundMail } from './parse-mail.js';

export interface MailFiles {
  stored: StoredFile[];
  skipped: SkippedFile[];
  original: StoredFile;
}

/** Skipped files listed on a timeline entry, at most this many (the count says how many more). */
const MAX_LISTED = 500;

export async function storeMailFiles(services: Services, mail: InboundMail, raw: Buffer): Promise<MailFiles> {
  const { settings, store } = services.attachments;
  const { keep, skipped } = partitionWithinLimits(settings, mail.files);
  const [stored, original] = await Promise.all([
    storeFiles(store, keep),
    storeFile(store, { name: `${clipText(mail.subject, 80) || 'mail'}.eml`, mediaType: 'message/rfc822', bytes: raw }, 'original-mail'),
  ]);
  return { stored, skipped, original };
}

/** For the mail's timeline entry: the files left out, why, and the limits then in force. */
export function skippedData(services: Services, files: MailFiles): Record<string, unknown> {
  if (files.skipped.length === 0) return {};
  const { maxBytes, maxCount, maxTotalBytes } = services.attachments.settings;
  return {
    skippedAttachments: files.skipped.slice(0, MAX_LISTED),
    ...(files.skipped.length > MAX_LISTED ? { skippedCount: files.skipped.length } : {}),
    attachmentLimits: { maxBytes, maxCount, maxTotalBytes },
  };
}

/** For the channel's answer: how many files were stored and skipped (when the mail had any). */
export function fileCounts(files: MailFiles): { attachments?: { stored: number; skipped: number } } {
  const stored = files.stored.length;
  const skipped = files.skipped.length;
  return stored + skipped > 0 ? { attachments: { stored, skipped } } : {};
}

/** Inside the mail's transaction: the original mail, named by the timeline entry the mail became (staff only). */
export async function recordOriginal(ctx: CaseContext, eventId: number, files: MailFiles): Promise<void> {
  await recordAttachments(ctx.q, { caseId: ctx.case.id, eventId, by: { type: 'system', id: null }, at: ctx.now }, [files.original]);
}
