/**
 * A mail held for review, posted as the customer's message after all. Mail on an open case from
 * someone who is neither its customer nor copied on it (the customer writing from their work
 * address, a colleague of theirs) is kept as an internal note "for review" (receive-email.ts):
 * it might be spoofed. An agent who knows the sender accepts it here, in one transaction:
 *
 * - the mail's text, cut at its quoted history as any reply is, becomes `customer.replied`, the
 *   sender named as its author (`from`, as for someone copied on the case): the workflow and the
 *   SLA clocks react to it as to the customer's reply, and the customer sees it;
 * - the mail's own files (not the stored original) go with that message, so the customer sees
 *   them too;
 * - `email.accepted` says who accepted which note, and whether the sender was copied on the case
 *   (`copy`): then their later mail posts as the customer's without review, and they are copied
 *   on replies, as anyone on the mail's Cc is.
 *
 * The note itself stays (the timeline is append-only); a note is accepted once. A closed case
 * takes no customer message: the sender writes again, or the agent opens a case for them.
 */
import { z } from 'zod';
import { recordAttachments, type StoredFile } from '../../attachments/record.js';
import { recordMessage } from '../../cases/add-message.js';
import { caseRef } from '../../cases/case-ref.js';
import { all, get, json } from '../../db/store/rows.js';
import type { AttachmentKind } from '../../db/schema/index.js';
import { DomainError } from '../../errors.js';
import type { Actor } from '../../roles.js';
import type { Services } from '../../services.js';
import { CaseContext, type CaseRow } from '../../workflow/context.js';
import { addContactsOn } from './mail-log.js';
import { clip, emptyText } from './mail-case-data.js';
import { replyText } from './quoted-text.js';

/** The API's body (the page sends `copy=1`). */
export const acceptReviewSchema = z.strictObject({
  /** Copy the sender on the case: their later mail is the customer's without review, and they get the replies. */
  copy: z.boolean().default(false),
});

export interface AcceptReviewOptions {
  /** Copy the sender on the case: their later mail is the customer's without review, and they get the replies. */
  copy: boolean;
}

export async function acceptReviewedMail(services: Services, caseId: number, noteId: number, actor: Actor, options: AcceptReviewOptions): Promise<CaseRow> {
  if (actor.type === 'customer') throw new DomainError('FORBIDDEN', 'Only support staff post a mail held for review as the customer’s message.');
  return services.store.write(async (q) => {
    const note = await get<{ id: number; caseId: number; type: string; data: unknown }>(q, 'SELECT id, case_id AS "caseId", type, data FROM case_events WHERE id = ?', [noteId]);
    const data = note ? json<Record<string, unknown>>(note.data) : {};
    if (!note || note.caseId !== caseId || note.type !== 'staff.noted' || data.review !== true || typeof data.from !== 'string') {
      throw new DomainError('NOT_FOUND', `${caseRef(caseId)} has no mail held for review with the id ${noteId}.`);
    }
    const accepted = await all<{ data: unknown }>(q, "SELECT data FROM case_events WHERE case_id = ? AND type = 'email.accepted'", [caseId]);
    if (accepted.some((row) => json<Record<string, unknown>>(row.data).note === noteId)) {
      throw new DomainError('CONFLICT', `The mail from ${data.from} was already posted as the customer's message.`);
    }
    const from = data.from;
    const c = await CaseContext.load(q, services, caseId, actor);
    if (c.workflow.states[c.case.status]?.final) {
      throw new DomainError('INVALID_TRANSITION', `${c.ref} is closed: a customer message cannot be added to it. Open a new case for ${from}, or ask them to write again.`);
    }
    // The sender speaks on the case as its customer, as someone copied on it does (receive-email.ts).
    const customer: Actor = { type: 'customer', id: c.case.customerId, role: 'customer', name: from };
    const ctx = new CaseContext(q, services, c.case, customer, c.now);
    const full = typeof data.body === 'string' ? data.body : '';
    // As a participant's mail on the case becomes their message (receive-email.ts, quoted-text.ts `mailText`): a forward
    // ("Fwd: …", marked `forward` on the note) whole; a reply cut at its quoted history, and one that is only the quote
    // (a photo sent back with "Reply") says it had no text, never our own quoted words as the customer's.
    const cut = data.forward === true ? { text: full.trim(), cut: false } : replyText(full);
    const body = clip(cut.text || (cut.cut ? emptyText(attachmentCount(data)) : full)).text;
    const { eventId } = await recordMessage(ctx, { body, public: true }, {
      via: 'email',
      from,
      acceptedFrom: noteId,
      ...(typeof data.messageId === 'string' ? { messageId: data.messageId } : {}),
      ...(cut.cut ? { original: full } : {}),
    });
    const files = await all<StoredFile & { kind: AttachmentKind }>(
      q,
      `SELECT file_name AS "fileName", media_type AS "mediaType", size, sha256, kind FROM attachments WHERE case_id = ? AND event_id = ? AND kind <> 'original-mail' ORDER BY id`,
      [caseId, noteId],
    );
    if (files.length) await recordAttachments(q, { caseId, eventId, by: { type: 'customer', id: c.case.customerId }, at: ctx.now }, files);
    if (options.copy) await addContactsOn(q, caseId, [{ address: from, name: '' }], ctx.now);
    await ctx.record('email.accepted', { note: noteId, message: eventId, from, copied: options.copy }, actor);
    await ctx.save();
    return ctx.case;
  });
}

/** How many attachments the held mail had (its `attachments`, up to 500, and `attachmentCount` beyond: mail-case-data.ts). */
function attachmentCount(data: Record<string, unknown>): number {
  if (typeof data.attachmentCount === 'number') return data.attachmentCount;
  return Array.isArray(data.attachments) ? data.attachments.length : 0;
}
