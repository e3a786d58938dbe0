/**
 * A phone call (or a visit) on a case's timeline: `call.logged` with how long it took and,
 * from a telephony provider, a recording or transcript link. Staff only: the customer's
 * projection never lists it (customer-view.ts). Logged with a new case (`/cases/new`, the
 * telephony hook) or appended to a case (the hook: the caller's open phone case; staff: *Log a
 * call* on the case page and `POST /api/v1/cases/:id/calls`); what it means for
 * the case's state and SLA clocks: `recordCall`.
 */
import { z } from 'zod';
import { DomainError } from '../errors.js';
import { callAnswers } from './call-answers.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext, type CaseRow } from '../workflow/context.js';

export const CALL_CHANNELS = ['phone', 'walk-in'] as const;
export type CallChannel = (typeof CALL_CHANNELS)[number];

const link = z
  .url({ protocol: /^https?$/, error: 'an http(s) link' })
  .max(2_000);

export const callSchema = z.strictObject({
  channel: z.enum(CALL_CHANNELS).default('phone'),
  /** Seconds; 0 when unknown. */
  durationSeconds: z.number().int().min(0).max(24 * 3600),
  direction: z.enum(['inbound', 'outbound']).optional(),
  /** The caller's number (E.164) as the provider gave it. */
  from: z.string().max(40).optional(),
  notes: z.string().trim().max(20_000).optional(),
  recordingUrl: link.optional(),
  transcriptUrl: link.optional(),
  /** The provider and its call id (the telephony hook). */
  provider: z.string().max(60).optional(),
  callId: z.string().max(200).optional(),
});
export type CallInput = z.input<typeof callSchema>;

/** A call staff log on an existing case (`POST /api/v1/cases/:id/calls`): who called, how, how long, what was said. */
export const staffCallSchema = z.strictObject({
  direction: z.enum(['inbound', 'outbound']).default('inbound').meta({ description: '`inbound`: the customer called (or came in); `outbound`: staff called them.' }),
  channel: z.enum(CALL_CHANNELS).default('phone'),
  durationSeconds: z.number().int().min(0).max(24 * 3600).default(0).meta({ description: 'Seconds; 0 when unknown.' }),
  notes: z.string().trim().min(1, 'required').max(20_000).meta({ description: 'What was said (staff only).' }),
});
export type StaffCallInput = z.input<typeof staffCallSchema>;
export type Call = z.output<typeof callSchema>;

/**
 * Inside a unit of work, on a stored case (intake's `within` runs after the case is stored): the
 * call on the timeline; returns its entry's id. What the call means for the case goes the ways a
 * message's does (docs/sla.md, *Calls*):
 * - an inbound call `appended` to a case the customer already has (the telephony hook, or staff
 *   with *Log a call*) is the customer getting in touch: the entry tells `customer.replied` (no
 *   message is recorded), so the workflow (e.g. *Customer replied* out of pending), its rules and
 *   the SLA clocks react as to a reply;
 * - a call in which staff spoke with the customer — logged by staff, or outbound (staff called
 *   them) — answers the case: `call.logged` reaches its subscribers with `answers: true`, after
 *   the customer's side, and fulfils the response clocks as a public staff reply does
 *   (src/sla/subscribers.ts, src/workflow/builtin-subscribers.ts) without moving the case
 *   (a staff-logged inbound call is their contact and its answer at once). A provider's inbound
 *   call cannot say whether an agent took it: it answers nothing.
 */
export async function recordCall(ctx: CaseContext, call: Call, options: { appended: boolean }): Promise<number> {
  const data: Record<string, unknown> = { channel: call.channel, durationSeconds: call.durationSeconds };
  for (const key of ['direction', 'from', 'notes', 'recordingUrl', 'transcriptUrl', 'provider', 'callId'] as const) {
    if (call[key] !== undefined && call[key] !== '') data[key] = call[key];
  }
  if (ctx.actor.type === 'staff') data.author = ctx.actor.name;
  const outbound = call.direction === 'outbound';
  const answers = callAnswers(ctx.actor.type, call.direction);
  const id = await ctx.record('call.logged', data);
  // Recorded on a stored case (CaseContext.load, or intake's `within` after the case is stored): the entry has its id.
  if (id === null) throw new Error(`${ctx.ref}: a call is recorded on a stored case`);
  // The customer got in touch first (their side starts nextResponse), then the answer, if staff spoke with them, fulfils it.
  if (options.appended && !outbound) await ctx.raiseTold('customer.replied', { via: 'call', call: id });
  await ctx.raiseTold('call.logged', answers ? { ...data, answers: true } : data);
  return id;
}

/**
 * Appends a call to an existing case (its own transaction): the telephony hook, and staff's
 * *Log a call* (`/cases/:id/calls`, `POST /api/v1/cases/:id/calls`). A closed case takes no call,
 * as it takes no customer reply: a new case does. `within` runs before the save with the entry's id.
 */
export async function logCall(services: Services, caseId: number, input: CallInput, actor: Actor, within?: (ctx: CaseContext, eventId: number) => void | Promise<void>): Promise<CaseRow> {
  const call = callSchema.parse(input);
  return services.store.write(async (q) => {
    const ctx = await CaseContext.load(q, services, caseId, actor);
    if (ctx.workflow.states[ctx.case.status]?.final) {
      throw new DomainError('INVALID_TRANSITION', `${ctx.ref} is closed: log the call as a new case.`);
    }
    const eventId = await recordCall(ctx, call, { appended: true });
    await within?.(ctx, eventId);
    await ctx.save();
    return ctx.case;
  });
}

/** "12m 05s", "45s", "1h 02m". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}
