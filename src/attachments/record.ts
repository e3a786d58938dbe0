/**
 * Storing attachments in two steps: `storeFiles` writes the bytes to the store (durably, before
 * any transaction), `recordAttachments` names them in the `attachments` table inside the
 * transaction of the timeline entry they belong to. If that transaction fails the files stay
 * as orphans no row names; a row never names a file that is not there.
 */
import type { Handle } from '../db/store/index.js';
import { get } from '../db/store/rows.js';
import type { AttachmentKind } from '../db/schema/index.js';
import { declaredMediaType, sanitizeFileName } from './file-name.js';
import type { IncomingFile } from './limits.js';
import type { AttachmentStore } from './store.js';

/** A file in the store, ready to be recorded. */
export interface StoredFile {
  fileName: string;
  mediaType: string;
  size: number;
  sha256: string;
  kind: AttachmentKind;
}

export async function storeFile(store: AttachmentStore, file: IncomingFile, kind: AttachmentKind = file.inline ? 'inline' : 'attachment'): Promise<StoredFile> {
  const { sha256, size } = await store.put(file.bytes);
  return { fileName: sanitizeFileName(file.name), mediaType: declaredMediaType(file.mediaType), size, sha256, kind };
}

/** The files written side by side (each durable before the promise resolves), in their order. */
export function storeFiles(store: AttachmentStore, files: readonly IncomingFile[]): Promise<StoredFile[]> {
  return Promise.all(files.map((file) => storeFile(store, file)));
}

export interface AttachmentTarget {
  caseId: number;
  /** The timeline entry the files came with. */
  eventId: number;
  by: { type: 'system' | 'staff' | 'customer'; id: number | null };
  at: number;
}

/** Inside the entry's transaction: one row per file; returns their ids. */
const INSERT =
  'INSERT INTO attachments (case_id, event_id, kind, file_name, media_type, size, sha256, uploaded_by_type, uploaded_by_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id';

export async function recordAttachments(q: Handle, target: AttachmentTarget, files: readonly StoredFile[]): Promise<number[]> {
  const ids: number[] = [];
  for (const f of files) {
    const row = await get<{ id: number }>(q, INSERT, [target.caseId, target.eventId, f.kind, f.fileName, f.mediaType, f.size, f.sha256, target.by.type, target.by.id, target.at]);
    ids.push(Number(row!.id));
  }
  return ids;
}
