/**
 * Names for the parts of a mail that come without one. Mail clients leave the name out of
 * pasted screenshots (Apple Mail, phones), scanners' PDFs, calendar invitations, signatures
 * and mails attached whole; "attachment-1" says nothing and opens in nothing. A part is named
 * by what it is: an inline image `image-1.png`, a mail attached whole by its subject
 * (`Order 5531 never arrived.eml`), Outlook's TNEF `winmail.dat`, an S/MIME signature
 * `smime.p7s`, a calendar invitation `invite.ics`, anything else `attachment-1.pdf` — the extension from its declared type, none
 * when the type is unknown. Numbered per kind, in the mail's order.
 */
import type { Attachment } from 'mailparser';
import { sanitizeFileName } from '../../attachments/file-name.js';
import { clipText } from '../../text/clip-text.js';

const EXTENSIONS: Record<string, string> = {
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/jpg': 'jpg',
  'image/pjpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/bmp': 'bmp',
  'image/tiff': 'tif',
  'image/heic': 'heic',
  'image/heif': 'heif',
  'image/svg+xml': 'svg',
  'text/plain': 'txt',
  'text/html': 'html',
  'text/csv': 'csv',
  'text/calendar': 'ics',
  'application/ics': 'ics',
  'text/vcard': 'vcf',
  'text/x-vcard': 'vcf',
  'text/rtf': 'rtf',
  'application/rtf': 'rtf',
  'application/json': 'json',
  'application/xml': 'xml',
  'text/xml': 'xml',
  'application/zip': 'zip',
  'application/x-zip-compressed': 'zip',
  'application/gzip': 'gz',
  'application/x-7z-compressed': '7z',
  'application/msword': 'doc',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.ms-powerpoint': 'ppt',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
  'application/vnd.ms-outlook': 'msg',
  'application/pkcs7-mime': 'p7m',
  'application/x-pkcs7-mime': 'p7m',
  'application/pgp-signature': 'asc',
  'application/pgp-keys': 'asc',
  'audio/mpeg': 'mp3',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'video/mp4': 'mp4',
  'video/quicktime': 'mov',
  'message/rfc822': 'eml',
};

/** Parts with a name of their own by custom: Outlook's rich-text wrapper and the S/MIME signature. */
const CUSTOMARY: Record<string, string> = {
  'application/ms-tnef': 'winmail.dat',
  'application/vnd.ms-tnef': 'winmail.dat',
  'application/pkcs7-signature': 'smime.p7s',
  'application/x-pkcs7-signature': 'smime.p7s',
  // A calendar invitation (Outlook, Google Calendar): what calendar programs open.
  'text/calendar': 'invite.ics',
  'application/ics': 'invite.ics',
};

export interface NamedPart {
  part: Attachment;
  inline: boolean;
  /** The subject of a mail attached whole (`message/rfc822`), when it has one. */
  subject?: string | undefined;
}

/** The file name of each part: its own when it has one, else one that says what it is (see above). */
export function partNames(parts: readonly NamedPart[]): string[] {
  const counters = new Map<string, number>();
  const next = (kind: string) => {
    const n = (counters.get(kind) ?? 0) + 1;
    counters.set(kind, n);
    return n;
  };
  return parts.map(({ part, inline, subject }) => {
    if (part.filename) return part.filename;
    const type = part.contentType.toLowerCase();
    // A subject's slashes are no folders ("Invoice 3/2026").
    if (type === 'message/rfc822') return `${clipText(sanitizeFileName(subject?.replace(/[\\/]/g, '-'), 'message'), 150)}.eml`;
    const customary = CUSTOMARY[type];
    if (customary) return customary;
    const extension = EXTENSIONS[type];
    const kind = inline && type.startsWith('image/') ? 'image' : 'attachment';
    return `${kind}-${next(kind)}${extension ? `.${extension}` : ''}`;
  });
}
