/**
 * Replies the visitor never saw: an agent's public reply in a chat becomes a chat line and is not
 * mailed (subscribers.ts), so when the visitor had left (tab closed, gone offline) it would never
 * reach them. When the chat ends (whoever or whatever ends it), the agents' lines after the
 * session's "seen up to" (seen.ts) are queued as ONE mail (`chat.missed_replies`, in the ending's
 * transaction): "Replies you may have missed", each reply's author, time and text, its files
 * attached as a reply mail carries them, to whom a staff reply's mail goes (the customer, the
 * addresses copied on the case) and built as one is (outbound.ts `caseMailRecipients`,
 * `caseThreadMail`: our Message-ID, In-Reply-To/References, the signed Reply-To), recorded as
 * `email.sent` with `kind: "missed-replies"`. Nothing is queued when the window had everything. To an address the
 * visitor only typed, the mail is held until an agent confirms it (notifications/held-mail.ts).
 */
import { eq } from 'drizzle-orm';
import { caseRef } from '../cases/case-ref.js';
import type { CaseRow } from '../cases/case-view.js';
import { caseMailRecipients, caseThreadMail, deliveredOutcome, recordSentMessageId, sendCaseMail } from '../channels/email/outbound.js';
import type { Handle } from '../db/store/index.js';
import { all } from '../db/store/rows.js';
import { customerTimelineIn } from '../notifications/case-reads.js';
import { holdMail, isConfirmed, typedAddressAmong } from '../notifications/held-mail.js';
import { markItemDone } from '../outbox/dialect.js';
import type { OutboxItem } from '../outbox/outbox.js';
import type { Services } from '../services.js';
import type { ChatSession } from './sessions.js';

export const MISSED_REPLIES_MAIL = 'chat.missed_replies';

/** Inside the transaction that ended `session`: queues the mail of the agents' replies its window never acknowledged. */
export async function queueMissedReplies(q: Handle, session: ChatSession, now: number): Promise<void> {
  if (session.caseId === null) return;
  const unseen = await all<{ id: number }>(
    q,
    "SELECT case_event_id AS id FROM chat_messages WHERE session_id = ? AND author = 'agent' AND seq > ? AND case_event_id IS NOT NULL ORDER BY seq",
    [session.id, session.seenSeq],
  );
  if (unseen.length === 0) return;
  await q.db.insert(q.tables.outbox).values({ type: MISSED_REPLIES_MAIL, caseId: session.caseId, payload: { session: session.id, replies: unseen.map((r) => r.id) }, createdAt: now, availableAt: now });
}

const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

type Reply = { id: number; at: string; author: { name: string }; body: string; attachments?: { id: number; name: string }[] };

/** The mail's text: each reply with its author, time, text and the names of its files. */
export function missedRepliesText(ref: string, replies: readonly Reply[]): string {
  const one = (r: Reply) => `${r.author.name}, ${when(r.at)}:\n${r.body.trim()}\n${(r.attachments ?? []).map((f) => `[file: ${f.name}]\n`).join('')}`;
  return `Hello,\n\nYou left the live chat about your request ${ref} before these replies reached you:\n\n${replies.map(one).join('\n')}\nTo answer, reply to this e-mail.\n`;
}

/** Outbox handler of `chat.missed_replies`: to whom a staff reply's mail goes (the customer, the case's CCs copied), built as one is. */
export async function sendMissedReplies(services: Services, item: OutboxItem): Promise<void> {
  const ids = (Array.isArray(item.payload.replies) ? item.payload.replies : []).map(Number);
  const what = { kind: 'missed-replies', replies: ids };
  const read = await services.store.query(async (q) => {
    const [c] = item.caseId === null ? [] : await q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, item.caseId)).limit(1);
    if (!c) return null;
    const replies = (await customerTimelineIn(q, services, c)).flatMap((e) => (e.type === 'staff.replied' && ids.includes(e.id) ? [e] : []));
    const recipients = await caseMailRecipients(q, services, c);
    const typed = isConfirmed(item) ? null : await typedAddressAmong(q, c.id, [...recipients.to, ...recipients.cc]);
    return { c: c as CaseRow, replies, recipients, typed };
  });
  const finish = (outcome: Record<string, unknown>, messageId: string | null = null) =>
    services.store.write(async (q) => {
      const now = services.clock.now();
      if (!(await markItemDone(q, item.id, now)) || !read) return;
      if (messageId) await recordSentMessageId(q, messageId, read.c.id, now);
      await q.db.insert(q.tables.caseEvents).values({ caseId: read.c.id, type: 'email.sent', at: now, actorType: 'system', actorId: null, data: outcome });
    });
  if (!read) {
    await services.store.write((q) => markItemDone(q, item.id, services.clock.now()));
    return;
  }
  const { c, replies, recipients, typed } = read;
  if (replies.length === 0) return finish({ ...what, delivered: false, reason: 'the replies are no longer there' });
  if (recipients.to.length === 0) return finish({ ...what, delivered: false, reason: recipients.noAddress ?? 'no recipients' });
  if (!services.mailer) return finish({ ...what, ...recipients, delivered: false, reason: 'SMTP_URL is not set' });
  if (typed) return services.store.write((q) => holdMail(q, services, item, c.id, typed, what));
  const ref = caseRef(c.id);
  const mail = await services.store.query((q) =>
    caseThreadMail(q, services, item, c.id, recipients, {
      subject: `[${ref}] Replies you may have missed: ${c.subject}`,
      text: missedRepliesText(ref, replies),
      files: replies.flatMap((r) => r.attachments ?? []),
    }),
  );
  await sendCaseMail(services, item, c.id, mail, what);
  await finish(deliveredOutcome(what, mail, item), mail.messageId);
}
