/**
 * The email channel (src/channels/email/): every Message-ID received (and, later, sent) for a
 * case, the log of every inbound mail's outcome, and the addresses copied on a case.
 */
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { cases } from './cases.js';

export const EMAIL_DIRECTIONS = ['in', 'out'] as const;

/** One row per Message-ID: a mail is processed exactly once, and replies thread by it. */
export const emailMessages = sqliteTable(
  'email_messages',
  {
    messageId: text('message_id').primaryKey(),
    caseId: integer('case_id').references(() => cases.id),
    direction: text('direction', { enum: EMAIL_DIRECTIONS }).notNull(),
    at: integer('at').notNull(),
  },
  (t) => [index('email_messages_case_idx').on(t.caseId)],
);

export const INBOUND_OUTCOMES = ['created', 'appended', 'ignored'] as const;
export type InboundOutcome = (typeof INBOUND_OUTCOMES)[number];

/** The channel log: what became of every mail received, duplicates and refusals included. */
export const inboundMail = sqliteTable(
  'inbound_mail',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    messageId: text('message_id').notNull(),
    via: text('via', { enum: ['http', 'smtp', 'imap'] }).notNull(),
    mailbox: text('mailbox'),
    fromAddress: text('from_address'),
    subject: text('subject'),
    size: integer('size').notNull(),
    outcome: text('outcome', { enum: INBOUND_OUTCOMES }).notNull(),
    reason: text('reason'),
    caseId: integer('case_id').references(() => cases.id),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [index('inbound_mail_received_idx').on(t.receivedAt), index('inbound_mail_from_idx').on(t.fromAddress, t.receivedAt)],
);

/** Addresses copied on a case's mail (Cc, other To): they may reply, and later receive replies. */
export const caseEmailContacts = sqliteTable(
  'case_email_contacts',
  {
    caseId: integer('case_id')
      .notNull()
      .references(() => cases.id),
    address: text('address').notNull(),
    name: text('name'),
    addedAt: integer('added_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.caseId, t.address] })],
);

/**
 * IMAP UID checkpoints: per mailbox (its URL without the password) and UIDVALIDITY, the
 * highest UID whose mail is committed. A restart resumes after it; a new UIDVALIDITY starts a
 * new row and re-reads the mailbox (Message-IDs already received are duplicates, not re-filed).
 */
export const imapCheckpoints = sqliteTable(
  'imap_checkpoints',
  {
    mailbox: text('mailbox').notNull(),
    uidValidity: text('uid_validity').notNull(),
    lastUid: integer('last_uid').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.mailbox, t.uidValidity] })],
);
