/**
 * Files sent with a multipart form (`<input type=file name=files multiple>` on the pages, the
 * `files` parts of an API message): read into memory (the body limit of upload routes bounds
 * them, src/http/limits.ts), an empty file input (no file chosen) left out. Hono caches the
 * parsed form, so the CSRF check that read `_csrf` from it first costs nothing twice.
 */
import type { Context } from 'hono';
import type { IncomingFile } from '../attachments/limits.js';

export const FILES_FIELD = 'files';

export async function readUploads(c: Context, field = FILES_FIELD): Promise<IncomingFile[]> {
  if (!(c.req.header('Content-Type') ?? '').toLowerCase().startsWith('multipart/form-data')) return [];
  const body = await c.req.parseBody({ all: true });
  const value = body[field];
  const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const files: IncomingFile[] = [];
  for (const v of values) {
    if (typeof v === 'string') continue;
    if (v.name === '' && v.size === 0) continue;
    files.push({ name: v.name, mediaType: v.type, bytes: new Uint8Array(await v.arrayBuffer()) });
  }
  return files;
}
