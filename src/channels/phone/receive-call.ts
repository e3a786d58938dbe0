/**
 * The telephony hook's pipeline (`POST /api/v1/channels/phone/calls`): a call ended at the
 * provider → the caller matched by phone number (an unknown number becomes a new customer
 * with that number) → appended to the caller's newest open phone case, or a new case
 * through the normal intake. Exactly once per provider call id: `phone_calls` records the
 * call in the same transaction as its timeline entry, and a redelivery answers what the
 * first delivery did.
 */
import { and, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { createCallCase } from '../../cases/create-call-case.js';
import { formatDuration, logCall, type CallInput } from '../../cases/log-call.js';
import { isUniqueViolation, type Handle } from '../../db/store/index.js';
import { issueMessage } from '../../definitions/problems.js';
import { ValidationError } from '../../errors.js';
import type { Actor } from '../../roles.js';
import type { Services } from '../../services.js';
import { normalizePhone, PHONE_HINT, callerOnlyEmail, isWithheldNumber, withheldCallerEmail } from '../../text/phone.js';
import type { CaseContext } from '../../workflow/context.js';

/** What providers send when a call ends (more fields are ignored). */
export const callWebhookSchema = z.object({
  callId: z.string().trim().min(1).max(200),
  provider: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9_.-]{0,59}$/i, 'letters, digits, ".", "_" and "-"')
    .default('default'),
  direction: z.enum(['inbound', 'outbound']).default('inbound'),
  /** The caller (inbound) — or for an outbound call, `to` is the customer. */
  from: z.string().trim().max(40),
  to: z.string().trim().max(40).optional(),
  callerName: z.string().trim().min(1).max(200).optional(),
  durationSeconds: z.number().int().min(0).max(24 * 3600),
  recordingUrl: z.url({ protocol: /^https?$/ }).max(2_000).optional(),
  transcriptUrl: z.url({ protocol: /^https?$/ }).max(2_000).optional(),
  /** A summary or the transcript's text, if the provider sends one: the new case's description. */
  summary: z.string().trim().max(20_000).optional(),
});
export type CallWebhook = z.input<typeof callWebhookSchema>;

export interface CallResult {
  result: 'created' | 'appended';
  caseId: number;
  customerId: number;
  eventId: number;
  /** True when this call id was seen before: nothing was changed now. */
  replayed: boolean;
}

/** The phone channel acts as itself on timelines ("Phone"). */
export const PHONE_ACTOR: Actor = { type: 'system', id: null, role: 'system', name: 'Phone' };

async function known(services: Services, provider: string, callId: string): Promise<CallResult | null> {
  const [row] = await services.store.query((q) => {
    const t = q.tables.phoneCalls;
    return q.db.select().from(t).where(and(eq(t.provider, provider), eq(t.callId, callId))).limit(1);
  });
  return row ? { result: row.result, caseId: row.caseId, customerId: row.customerId, eventId: row.eventId, replayed: true } : null;
}

/**
 * The caller by phone number (the newest customer with it), and the case their call goes on: their
 * newest open phone case; else, when their newest phone case was merged into another open case
 * of theirs (docs/ui.md *Merging duplicate cases*), that case — the conversation goes on there, as
 * mail to the merged case's thread does (src/channels/email/thread.ts), rather than in a new
 * duplicate of what staff just merged.
 */
async function caller(q: Handle, number: string): Promise<{ customer: { id: number; name: string } | undefined; open: number | undefined }> {
  const { customers, cases } = q.tables;
  const [customer] = await q.db.select({ id: customers.id, name: customers.name }).from(customers).where(eq(customers.phone, number)).orderBy(desc(customers.id)).limit(1);
  if (!customer) return { customer, open: undefined };
  const [open] = await q.db
    .select({ id: cases.id })
    .from(cases)
    .where(and(eq(cases.customerId, customer.id), eq(cases.open, true), eq(cases.channel, 'phone')))
    .orderBy(desc(cases.id))
    .limit(1);
  if (open) return { customer, open: open.id };
  const [newest] = await q.db
    .select({ mergedInto: cases.mergedIntoId })
    .from(cases)
    .where(and(eq(cases.customerId, customer.id), eq(cases.channel, 'phone')))
    .orderBy(desc(cases.id))
    .limit(1);
  if (newest?.mergedInto == null) return { customer, open: undefined };
  // A merge never chains; the case it went into takes the call while it is open and the caller's (a merge across customers is not theirs).
  const [kept] = await q.db
    .select({ id: cases.id })
    .from(cases)
    .where(and(eq(cases.id, newest.mergedInto), eq(cases.customerId, customer.id), eq(cases.open, true)))
    .limit(1);
  return { customer, open: kept?.id };
}

type ParsedCall = z.output<typeof callWebhookSchema>;

/** The call's timeline entry from the hook: `from` is the customer's number, or "withheld". */
function callOf(hook: ParsedCall, from: string): CallInput {
  return {
    channel: 'phone',
    durationSeconds: hook.durationSeconds,
    direction: hook.direction,
    from,
    provider: hook.provider,
    callId: hook.callId,
    ...(hook.recordingUrl ? { recordingUrl: hook.recordingUrl } : {}),
    ...(hook.transcriptUrl ? { transcriptUrl: hook.transcriptUrl } : {}),
    ...(hook.summary ? { notes: hook.summary } : {}),
  };
}

/** Records the provider's call id with the case and entry it became (exactly once per call). */
function rememberCall(hook: ParsedCall) {
  return (result: 'created' | 'appended') => async (ctx: CaseContext, eventId: number) => {
    await ctx.q.db
      .insert(ctx.q.tables.phoneCalls)
      .values({ provider: hook.provider, callId: hook.callId, caseId: ctx.case.id, customerId: ctx.case.customerId, eventId, result, receivedAt: ctx.now });
  };
}

/** The call id stored first by a delivery of the same call at the same time, or the error. */
async function storedFirst(services: Services, hook: ParsedCall, error: unknown): Promise<CallResult> {
  if (isUniqueViolation(error)) {
    const first = await known(services, hook.provider, hook.callId);
    if (first) return first;
  }
  throw error;
}

/**
 * An inbound call whose number was withheld: a new case each time, for a caller of that call
 * alone (callers without a number cannot be told apart, so none is appended to another's case),
 * named by the name the provider gives, else "Withheld number". Staff see who it was from the
 * call and the notes; the case is never mailed (the address is not one).
 */
async function withheldCall(services: Services, hook: ParsedCall): Promise<CallResult> {
  const name = hook.callerName ?? 'Withheld number';
  const call = callOf(hook, 'withheld');
  try {
    const created = await createCallCase(
      services,
      {
        customer: { email: withheldCallerEmail(hook.provider, hook.callId), name },
        subject: `Phone call from ${hook.callerName ?? 'a withheld number'}`,
        notes: hook.summary ?? `Phone call from a withheld number, ${formatDuration(hook.durationSeconds)}.`,
        call,
      },
      PHONE_ACTOR,
      rememberCall(hook)('created'),
    );
    return { result: 'created', caseId: created.case.id, customerId: created.case.customerId, eventId: created.eventId, replayed: false };
  } catch (error) {
    return storedFirst(services, hook, error);
  }
}

export async function receiveCall(services: Services, payload: unknown): Promise<CallResult> {
  const parsed = callWebhookSchema.safeParse(payload);
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: issueMessage(i, payload) })));
  const hook = parsed.data;
  const seen = await known(services, hook.provider, hook.callId);
  if (seen) return seen;
  const raw = hook.direction === 'outbound' ? hook.to : hook.from;
  if (hook.direction === 'inbound' && isWithheldNumber(raw)) return withheldCall(services, hook);
  const number = normalizePhone(raw);
  if (!number) throw new ValidationError([{ path: hook.direction === 'outbound' ? 'to' : 'from', message: `the customer's number ${PHONE_HINT}, or "anonymous" for a withheld one` }]);

  const call = callOf(hook, number);
  const remember = rememberCall(hook);

  try {
    const { customer, open } = await services.store.query((q) => caller(q, number));
    if (open !== undefined) {
      let eventId = 0;
      const row = await logCall(services, open, call, PHONE_ACTOR, async (ctx, id) => {
        eventId = id;
        await remember('appended')(ctx, id);
      });
      return { result: 'appended', caseId: row.id, customerId: row.customerId, eventId, replayed: false };
    }
    const label = hook.direction === 'outbound' ? 'Phone call to' : 'Phone call from';
    const created = await createCallCase(
      services,
      {
        ...(customer ? { customerId: customer.id } : { customer: { email: callerOnlyEmail(number), name: hook.callerName ?? `Caller ${number}`, phone: number } }),
        subject: `${label} ${customer?.name ?? hook.callerName ?? number}`,
        notes: hook.summary ?? `${label} ${number}, ${formatDuration(hook.durationSeconds)}.`,
        call,
      },
      PHONE_ACTOR,
      remember('created'),
    );
    return { result: 'created', caseId: created.case.id, customerId: created.case.customerId, eventId: created.eventId, replayed: false };
  } catch (error) {
    // The same call delivered twice at once: the other delivery stored it first.
    return storedFirst(services, hook, error);
  }
}
