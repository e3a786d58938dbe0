/**
 * The email channel (src/channels/email/): every Message-ID received (and, later, sent) for a
 * case, the log of every inbound mail's outcome, the addresses copied on a case, and the
 * IMAP mailboxes managed on the console (`/manage/channels`).
 */
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { cases } from './cases.js';
import { queues } from './people.js';

export const EMAIL_DIRECTIONS = ['in', 'out'] as const;

/**
 * One row per Message-ID: a mail is processed exactly once, and replies thread by it.
 * `fingerprint` (a received mail's: src/channels/email/fingerprint.ts) tells a re-delivery of
 * the same mail from another mail that reuses its Message-ID (a sender's broken mailer).
 */
export const emailMessages = sqliteTable(
  'email_messages',
  {
    messageId: text('message_id').primaryKey(),
    caseId: integer('case_id').references(() => cases.id),
    direction: text('direction', { enum: EMAIL_DIRECTIONS }).notNull(),
    at: integer('at').notNull(),
    fingerprint: text('fingerprint'),
  },
  (t) => [index('email_messages_case_idx').on(t.caseId)],
);

export const INBOUND_OUTCOMES = ['created', 'appended', 'ignored'] as const;
export type InboundOutcome = (typeof INBOUND_OUTCOMES)[number];

export const MAILBOX_STATES = ['stopped', 'connecting', 'connected', 'idle', 'error'] as const;
export type MailboxState = (typeof MAILBOX_STATES)[number];

/**
 * IMAP mailboxes read besides `IMAP_URL`, managed on `/manage/channels`. The password is
 * stored only sealed with CHANNELS_KEY (AES-256-GCM, src/channels/secrets.ts), never in plain
 * text. New cases from a mailbox start in its default queue unless a routing rule picks
 * another. `status*` and `last_mail_at` are written by the poller (src/channels/email/
 * mailbox-supervisor.ts) for the console.
 */
export const mailboxes = sqliteTable(
  'mailboxes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    host: text('host').notNull(),
    port: integer('port').notNull(),
    /** true: TLS from the start (imaps, 993); false: plain IMAP upgraded with STARTTLS when offered (143). */
    tls: integer('tls', { mode: 'boolean' }).notNull(),
    username: text('username').notNull(),
    /** The folder read (`INBOX`). */
    path: text('path').notNull(),
    /** `v1.<key id>.<iv>.<tag>.<ciphertext>`; null: no password stored. */
    passwordSealed: text('password_sealed'),
    queueId: text('queue_id')
      .notNull()
      .references(() => queues.id),
    /** `seen` or `move:Folder`. */
    processed: text('processed').notNull().default('seen'),
    pollSeconds: integer('poll_seconds').notNull().default(60),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    status: text('status', { enum: MAILBOX_STATES }).notNull().default('stopped'),
    /** What the status means in words: the error, the folder being watched. */
    statusText: text('status_text'),
    statusAt: integer('status_at'),
    lastMailAt: integer('last_mail_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [uniqueIndex('mailboxes_name_idx').on(t.name)],
);

/** The channel log: what became of every mail received, duplicates and refusals included. */
export const inboundMail = sqliteTable(
  'inbound_mail',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    messageId: text('message_id').notNull(),
    via: text('via', { enum: ['http', 'smtp', 'imap'] }).notNull(),
    mailbox: text('mailbox'),
    /** The console mailbox it was read from (null: IMAP_URL, SMTP, HTTP, or a mailbox deleted since). */
    mailboxId: integer('mailbox_id').references(() => mailboxes.id, { onDelete: 'set null' }),
    fromAddress: text('from_address'),
    subject: text('subject'),
    size: integer('size').notNull(),
    outcome: text('outcome', { enum: INBOUND_OUTCOMES }).notNull(),
    reason: text('reason'),
    caseId: integer('case_id').references(() => cases.id),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [
    index('inbound_mail_received_idx').on(t.receivedAt),
    index('inbound_mail_from_idx').on(t.fromAddress, t.receivedAt),
    index('inbound_mail_mailbox_idx').on(t.mailboxId, t.receivedAt),
    index('inbound_mail_outcome_idx').on(t.outcome, t.receivedAt),
  ],
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

/**
 * The attempts at an IMAP mail that failed, or that never ended (src/channels/email/imap-attempts.ts):
 * per mailbox (its URL without the password), UIDVALIDITY and UID, so that a mail which keeps
 * failing is set aside across restarts too — one that brings the server down included, whose
 * attempts only this row remembers. `inHand`: an attempt began and has not ended; found so by
 * the next one, it was cut short (a crash, a kill) and counts as a failure. The row goes once
 * the mail is received or set aside.
 */
export const imapMailAttempts = sqliteTable(
  'imap_mail_attempts',
  {
    mailbox: text('mailbox').notNull(),
    uidValidity: text('uid_validity').notNull(),
    uid: integer('uid').notNull(),
    /** Attempts that failed or were cut short. */
    failures: integer('failures').notNull(),
    /** When the first of them failed (the services' clock); null while none has. */
    firstFailedAt: integer('first_failed_at'),
    /** Where the last one failed: `fetch` (the server did not hand the mail over), `receive` (storing it failed) or `cut` (it never ended). */
    stage: text('stage'),
    /** The last failure's words (describeImapError's: no SQL parameters, none of the mail's text). */
    error: text('error'),
    inHand: integer('in_hand', { mode: 'boolean' }).notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.mailbox, t.uidValidity, t.uid] })],
);
