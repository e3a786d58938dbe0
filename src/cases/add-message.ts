/**
 * Messages on a case: public replies (customer or staff) and internal notes (staff only).
 * They live on the timeline as `customer.replied`, `staff.replied`, `staff.noted`; the
 * workflow and the SLA clocks react to those events.
 */
import { z } from 'zod';
import { recordAttachments, type StoredFile } from '../attachments/record.js';
import { transaction } from '../db/client.js';
import { statement } from '../db/fast.js';
import { DomainError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext, type CaseRow } from '../workflow/context.js';

export const messageSchema = z.strictObject({
  body: z.string().trim().min(1, 'required').max(20_000),
  public: z.boolean().default(true),
});
export type MessageInput = z.input<typeof messageSchema>;

export interface AddMessageOptions {
  /** More data for the timeline entry (e.g. the channel's full original text), beside `body`. */
  data?: Record<string, unknown>;
  /** Files already in the attachment store (`storeFiles`), recorded with the message in its transaction. */
  attachments?: readonly StoredFile[];
  /** Runs inside the transaction before the case is saved (a channel records what it received); `eventId` is the message's timeline entry. */
  within?: (ctx: CaseContext, eventId: number) => void;
}

export function addMessage(services: Services, caseId: number, input: MessageInput, actor: Actor, options: AddMessageOptions = {}): CaseRow {
  const { body, public: isPublic } = messageSchema.parse(input);
  const extra = options.data ?? {};
  return transaction(services.db, () => {
    const ctx = CaseContext.load(services, caseId, actor);
    let eventId: number;
    if (actor.type === 'customer') {
      if (!isPublic) throw new DomainError('FORBIDDEN', 'Customers cannot write internal notes.');
      if (ctx.workflow.states[ctx.case.status]?.final) {
        throw new DomainError('INVALID_TRANSITION', `${ctx.ref} is closed; please open a new request.`);
      }
      eventId = ctx.raise('customer.replied', { ...extra, body });
    } else if (isPublic) {
      eventId = ctx.raise('staff.replied', { ...extra, body, author: actor.name });
    } else {
      eventId = ctx.raise('staff.noted', { ...extra, body, author: actor.name });
    }
    if (options.attachments?.length) {
      recordAttachments(services.db, { caseId, eventId, by: { type: actor.type, id: actor.id }, at: ctx.now }, options.attachments);
    }
    options.within?.(ctx, eventId);
    ctx.save();
    return ctx.case;
  });
}

/** The types of the timeline entries that are messages. */
export const MESSAGE_EVENTS = ['customer.replied', 'staff.replied', 'staff.noted'] as const;

/** The case's newest message entry (inside `addMessage`'s transaction, from `within`: the one just added). */
export function newestMessageEventId(services: Services, caseId: number): number | null {
  const sql = `SELECT max(id) FROM case_events WHERE case_id = ? AND type IN (${MESSAGE_EVENTS.map((t) => `'${t}'`).join(', ')})`;
  return statement<[number], number | null>(services.db, sql).pluck().get(caseId) ?? null;
}
