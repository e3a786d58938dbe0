/**
 * A case's timeline read again up to each later event (dry-run-events.ts): the case fact as it
 * was when the rules ran — after the command that raised the event, before the rules' own
 * doing — and the events that cannot be replayed.
 */
import { describe, expect, it } from 'vitest';
import type { CaseRowLite, EventRowLite } from './dry-run-cases/index.js';
import { laterEvents } from './dry-run-events.js';

const ROW: CaseRowLite = { id: 7, subject: 'Login fails', description: 'Since this morning', channel: 'web', requested_priority: 'normal', created_at: 1000, routing: null, workflow: 'support', workflow_version: 1, imported_at: null, sla_config_version: 1 };
const OPTIONS = { triggered: new Set(['sla.breached', 'case.reopened']), initialState: 'new', ruleset: 'escalation', tiers: new Map([['general', 1], ['technical', 1], ['advanced', 2]]) };

let id = 0;
const entry = (type: string, at: number, data: Record<string, unknown> = {}, actor = 'staff'): EventRowLite => ({ case_id: 7, id: ++id, type, at, actor_type: actor, data: JSON.stringify(data) });
const intake = () => [entry('case.created', 1000, { subject: 'Login fails', requestedPriority: 'normal' }), entry('case.routed', 1000, { queue: 'technical', priority: 'high', tags: ['login'], skills: [], slaPolicy: 'standard' })];

describe('laterEvents', () => {
  it('gives each event the case as the rules saw it: after its command, before their own doing', () => {
    const rows = [
      ...intake(),
      entry('case.assigned', 1000, { assigneeId: 3 }),
      entry('case.transitioned', 1000, { transition: 'start', from: 'new', to: 'open' }, 'system'),
      entry('case.tags_changed', 2000, { from: ['login'], to: ['login', 'vip'] }),
      entry('sla.breached', 3000, { metric: 'firstResponse', policy: 'standard', dueAt: 2500, overdueMinutes: 8 }, 'system'),
      entry('case.priority_changed', 3000, { from: 'high', to: 'urgent' }), // same time, another command before the rules ran
      entry('rules.evaluated', 3000, { ruleset: 'escalation', version: 1, event: 'sla.breached', fired: [] }, 'system'),
      entry('case.escalated', 3000, { fromQueue: 'technical', fromTier: 1, queue: 'advanced', tier: 2, rule: 'x' }, 'system'),
      entry('case.transitioned', 4000, { transition: 'resolve', from: 'escalated', to: 'resolved' }),
      entry('case.transitioned', 5000, { transition: 'reopen', from: 'resolved', to: 'open' }),
      entry('case.reopened', 5000, { transition: 'reopen' }),
    ];
    const { events, notReplayed } = laterEvents(ROW, rows, OPTIONS);
    expect(notReplayed).toEqual({});
    expect(events.map((e) => e.type)).toEqual(['sla.breached', 'case.reopened']);
    const [breach, reopen] = events;
    expect(breach).toMatchObject({
      at: 3000,
      event: { type: 'sla.breached', metric: 'firstResponse', overdueMinutes: 8, sla: { metric: 'firstResponse', state: 'breached', policy: 'standard', dueAt: 2500, overdueMinutes: 8 } },
      sla: { state: 'breached', overdueMinutes: 8 },
      case: { id: 'C-7', queue: 'technical', tier: 1, priority: 'urgent', tags: ['login', 'vip'], status: 'open', assigned: true, escalationCount: 0, reopenCount: 0 },
      slaPolicy: 'standard',
    });
    // No evaluation recorded for the reopen (the rules have not run yet): the end of its command.
    expect(reopen).toMatchObject({ at: 5000, event: { type: 'case.reopened', transition: 'reopen' }, case: { queue: 'advanced', tier: 2, escalationCount: 1, reopenCount: 1, status: 'open' } });
    expect(reopen!.sla).toBeUndefined();
  });

  it('pairs two events of one type with their own evaluations', () => {
    const rows = [
      ...intake(),
      entry('sla.breached', 3000, { metric: 'firstResponse', overdueMinutes: 0 }, 'system'),
      entry('sla.breached', 3000, { metric: 'resolution', overdueMinutes: 0 }, 'system'),
      entry('rules.evaluated', 3000, { ruleset: 'escalation', event: 'sla.breached' }, 'system'),
      entry('case.escalated', 3000, { queue: 'advanced', tier: 2 }, 'system'),
      entry('rules.evaluated', 3000, { ruleset: 'escalation', event: 'sla.breached' }, 'system'),
    ];
    const { events } = laterEvents(ROW, rows, OPTIONS);
    expect(events.map((e) => [e.event.metric, e.case.tier])).toEqual([['firstResponse', 1], ['resolution', 2]]);
  });

  it('counts what it cannot replay: an imported history (no rules ran on it), a case whose routing is not on its timeline', () => {
    const imported = [...intake(), entry('case.reopened', 900, { imported: true }), entry('sla.breached', 3000, { metric: 'resolution' }, 'system')];
    expect(laterEvents(ROW, imported, OPTIONS)).toMatchObject({ events: [{ type: 'sla.breached' }], notReplayed: { imported: 1 } });
    const unrouted = [entry('case.created', 1000), entry('sla.breached', 3000, { metric: 'resolution' }, 'system'), entry('case.reopened', 4000)];
    expect(laterEvents(ROW, unrouted, OPTIONS)).toEqual({ events: [], notReplayed: { unrouted: 2 } });
    // Events the ruleset does not run on are not counted at all.
    expect(laterEvents(ROW, unrouted, { ...OPTIONS, triggered: new Set(['customer.replied']) })).toEqual({ events: [], notReplayed: {} });
  });

  it('replays a thank-you on a resolved case as the `customer.thanked` the workflow heard, not as a `customer.replied`', () => {
    const rows = [
      ...intake(),
      entry('case.transitioned', 2000, { transition: 'resolve', from: 'open', to: 'resolved' }),
      entry('customer.replied', 3000, { body: 'Thanks!', thanks: true }, 'customer'),
      entry('customer.replied', 4000, { body: 'It fails again' }, 'customer'),
    ];
    const thanked = laterEvents(ROW, rows, { ...OPTIONS, triggered: new Set(['customer.thanked']) }).events;
    expect(thanked.map((e) => [e.type, e.at, e.event.type])).toEqual([['customer.thanked', 3000, 'customer.thanked']]);
    expect(thanked[0]!.event).toMatchObject({ body: 'Thanks!', thanks: true });
    const replied = laterEvents(ROW, rows, { ...OPTIONS, triggered: new Set(['customer.replied']) }).events;
    expect(replied.map((e) => [e.type, e.at])).toEqual([['customer.replied', 4000]]);
  });

  it('leaves out what an admin token adds to the timeline (`via`), not what the event says', () => {
    const rows = [...intake(), entry('case.reopened', 5000, { transition: 'reopen', via: 'admin token' }, 'system'), entry('case.reopened', 6000, { transition: 'reopen', via: 'portal' }, 'customer')];
    expect(laterEvents(ROW, rows, OPTIONS).events.map((e) => e.event)).toEqual([
      { type: 'case.reopened', transition: 'reopen' },
      { type: 'case.reopened', transition: 'reopen', via: 'portal' },
    ]);
  });

  it('gives each event the SLA version the case was measured by then: the one it started on, then the one a re-apply moved it to', () => {
    const rows = [
      ...intake(),
      entry('sla.breached', 3000, { metric: 'firstResponse', overdueMinutes: 0 }, 'system'),
      entry('case.updated', 4000, { changes: { slaConfigVersion: [1, 3] }, by: 'reapply' }),
      entry('sla.breached', 5000, { metric: 'resolution', overdueMinutes: 0 }, 'system'),
    ];
    // The row says where the case is now (3); the re-apply says where it started (1).
    const { events } = laterEvents({ ...ROW, sla_config_version: 3 }, rows, OPTIONS);
    expect(events.map((e) => [e.event.metric, e.slaVersion])).toEqual([['firstResponse', 1], ['resolution', 3]]);
    // Never re-applied: the row's version all along.
    expect(laterEvents({ ...ROW, sla_config_version: 2 }, rows.slice(0, 3), OPTIONS).events.map((e) => e.slaVersion)).toEqual([2]);
  });
});
