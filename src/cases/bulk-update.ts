/**
 * Bulk actions from the inbox: one change — assign, a workflow transition, a tag, a macro —
 * to many cases, each case in its own transaction through the same verbs as one case at a
 * time. A case that cannot take the change (not allowed in its state, the agent does not
 * work its queue, someone changed it meanwhile…) is reported with why; the others go ahead.
 * A macro's public reply that would be mailed to an address a chat visitor only typed is held
 * back (reported, and listed in `held`) unless the agent confirmed it, as on the case page.
 * At most BULK_MAX cases per request.
 */
import { eq } from 'drizzle-orm';
import { DomainError, ValidationError } from '../errors.js';
import type { Principal } from '../http/types.js';
import { applyMacro } from '../macros/apply-macro.js';
import { changeTags } from './case-changes.js';
import { findMacroIn, type MacroRow } from '../macros/macro-store.js';
import type { Services } from '../services.js';
import type { TransitionFields } from '../workflow/context.js';
import { CaseContext } from '../workflow/context.js';
import { canSeeCase } from './access.js';
import { caseRef, parseCaseRef } from './case-ref.js';
import { findCase, loadCase, unverifiedMailAddress } from './case-read.js';
import { reassignCase } from './reassign-case.js';
import type { ListedCase } from './bulk-listed.js';
import { transitionCase } from './transition-case.js';
import { answersOrCloses, customerMessagesSince } from './stale-view.js';
import { clipText } from '../text/clip-text.js';

export const BULK_MAX = 200;

export type BulkAction =
  | { type: 'assign'; assignee: number | 'me' | null }
  | { type: 'transition'; transition: string; text?: string | undefined }
  | { type: 'tag'; tag: string }
  /** `confirmedUnverified`: the agent agreed to mail the macro's reply to addresses chat visitors only typed. */
  | { type: 'macro'; macroId: number; confirmedUnverified?: boolean };

export interface BulkSummary {
  changed: string[];
  /** Already as asked (assigned to that agent, tagged). */
  unchanged: string[];
  failed: { ref: string; message: string }[];
  /**
   * Of `failed`, the cases a macro's public reply was held back from: it would be mailed to an
   * address their chat visitor only typed. Applying the macro to them again, confirmed, sends it.
   */
  held?: { macroId: number; macro: string; refs: string[] };
}

/** The selection, checked: case references, each once, at most BULK_MAX. */
export function bulkSelection(raw: readonly string[]): string[] {
  // Each case once, however its reference is written (`C-1017`, `c-1017`, `1017`): a macro applied twice mails its reply twice.
  const refs = [
    ...new Set(
      raw
        .map((r) => r.trim())
        .filter((r) => r !== '')
        .map((r) => {
          const id = parseCaseRef(r);
          return id === null ? r : caseRef(id);
        }),
    ),
  ];
  if (refs.length === 0) throw new ValidationError([{ path: 'cases', message: 'Select at least one case.' }], 'Select at least one case.');
  if (refs.length > BULK_MAX) {
    throw new ValidationError([{ path: 'cases', message: `At most ${BULK_MAX} cases at once; ${refs.length} were selected.` }], `At most ${BULK_MAX} cases at once; ${refs.length} were selected.`);
  }
  return refs;
}

/** What the transition asks for, from the one text the bulk form has (a solution, a reason, or a note). */
async function transitionFields(services: Services, caseId: number, name: string, text: string | undefined): Promise<TransitionFields> {
  if (!text) return {};
  const row = await loadCase(services, caseId);
  const t = services.definitions.workflow(row.workflow, row.workflowVersion).definition.transitions[name];
  const requires = t?.requires ?? [];
  if (requires.length > 0) return Object.fromEntries(requires.map((f) => [f, text]));
  return t?.allows?.includes('note') ? { note: text } : {};
}

/** Adds a tag in its own transaction; false when the case has it already. */
async function tagCase(services: Services, caseId: number, tag: string, principal: Principal): Promise<boolean> {
  return services.store.write(async (q) => {
    const ctx = await CaseContext.load(q, services, caseId, principal.actor);
    if (ctx.case.tags.includes(tag)) return false;
    await changeTags(ctx, [tag], []);
    await ctx.save();
    return true;
  });
}

/**
 * The case as it is now, if it is still as the list showed it; otherwise a refusal saying
 * what changed. Its version then guards the change itself (a change in between is a conflict).
 */
async function asListed(services: Services, caseId: number, listed: ListedCase | undefined): Promise<number | undefined> {
  if (!listed) return undefined;
  return services.store.query(async (q) => {
    const row = await findCase(q, caseId);
    const changed: string[] = [];
    if (row.assigneeId !== listed.assigneeId) {
      const { staff } = q.tables;
      const [who] = row.assigneeId === null ? [] : await q.db.select({ name: staff.name }).from(staff).where(eq(staff.id, row.assigneeId));
      changed.push(row.assigneeId === null ? 'now unassigned' : `now assigned to ${who?.name ?? 'someone else'}`);
    }
    if (row.status !== listed.status) {
      const state = services.definitions.workflow(row.workflow, row.workflowVersion).definition.states;
      changed.push(`now ${Object.hasOwn(state, row.status) ? (state[row.status]?.label ?? row.status) : row.status}`);
    }
    if (row.queueId !== listed.queueId) {
      const { queues } = q.tables;
      const [queue] = await q.db.select({ name: queues.name }).from(queues).where(eq(queues.id, row.queueId));
      changed.push(`now in ${queue?.name ?? row.queueId}`);
    }
    if (changed.length > 0) throw new DomainError('CONFLICT', `changed since the list was shown (${changed.join(', ')}); nothing done: look at it again`);
    return row.version;
  });
}

/**
 * A customer message the list did not show (written after its `seen`) holds back what answers
 * them or closes the loop — a status that does (answersOrCloses), a macro's reply or transition
 * — as on the case page: the agent decided from a list that did not say the customer wrote again.
 */
async function assertNoUnseenCustomerMessage(services: Services, caseId: number, listed: ListedCase | undefined): Promise<void> {
  if (listed?.seen === undefined) return;
  const seen = listed.seen;
  const [message] = await services.store.query((q) => customerMessagesSince(q, caseId, seen, 1));
  if (!message) return;
  const body = message.body.replace(/\s+/g, ' ').trim();
  const quote = body === '' ? '' : `: “${clipText(body, 80)}${body.length > 80 ? '…' : ''}”`;
  throw new DomainError('CONFLICT', `${message.name} (the customer) wrote since the list was shown${quote}; nothing done: look at it again`);
}

/** The case is in the state `transition` leads to, and the transition does not start there (a loop back to it is a change). */
async function alreadyThere(services: Services, caseId: number, transition: string): Promise<boolean> {
  const row = await loadCase(services, caseId);
  const transitions = services.definitions.workflow(row.workflow, row.workflowVersion).definition.transitions;
  const t = Object.hasOwn(transitions, transition) ? transitions[transition] : undefined;
  return t !== undefined && t.to === row.status && !t.from.includes(row.status);
}

/** Performs the action on one case; false when nothing needed to change. */
async function perform(services: Services, principal: Principal, caseId: number, action: BulkAction, listed: ListedCase | undefined, macro: MacroRow | null): Promise<boolean> {
  switch (action.type) {
    case 'assign': {
      const assignee = action.assignee === 'me' ? principal.staffId : action.assignee;
      if (action.assignee === 'me' && assignee === null) throw new DomainError('STAFF_NOT_FOUND', 'This account has no staff record to assign to.');
      if (assignee !== null && (await loadCase(services, caseId)).assigneeId === assignee) return false;
      const expectedVersion = await asListed(services, caseId, listed);
      await reassignCase(services, caseId, { assignee, ...(expectedVersion ? { expectedVersion } : {}) }, principal.actor);
      return true;
    }
    case 'transition': {
      // Already in the state the transition leads to (a colleague set it, or it was ticked twice over pages): nothing to do.
      if (await alreadyThere(services, caseId, action.transition)) return false;
      const expectedVersion = await asListed(services, caseId, listed);
      const row = await loadCase(services, caseId);
      const workflow = services.definitions.workflow(row.workflow, row.workflowVersion).definition;
      const t = Object.hasOwn(workflow.transitions, action.transition) ? workflow.transitions[action.transition] : undefined;
      if (t && answersOrCloses(workflow, t)) await assertNoUnseenCustomerMessage(services, caseId, listed);
      const fields = await transitionFields(services, caseId, action.transition, action.text);
      await transitionCase(services, caseId, { transition: action.transition, ...fields, ...(expectedVersion ? { expectedVersion } : {}) }, principal.actor);
      return true;
    }
    case 'tag':
      // Adding a tag takes nothing from anyone: it goes ahead whatever changed.
      return tagCase(services, caseId, action.tag, principal);
    case 'macro': {
      const expectedVersion = await asListed(services, caseId, listed);
      if (macro !== null && (macro.body.trim() !== '' || macro.actions.transition !== undefined)) await assertNoUnseenCustomerMessage(services, caseId, listed);
      await applyMacro(services, caseId, action.macroId, expectedVersion ? { expectedVersion } : {}, principal.actor);
      return true;
    }
  }
}

/**
 * `listed`: what the list showed of the ticked cases (parseListed); a case not in it (a form
 * without the field, the held cases of a macro being confirmed) is not compared.
 */
export async function bulkUpdate(services: Services, principal: Principal, rawRefs: readonly string[], action: BulkAction, listed: ReadonlyMap<number, ListedCase> = new Map()): Promise<BulkSummary> {
  const refs = bulkSelection(rawRefs);
  // A macro the viewer cannot use fails the whole request, not every case.
  const macro = action.type === 'macro' ? await services.store.query((q) => findMacroIn(q, action.macroId, principal.actor)) : null;
  // Its public reply is held back from cases where it would be mailed to an address a chat visitor only typed, unless confirmed.
  const askFirst = macro !== null && action.type === 'macro' && action.confirmedUnverified !== true && macro.body.trim() !== '';
  const summary: BulkSummary = { changed: [], unchanged: [], failed: [] };
  for (const raw of refs) {
    const id = parseCaseRef(raw);
    const ref = id === null ? raw.slice(0, 20) : caseRef(id);
    try {
      if (id === null) throw new DomainError('CASE_NOT_FOUND', 'not found');
      const mailTo = await services.store.query(async (q) => {
        if (!canSeeCase(principal, await findCase(q, id))) throw new DomainError('CASE_NOT_FOUND', 'not found');
        return askFirst ? unverifiedMailAddress(q, id) : null;
      });
      if (mailTo && macro) {
        summary.failed.push({ ref, message: `not sent: the reply would be e-mailed to ${mailTo}, an address the chat visitor typed and did not verify` });
        summary.held ??= { macroId: macro.id, macro: macro.name, refs: [] };
        summary.held.refs.push(ref);
        continue;
      }
      if (await perform(services, principal, id, action, listed.get(id), macro)) {
        summary.changed.push(ref);
        await services.outbox.settle(id);
      } else {
        summary.unchanged.push(ref);
      }
    } catch (error) {
      if (error instanceof DomainError) {
        summary.failed.push({ ref, message: error.code === 'CASE_NOT_FOUND' ? 'not found' : error.message });
      } else {
        services.logger.error('bulk action failed on a case', { case: ref, action: action.type, error });
        summary.failed.push({ ref, message: 'failed unexpectedly (the server log has the details)' });
      }
    }
  }
  if (summary.changed.length > 0) services.outbox.kick();
  return summary;
}
