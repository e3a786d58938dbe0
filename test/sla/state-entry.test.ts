/**
 * What a workflow does on entering a state, beyond assign and notify: `sla.start` starts
 * clocks there (and not at creation), and the `runRuleset` action runs a ruleset for the case
 * as `triggers` do. The desk's workflow puts a triage state before the support workflow's
 * `new`: the resolution clock must not run while a case waits for triage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtinActions } from '../../src/compose.js';
import { DefinitionFileError } from '../../src/definitions/files.js';
import { validateWorkflow } from '../../src/workflow/validate.js';
import { loadRepoDefinitions, ROOT, tempDir } from '../support/harness.js';
import { ADMIN_TOKEN, berlin, createDesk, type Desk, type Json } from './helpers.js';

const triageRules = {
  ruleset: 'triage',
  description: 'Runs when a case leaves triage.',
  rules: [
    {
      name: 'Triaged cases are tagged',
      conditions: {
        all: [
          { fact: 'event', path: '$.type', operator: 'equal', value: 'state.entered' },
          { fact: 'event', path: '$.state', operator: 'equal', value: 'new' },
          { fact: 'event', path: '$.from', operator: 'equal', value: 'triage' },
          { fact: 'event', path: '$.transition', operator: 'equal', value: 'triaged' },
        ],
      },
      event: { type: 'addTags', params: { tags: ['triaged'] } },
    },
    {
      name: 'Urgent cases leave triage for advanced support',
      conditions: {
        all: [
          { fact: 'event', path: '$.type', operator: 'equal', value: 'state.entered' },
          { fact: 'case', path: '$.priority', operator: 'equal', value: 'urgent' },
        ],
      },
      event: { type: 'escalate', params: { tier: 2, queue: 'advanced', reason: 'Urgent after triage' } },
    },
  ],
};

type Workflow = Record<string, any>;

/** The support workflow with a triage state first; `new` starts the resolution clock and runs the triage rules. */
function triageWorkflow(): Workflow {
  const wf = JSON.parse(fs.readFileSync(path.join(ROOT, 'workflows', 'support.json'), 'utf8')) as Workflow;
  wf.states = {
    triage: { label: 'Triage', customerLabel: 'Received', category: 'new' },
    ...wf.states,
  };
  wf.initial = 'triage';
  wf.states.new.sla = { start: ['resolution'] };
  wf.states.new.onEnter = [{ action: 'assign' }, { action: 'runRuleset', ruleset: 'triage' }];
  wf.transitions.triaged = { label: 'Triaged', from: ['triage'], to: 'new', roles: ['agent', 'manager', 'admin'] };
  return wf;
}

function folders(workflow: Workflow): { workflowsDir: string; rulesDir: string } {
  const dir = tempDir('state-entry-');
  const workflowsDir = path.join(dir, 'workflows');
  const rulesDir = path.join(dir, 'rules');
  fs.mkdirSync(workflowsDir);
  fs.cpSync(path.join(ROOT, 'rules'), rulesDir, { recursive: true });
  fs.writeFileSync(path.join(rulesDir, 'triage.json'), JSON.stringify(triageRules, null, 2));
  fs.writeFileSync(path.join(workflowsDir, 'support.json'), JSON.stringify(workflow, null, 2));
  return { workflowsDir, rulesDir };
}

let d: Desk | undefined;
afterEach(() => d?.h.close());

describe('a triage state before the resolution clock', () => {
  it('starts resolution on entering the state that names it, not at creation, with its due time from then', async () => {
    d = createDesk({ files: loadRepoDefinitions(folders(triageWorkflow())) }); // Monday 2026-03-02 10:00 Berlin
    const id = await d.create(); // normal: firstResponse 8h, resolution 40h
    expect((await d.get(id)).status).toBe('triage');
    const atCreation = await d.timers(id);
    expect(Object.keys(atCreation)).toEqual(['firstResponse']); // the state that starts resolution is later
    expect(atCreation.firstResponse).toMatchObject({ state: 'running', dueAt: berlin('2026-03-03T10:00') });

    d.h.clock.advanceMinutes(180); // triage takes three business hours
    expect((await d.call('POST', '/api/v1/sla/sweep')).status).toBe(200);
    expect((await d.timers(id)).resolution).toBeUndefined();

    const res = await d.transition(id, 'triaged');
    expect(res.status).toBe(200);
    const view = await d.get(id);
    expect(view.status).toBe('open'); // new → assigned → open
    const timers = await d.timers(id);
    // 40 business hours from Monday 13:00 (9–17, a Friday lunch break): 4 + 8 + 8 + 8 + 7, then 5 on Monday 9 March: 14:00.
    expect(timers.resolution).toMatchObject({ state: 'running', targetMinutes: 2400, usedMinutes: 0, startedAt: berlin('2026-03-02T13:00'), dueAt: berlin('2026-03-09T14:00') });
    expect(timers.firstResponse).toMatchObject({ state: 'running', dueAt: berlin('2026-03-03T10:00') });
    const started = (await d.events(id)).filter((e) => e.type === 'sla.started').map((e) => [e.data.metric, e.at]);
    expect(started).toEqual([
      ['firstResponse', berlin('2026-03-02T10:00')],
      ['resolution', berlin('2026-03-02T13:00')],
    ]);

    // Back through the state later (a reopen goes to open, not new): nothing starts twice.
    d.h.clock.advanceMinutes(60);
    await d.reply(id);
    await d.transition(id, 'resolve', { solution: 'Done.' });
    await d.customerReply(id, 'Not fixed');
    expect((await d.events(id)).filter((e) => e.type === 'sla.started' && e.data.metric === 'resolution')).toHaveLength(1);
  });

  it('does not start firstResponse on entering the state when a public reply already answered the case', async () => {
    const wf = triageWorkflow();
    wf.states.new.sla = { start: ['firstResponse', 'resolution'] };
    d = createDesk({ files: loadRepoDefinitions(folders(wf)) });
    const id = await d.create();
    expect(await d.timers(id)).toEqual({}); // both clocks wait for triage
    d.h.clock.advanceMinutes(30);
    await d.reply(id, 'We are looking at it.');
    expect((await d.transition(id, 'triaged')).status).toBe(200);
    const timers = await d.timers(id);
    expect(Object.keys(timers)).toEqual(['resolution']);
    expect(timers.resolution).toMatchObject({ state: 'running', startedAt: berlin('2026-03-02T10:30') });
  });

  it('starts a target that applies later from entering the state that starts it, and not before it was entered', async () => {
    const dirs = folders(triageWorkflow());
    const slaFile = path.join(dirs.rulesDir, 'sla.json');
    const sla = JSON.parse(fs.readFileSync(slaFile, 'utf8')) as Json;
    sla.policies.standard.targets.low = { firstResponse: '16h' }; // no resolution target at low
    fs.writeFileSync(slaFile, JSON.stringify(sla, null, 2));
    d = createDesk({ files: loadRepoDefinitions(dirs) }); // Monday 2026-03-02 10:00 Berlin
    const id = await d.create({ priority: 'low' });
    const waiting = await d.create({ priority: 'low' });
    d.h.clock.advanceMinutes(180);
    expect((await d.transition(id, 'triaged')).status).toBe(200); // Mon 13:00: resolution would start here
    d.h.clock.advanceMinutes(120);
    for (const ref of [id, waiting]) expect((await d.call('PATCH', `/api/v1/cases/${ref}`, ADMIN_TOKEN, { priority: 'high' })).status).toBe(200);
    // high resolution 16h = 960 from Mon 13:00: 120 used at Mon 15:00, 840 left: Mon 15:00–17:00
    // (120), Tue 480, Wed 09:00 + 240 → Wed 13:00.
    expect((await d.timers(id)).resolution).toMatchObject({ state: 'running', usedMinutes: 120, startedAt: berlin('2026-03-02T13:00'), dueAt: berlin('2026-03-04T13:00') });
    expect((await d.timers(waiting)).resolution).toBeUndefined(); // still in triage: its clock has not started
  });

  it('starts the clocks the initial state names with the case', async () => {
    const wf = triageWorkflow();
    wf.states.triage.sla = { start: ['resolution'] };
    d = createDesk({ files: loadRepoDefinitions(folders(wf)) });
    const id = await d.create();
    expect(Object.keys(await d.timers(id)).sort()).toEqual(['firstResponse', 'resolution']);
  });
});

describe('runRuleset on entering a state', () => {
  const evaluations = async (desk: Desk, id: string) =>
    (await desk.events(id, 'rules.')).filter((e) => e.data.ruleset === 'triage').map((e) => ({ type: e.type, ...e.data }) as Json);

  it('runs the ruleset with the state entry as its event and applies what the rules decide: tags, an escalation', async () => {
    d = createDesk({ files: loadRepoDefinitions(folders(triageWorkflow())) });
    const id = await d.create({ priority: 'normal' });
    expect(await evaluations(d, id)).toEqual([]); // not in triage
    expect((await d.transition(id, 'triaged')).status).toBe(200);
    const view = await d.get(id);
    expect(view.tags).toContain('triaged');
    expect(view.tier).toBe(1);
    expect(await evaluations(d, id)).toEqual([
      // The event as the rules saw it, kept for the dry-run (the case is in "open" by the time they ran).
      { type: 'rules.evaluated', ruleset: 'triage', version: 1, event: 'state.entered', entered: { state: 'new', from: 'triage', transition: 'triaged' }, fired: [expect.objectContaining({ rule: 'Triaged cases are tagged' })] },
    ]);

    const urgent = await d.create({ priority: 'urgent' });
    expect((await d.transition(urgent, 'triaged')).status).toBe(200);
    const escalated = await d.get(urgent);
    expect(escalated).toMatchObject({ status: 'escalated', tier: 2, queue: 'advanced' });
    expect(escalated.tags).toContain('triaged');
    const entry = (await d.events(urgent, 'case.escalated'))[0]!;
    expect(entry.data).toMatchObject({ reason: 'Urgent after triage', tier: 2 });
    const [evaluated] = await evaluations(d, urgent);
    expect(evaluated!.fired.map((f: Json) => f.rule)).toEqual(['Triaged cases are tagged', 'Urgent cases leave triage for advanced support']);
  });

  it('records the version of the ruleset that ran, as triggers do', async () => {
    d = createDesk({ files: loadRepoDefinitions(folders(triageWorkflow())) });
    const rules = [{ ...triageRules.rules[0]!, event: { type: 'addTags', params: { tags: ['triaged-v2'] } } }];
    expect((await d.call('PUT', '/api/v1/rulesets/triage', ADMIN_TOKEN, { rules })).status).toBe(200);
    const id = await d.create();
    await d.transition(id, 'triaged');
    expect((await d.get(id)).tags).toContain('triaged-v2');
    expect((await evaluations(d, id)).map((e) => [e.ruleset, e.version, e.event])).toEqual([['triage', 2, 'state.entered']]);
  });
});

describe('validation', () => {
  const validate = (wf: Workflow) => validateWorkflow(wf, { actions: builtinActions(), rulesets: new Set(['routing', 'escalation', 'triage']), queues: null });
  const errors = (wf: Workflow) => validate(wf).problems.filter((p) => p.severity === 'error').map((p) => `${p.path}: ${p.message}`);

  it('accepts the triage workflow', () => {
    expect(errors(triageWorkflow())).toEqual([]);
  });

  it('refuses an unknown ruleset, runRuleset on leaving a state, nextResponse and a clock both started and paused, each at its path', () => {
    const wf = triageWorkflow();
    wf.states.new.onEnter[1].ruleset = 'triaging';
    wf.transitions.triaged.actions = [{ action: 'runRuleset', ruleset: 'nowhere' }];
    wf.states.triage.onExit = [{ action: 'runRuleset', ruleset: 'triage' }];
    wf.states.new.sla = { start: ['resolution', 'nextResponse'] };
    wf.states.pending.sla = { pause: ['resolution'], start: ['resolution'] };
    wf.states.resolved.sla.start = ['firstResponse'];
    expect(errors(wf)).toEqual([
      '$.states.new.sla.start[1]: a state cannot start "nextResponse": it starts with each customer message (a state can start firstResponse and resolution)',
      '$.states.pending.sla.start[0]: "resolution" is also paused here: a state cannot start and pause the same clock',
      '$.states.resolved.sla.start[0]: "firstResponse" is also stopped here: a state cannot start and stop the same clock',
    ]);
    // The shape first; the names once the shape is right.
    wf.states.new.sla = { start: ['resolution'] };
    wf.states.pending.sla = { pause: ['resolution'] };
    delete wf.states.resolved.sla.start;
    expect(errors(wf)).toEqual([
      '$.states.triage.onExit[0].action: "runRuleset" runs on entering a state: use it in the state\'s onEnter or in the actions of the transitions into it',
      '$.states.new.onEnter[1].ruleset: unknown ruleset "triaging"',
      '$.transitions.triaged.actions[0].ruleset: unknown ruleset "nowhere"',
    ]);
    wf.states.new.onEnter[1] = { action: 'runRuleset' };
    expect(errors(wf)).toContain('$.states.new.onEnter[1].ruleset: required');
  });

  it('fails at load with the file and the path (saving in the console: test/manage/workflows.test.ts)', () => {
    const wf = triageWorkflow();
    wf.states.new.onEnter[1].ruleset = 'triaging';
    let error: unknown;
    try {
      loadRepoDefinitions(folders(wf));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DefinitionFileError);
    expect((error as DefinitionFileError).file.endsWith('support.json')).toBe(true);
    expect((error as DefinitionFileError).problems.map((p) => p.path)).toEqual(['$.states.new.onEnter[1].ruleset']);
  });
});
