/**
 * The size and count limits of attachments (`ATTACHMENT_MAX_BYTES`, `ATTACHMENT_MAX_COUNT`,
 * `ATTACHMENT_MAX_TOTAL_BYTES`), checked before anything is stored. Uploads over a limit are
 * refused as a whole (the person can choose again); an inbound mail cannot be sent back, so
 * its files are taken in order while they fit and the rest are listed as skipped on the case.
 */
import { DomainError } from '../errors.js';
import { formatBytes, type AttachmentSettings } from './settings.js';

/** A file as received, before it is stored. */
export interface IncomingFile {
  /** As sent (sanitised when stored). */
  name: string;
  /** As declared. */
  mediaType: string;
  bytes: Uint8Array;
  /** A mail's inline part (e.g. an image its HTML shows). */
  inline?: boolean;
}

export type SkipReason = 'too-large' | 'too-many' | 'total-too-large';

export interface SkippedFile {
  filename: string;
  contentType: string;
  size: number;
  reason: SkipReason;
}

/** Why a file was left out, in words. */
export function skipReasonText(reason: SkipReason, settings: Pick<AttachmentSettings, 'maxBytes' | 'maxCount' | 'maxTotalBytes'>): string {
  switch (reason) {
    case 'too-large':
      return `larger than ${formatBytes(settings.maxBytes)}`;
    case 'too-many':
      return `more than ${settings.maxCount} files`;
    case 'total-too-large':
      return `over ${formatBytes(settings.maxTotalBytes)} together`;
  }
}

/** Uploads: ATTACHMENT_TOO_LARGE or TOO_MANY_ATTACHMENTS (422) when any limit is exceeded; nothing is stored then. */
export function assertWithinLimits(settings: AttachmentSettings, files: readonly IncomingFile[]): void {
  if (files.length > settings.maxCount) {
    throw new DomainError('TOO_MANY_ATTACHMENTS', `At most ${settings.maxCount} file${settings.maxCount === 1 ? '' : 's'} per message; ${files.length} were attached.`, { limit: settings.maxCount, count: files.length });
  }
  for (const file of files) {
    if (file.bytes.length > settings.maxBytes) {
      throw new DomainError('ATTACHMENT_TOO_LARGE', `“${file.name}” is ${formatBytes(file.bytes.length)}; a file may be at most ${formatBytes(settings.maxBytes)}.`, {
        file: file.name,
        size: file.bytes.length,
        limit: settings.maxBytes,
      });
    }
  }
  const total = files.reduce((sum, f) => sum + f.bytes.length, 0);
  if (total > settings.maxTotalBytes) {
    throw new DomainError('ATTACHMENT_TOO_LARGE', `The files are ${formatBytes(total)} together; at most ${formatBytes(settings.maxTotalBytes)} per message.`, { size: total, limit: settings.maxTotalBytes });
  }
}

/** Inbound mail: the files that fit, in the mail's order, and those left out with the reason. */
export function partitionWithinLimits(settings: AttachmentSettings, files: readonly IncomingFile[]): { keep: IncomingFile[]; skipped: SkippedFile[] } {
  const keep: IncomingFile[] = [];
  const skipped: SkippedFile[] = [];
  let total = 0;
  for (const file of files) {
    const size = file.bytes.length;
    const reason: SkipReason | null =
      size > settings.maxBytes ? 'too-large' : keep.length >= settings.maxCount ? 'too-many' : total + size > settings.maxTotalBytes ? 'total-too-large' : null;
    if (reason) {
      skipped.push({ filename: file.name, contentType: file.mediaType, size, reason });
      continue;
    }
    keep.push(file);
    total += size;
  }
  return { keep, skipped };
}
