import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test/support/harness.js';
import { OFFER_EVENTS } from '../cases/solution-offer.js';
import { changesCustomerView, CUSTOMER_EVENTS, customerLabel, customerTransition } from './customer-visible.js';
import type { WorkflowDefinition } from './definition.js';

const support = JSON.parse(fs.readFileSync(path.join(ROOT, 'workflows/support.json'), 'utf8')) as WorkflowDefinition;

/** The support workflow plus a state customers see as *Solved* too, but closed, and one with no wording of its own. */
const variant: WorkflowDefinition = {
  ...support,
  states: {
    ...support.states,
    archived: { label: 'Archived', customerLabel: 'Solved', category: 'closed', final: true },
    triage: { category: 'open' },
  },
};

describe('what a customer sees change (PURE)', () => {
  it.each([
    // type, data, actor, changes the customer's view
    ['customer.replied', { body: 'Here are the details.' }, 'customer', true],
    ['staff.replied', { body: 'We are on it.' }, 'staff', true],
    ['case.subject_changed', { from: 'Invoice', to: 'Duplicate charge' }, 'staff', true],
    ['case.rated', { satisfied: true, comment: '' }, 'customer', true],
    ['case.solutionOffered', { title: 'Pending charges' }, 'system', true],
    ['case.solutionAccepted', { title: 'Pending charges' }, 'customer', true],
    ['case.solutionDeclined', { title: 'Pending charges' }, 'customer', true],
    ['case.transitioned', { from: 'new', to: 'open' }, 'system', true], // Received → In progress
    ['case.transitioned', { from: 'open', to: 'pending' }, 'staff', true], // → Waiting for your reply
    ['case.transitioned', { from: 'open', to: 'resolved', solution: 'Refunded.' }, 'staff', true],
    ['case.transitioned', { from: 'open', to: 'escalated' }, 'staff', false], // In progress both
    ['case.transitioned', { from: 'open', to: 'escalated', on: 'case.escalated' }, 'system', false],
    ['case.transitioned', { from: 'pending', to: 'pending', solution: 'Try again.' }, 'staff', true],
    ['case.transitioned', { from: 'pending', to: 'pending', solution: 'Try again.' }, 'customer', false], // only staff's solution is the case's
    ['case.created', { channel: 'api' }, 'customer', false], // the request: its time is the case's creation
    ['staff.noted', { body: 'INTERNAL' }, 'staff', false],
    ['case.assigned', { assignee: 'Alice' }, 'system', false],
    ['case.unassigned', {}, 'system', false],
    ['case.escalated', { reason: 'SLA breached' }, 'system', false],
    ['case.edited', { priority: { from: 'normal', to: 'urgent' } }, 'staff', false],
    ['case.routed', { queue: 'billing' }, 'system', false],
    ['sla.warning', {}, 'system', false],
    ['sla.breached', {}, 'system', false],
    ['notification.sent', { to: 'customer' }, 'system', false],
    ['email.sent', {}, 'system', false],
    ['customer.updated', {}, 'staff', false],
  ] as const)('%s %o by %s: %s', (type, data, actor, expected) => {
    expect(changesCustomerView(support, type, data, actor)).toBe(expected);
  });

  it('counts a change of the kind of state under the same wording (their statusCategory and open change), and not the reverse', () => {
    expect(customerTransition(variant, { from: 'resolved', to: 'archived' }, 'staff')).toBeNull();
    expect(changesCustomerView(variant, 'case.transitioned', { from: 'resolved', to: 'archived' }, 'staff')).toBe(true);
    expect(changesCustomerView(variant, 'case.transitioned', { from: 'triage', to: 'open' }, 'staff')).toBe(true); // "triage" → "In progress"
  });

  it('words a state as the customer reads it: customerLabel, else label, else the name', () => {
    expect(customerLabel(support, 'escalated')).toBe('In progress');
    expect(customerLabel(variant, 'triage')).toBe('triage');
    expect(customerLabel({ ...support, states: { ...support.states, held: { label: 'On hold', category: 'open' } } }, 'held')).toBe('On hold');
    expect(customerLabel(support, 'constructor')).toBe('constructor');
  });

  it('shows the timeline’s status changes with staff’s solution only', () => {
    expect(customerTransition(support, { from: 'open', to: 'resolved', solution: 'Refunded.' }, 'staff')).toEqual({ status: 'Solved', solution: 'Refunded.' });
    expect(customerTransition(support, { from: 'open', to: 'resolved', solution: 'Mine.' }, 'customer')).toEqual({ status: 'Solved' });
  });

  it('lists every offer event as the customer’s', () => {
    for (const type of OFFER_EVENTS) expect(CUSTOMER_EVENTS).toContain(type);
  });
});
