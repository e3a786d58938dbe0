/**
 * The channel's log as the console shows it: the newest lines of `inbound_mail`, filtered by
 * outcome, way in and console mailbox, 50 at a time (keyset paging: `before` is the last
 * line's id).
 */
import { and, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import { caseRef } from '../../cases/case-ref.js';
import { INBOUND_OUTCOMES, type InboundOutcome } from '../../db/schema/index.js';
import type { Handle } from '../../db/store/index.js';

export const MAIL_LOG_PAGE = 50;
export const MAIL_LOG_VIAS = ['http', 'smtp', 'imap'] as const;

export interface MailLogFilter {
  outcome: InboundOutcome | null;
  via: (typeof MAIL_LOG_VIAS)[number] | null;
  mailboxId: number | null;
  /** Lines older than this line (its id). */
  before: number | null;
}

export interface MailLogLine {
  id: number;
  at: number;
  via: string;
  /** The console mailbox's name, else the mailbox URL without password (IMAP_URL), else null. */
  mailbox: string | null;
  from: string | null;
  subject: string | null;
  outcome: InboundOutcome;
  reason: string | null;
  case: string | null;
}

/** The filter from a query string; anything unknown is ignored (no filter). */
export function mailLogFilter(query: Record<string, string | undefined>): MailLogFilter {
  const outcome = (INBOUND_OUTCOMES as readonly string[]).includes(query.outcome ?? '') ? (query.outcome as InboundOutcome) : null;
  const via = (MAIL_LOG_VIAS as readonly string[]).includes(query.via ?? '') ? (query.via as MailLogFilter['via']) : null;
  const id = (raw: string | undefined) => (/^\d{1,12}$/.test(raw ?? '') ? Number(raw) : null);
  return { outcome, via, mailboxId: id(query.mailbox), before: id(query.before) };
}

export async function mailLog(q: Handle, filter: MailLogFilter, limit = MAIL_LOG_PAGE): Promise<{ lines: MailLogLine[]; older: number | null }> {
  const { inboundMail, mailboxes } = q.tables;
  const where: SQL[] = [];
  if (filter.outcome) where.push(eq(inboundMail.outcome, filter.outcome));
  if (filter.via) where.push(eq(inboundMail.via, filter.via));
  if (filter.mailboxId !== null) where.push(eq(inboundMail.mailboxId, filter.mailboxId));
  if (filter.before !== null) {
    const [anchor] = await q.db.select({ at: inboundMail.receivedAt }).from(inboundMail).where(eq(inboundMail.id, filter.before)).limit(1);
    if (anchor) where.push(or(lt(inboundMail.receivedAt, anchor.at), and(eq(inboundMail.receivedAt, anchor.at), lt(inboundMail.id, filter.before)))!);
  }
  const rows = await q.db
    .select({
      id: inboundMail.id,
      at: inboundMail.receivedAt,
      via: inboundMail.via,
      label: inboundMail.mailbox,
      name: mailboxes.name,
      from: inboundMail.fromAddress,
      subject: inboundMail.subject,
      outcome: inboundMail.outcome,
      reason: inboundMail.reason,
      caseId: inboundMail.caseId,
    })
    .from(inboundMail)
    .leftJoin(mailboxes, eq(mailboxes.id, inboundMail.mailboxId))
    .where(where.length > 0 ? and(...where) : undefined)
    .orderBy(desc(inboundMail.receivedAt), desc(inboundMail.id))
    .limit(limit + 1);
  const lines = rows.slice(0, limit).map((r) => ({
    id: r.id,
    at: r.at,
    via: r.via,
    mailbox: r.name ?? r.label,
    from: r.from,
    subject: r.subject,
    outcome: r.outcome,
    reason: r.reason,
    case: r.caseId === null ? null : caseRef(r.caseId),
  }));
  return { lines, older: rows.length > limit ? lines.at(-1)!.id : null };
}
