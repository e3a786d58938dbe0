import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test/support/harness.js';
import type { WorkflowDefinition } from './definition.js';
import { availableTransitions, durationMs, transition, type TransitionOutcome } from './transition.js';

const support = JSON.parse(fs.readFileSync(path.join(ROOT, 'workflows/support.json'), 'utf8')) as WorkflowDefinition;
const at = (status: string, previousStatus: string | null = null) => ({ status, previousStatus });

describe('transition (pure)', () => {
  it.each([
    // state, transition, role, fields, expected next state
    ['open', 'waitOnCustomer', 'agent', {}, 'pending'],
    ['pending', 'resume', 'agent', {}, 'open'],
    ['open', 'resolve', 'agent', { solution: 'Restarted the sync.' }, 'resolved'],
    ['escalated', 'resolve', 'advanced', { solution: 'Patched.' }, 'resolved'],
    ['open', 'markSolved', 'customer', {}, 'resolved'],
    ['resolved', 'reopen', 'customer', {}, 'open'],
    ['resolved', 'close', 'manager', {}, 'closed'],
    ['open', 'escalate', 'agent', { reason: 'Needs a database fix' }, 'escalated'],
  ] as const)('%s --%s (%s, %o)--> %s', (state, name, role, fields, expected) => {
    const outcome = transition(support, at(state, 'open'), { kind: 'command', transition: name, role, fields });
    expect(outcome).toMatchObject({ ok: true, transition: name, from: state, to: expected });
  });

  it('returns to the previous state with @previous', () => {
    expect(transition(support, at('pending', 'escalated'), { kind: 'command', transition: 'resume', role: 'agent' })).toMatchObject({ ok: true, to: 'escalated' });
    expect(transition(support, at('pending', 'open'), { kind: 'event', type: 'customer.replied' })).toMatchObject({ ok: true, transition: 'customerReplied', to: 'open' });
  });

  it.each([
    ['closed', 'reopen', 'customer', 'INVALID_TRANSITION'],
    ['open', 'close', 'agent', 'INVALID_TRANSITION'],
    ['open', 'resolve', 'customer', 'INVALID_TRANSITION'],
    ['open', 'autoClose', 'admin', 'INVALID_TRANSITION'],
    ['open', 'noSuchTransition', 'admin', 'INVALID_TRANSITION'],
    ['escalated', 'escalate', 'agent', 'INVALID_TRANSITION'],
  ] as const)('refuses %s --%s (%s)', (state, name, role, code) => {
    expect(transition(support, at(state), { kind: 'command', transition: name, role })).toMatchObject({ ok: false, code });
  });

  it('does not name internal states to customers', () => {
    expect(transition(support, at('escalated'), { kind: 'command', transition: 'reopen', role: 'customer' })).toEqual({ ok: false, code: 'INVALID_TRANSITION', message: '"Reopen" is not possible now.' });
    expect(transition(support, at('escalated'), { kind: 'command', transition: 'close', role: 'agent' })).toMatchObject({ message: '"Close" is not possible while the case is Escalated.' });
  });

  it('names the missing fields', () => {
    expect(transition(support, at('open'), { kind: 'command', transition: 'resolve', role: 'agent', fields: { solution: '   ' } })).toEqual({
      ok: false,
      code: 'TRANSITION_REQUIREMENT_MISSING',
      message: '"Resolve" requires a solution.',
      missing: ['solution'],
    });
  });

  it('names transitions and states by their labels in refusals, never by internal names', () => {
    expect(transition(support, at('pending'), { kind: 'command', transition: 'waitOnCustomer', role: 'agent' })).toMatchObject({
      ok: false,
      code: 'INVALID_TRANSITION',
      message: '"Wait on customer" is not possible while the case is Pending customer.',
    });
    expect(transition(support, at('open'), { kind: 'command', transition: 'markSolved', role: 'agent' })).toMatchObject({ message: 'The role agent may not use "Mark as solved".' });
  });

  it('tells a customer nothing of the transitions not open to customers: not their label, not whether they exist', () => {
    for (const [state, name] of [['open', 'escalate'], ['escalated', 'escalate'], ['open', 'resolve'], ['open', 'noSuchTransition'], ['open', 'autoClose']] as const) {
      expect(transition(support, at(state), { kind: 'command', transition: name, role: 'customer' })).toEqual({ ok: false, code: 'INVALID_TRANSITION', message: `"${name}" is not something you can do on this request.` });
    }
  });

  it('refuses fields a transition neither requires nor allows, and a solution from a customer', () => {
    const command = (state: string, name: string, role: 'agent' | 'customer', fields: Record<string, string>) =>
      transition(support, at(state, 'open'), { kind: 'command', transition: name, role, fields });
    expect(command('open', 'markSolved', 'customer', { solution: 'I fixed it myself' })).toEqual({
      ok: false,
      code: 'TRANSITION_FIELD_NOT_ALLOWED',
      message: 'Only support staff record the solution; "markSolved" does not take solution from a customer.',
      refused: ['solution'],
    });
    expect(command('open', 'markSolved', 'customer', { note: 'n', reason: 'r' })).toMatchObject({ ok: false, code: 'TRANSITION_FIELD_NOT_ALLOWED', refused: ['note', 'reason'] });
    expect(command('resolved', 'reopen', 'customer', { reason: 'still broken' })).toMatchObject({ ok: false, refused: ['reason'] });
    expect(command('open', 'waitOnCustomer', 'agent', { solution: 'x' })).toMatchObject({ ok: false, code: 'TRANSITION_FIELD_NOT_ALLOWED', refused: ['solution'] });
    expect(command('open', 'escalate', 'agent', { reason: 'r', solution: 's' })).toMatchObject({ ok: false, refused: ['solution'] });
    // What a transition requires or allows passes; empty fields count as not given.
    expect(command('open', 'resolve', 'agent', { solution: 's', note: 'n' })).toMatchObject({ ok: true, to: 'resolved' });
    expect(command('open', 'waitOnCustomer', 'agent', { note: 'asked for logs' })).toMatchObject({ ok: true, to: 'pending' });
    expect(command('open', 'markSolved', 'customer', { solution: '  ', note: '' })).toMatchObject({ ok: true, to: 'resolved' });
    // A workflow may let customers give a field, never the solution.
    const lenient = structuredClone(support);
    lenient.transitions.markSolved!.allows = ['note', 'solution'];
    expect(transition(lenient, at('open'), { kind: 'command', transition: 'markSolved', role: 'customer', fields: { note: 'works now' } })).toMatchObject({ ok: true });
    expect(transition(lenient, at('open'), { kind: 'command', transition: 'markSolved', role: 'customer', fields: { solution: 'x' } })).toMatchObject({ ok: false, refused: ['solution'] });
  });

  it('orders effects: exit actions, enter, transition actions, entry actions, timers, emitted event', () => {
    const outcome = transition(support, at('open'), { kind: 'command', transition: 'resolve', role: 'agent', fields: { solution: 'x' } }) as TransitionOutcome;
    expect(outcome.effects).toEqual([
      { type: 'enter', from: 'open', to: 'resolved', transition: 'resolve', category: 'resolved' },
      { type: 'action', call: { action: 'notify', to: 'customer', template: 'case-resolved' }, origin: 'transitions.resolve.actions' },
      { type: 'startTimer', transition: 'autoClose', afterMs: 72 * 3_600_000, businessHours: false, state: 'resolved' },
      { type: 'emit', event: 'case.resolved' },
    ]);
    const escalate = transition(support, at('open'), { kind: 'command', transition: 'escalate', role: 'agent', fields: { reason: 'r' } }) as TransitionOutcome;
    expect(escalate.effects.map((e) => e.type)).toEqual(['enter', 'action', 'action']);
    expect(escalate.effects[1]).toMatchObject({ call: { action: 'escalate', tier: 2, queue: 'advanced' }, origin: 'transitions.escalate.actions' });
    expect(escalate.effects[2]).toMatchObject({ call: { action: 'assign' }, origin: 'states.escalated.onEnter' });
  });

  it('fires the first transition listening to an event in the current state, or nothing', () => {
    expect(transition(support, at('new'), { kind: 'event', type: 'case.assigned' })).toMatchObject({ transition: 'start', to: 'open' });
    expect(transition(support, at('open'), { kind: 'event', type: 'case.assigned' })).toEqual({ ok: true, transition: null });
    expect(transition(support, at('resolved'), { kind: 'event', type: 'customer.replied' })).toMatchObject({ transition: 'reopen', to: 'open' });
    expect(transition(support, at('closed'), { kind: 'event', type: 'customer.replied' })).toEqual({ ok: true, transition: null });
  });

  it('fires timers only while their transition still applies', () => {
    expect(transition(support, at('resolved'), { kind: 'timer', transition: 'autoClose' })).toMatchObject({ ok: true, to: 'closed' });
    expect(transition(support, at('open'), { kind: 'timer', transition: 'autoClose' })).toMatchObject({ ok: false });
  });

  it('offers exactly the transitions a role may use now', () => {
    const names = (state: string, role: Parameters<typeof availableTransitions>[2]) => availableTransitions(support, at(state, 'open'), role).map((t) => t.name);
    expect(names('open', 'agent')).toEqual(['escalate', 'waitOnCustomer', 'resolve']);
    expect(names('open', 'customer')).toEqual(['markSolved']);
    expect(names('resolved', 'customer')).toEqual(['reopen']);
    expect(names('resolved', 'agent')).toEqual(['reopen', 'close']);
    expect(names('closed', 'admin')).toEqual([]);
    expect(availableTransitions(support, at('open'), 'agent').find((t) => t.name === 'resolve')).toEqual({ name: 'resolve', label: 'Resolve', to: 'resolved', requires: ['solution'], allows: ['note'] });
  });

  it('never leaves a final state through "from": "*": not offered, refused as a command, not fired by an event', () => {
    const withCatchAll = structuredClone(support);
    withCatchAll.transitions.cancel = { label: 'Cancel', from: '*', to: 'closed', roles: ['manager'], requires: ['reason'] };
    withCatchAll.transitions.takeBack = { label: 'Take back', from: '*', to: 'open', roles: ['manager'], on: ['customer.replied'] };
    const names = (state: string) => availableTransitions(withCatchAll, at(state, 'open'), 'manager').map((t) => t.name);
    expect(names('open')).toEqual(['escalate', 'waitOnCustomer', 'resolve', 'cancel', 'takeBack']);
    expect(names('resolved')).toEqual(['reopen', 'close', 'cancel', 'takeBack']);
    expect(names('closed')).toEqual([]);
    expect(transition(withCatchAll, at('closed', 'resolved'), { kind: 'command', transition: 'takeBack', role: 'manager' })).toEqual({
      ok: false,
      code: 'INVALID_TRANSITION',
      message: '"Take back" is not possible while the case is Closed.',
    });
    expect(transition(withCatchAll, at('closed', 'resolved'), { kind: 'command', transition: 'cancel', role: 'manager', fields: { reason: 'spam' } })).toMatchObject({ ok: false, code: 'INVALID_TRANSITION' });
    expect(transition(withCatchAll, at('closed', 'resolved'), { kind: 'event', type: 'customer.replied' })).toEqual({ ok: true, transition: null });
    expect(transition(withCatchAll, at('open'), { kind: 'command', transition: 'cancel', role: 'manager', fields: { reason: 'spam' } })).toMatchObject({ ok: true, to: 'closed' });
    // A from that names the final state still leaves it (validation warns about it).
    withCatchAll.transitions.takeBack.from = ['closed'];
    expect(transition(withCatchAll, at('closed', 'resolved'), { kind: 'command', transition: 'takeBack', role: 'manager' })).toMatchObject({ ok: true, to: 'open' });
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('refuses the transition %s: names are looked up as own entries only', (name) => {
    for (const kind of ['command', 'timer'] as const) {
      const outcome = transition(support, at('open'), { kind, transition: name, role: 'customer' } as never);
      expect(outcome).toMatchObject({ ok: false, code: 'INVALID_TRANSITION' });
    }
  });

  it('parses calendar durations', () => {
    expect(durationMs('72h')).toBe(259_200_000);
    expect(durationMs('3d')).toBe(259_200_000);
    expect(durationMs('1h30m')).toBe(5_400_000);
  });
});
