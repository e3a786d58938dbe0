/**
 * Messages on a case: public replies (customer or staff) and internal notes (staff only).
 * They live on the timeline as `customer.replied`, `staff.replied`, `staff.noted`; the
 * workflow and the SLA clocks react to those events — except a customer's message on a resolved
 * case that only thanks: on the timeline as theirs, it tells the workflow `customer.thanked`
 * (no reopen, no answer owed). A staff member's note may mention colleagues (`@alice`,
 * src/cases/mentions.ts).
 */
import { z } from 'zod';
import { cleanText } from '../text/control-chars.js';
import { isThanksOnly } from '../text/thanks.js';
import { recordAttachments, type StoredFile } from '../attachments/record.js';
import type { Handle } from '../db/store/index.js';
import { byId, get } from '../db/store/rows.js';
import { DomainError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext, type CaseRow } from '../workflow/context.js';
import { caseRef } from './case-ref.js';
import { recordMentions, type ResolvedMentions } from './mentions.js';

export const messageSchema = z.strictObject({
  body: z.string().overwrite(cleanText).trim().min(1, 'required').max(20_000),
  public: z.boolean().default(true),
});
export type MessageInput = z.input<typeof messageSchema>;

export interface AddMessageOptions {
  /** More data for the timeline entry (e.g. the channel's full original text), beside `body`. */
  data?: Record<string, unknown>;
  /** Files already in the attachment store (`storeFiles`), recorded with the message in its transaction. */
  attachments?: readonly StoredFile[];
  /** Runs inside the transaction before the case is saved (a channel records what it received); `eventId` is the message's timeline entry. */
  within?: (ctx: CaseContext, eventId: number) => void | Promise<void>;
}

/** What a message did beside being recorded: its timeline entry and the colleagues a note mentioned. */
export interface MessageOutcome {
  eventId: number;
  mentions: ResolvedMentions;
  /** A customer's message that only thanked on a resolved case: it left the case resolved (`customer.thanked`). */
  thanked: boolean;
}

export async function addMessage(services: Services, caseId: number, input: MessageInput, actor: Actor, options: AddMessageOptions = {}): Promise<CaseRow> {
  const parsed = messageSchema.parse(input);
  return services.store.write(async (q) => {
    const ctx = await CaseContext.load(q, services, caseId, actor);
    const { eventId } = await recordMessage(ctx, parsed, options.data);
    await finishMessage(ctx, eventId, options);
    await ctx.save();
    return ctx.case;
  });
}

/** Inside a unit of work, after `recordMessage`: the message's files, then the caller's `within`. */
export async function finishMessage(ctx: CaseContext, eventId: number, options: Pick<AddMessageOptions, 'attachments' | 'within'>): Promise<void> {
  if (options.attachments?.length) {
    const { actor } = ctx;
    await recordAttachments(ctx.q, { caseId: ctx.case.id, eventId, by: { type: actor.type, id: actor.id }, at: ctx.now }, options.attachments);
  }
  await options.within?.(ctx, eventId);
}

/** Inside a unit of work: records the message as its author's (the caller saves). */
export async function recordMessage(ctx: CaseContext, message: { body: string; public: boolean }, extra: Record<string, unknown> = {}): Promise<MessageOutcome> {
  const { actor } = ctx;
  const { body, public: isPublic } = message;
  let mentions: ResolvedMentions = { notified: [], cannotSee: [], unknown: [] };
  let eventId: number | null;
  let thanked = false;
  if (actor.type === 'customer') {
    if (!isPublic) throw new DomainError('FORBIDDEN', 'Customers cannot write internal notes.');
    if (ctx.workflow.states[ctx.case.status]?.final) {
      const mergedInto = await ownMerge(ctx);
      if (mergedInto !== null) throw new DomainError('INVALID_TRANSITION', `${ctx.ref} was merged into your request ${caseRef(mergedInto)}; please write there.`, { mergedInto: caseRef(mergedInto) });
      throw new DomainError('INVALID_TRANSITION', `${ctx.ref} is closed; please open a new request.`);
    }
    thanked = await thanksOnResolvedCase(ctx, body);
    if (thanked) {
      // Their message as any other on the timeline, but the workflow hears `customer.thanked`:
      // the default workflow's reopen is `on` customer.replied only, and no reply is owed.
      eventId = await ctx.record('customer.replied', { ...extra, body, thanks: true });
      await ctx.raiseTold('customer.thanked', { ...extra, body, thanks: true });
    } else {
      eventId = await ctx.raise('customer.replied', { ...extra, body });
    }
  } else if (isPublic) {
    eventId = await ctx.raise('staff.replied', { ...extra, body, author: actor.name });
  } else {
    eventId = await ctx.raise('staff.noted', { ...extra, body, author: actor.name });
    // Only staff mention colleagues: a mail filed for review (a system note) never notifies anyone.
    if (actor.type === 'staff') mentions = await recordMentions(ctx, body);
  }
  // A message is added to a case already stored (CaseContext.load): its entry has its id.
  if (eventId === null) throw new Error(`${ctx.ref}: a message is recorded on a stored case`);
  return { eventId, mentions, thanked };
}

/**
 * Whether the customer's message only thanks (src/text/thanks.ts) on a case in a resolved state:
 * then it asks nothing of anyone, and the case stays resolved. Words of the customer's name
 * ("Thanks, Chloe") do not count against it.
 */
async function thanksOnResolvedCase(ctx: CaseContext, body: string): Promise<boolean> {
  if (ctx.workflow.states[ctx.case.status]?.category !== 'resolved') return false;
  const customer = await byId(ctx.q, ctx.q.tables.customers, ctx.case.customerId);
  return isThanksOnly(body, customer?.name ? [customer.name] : []);
}

/** The case this one was merged into, when that is the same customer's (another customer's case is never named to them); else null. */
async function ownMerge(ctx: CaseContext): Promise<number | null> {
  const into = ctx.case.mergedIntoId;
  if (into === null) return null;
  const target = await get<{ customer_id: number }>(ctx.q, 'SELECT customer_id FROM cases WHERE id = ?', [into]);
  return target && Number(target.customer_id) === ctx.case.customerId ? into : null;
}

/** The kind of the case's latest message from staff (replies and notes by a person), or null. */
export async function lastStaffMessage(q: Handle, caseId: number): Promise<'staff.replied' | 'staff.noted' | null> {
  const row = await get<{ type: 'staff.replied' | 'staff.noted' }>(
    q,
    "SELECT type FROM case_events WHERE case_id = ? AND type IN ('staff.replied', 'staff.noted') AND actor_type = 'staff' ORDER BY id DESC LIMIT 1",
    [caseId],
  );
  return row?.type ?? null;
}

/** The types of the timeline entries that are messages. */
export const MESSAGE_EVENTS = ['customer.replied', 'staff.replied', 'staff.noted'] as const;

