/** Reading attachment rows: a case's, one by id, and the short view pages and the API show. */
import type { Db } from '../db/client.js';
import { rowMapper, statement } from '../db/fast.js';
import { attachments, type AttachmentKind } from '../db/schema/index.js';

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

/** Every attachment of a case, oldest first. */
export function attachmentsOfCase(db: Db, caseId: number): AttachmentRow[] {
  const m = rowMapper(attachments);
  return statement<[number], Record<string, unknown>>(db, 'SELECT * FROM attachments WHERE case_id = ? ORDER BY id')
    .all(caseId)
    .map((r) => m.fromRow(r));
}

/** The attachment with this id if it belongs to this case. */
export function findAttachment(db: Db, caseId: number, id: number): AttachmentRow | undefined {
  const row = statement<[number, number], Record<string, unknown>>(db, 'SELECT * FROM attachments WHERE id = ? AND case_id = ?').get(id, caseId);
  return row ? rowMapper(attachments).fromRow(row) : undefined;
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
