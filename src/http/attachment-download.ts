/**
 * An attachment as a download, for the case page (`GET /cases/:id/attachments/:attachment`)
 * and the API (`GET /api/v1/cases/:id/attachments/:attachment`) alike: streamed from the store
 * with `Content-Disposition: attachment` (the exact UTF-8 name in `filename*`), the declared
 * type only when it is allow-listed (else `application/octet-stream`), `nosniff`, a sandboxing
 * CSP (even opened directly it can run nothing and reach nothing), and never kept by a shared
 * cache or transformed on the way (`private, no-store, no-transform`).
 */
import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { Context } from 'hono';
import type { AttachmentRow } from '../attachments/read.js';
import { contentDisposition, servedMediaType } from '../attachments/file-name.js';
import { DomainError } from '../errors.js';
import type { Services } from '../services.js';

export const DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'";

export function downloadHeaders(row: Pick<AttachmentRow, 'fileName' | 'mediaType' | 'size'>): Record<string, string> {
  return {
    'Content-Type': servedMediaType(row.mediaType),
    'Content-Disposition': contentDisposition(row.fileName),
    'Content-Length': String(row.size),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': DOWNLOAD_CSP,
    'Cache-Control': 'private, no-store, no-transform',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

export function attachmentResponse(c: Context, services: Services, row: AttachmentRow): Response {
  const file = services.attachments.store.pathOf(row.sha256);
  let stream: fs.ReadStream;
  try {
    // Opened before answering: a file missing from the store is an error, not an empty download.
    const fd = fs.openSync(file, 'r');
    stream = fs.createReadStream(file, { fd });
  } catch (error) {
    services.logger.error('attachment file missing from the store', { attachment: row.id, sha256: row.sha256, error });
    throw new DomainError('NOT_FOUND', `The file of attachment ${row.id} is missing from the store.`);
  }
  return c.body(Readable.toWeb(stream) as ReadableStream<Uint8Array>, 200, downloadHeaders(row));
}
