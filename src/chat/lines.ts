/**
 * A chat's messages in its own sequence (1, 2, 3… per session): the sequence number is the
 * SSE event id, so a stream resumed with Last-Event-ID sends exactly what came after it.
 * Appending runs inside the caller's transaction (with the case's timeline entry). On the
 * storage port; the same SQL on both dialects (cached statements on SQLite: rows.ts).
 */
import { and, asc, eq, getTableColumns, gt, inArray } from 'drizzle-orm';
import type { AttachmentRow } from '../attachments/read.js';
import type { ChatAuthor } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { get, run } from '../db/store/rows.js';
import { isWaitOffer } from './system-lines.js';

/** A file sent with an agent's reply: the visitor downloads it with their token (`GET /chat/api/files/:id`). */
export interface ChatFile {
  id: number;
  name: string;
  size: number;
}

export interface ChatLine {
  seq: number;
  author: ChatAuthor;
  name: string;
  body: string;
  at: number;
  /** The files of an agent's reply (its timeline entry's attachments); absent when none. */
  files?: ChatFile[];
  /** The sweep's offer to a visitor waiting for an agent: to be answered by e-mail instead (waiting.ts); absent otherwise. */
  offer?: 'email';
  /**
   * A visitor's line: the window's id of the message (`clientId`, visitor-message.ts), for the
   * visitor's own window only (`withClientIds`), so it replaces its "Sending…" line with this one
   * even when the stream brings it before the answer to its POST; absent when the message had
   * none or its entry was purged (24 h).
   */
  clientId?: string;
}

export interface LinesOptions {
  /** Read the visitor's lines' `clientId` (the visitor's window only). */
  withClientIds?: boolean;
}

/** Appends one line and returns its sequence number; the session's activity clock restarts. */
export async function appendLine(q: Handle, sessionId: number, line: Omit<ChatLine, 'seq'>, caseEventId: number | null): Promise<number> {
  const row = await get<{ seq: number }>(q, 'UPDATE chat_sessions SET last_seq = last_seq + 1, last_activity_at = ? WHERE id = ? RETURNING last_seq AS seq', [line.at, sessionId]);
  if (row === undefined) throw new Error(`chat session ${sessionId} does not exist`);
  await run(q, 'INSERT INTO chat_messages (session_id, seq, author, author_name, body, at, case_event_id) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    sessionId,
    row.seq,
    line.author,
    line.name,
    line.body,
    line.at,
    caseEventId,
  ]);
  return row.seq;
}

/**
 * The files of these entries (an agent's replies in the chat), by the chat's case as well:
 * `attachments` is indexed by case, then entry (every inbound mail adds its original there), and
 * by the entries alone each poll of a chat with an agent's reply read the whole table.
 */
export function replyFiles(q: Handle, sessionId: number, replies: readonly number[]) {
  const a = q.tables.attachments;
  const s = q.tables.chatSessions;
  const ofCase = q.db.select({ caseId: s.caseId }).from(s).where(eq(s.id, sessionId));
  return q.db
    .select({ id: a.id, name: a.fileName, size: a.size, eventId: a.eventId })
    .from(a)
    .where(and(eq(a.caseId, ofCase), inArray(a.eventId, [...replies])))
    .orderBy(asc(a.id));
}

/** The lines after `afterSeq`, oldest first (at most `limit`), an agent's reply with its files. */
export async function linesAfter(q: Handle, sessionId: number, afterSeq: number, limit = 500, options: LinesOptions = {}): Promise<ChatLine[]> {
  const t = q.tables.chatMessages;
  const rows = await q.db
    .select({ seq: t.seq, author: t.author, name: t.authorName, body: t.body, at: t.at, eventId: t.caseEventId })
    .from(t)
    .where(and(eq(t.sessionId, sessionId), gt(t.seq, afterSeq)))
    .orderBy(asc(t.seq))
    .limit(limit);
  const replies = rows.filter((r) => r.author === 'agent' && r.eventId !== null).map((r) => r.eventId!);
  const files = new Map<number, ChatFile[]>();
  if (replies.length > 0) {
    const found = await replyFiles(q, sessionId, replies);
    for (const { eventId, ...file } of found) files.set(eventId, [...(files.get(eventId) ?? []), file]);
  }
  // The visitor's messages' ids, from their Idempotency-Key entries (written in the line's transaction).
  const clientIds = new Map<number, string>();
  const sent = options.withClientIds ? rows.filter((r) => r.author === 'visitor' && r.eventId !== null).map((r) => r.eventId!) : [];
  if (sent.length > 0) {
    const k = q.tables.idempotencyKeys;
    const keys = await q.db.select({ key: k.key, eventId: k.eventId }).from(k).where(and(eq(k.principal, `chat-visitor:${sessionId}`), inArray(k.eventId, sent)));
    for (const { key, eventId } of keys) if (eventId !== null) clientIds.set(eventId, key);
  }
  return rows.map(({ eventId, ...line }) => {
    const own = eventId === null ? undefined : files.get(eventId);
    if (isWaitOffer(line.author, line.body)) return { ...line, offer: 'email' as const };
    const clientId = line.author === 'visitor' && eventId !== null ? clientIds.get(eventId) : undefined;
    if (clientId !== undefined) return { ...line, clientId };
    return own ? { ...line, files: own } : line;
  });
}

/** A file of an agent's reply in this chat (the only files a visitor may download), or undefined. */
export async function chatFile(q: Handle, sessionId: number, attachmentId: number): Promise<AttachmentRow | undefined> {
  const { attachments: a, chatMessages: m } = q.tables;
  const [row] = await q.db
    .select(getTableColumns(a))
    .from(a)
    .innerJoin(m, eq(m.caseEventId, a.eventId))
    .where(and(eq(a.id, attachmentId), eq(m.sessionId, sessionId), eq(m.author, 'agent')))
    .limit(1);
  return row;
}
