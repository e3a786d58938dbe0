/**
 * The answer to an intake, from what its unit of work holds: the customer it stored, the
 * assignee of its own `case.assigned` entry, the SLA timers it is about to insert and the
 * customer's CRM record (read inside the transaction). The API's answer then builds the
 * committed case's view without reading it back (case-view.ts, `KnownViewParts`).
 */
import { crmRecordOn, type CrmFact } from '../crm/records.js';
import { unstoredTimerRows } from '../sla/timer-rows.js';
import type { CaseContext } from '../workflow/context.js';
import type { KnownViewParts } from './case-view.js';
import type { CustomerRow } from './customers.js';

/**
 * Call before `ctx.save()` of a new case (not stored yet); call what it returns after the save
 * succeeded, in the same transaction: the parts, or null when the case was stored early (or
 * its assignee changed since its `case.assigned` entry).
 * `crm`: the customer's record as this transaction read it already (else it is read).
 */
export async function captureIntakeView(ctx: CaseContext, customer: CustomerRow, crm?: CrmFact | null): Promise<() => Promise<KnownViewParts | null>> {
  const timers = unstoredTimerRows(ctx);
  const assigned = ctx.case.assigneeId === null ? undefined : (await ctx.timelineOf(['case.assigned'])).at(-1)?.data;
  return async () => {
    if (!timers || (assigned !== undefined && assigned.assigneeId !== ctx.case.assigneeId)) return null;
    const assignee = assigned === undefined ? null : { id: ctx.case.assigneeId!, name: String(assigned.assignee) };
    return { customer, assignee, timers, crm: crm !== undefined ? crm : await crmRecordOn(ctx.q, customer.email) };
  };
}
