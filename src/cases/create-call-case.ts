/**
 * A case for a phone call or a visit, filed by staff on the customer's behalf (`/cases/new`)
 * or by the telephony hook: the normal intake (rules route it, SLA clocks start) with the
 * call on the timeline in the same transaction (staff's or an outbound call is the first
 * response: log-call.ts). The customer is an existing one (by id) or a new one (email, name,
 * phone).
 */
import type { Priority } from '../db/schema/index.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import type { CaseContext, CaseRow } from '../workflow/context.js';
import { createCase } from './create-case.js';
import { callSchema, recordCall, type CallInput } from './log-call.js';

export interface CallCaseInput {
  /** An existing customer… */
  customerId?: number;
  /** …or a new one (an existing address is that customer; an empty phone is filled in). */
  customer?: { email: string; name?: string; phone?: string };
  subject: string;
  /** What the call or visit was about: the case's description. */
  notes: string;
  priority?: Priority;
  call: CallInput;
}

export async function createCallCase(services: Services, input: CallCaseInput, actor: Actor, within?: (ctx: CaseContext, eventId: number) => void | Promise<void>): Promise<{ case: CaseRow; eventId: number }> {
  const call = callSchema.parse(input.call);
  let eventId = 0;
  const row = await createCase(
    services,
    {
      subject: input.subject,
      description: input.notes,
      channel: call.channel,
      ...(input.priority ? { priority: input.priority } : {}),
      ...(input.customerId === undefined && input.customer ? { customer: input.customer } : {}),
    },
    actor,
    {
      channel: call.channel,
      ...(input.customerId !== undefined ? { customerId: input.customerId } : {}),
      within: async (ctx) => {
        eventId = await recordCall(ctx, call, { appended: false });
        await within?.(ctx, eventId);
      },
    },
  );
  return { case: row, eventId };
}
