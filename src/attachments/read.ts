/** Reading attachment rows: a case's, one by id, and the short view pages and the API show. */
import { and, eq } from 'drizzle-orm';
import type { attachments, AttachmentKind } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';

export type AttachmentRow = typeof attachments.$inferSelect;

/** What a timeline entry shows of a file: its name, size and type; the download is `…/attachments/<id>`. */
export interface AttachmentView {
  id: number;
  name: string;
  size: number;
  mediaType: string;
  kind: AttachmentKind;
}

export function attachmentView(row: Pick<AttachmentRow, 'id' | 'fileName' | 'size' | 'mediaType' | 'kind'>): AttachmentView {
  return { id: row.id, name: row.fileName, size: row.size, mediaType: row.mediaType, kind: row.kind };
}

/** The attachment with this id if it belongs to this case. */
export async function findAttachment(q: Handle, caseId: number, id: number): Promise<AttachmentRow | undefined> {
  const t = q.tables.attachments;
  const [row] = await q.db.select().from(t).where(and(eq(t.id, id), eq(t.caseId, caseId))).limit(1);
  return row;
}

/** Attachment views grouped by the timeline entry they came with. */
export function byEvent<T extends { eventId: number }>(rows: readonly T[], view: (row: T) => AttachmentView): Map<number, AttachmentView[]> {
  const out = new Map<number, AttachmentView[]>();
  for (const row of rows) {
    const list = out.get(row.eventId);
    if (list) list.push(view(row));
    else out.set(row.eventId, [view(row)]);
  }
  return out;
}
