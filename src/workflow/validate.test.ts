import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test/support/harness.js';
import { builtinActions } from '../compose.js';
import { validateWorkflow } from './validate.js';

const actions = builtinActions();
const context = { actions, rulesets: new Set(['routing', 'escalation']), queues: new Set(['general', 'billing', 'technical', 'advanced']) };
const support = () => JSON.parse(fs.readFileSync(path.join(ROOT, 'workflows/support.json'), 'utf8')) as Record<string, any>;

function paths(json: unknown) {
  return validateWorkflow(json, context).problems.map((p) => `${p.severity} ${p.path}`);
}

describe('validateWorkflow', () => {
  it('accepts the default workflow without problems', () => {
    expect(validateWorkflow(support(), context)).toMatchObject({ ok: true, problems: [] });
  });

  it('accepts a timer counted in business hours', () => {
    const w = support();
    w.states.resolved.timers = [{ after: '40h', transition: 'autoClose', businessHours: true }];
    expect(validateWorkflow(w, context)).toMatchObject({ ok: true, problems: [] });
  });

  it.each([
    ['unknown initial state', (w: any) => (w.initial = 'nowhere'), ['error $.initial']],
    ['initial state resolved: a new case is open', (w: any) => (w.initial = 'resolved'), ['error $.initial', 'error $.states.new']],
    ['initial state final', (w: any) => (w.states.new.final = true), ['error $.initial', 'warning $.states.new.final']],
    ['unknown target state', (w: any) => (w.transitions.resolve.to = 'solved'), ['error $.transitions.resolve.to']],
    ['unknown source state', (w: any) => (w.transitions.resolve.from = ['open', 'limbo']), ['error $.transitions.resolve.from[1]']],
    ['unknown action', (w: any) => (w.states.new.onEnter = [{ action: 'teleport' }]), ['error $.states.new.onEnter[0].action']],
    ['bad action params', (w: any) => (w.transitions.escalate.actions = [{ action: 'escalate', tier: 'two' }]), ['error $.transitions.escalate.actions[0].tier']],
    ['unknown ruleset', (w: any) => (w.triggers['sla.breached'] = ['escalation', 'paging']), ['error $.triggers["sla.breached"][1]']],
    ['event nobody raises', (w: any) => (w.transitions.start.on = ['case.teleported']), ['error $.transitions.start.on[0]']],
    ['unknown role', (w: any) => (w.transitions.close.roles = ['janitor']), ['error $.transitions.close.roles[0]']],
    ['unknown SLA metric', (w: any) => (w.states.pending.sla = { pause: ['lunch'] }), ['error $.states.pending.sla.pause[0]']],
    ['timer on a transition that cannot start there', (w: any) => (w.states.open.timers = [{ after: '1h', transition: 'autoClose' }]), ['error $.states.open.timers[0].transition']],
    ['timer on a transition named like an Object.prototype member', (w: any) => w.states.resolved.timers.push({ after: '1h', transition: 'constructor' }), ['error $.states.resolved.timers[1].transition']],
    ['bad timer duration', (w: any) => (w.states.resolved.timers = [{ after: 'soon', transition: 'autoClose' }]), ['error $.states.resolved.timers[0].after']],
    ['timer businessHours not a boolean', (w: any) => (w.states.resolved.timers = [{ after: '8h', transition: 'autoClose', businessHours: 'yes' }]), ['error $.states.resolved.timers[0].businessHours']],
    ['escalation to a queue that does not exist', (w: any) => (w.transitions.escalate.actions = [{ action: 'escalate', tier: 2, queue: 'advnaced' }]), ['error $.transitions.escalate.actions[0].queue']],
    ['escalation on entry to a queue that does not exist', (w: any) => (w.states.escalated.onEnter = [{ action: 'escalate', tier: 2, queue: 'tier2' }]), ['error $.states.escalated.onEnter[0].queue']],
    ['unknown key', (w: any) => (w.states.open.colour = 'blue'), ['error $.states.open']],
    [
      'unreachable state',
      (w: any) => (w.states.limbo = { category: 'open', customerLabel: 'Limbo', final: true }),
      ['error $.states.limbo'],
    ],
    ['transition that can never fire', (w: any) => delete w.transitions.close.roles, ['error $.transitions.close']],
  ])('reports %s with its JSON path', (_name, mutate, expected) => {
    const w = support();
    mutate(w);
    expect(paths(w)).toEqual(expected);
  });

  it('refuses automatic transitions that set each other off for ever, at the emits of the first in the file', () => {
    const w = support();
    // Re-triggers itself: "reopen" leads to open emitting case.reopened, which fires "echo" in open, again and again.
    w.transitions.echo = { from: ['open'], to: 'open', on: ['case.reopened'], emits: 'case.reopened' };
    const result = validateWorkflow(w, context);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      {
        severity: 'error',
        path: '$.transitions.echo.emits',
        message: '"echo" emits "case.reopened", which fires "echo" again in "open": these automatic transitions would set each other off for ever; drop one "emits" or narrow one "from"',
      },
    ]);

    // Two that fire each other, reached from a third: reported once, at the one first in the file.
    const pair = support();
    pair.transitions.waitOnCustomer.emits = 'desk.asked';
    pair.transitions.ask = { from: ['open'], to: 'pending', on: ['desk.answered'], emits: 'desk.asked' };
    pair.transitions.answer = { from: ['pending'], to: 'open', on: ['desk.asked'], emits: 'desk.answered' };
    expect(validateWorkflow(pair, context).problems).toEqual([
      {
        severity: 'error',
        path: '$.transitions.ask.emits',
        message: '"ask" emits "desk.asked", which fires "answer" in "pending"; "answer" emits "desk.answered", which fires "ask" again in "open": these automatic transitions would set each other off for ever; drop one "emits" or narrow one "from"',
      },
    ]);
  });

  it('accepts chains of automatic transitions that end, and leaves "@previous" to the run-time guard', () => {
    const chain = support();
    // resolved --case.resolved--> closed: the event fires a transition that emits nothing further here.
    chain.transitions.closeAtOnce = { from: ['resolved'], to: 'closed', on: ['case.resolved'], emits: 'case.closed' };
    expect(validateWorkflow(chain, context)).toMatchObject({ ok: true, problems: [] });
    // Where a cycle goes through "@previous" depends on the case: not refused here.
    const back = support();
    back.transitions.customerReplied.emits = 'desk.back';
    back.transitions.again = { from: ['open'], to: 'pending', on: ['desk.back'], emits: 'customer.replied' };
    expect(validateWorkflow(back, context)).toMatchObject({ ok: true, problems: [] });
  });

  it('leaves final states out of "from": "*"; a from that names one is still warned about', () => {
    const w = support();
    w.transitions.cancel = { from: '*', to: 'closed', roles: ['manager'], requires: ['reason'] };
    expect(validateWorkflow(w, context)).toMatchObject({ ok: true, problems: [] });
    w.transitions.takeBack = { from: ['closed'], to: 'open', roles: ['manager'], requires: ['reason'] };
    expect(paths(w)).toEqual(['warning $.states.closed.final']);
    // A final state's timer cannot name a "*" transition: it never starts there.
    const timed = support();
    timed.transitions.cancel = { from: '*', to: 'resolved', roles: ['manager'] };
    timed.states.closed.timers = [{ after: '1h', transition: 'cancel' }];
    expect(paths(timed)).toEqual(['error $.states.closed.timers[0].transition']);
  });

  it.each(['0m', '0h', '0h0m', '0d0h', '0d0h0m', '00h00m', ''])('refuses the zero-length timer %j', (after) => {
    const w = support();
    w.states.resolved.timers = [{ after, transition: 'autoClose' }];
    expect(validateWorkflow(w, context).problems).toEqual([{ severity: 'error', path: '$.states.resolved.timers[0].after', message: 'must be longer than zero' }]);
  });

  it.each(['1m', '0d1m', '0h30m', '1d0h0m', '10h', '72h'])('accepts the timer %j', (after) => {
    const w = support();
    w.states.resolved.timers = [{ after, transition: 'autoClose' }];
    expect(validateWorkflow(w, context)).toMatchObject({ ok: true, problems: [] });
  });

  it('names the unknown queue and the known ones; without queues to check against (files at start-up) it passes', () => {
    const w = support();
    w.transitions.escalate.actions = [{ action: 'escalate', tier: 2, queue: 'advnaced' }];
    expect(validateWorkflow(w, context).problems[0]!.message).toBe('unknown queue "advnaced" (known: advanced, billing, general, technical)');
    expect(validateWorkflow(w, { ...context, queues: null })).toMatchObject({ ok: true, problems: [] });
  });

  it('refuses an escalation to a queue of another tier, or to a tier no active queue has, as a ruleset\'s', () => {
    const tiers = { ...context, queueTiers: new Map([['general', 1], ['billing', 1], ['technical', 1], ['advanced', 2]]) };
    expect(validateWorkflow(support(), tiers)).toMatchObject({ ok: true, problems: [] });
    const w = support();
    w.transitions.escalate.actions = [{ action: 'escalate', tier: 2, queue: 'billing' }];
    w.states.escalated.onEnter = [{ action: 'escalate', tier: 3 }];
    expect(validateWorkflow(w, tiers).problems.map((p) => `${p.severity} ${p.path}`)).toEqual(['error $.states.escalated.onEnter[0].tier', 'error $.transitions.escalate.actions[0].queue']);
    expect(validateWorkflow(w, context)).toMatchObject({ ok: true });
  });

  it('warns about an escalation to tier 1 written as the way back, which never moves a case down; a transfer names an active queue', () => {
    const w = support();
    w.transitions.backToTier1 = { label: 'Back to tier 1', from: ['escalated'], to: 'open', roles: ['advanced'], actions: [{ action: 'escalate', tier: 1, queue: 'general' }] };
    const result = validateWorkflow(w, context);
    expect(result).toMatchObject({ ok: true });
    expect(result.problems).toEqual([expect.objectContaining({ severity: 'warning', path: '$.transitions.backToTier1.actions[0].tier', message: expect.stringContaining('use { "action": "transfer"') })]);
    w.transitions.backToTier1.actions = [{ action: 'transfer', queue: 'general' }];
    expect(validateWorkflow(w, context)).toMatchObject({ ok: true, problems: [] });
    w.transitions.backToTier1.actions = [{ action: 'transfer', queue: 'genral' }];
    expect(paths(w)).toEqual(['error $.transitions.backToTier1.actions[0].queue']);
  });

  it('warns about a transition customers may use that requires a solution, which is never taken from a customer', () => {
    const w = support();
    w.transitions.customerSolved = { label: 'Solved it myself', from: ['open'], to: 'resolved', roles: ['customer'], requires: ['solution'] };
    expect(validateWorkflow(w, context)).toMatchObject({
      ok: true,
      problems: [{ severity: 'warning', path: '$.transitions.customerSolved.requires', message: expect.stringMatching(/^customers never give a solution/) }],
    });
  });

  it('warns about a note or reason asked of customers: transition notes and reasons are staff-only, they would not see their own', () => {
    const w = support();
    w.transitions.stillBroken = { label: 'Still broken', from: ['resolved'], to: 'open', roles: ['customer'], requires: ['note'], allows: ['reason'] };
    const result = validateWorkflow(w, context);
    expect(result.ok).toBe(true);
    expect(result.problems.map((p) => `${p.severity} ${p.path}`)).toEqual(['warning $.transitions.stillBroken.requires', 'warning $.transitions.stillBroken.allows']);
    expect(result.problems[0]!.message).toContain('a customer would not see the note they wrote');
  });

  it('warns about a ruleset named twice for one event: it would run twice', () => {
    const w = support();
    w.triggers['case.created'] = ['routing', 'escalation', 'routing'];
    expect(validateWorkflow(w, context)).toMatchObject({
      ok: true,
      problems: [{ severity: 'warning', path: '$.triggers["case.created"][2]', message: '"routing" is already run on case.created (at [0]): it would run twice, its notifications sent twice' }],
    });
  });

  it('warns about onEnter actions of the initial state that a case.created transition always skips', () => {
    const w = support();
    w.transitions.triage = { label: 'Triage', from: ['new'], to: 'open', on: ['case.created'] };
    const result = validateWorkflow(w, context);
    expect(result).toMatchObject({ ok: true, problems: [{ severity: 'warning', path: '$.states.new.onEnter' }] });
    expect(result.problems[0]!.message).toMatch(/^never runs: "triage" leaves "new" on case\.created/);
    // Without onEnter actions, or when the transition does not start in the initial state, nothing is skipped.
    w.transitions.triage.from = ['open'];
    w.transitions.triage.to = 'pending';
    expect(validateWorkflow(w, context)).toMatchObject({ ok: true, problems: [] });
    w.transitions.triage = { label: 'Triage', from: '*', to: 'open', on: ['case.created'] };
    expect(paths(w)).toEqual(['warning $.states.new.onEnter']);
    delete w.states.new.onEnter;
    expect(validateWorkflow(w, context)).toMatchObject({ ok: true, problems: [] });
  });

  it('warns about a timer of the initial state that returns to @previous: a new case has no state before it', () => {
    const w = support();
    w.transitions.bounce = { label: 'Back', from: ['new', 'open'], to: '@previous' };
    w.states.new.timers = [{ after: '1h', transition: 'bounce' }];
    const result = validateWorkflow(w, context);
    expect(result).toMatchObject({ ok: true, problems: [{ severity: 'warning', path: '$.states.new.timers[0].transition' }] });
    expect(result.problems[0]!.message).toContain('a new case has no state before "new"');
    // In another state the timer has a state to return to.
    delete w.states.new.timers;
    w.states.open.timers = [{ after: '1h', transition: 'bounce' }];
    expect(validateWorkflow(w, context)).toMatchObject({ ok: true, problems: [] });
  });

  it('warns about dead ends that are not final', () => {
    const w = support();
    w.states.closed.final = false;
    expect(validateWorkflow(w, context)).toMatchObject({ ok: true, problems: [{ severity: 'warning', path: '$.states.closed' }] });
  });

  it('warns about a state without customer wording: customers would read the staff label', () => {
    const w = support();
    delete w.states.escalated.customerLabel;
    const result = validateWorkflow(w, context);
    expect(result).toMatchObject({ ok: true, problems: [{ severity: 'warning', path: '$.states.escalated.customerLabel' }] });
    expect(result.problems[0]!.message).toContain('customers would read the staff label "Escalated"');
  });

  it('never throws on garbage and always names a path', () => {
    for (const junk of [null, 42, 'x', [], {}, { states: [] }, { workflow: 'x', initial: 'a', states: { a: null }, transitions: {} }]) {
      const result = validateWorkflow(junk, context);
      expect(result.ok).toBe(false);
      expect(result.problems.every((p) => p.path.startsWith('$'))).toBe(true);
    }
  });
});
