/**
 * The workflow editor as forms, through its pages as a browser without JavaScript posts
 * them: the shipped workflow makes the round trip unchanged (byte for byte); states and
 * transitions are edited, added, renamed (every reference follows) and removed; what the
 * forms do not know is kept; validation sits beside the field; the diagram is readable at
 * any size (text 12 px and up, zoom without JavaScript) and links every state and
 * transition to its form.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/definitions/diff.js';
import type { WorkflowDefinition } from '../../src/workflow/definition.js';
import { ROOT } from '../support/harness.js';
import { formFields, withFields } from '../support/forms.js';
import { manageHarness, textOf, type ManageHarness } from './support.js';

let h: ManageHarness;
beforeEach(async () => {
  h = manageHarness();
  await h.settled(); // on PostgreSQL the definitions registry is loaded once the seeding step has run
});
afterEach(() => h.close());

type Fields = [string, string][];

async function page(query = ''): Promise<string> {
  const res = await h.as.manager.get(`/manage/workflows/support${query}`);
  expect(res.status).toBe(200);
  return res.text();
}

async function post(fields: Fields, op: string): Promise<{ status: number; html: string }> {
  const res = await h.as.manager.post('/manage/workflows/support/builder', [...fields, ['op', op]]);
  return { status: res.status, html: await res.text() };
}

function docOf(html: string): WorkflowDefinition {
  return JSON.parse(formFields(html, 'builder-form').find(([k]) => k === 'doc')![1]) as WorkflowDefinition;
}

const fieldsOf = (html: string) => formFields(html, 'builder-form');

function latest() {
  return h.services.definitions.history('workflow', 'support')[0]!;
}

describe('the workflow editor', () => {
  it('saves the shipped workflow unchanged, byte for byte, when nothing was changed', async () => {
    const res = await post(fieldsOf(await page()), 'save');
    expect(res.status).toBe(303);
    expect(latest().state).toBe('draft');
    expect(canonicalJson(latest().body)).toBe(fs.readFileSync(path.join(ROOT, 'workflows', 'support.json'), 'utf8'));
  });

  it('edits a state: labels, category, the clocks it pauses, an action on entering, a timer', async () => {
    let html = await page();
    ({ html } = await post(
      withFields(fieldsOf(html), {
        set: { 'o:/states/pending/customerLabel': 'We need your answer', 's:/states/pending/category': 'open' },
        add: [['x:/states/pending/sla/pause', 'nextResponse']],
      }),
      'addTimer /states/pending',
    ));
    const pending = docOf(html).states.pending!;
    expect(pending).toMatchObject({ customerLabel: 'We need your answer', category: 'open', sla: { pause: ['resolution', 'nextResponse'] } });
    // A new timer takes the first transition, in the stored order of the transitions.
    expect(pending.timers).toEqual([{ after: '72h', transition: 'start' }]);
    // Counted in calendar time unless the row says business hours (on the case's SLA calendar).
    expect(fieldsOf(html)).toContainEqual(['ob:/states/pending/timers/0/businessHours', '']);
    ({ html } = await post(withFields(fieldsOf(html), { set: { 's:/states/pending/timers/0/transition': 'resume', 's:/states/pending/timers/0/after': '5d', 'ob:/states/pending/timers/0/businessHours': 'true' } }), 'addAction /states/pending onExit'));
    ({ html } = await post(withFields(fieldsOf(html), { set: { 'act:/states/pending/onExit/0': 'notify' } }), 'refresh'));
    expect(docOf(html).states.pending!.onExit).toEqual([{ action: 'notify', to: 'customer', template: 'case-received' }]);
    ({ html } = await post(withFields(fieldsOf(html), { set: { 's:/states/pending/onExit/0/template': 'case-pending', 's:/states/pending/onExit/0/to': 'assignee' } }), 'refresh'));
    const res = await post(fieldsOf(html), 'save');
    expect(res.status).toBe(303);
    const saved = (latest().body as WorkflowDefinition).states.pending!;
    expect(saved).toEqual({
      label: 'Pending customer',
      customerLabel: 'We need your answer',
      description: 'Waiting for the customer to answer; the resolution clock stands still.',
      category: 'open',
      sla: { pause: ['resolution', 'nextResponse'] },
      onEnter: [{ action: 'notify', to: 'customer', template: 'case-pending' }],
      timers: [{ after: '5d', transition: 'resume', businessHours: true }],
      onExit: [{ action: 'notify', to: 'assignee', template: 'case-pending' }],
    });
  });

  it('shows and keeps the clocks a state starts and a runRuleset action, as it does the clocks it pauses', async () => {
    let html = await page();
    expect(html).toContain('SLA clocks started here (not at creation)');
    ({ html } = await post(withFields(fieldsOf(html), { add: [['x:/states/open/sla/start', 'resolution']] }), 'addAction /states/open onEnter'));
    ({ html } = await post(withFields(fieldsOf(html), { set: { 'act:/states/open/onEnter/1': 'runRuleset' } }), 'refresh'));
    ({ html } = await post(withFields(fieldsOf(html), { set: { 's:/states/open/onEnter/1/ruleset': 'escalation' } }), 'refresh'));
    expect(docOf(html).states.open).toMatchObject({ sla: { start: ['resolution'] }, onEnter: [{ action: 'assign' }, { action: 'runRuleset', ruleset: 'escalation' }] });
    expect(textOf(html)).toContain('No problems found.');
    const res = await post(fieldsOf(html), 'save');
    expect(res.status).toBe(303);
    const saved = latest().body as WorkflowDefinition;
    expect(saved.states.open).toMatchObject({ sla: { start: ['resolution'] }, onEnter: [{ action: 'assign' }, { action: 'runRuleset', ruleset: 'escalation' }] });
    // The saved draft, opened again and saved untouched, is the same document.
    const again = await post(fieldsOf(await page()), 'save');
    expect(again.status).toBe(303);
    expect(canonicalJson(latest().body)).toBe(canonicalJson(saved));
  });

  it('renames a state and a transition in place: the initial state, from, to and timers follow', async () => {
    let html = await page();
    ({ html } = await post(withFields(fieldsOf(html), { set: { 'wk:/states/new': 'triage', 'wk:/transitions/autoClose': 'closeQuietly', 'o:/states/new/label': 'Triage' } }), 'refresh'));
    const doc = docOf(html);
    const states = ['triage', 'open', 'pending', 'escalated', 'resolved', 'closed'];
    expect(Object.keys(doc.states)).toEqual(states);
    expect(Object.keys(doc.states)).toHaveLength(states.length);
    expect(doc.initial).toBe('triage');
    expect(doc.states.triage!.label).toBe('Triage');
    expect(doc.transitions.start!.from).toEqual(['triage']);
    expect(doc.transitions.resolve!.from).toEqual(['triage', 'open', 'pending', 'escalated']);
    expect(Object.keys(doc.transitions)).toContain('closeQuietly');
    expect(Object.keys(doc.transitions)).not.toContain('autoClose');
    expect(Object.keys(doc.transitions).at(-1)).toBe('closeQuietly'); // renamed in place
    expect(doc.states.resolved!.timers).toEqual([{ after: '72h', transition: 'closeQuietly' }]);
    expect(textOf(html)).toContain('No problems found.');
    // A taken name or a bad one is refused beside the field, with what was typed.
    const taken = await post(withFields(fieldsOf(html), { set: { 'wk:/states/open': 'closed', 'wk:/transitions/close': '9lives' } }), 'refresh');
    expect(taken.html).toContain('<li class="field-error">&quot;closed&quot; is already used</li>');
    expect(taken.html).toContain('<li class="field-error">use letters, digits, &quot;-&quot; and &quot;_&quot;, starting with a letter</li>');
    expect(taken.html).toContain('value="9lives"');
    expect(Object.keys(docOf(taken.html).transitions)).toContain('close');
  });

  it('adds a state and a transition with who may use it, then shows the problems beside their fields', async () => {
    let html = await page();
    ({ html } = await post(fieldsOf(html), 'addState'));
    ({ html } = await post(withFields(fieldsOf(html), { set: { 'wk:/states/newState': 'onHold', 'o:/states/newState/label': 'On hold', 's:/states/newState/category': 'pending' } }), 'addTransition'));
    const fields = withFields(fieldsOf(html), {
      set: { 'wk:/transitions/newTransition': 'hold', 's:/transitions/newTransition/to': 'onHold' },
      unset: [['xr:/transitions/newTransition/from', 'new'], ['x:/transitions/newTransition/roles', 'agent'], ['x:/transitions/newTransition/roles', 'advanced']],
      add: [['xr:/transitions/newTransition/from', 'open'], ['x:/transitions/newTransition/requires', 'reason']],
    });
    ({ html } = await post(fields, 'refresh'));
    const doc = docOf(html);
    expect(doc.states.onHold).toEqual({ label: 'On hold', category: 'pending' });
    expect(doc.transitions.hold).toEqual({ label: 'New transition', from: ['open'], to: 'onHold', roles: ['manager', 'admin'], requires: ['reason'] });
    // onHold has no way out yet: a warning? No — the validator says it is fine; a transition to nowhere is an error.
    const broken = await post(withFields(fieldsOf(html), { set: { 's:/transitions/hold/to': 'limbo' } }), 'save');
    expect(broken.status).toBe(422);
    expect(broken.html).toContain('id="f-s-transitions-hold-to-messages"><li class="field-error">unknown state &quot;limbo&quot; (or &quot;@previous&quot;)</li>');
    const ok = await post(fieldsOf(html), 'save');
    expect(ok.status).toBe(303);
    // Removing the state leaves the transition pointing nowhere: the problem shows beside "to".
    const removed = await post(fieldsOf(html), 'remove /states/onHold');
    expect(removed.html).toContain('id="f-s-transitions-hold-to-messages"><li class="field-error">unknown state &quot;onHold&quot;');
  });

  it('keeps what the forms do not know, and marks it', async () => {
    const support = JSON.parse(fs.readFileSync(path.join(ROOT, 'workflows', 'support.json'), 'utf8')) as WorkflowDefinition & Record<string, unknown>;
    const odd = structuredClone(support);
    (odd.states.open!.onEnter as unknown[]).push({ action: 'escalate', tier: 2, queue: 'advanced', reason: 'x', extra: { deep: true } } as never);
    const saved = await h.as.manager.post('/manage/workflows/support/drafts', { body: JSON.stringify(odd) });
    // The action registry refuses unknown params: the draft is refused, so the editor shows it from the text.
    expect(saved.status).toBe(422);
    const html = await saved.text();
    expect(textOf(html)).toContain('shown as JSON The builder cannot show this as a form: "extra" is not a param of escalate');
    const res = await post(withFields(fieldsOf(html), { set: { 'o:/states/open/label': 'Working on it' } }), 'refresh');
    const doc = docOf(res.html);
    expect(doc.states.open!.onEnter![1]).toEqual({ action: 'escalate', tier: 2, queue: 'advanced', reason: 'x', extra: { deep: true } });
    expect(doc.states.open!.label).toBe('Working on it');
  });

  it('names an action called like what every object has ("constructor", "toString") unknown, beside its field, on saving and validating', async () => {
    const support = JSON.parse(fs.readFileSync(path.join(ROOT, 'workflows', 'support.json'), 'utf8')) as WorkflowDefinition;
    for (const action of ['constructor', 'toString']) {
      const odd = structuredClone(support);
      odd.states.open!.onEnter = [{ action }];
      const body = JSON.stringify(odd);
      const saved = await h.as.manager.post('/manage/workflows/support/drafts', { body });
      expect(saved.status).toBe(422);
      expect(textOf(await saved.text())).toContain(`$.states.open.onEnter[0].action unknown action "${action}"`);
      const validated = await h.as.manager.post('/manage/workflows/support/validate', { body });
      expect(validated.status).toBe(200);
      expect(textOf(await validated.text())).toContain(`unknown action "${action}"`);
      const loaded = await post([['body', body]], 'load');
      expect(loaded.status).toBe(200);
      expect(loaded.html).toContain(`unknown action &quot;${action}&quot;`);
    }
  });

  it('edits, renames and removes a state or transition named "constructor" or "prototype", as any other', async () => {
    const odd = JSON.parse(fs.readFileSync(path.join(ROOT, 'workflows', 'support.json'), 'utf8').replaceAll('"new"', '"constructor"').replaceAll('"close"', '"prototype"')) as WorkflowDefinition;
    expect(odd.initial).toBe('constructor');
    const loaded = await post([['body', JSON.stringify(odd)]], 'load');
    expect(loaded.status).toBe(200);
    const edited = await post(withFields(fieldsOf(loaded.html), { set: { 'o:/states/constructor/label': 'Incoming', 'wk:/transitions/prototype': 'closeByHand' } }), 'refresh');
    const doc = docOf(edited.html);
    expect(doc.states['constructor' as string]!.label).toBe('Incoming');
    expect(Object.keys(doc.transitions)).toContain('closeByHand');
    expect(Object.hasOwn(doc.transitions, 'prototype')).toBe(false);
    const removed = docOf((await post(fieldsOf(loaded.html), 'remove /transitions/prototype')).html);
    expect(Object.hasOwn(removed.transitions, 'prototype')).toBe(false);
  });

  it('edits the rulesets run on events', async () => {
    let html = await page();
    ({ html } = await post(withFields(fieldsOf(html), { set: { 'wk:/triggers/sla.warning': 'breached' } }), 'refresh'));
    expect(html).toContain('<li class="field-error">events look like &quot;entity.verb&quot;</li>');
    ({ html } = await post(withFields(fieldsOf(await page()), { unset: [['l:/triggers/case.created', 'escalation']] }), 'addTrigger'));
    const doc = docOf(html);
    expect(doc.triggers!['case.created']).toEqual(['routing']);
    expect(Object.keys(doc.triggers!)).toContain('customer.replied');
  });
});

describe('the diagram', () => {
  it('is drawn with text of 12 px and up, zooms (without JavaScript too) without going below its size, and links to the forms', async () => {
    const html = await page();
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
    const sizes = [...svg.matchAll(/font-size="(\d+)"/g)].map((m) => Number(m[1]));
    expect(sizes.length).toBeGreaterThan(20);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(12);
    const width = Number(/<svg[^>]* width="(\d+)"/.exec(svg)![1]);
    const zoomed = await page('?zoom=150');
    expect(Number(/<svg[^>]*id="workflow-diagram"[^>]* width="(\d+)"/.exec(zoomed)![1])).toBe(Math.round(width * 1.5));
    expect(zoomed).toContain('<span class="zoom-level" aria-live="polite">150 %</span>');
    expect(zoomed).toContain('href="/manage/workflows/support?zoom=200#diagram" data-zoom="in"');
    expect(zoomed).toContain('href="/manage/workflows/support?zoom=125#diagram" data-zoom="out"');
    // Below 100 % is not offered: text would shrink under 12 px.
    const small = await page('?zoom=50');
    expect(Number(/<svg[^>]*id="workflow-diagram"[^>]* width="(\d+)"/.exec(small)![1])).toBe(width);
    expect(small).toContain('href="/manage/workflows/support?zoom=100#diagram" data-zoom="out"');
    // Every state and transition links to its form on the page.
    const def = JSON.parse(fs.readFileSync(path.join(ROOT, 'workflows', 'support.json'), 'utf8')) as WorkflowDefinition;
    for (const name of Object.keys(def.states)) {
      expect(svg).toContain(`<a href="#state-${name}"`);
      expect(html).toContain(`id="state-${name}"`);
    }
    for (const name of Object.keys(def.transitions)) {
      expect(svg).toContain(`<a href="#transition-${name}"`);
      expect(html).toContain(`id="transition-${name}"`);
    }
  });
});
