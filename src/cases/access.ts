/**
 * Who may see and act on which case: customers their own; agents the cases of their
 * queues (advanced agents work tier-2 queues) and cases assigned to them; managers and
 * admins all. Every page, fragment and API route asks here.
 */
import { DomainError } from '../errors.js';
import type { Principal } from '../http/types.js';
import { isManagerRole } from '../roles.js';
import { caseRef } from './case-ref.js';

export interface CaseScope {
  id: number;
  customerId: number;
  queueId: string;
  assigneeId: number | null;
}

export function canSeeCase(principal: Principal, c: CaseScope): boolean {
  const { actor } = principal;
  if (actor.role === 'customer') return principal.customerId === c.customerId;
  if (isManagerRole(actor.role)) return true;
  if (actor.role === 'agent' || actor.role === 'advanced') {
    return principal.queues.has(c.queueId) || (c.assigneeId !== null && c.assigneeId === principal.staffId);
  }
  return false;
}

/** Throws CASE_NOT_FOUND for cases the principal may not see (their existence is not revealed). */
export function assertCanSee(principal: Principal, c: CaseScope): void {
  if (!canSeeCase(principal, c)) throw new DomainError('CASE_NOT_FOUND', `No case ${caseRef(c.id)}.`, { caseId: caseRef(c.id) });
}
