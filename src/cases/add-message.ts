/**
 * Messages on a case: public replies (customer or staff) and internal notes (staff only).
 * They live on the timeline as `customer.replied`, `staff.replied`, `staff.noted`; the
 * workflow and the SLA clocks react to those events. A staff member's note may mention
 * colleagues (`@alice`, src/cases/mentions.ts).
 */
import { z } from 'zod';
import { transaction } from '../db/client.js';
import { statement } from '../db/fast.js';
import { DomainError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext, type CaseRow } from '../workflow/context.js';
import { recordMentions, type ResolvedMentions } from './mentions.js';

export const messageSchema = z.strictObject({
  body: z.string().trim().min(1, 'required').max(20_000),
  public: z.boolean().default(true),
});
export type MessageInput = z.input<typeof messageSchema>;

export interface AddMessageOptions {
  /** More data for the timeline entry (e.g. the channel's full original text), beside `body`. */
  data?: Record<string, unknown>;
  /** Runs inside the transaction before the case is saved (a channel records what it received). */
  within?: (ctx: CaseContext) => void;
}

/** What a message did beside being recorded: the colleagues a note mentioned. */
export interface MessageOutcome {
  mentions: ResolvedMentions;
}

export function addMessage(services: Services, caseId: number, input: MessageInput, actor: Actor, options: AddMessageOptions = {}): CaseRow {
  const parsed = messageSchema.parse(input);
  return transaction(services.db, () => {
    const ctx = CaseContext.load(services, caseId, actor);
    recordMessage(ctx, parsed, options.data);
    options.within?.(ctx);
    ctx.save();
    return ctx.case;
  });
}

/** Inside a unit of work: records the message as its author's (the caller saves). */
export function recordMessage(ctx: CaseContext, message: { body: string; public: boolean }, extra: Record<string, unknown> = {}): MessageOutcome {
  const { actor } = ctx;
  const { body, public: isPublic } = message;
  const outcome: MessageOutcome = { mentions: { notified: [], cannotSee: [], unknown: [] } };
  if (actor.type === 'customer') {
    if (!isPublic) throw new DomainError('FORBIDDEN', 'Customers cannot write internal notes.');
    if (ctx.workflow.states[ctx.case.status]?.final) {
      throw new DomainError('INVALID_TRANSITION', `${ctx.ref} is closed; please open a new request.`);
    }
    ctx.raise('customer.replied', { ...extra, body });
  } else if (isPublic) {
    ctx.raise('staff.replied', { ...extra, body, author: actor.name });
  } else {
    ctx.raise('staff.noted', { ...extra, body, author: actor.name });
    // Only staff mention colleagues: a mail filed for review (a system note) never notifies anyone.
    if (actor.type === 'staff') outcome.mentions = recordMentions(ctx, body);
  }
  return outcome;
}

/** The kind of the case's latest message from staff (replies and notes by a person), or null. */
export function lastStaffMessage(services: Services, caseId: number): 'staff.replied' | 'staff.noted' | null {
  const row = statement<[number], { type: 'staff.replied' | 'staff.noted' }>(
    services.db,
    "SELECT type FROM case_events WHERE case_id = ? AND type IN ('staff.replied', 'staff.noted') AND actor_type = 'staff' ORDER BY id DESC LIMIT 1",
  ).get(caseId);
  return row?.type ?? null;
}
