/**
 * Files attached to a case (src/attachments/): the bytes live outside the database in a
 * content-addressed store (`ATTACHMENTS_DIR/ab/cd/<sha256>`), one row per attachment names
 * them. Each row belongs to one timeline entry (`event_id`): a message, a note, the request
 * itself, or an inbound mail (its original, kind `original-mail`). Who may see it follows
 * from that entry, as for the entry's text.
 */
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { caseEvents, cases } from './cases.js';

/** `attachment`: a file someone attached; `inline`: a mail's inline part (an image in its HTML); `original-mail`: the whole raw mail as received. */
export const ATTACHMENT_KINDS = ['attachment', 'inline', 'original-mail'] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];

export const attachments = sqliteTable(
  'attachments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    caseId: integer('case_id')
      .notNull()
      .references(() => cases.id),
    /** The timeline entry the file came with. */
    eventId: integer('event_id')
      .notNull()
      .references(() => caseEvents.id),
    kind: text('kind', { enum: ATTACHMENT_KINDS }).notNull().default('attachment'),
    /** Sanitised for display and Content-Disposition (no path, no control or bidi characters). */
    fileName: text('file_name').notNull(),
    /** The media type as the sender declared it (served only if allow-listed, else as octet-stream). */
    mediaType: text('media_type').notNull(),
    size: integer('size').notNull(),
    /** Hex SHA-256 of the bytes: the file's name in the store; equal files are stored once. */
    sha256: text('sha256').notNull(),
    uploadedByType: text('uploaded_by_type', { enum: ['system', 'staff', 'customer'] }).notNull(),
    uploadedById: integer('uploaded_by_id'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('attachments_case_event_idx').on(t.caseId, t.eventId), index('attachments_sha256_idx').on(t.sha256)],
);
