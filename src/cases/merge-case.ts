/**
 * Merging a duplicate: case A (the duplicate) is merged into case B (the one that goes on).
 * docs/ui.md, "Merging duplicate cases", says what the desk sees; in short:
 *
 * - A's request, customer messages, public replies and notes are COPIED onto B's timeline (the
 *   timeline is append-only: A keeps its own history), each with its author and its original
 *   time and `mergedFrom: "C-A"`; the files that came with them are copied too (rows only: the
 *   bytes are stored once, by content). Copies are history, not new messages: no workflow
 *   reaction, no SLA clock, no webhook, no mail.
 * - A is closed in its workflow's closed state (transition `merge`, without the state's own
 *   actions: nothing is mailed) and remembers B (`merged_into_id`); its SLA clocks stand still
 *   as in any closed state. B's clocks are not touched.
 * - The addresses copied on A's mail are copied on B; mail to A's thread goes on in B
 *   (src/channels/email/thread.ts).
 * - Both timelines say so (`case.merged` on A, `case.duplicate_merged` on B) and the audit log
 *   records it. Nothing is sent to the customer: the desk tells them, if it wants, by a reply on B.
 *
 * Refused (MERGE_REFUSED): A into itself, A already merged (elsewhere) or closed, B merged or
 * closed (cannot receive — a merge never chains, so no cycle can form). Cases of two different
 * customers need `confirmDifferentCustomer: true` (MERGE_CONFIRMATION_REQUIRED): the copies are
 * then internal notes only, so neither customer ever sees the other's messages.
 */
import { and, desc, eq, isNull, ne } from 'drizzle-orm';
import { z } from 'zod';
import { auditIn } from '../audit/record-audit.js';
import { addContactsOn } from '../channels/email/mail-log.js';
import type { Handle } from '../db/store/index.js';
import { all, get, insertRows, json } from '../db/store/rows.js';
import { DomainError, ValidationError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext, type CaseRow } from '../workflow/context.js';
import { EVENT_COLUMNS } from '../workflow/unstored-case.js';
import { caseRef, parseCaseRef } from './case-ref.js';
import { assertVersion } from './transition-case.js';

export const mergeSchema = z.strictObject({
  /** The case that goes on: `C-1042` or `1042`. */
  into: z.string().trim().min(1, 'required').max(32),
  /** The agent's explicit choice to merge cases of two different customers. */
  confirmDifferentCustomer: z.boolean().optional(),
  /** Why (internal): shown on both timelines. */
  note: z.string().trim().max(2_000).optional(),
  /** Optimistic concurrency on the duplicate: 409 CONFLICT if it changed since this version. */
  expectedVersion: z.number().int().positive().optional(),
});
export type MergeInput = z.infer<typeof mergeSchema>;

export interface MergeOutcome {
  /** The duplicate, closed and merged. */
  merged: CaseRow;
  /** The case it was merged into. */
  into: CaseRow;
  /** How many timeline entries were copied (the request counts as one). */
  copied: number;
  /** True when the duplicate was already merged into that case (nothing done again). */
  already: boolean;
}

export interface MergeOptions {
  /** Whether the actor may see the target; one they may not is "no such case" (as everywhere). */
  canSee?: (row: CaseRow) => boolean;
}

const COPIED_TYPES = ['case.created', 'customer.replied', 'staff.replied', 'staff.noted'] as const;
const ATTACHMENT_COLUMNS = ['case_id', 'event_id', 'kind', 'file_name', 'media_type', 'size', 'sha256', 'uploaded_by_type', 'uploaded_by_id', 'created_at'] as const;

/** Parses the target's reference; a malformed one is a field error on `into`. */
export function mergeTargetId(into: string): number {
  const id = parseCaseRef(into);
  if (id === null) throw new ValidationError([{ path: 'into', message: 'a case reference such as C-1042' }], `"${into}" is not a case reference such as C-1042.`);
  return id;
}

function refused(message: string, details: Record<string, unknown>): DomainError {
  return new DomainError('MERGE_REFUSED', message, details);
}

function isFinal(ctx: CaseContext): boolean {
  return ctx.workflow.states[ctx.case.status]?.final === true || ctx.workflow.states[ctx.case.status]?.category === 'closed';
}

/** The checks before anything is written; throws what the desk is told. */
async function assertMergeable(a: CaseContext, b: CaseContext, input: MergeInput, options: MergeOptions): Promise<'merge' | 'already'> {
  if (options.canSee && !options.canSee(b.case)) throw new DomainError('CASE_NOT_FOUND', `No case ${b.ref}.`, { caseId: b.ref });
  if (a.case.mergedIntoId === b.case.id) return 'already';
  const details = { caseId: a.ref, into: b.ref };
  if (a.case.mergedIntoId !== null) throw refused(`${a.ref} was already merged into ${caseRef(a.case.mergedIntoId)}.`, { ...details, mergedInto: caseRef(a.case.mergedIntoId) });
  if (b.case.mergedIntoId !== null) {
    throw refused(`${b.ref} was itself merged into ${caseRef(b.case.mergedIntoId)}; merge into that case instead.`, { ...details, mergedInto: caseRef(b.case.mergedIntoId) });
  }
  if (isFinal(a)) throw refused(`${a.ref} is ${a.workflow.states[a.case.status]?.label ?? a.case.status}; only a case still in the workflow can be merged.`, details);
  if (isFinal(b)) throw refused(`${b.ref} is ${b.workflow.states[b.case.status]?.label ?? b.case.status} and cannot receive a merge; choose a case that is not closed.`, details);
  if (!closedStateOf(a)) throw refused(`The workflow of ${a.ref} has no closed state to end it in.`, details);
  assertVersion(a, input.expectedVersion);
  if (a.case.customerId !== b.case.customerId && input.confirmDifferentCustomer !== true) {
    throw new DomainError(
      'MERGE_CONFIRMATION_REQUIRED',
      `${a.ref} and ${b.ref} belong to different customers; confirm to merge anyway (the messages are then copied as internal notes only).`,
      { ...details, missing: ['confirmDifferentCustomer'] },
    );
  }
  return 'merge';
}

function closedStateOf(ctx: CaseContext): string | null {
  const states = Object.entries(ctx.workflow.states);
  return (states.find(([, s]) => s.category === 'closed' && s.final) ?? states.find(([, s]) => s.category === 'closed'))?.[0] ?? null;
}

interface EventRow {
  id: number;
  type: string;
  at: number;
  actor_type: string;
  actor_id: number | null;
  data: unknown;
}

/**
 * Copies A's request and messages onto B, oldest first, with their files; returns how many.
 * Same customer: as they were (the customer sees theirs and the public replies on B). Another
 * customer: every copy an internal note, its author and kind kept in the data.
 */
async function copyMessages(a: CaseContext, b: CaseContext): Promise<number> {
  const q = a.q;
  const sameCustomer = a.case.customerId === b.case.customerId;
  const types = COPIED_TYPES.map((t) => `'${t}'`).join(', ');
  const events = await all<EventRow>(q, `SELECT id, type, at, actor_type, actor_id, data FROM case_events WHERE case_id = ? AND type IN (${types}) ORDER BY id`, [a.case.id]);
  const names = new Map((await all<{ id: number; name: string }>(q, 'SELECT id, name FROM customers WHERE id = ?', [a.case.customerId])).map((r) => [Number(r.id), r.name]));
  const copies: { from: number; values: unknown[] }[] = [];
  for (const e of events) {
    const data = json<Record<string, unknown>>(e.data);
    // Intake records case.created twice (the bare copy is for subscribers); the request is the one with its channel.
    if (e.type === 'case.created' && data.channel === undefined) continue;
    const isRequest = e.type === 'case.created';
    const body = isRequest ? `${a.case.subject}\n\n${a.case.description}` : String(data.body ?? '');
    const kind = isRequest ? 'customer.replied' : e.type;
    const author = typeof data.author === 'string' ? data.author : e.actor_type === 'customer' ? (names.get(Number(e.actor_id)) ?? 'Customer') : undefined;
    const origin = { mergedFrom: a.ref, mergedEntry: Number(e.id), ...(isRequest ? { request: true } : {}) };
    const copied = sameCustomer
      ? { ...(isRequest ? {} : data), body, ...(author && kind !== 'customer.replied' ? { author } : {}), ...origin }
      : { body, ...(author ? { author } : { author: 'Casebook' }), mergedType: kind, ...(typeof data.from === 'string' ? { from: data.from } : {}), ...origin };
    // The request is the customer's, whoever typed it in (an agent logging a call).
    const [actorType, actorId] = isRequest ? ['customer', a.case.customerId] : [e.actor_type, e.actor_id === null ? null : Number(e.actor_id)];
    copies.push({ from: Number(e.id), values: [b.case.id, sameCustomer ? kind : 'staff.noted', Number(e.at), actorType, actorId, JSON.stringify(copied)] });
  }
  if (copies.length === 0) return 0;
  const ids = await insertRows(q, 'case_events', EVENT_COLUMNS, copies.map((c) => c.values));
  const newId = new Map(copies.map((c, i) => [c.from, ids[i]!]));
  const files = await all<Record<(typeof ATTACHMENT_COLUMNS)[number], unknown>>(
    q,
    `SELECT ${ATTACHMENT_COLUMNS.join(', ')} FROM attachments WHERE case_id = ? ORDER BY id`,
    [a.case.id],
  );
  const copiedFiles = files.filter((f) => newId.has(Number(f.event_id))).map((f) => ATTACHMENT_COLUMNS.map((c) => (c === 'case_id' ? b.case.id : c === 'event_id' ? newId.get(Number(f.event_id)) : f[c])));
  if (copiedFiles.length > 0) await insertRows(q, 'attachments', ATTACHMENT_COLUMNS, copiedFiles);
  // The customer sees their messages (and the public replies) on B now: B changed for them.
  if (sameCustomer) b.case.customerUpdatedAt = Math.max(b.case.customerUpdatedAt ?? b.now, b.now);
  return copies.length;
}

export async function mergeCase(services: Services, caseId: number, input: MergeInput, actor: Actor, options: MergeOptions = {}): Promise<MergeOutcome> {
  if (actor.type === 'customer') throw new DomainError('FORBIDDEN', 'Only support staff merge cases.');
  const intoId = mergeTargetId(input.into);
  if (intoId === caseId) throw refused(`A case cannot be merged into itself (${caseRef(caseId)}).`, { caseId: caseRef(caseId), into: caseRef(intoId) });
  return services.store.write(async (q) => {
    // Locked in id order: two merges of the same pair the other way round wait, not deadlock.
    const [first, second] = caseId < intoId ? [caseId, intoId] : [intoId, caseId];
    const one = await CaseContext.load(q, services, first, actor);
    const other = await CaseContext.load(q, services, second, actor);
    const [a, b] = one.case.id === caseId ? [one, other] : [other, one];
    if ((await assertMergeable(a, b, input, options)) === 'already') return { merged: a.case, into: b.case, copied: 0, already: true };

    const copied = await copyMessages(a, b);
    const differentCustomer = a.case.customerId !== b.case.customerId;
    // Those copied on A's mail are copied on B (they may write, and B's replies reach them), up to
    // the contacts' cap; never on another customer's case, whose replies are not theirs to read.
    if (!differentCustomer) {
      const contacts = await all<{ address: string; name: string | null }>(q, 'SELECT address, name FROM case_email_contacts WHERE case_id = ? ORDER BY added_at, address', [a.case.id]);
      await addContactsOn(q, b.case.id, contacts.map((c) => ({ address: c.address, name: c.name ?? '' })), b.now);
    }
    const note = input.note ? { note: input.note } : {};
    a.case.mergedIntoId = b.case.id;
    await a.record('case.merged', { into: b.ref, intoId: b.case.id, messages: copied, ...(differentCustomer ? { differentCustomer: true } : {}), ...note });
    await a.closeOutsideWorkflow(closedStateOf(a)!, 'merge', input.note);
    await b.record('case.duplicate_merged', { from: a.ref, fromId: a.case.id, subject: a.case.subject, messages: copied, ...(differentCustomer ? { differentCustomer: true } : {}), ...note });
    await auditIn(q, services.clock, actor, 'case', a.ref, 'merged', { status: a.case.previousStatus, open: true }, { status: a.case.status, mergedInto: b.ref, messages: copied, ...(differentCustomer ? { differentCustomer: true } : {}) });
    await a.save();
    await b.save();
    return { merged: a.case, into: b.case, copied, already: false };
  });
}

/** What a merge would do, for the page that asks to confirm it (nothing written). */
export interface MergePreview {
  merged: CaseRow;
  into: CaseRow;
  /** The cases are of different customers: the agent must confirm, and the copies are internal notes. */
  differentCustomer: boolean;
  /** How many timeline entries would be copied (the request counts as one). */
  entries: number;
  /** Already merged into that case: nothing would happen. */
  already: boolean;
}

/** The checks of `mergeCase` without the merge: throws what the merge would be refused with (but for the confirmation across customers). */
export async function previewMerge(services: Services, caseId: number, into: string, actor: Actor, options: MergeOptions = {}): Promise<MergePreview> {
  const intoId = mergeTargetId(into);
  if (intoId === caseId) throw refused(`A case cannot be merged into itself (${caseRef(caseId)}).`, { caseId: caseRef(caseId), into: caseRef(intoId) });
  return services.store.query(async (q) => {
    const a = new CaseContext(q, services, await CaseContext.row(q, caseId), actor);
    const b = new CaseContext(q, services, await CaseContext.row(q, intoId), actor);
    const already = (await assertMergeable(a, b, { into, confirmDifferentCustomer: true }, options)) === 'already';
    const types = COPIED_TYPES.filter((t) => t !== 'case.created').map((t) => `'${t}'`).join(', ');
    const counted = await get<{ n: number }>(q, `SELECT count(*) AS n FROM case_events WHERE case_id = ? AND type IN (${types})`, [caseId]);
    return { merged: a.case, into: b.case, differentCustomer: a.case.customerId !== b.case.customerId, entries: Number(counted?.n ?? 0) + 1, already };
  });
}

/** The same customer's other open cases that could receive `row` (newest first, at most 20): the page offers them. */
export async function mergeCandidates(q: Handle, row: CaseRow): Promise<CaseRow[]> {
  const { cases } = q.tables;
  return q.db
    .select()
    .from(cases)
    .where(and(eq(cases.customerId, row.customerId), eq(cases.open, true), ne(cases.id, row.id), isNull(cases.mergedIntoId)))
    .orderBy(desc(cases.id))
    .limit(20);
}
