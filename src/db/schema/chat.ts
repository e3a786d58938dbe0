/**
 * Live chat (src/chat/, docs/chat.md): the sites a widget may run on, the visitors' chat
 * sessions, and every chat message in the chat's own sequence (the SSE event ids).
 */
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { cases } from './cases.js';
import { queues, staff } from './people.js';

/**
 * A website the widget runs on (managed on `/manage/channels`). `id` is the public key in the
 * script tag's `data-site`. Its secret signs visitor identities (HMAC-SHA256 of the e-mail): the
 * host site's server must know it, so it is kept to be shown to admins, sealed with CHANNELS_KEY
 * like mailbox passwords (`secret_sealed`, src/channels/secrets.ts), never in plain text.
 */
export const chatSites = sqliteTable('chat_sites', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** Origins (`https://shop.example`) allowed to embed the widget. */
  allowedOrigins: text('allowed_origins', { mode: 'json' }).$type<string[]>().notNull(),
  greeting: text('greeting').notNull().default(''),
  /** A calendar of sla.json: outside its hours nobody is available; null: always open. */
  calendar: text('calendar'),
  queueId: text('queue_id')
    .notNull()
    .references(() => queues.id),
  secretSealed: text('secret_sealed').notNull(),
  active: integer('active', { mode: 'boolean' }).notNull().default(true),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

export const CHAT_STATES = ['open', 'ended'] as const;
export type ChatState = (typeof CHAT_STATES)[number];

/** One visitor's chat. The visitor holds `token` (only its hash is stored). */
export const chatSessions = sqliteTable(
  'chat_sessions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    siteId: text('site_id')
      .notNull()
      .references(() => chatSites.id),
    tokenHash: text('token_hash').notNull(),
    /** The host page's origin the chat started on (one of the site's allowed origins). */
    hostOrigin: text('host_origin').notNull(),
    name: text('name').notNull(),
    email: text('email').notNull(),
    /** The host site vouched for the e-mail with a signed identity token. */
    verified: integer('verified', { mode: 'boolean' }).notNull().default(false),
    /** Set by the first message. */
    caseId: integer('case_id').references(() => cases.id),
    state: text('state', { enum: CHAT_STATES }).notNull().default('open'),
    /** The last message's sequence number. */
    lastSeq: integer('last_seq').notNull().default(0),
    /**
     * The highest line the visitor's window acknowledged having (a poll's `after`, a stream's
     * Last-Event-ID, `POST /chat/api/seen`): agents' replies after it are mailed when the chat ends.
     */
    seenSeq: integer('seen_seq').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    lastActivityAt: integer('last_activity_at').notNull(),
    endedAt: integer('ended_at'),
    /** visitor | agent | inactivity | closed | erased (the visitor's data erased while it was open) */
    endedBy: text('ended_by'),
    transcriptRequestedAt: integer('transcript_requested_at'),
  },
  (t) => [
    uniqueIndex('chat_sessions_token_idx').on(t.tokenHash),
    index('chat_sessions_case_idx').on(t.caseId),
    index('chat_sessions_state_activity_idx').on(t.state, t.lastActivityAt),
    /** Transcripts mailed to one address (src/chat/transcript.ts's limit per recipient). */
    index('chat_sessions_email_idx').on(t.email),
  ],
);

/**
 * Every transcript a visitor asked for: the sliding windows of the transcript limits (per
 * recipient address for visitors the site did not identify, per site) count these rows, so a
 * restart does not reset them. The recipient is the session's e-mail (erased with it).
 */
export const chatTranscripts = sqliteTable(
  'chat_transcripts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sessionId: integer('session_id')
      .notNull()
      .references(() => chatSessions.id),
    siteId: text('site_id')
      .notNull()
      .references(() => chatSites.id),
    requestedAt: integer('requested_at').notNull(),
  },
  (t) => [index('chat_transcripts_session_idx').on(t.sessionId, t.requestedAt), index('chat_transcripts_site_idx').on(t.siteId, t.requestedAt)],
);

export const CHAT_AUTHORS = ['visitor', 'agent', 'system'] as const;
export type ChatAuthor = (typeof CHAT_AUTHORS)[number];

/** A chat's messages; `seq` counts from 1 per session and is the SSE event id. */
export const chatMessages = sqliteTable(
  'chat_messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sessionId: integer('session_id')
      .notNull()
      .references(() => chatSessions.id),
    seq: integer('seq').notNull(),
    author: text('author', { enum: CHAT_AUTHORS }).notNull(),
    authorName: text('author_name').notNull(),
    body: text('body').notNull(),
    at: integer('at').notNull(),
    /** The case timeline entry of the message (null for system lines). */
    caseEventId: integer('case_event_id'),
  },
  (t) => [uniqueIndex('chat_messages_session_seq_idx').on(t.sessionId, t.seq), index('chat_messages_event_idx').on(t.caseEventId)],
);

/**
 * When each agent last had the workspace open (src/chat/agent-presence.ts): written at most once
 * per agent every third of CHAT_AGENT_PRESENCE_SECONDS from the beats an instance hears, stamped
 * by that instance's clock. Read beside the instance's own beats, so a restart (a deploy) or
 * another instance on the same database still counts an agent whose background tab polls only
 * once a minute.
 */
export const agentPresence = sqliteTable(
  'agent_presence',
  {
    staffId: integer('staff_id')
      .notNull()
      .references(() => staff.id),
    seenAt: integer('seen_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.staffId] })],
);
