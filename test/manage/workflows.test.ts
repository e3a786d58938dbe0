/** The workflow console: the list, the diagram beside the JSON, validation, drafts, publish, rollback. */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../../src/workflow/definition.js';
import { manageHarness, textOf, type ManageHarness } from './support.js';

let h: ManageHarness;
beforeEach(async () => {
  h = manageHarness();
  await h.settled(); // on PostgreSQL the definitions registry is loaded once the seeding step has run
});
afterEach(() => h.close());

function support(): WorkflowDefinition {
  return structuredClone(h.services.definitions.workflow('support').definition);
}

/** A realistic edit: an "On hold" state agents can park a case in; the resolution clock pauses there. */
function withHold(): WorkflowDefinition {
  const def = support();
  def.states.onHold = { label: 'On hold', customerLabel: 'In progress', category: 'pending', sla: { pause: ['resolution'] } };
  def.transitions.hold = { label: 'Put on hold', from: ['open'], to: 'onHold', roles: ['agent', 'manager', 'admin'] };
  def.transitions.resume = { ...def.transitions.resume!, from: ['pending', 'onHold'] };
  return def;
}

describe('workflows', () => {
  it('lists workflows with the one new cases use', async () => {
    const html = await (await h.as.manager.get('/manage/workflows')).text();
    const text = textOf(html);
    expect(html).toContain('href="/manage/workflows/support"');
    expect(text).toContain('support new cases Default support flow');
    expect(text).toContain('6 13 v1 files 2 Mar 2026, 09:00 UTC —');
    expect(html).toMatch(/<a href="\/manage\/workflows" aria-current="page">Workflows<\/a>/);
    expect(html).toContain('href="/manage/rules#rules-as-code"');
  });

  it('draws the state diagram above the forms and the JSON editor, with the same as tables', async () => {
    const html = await (await h.as.manager.get('/manage/workflows/support')).text();
    expect(html).toMatch(/<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="workflow-svg" id="workflow-diagram"/);
    // Its states and transitions link to their forms, so it is a group of links, not one image.
    expect(html).toContain('role="group" aria-labelledby="workflow-diagram-title workflow-diagram-desc"');
    expect(html).toContain('<a href="#state-pending" class="wf-link"><g class="wf-state" data-state="pending">');
    expect(html).toContain('<a href="#transition-resolve" class="wf-link"><g class="wf-transition" data-transition="resolve">');
    expect(html).toContain('<li class="wf-card" id="state-pending" tabindex="-1">');
    expect(html).toContain('<li class="wf-card" id="transition-resolve" tabindex="-1">');
    for (const state of ['new', 'open', 'pending', 'escalated', 'resolved', 'closed']) expect(html).toContain(`data-state="${state}"`);
    expect(html).toContain('paused: resolution');
    expect(html.indexOf('id="diagram"')).toBeLessThan(html.indexOf('id="builder-panel"'));
    expect(html.indexOf('id="builder-panel"')).toBeLessThan(html.indexOf('id="edit"'));
    expect(html).toContain('hx-post="/manage/workflows/support/validate"');
    const text = textOf(html);
    // The tables read in words (labels, clocks, events), each definition name small beside its label.
    expect(text).toContain('Pending customer pending pending — Resolution — notify —');
    expect(text).toContain('Resolved resolved resolved — — First response, Next response, Resolution — after 72h → Closed automatically');
    expect(text).toContain('Wait on customer waitOnCustomer Open, Escalated Pending customer agent, advanced, manager, admin — — —');
    expect(text).toContain('Resolve resolve New, Open, Pending customer, Escalated Resolved agent, advanced, manager, admin — solution The case was resolved case.resolved');
    expect(text).toContain('Customer replied customerReplied Pending customer the previous state nobody by hand The customer replied — —');
    expect(text).toContain('When the case was created case.created routing , escalation');
    expect(html).toContain('Wait on customer <small class="muted"><code>waitOnCustomer</code></small>');
    const tables = html.slice(html.indexOf('id="tables"'), html.indexOf('id="history"'));
    expect(tables).not.toContain('firstResponse');
    expect(tables).not.toContain('<td>case.resolved</td>');
  });

  it('validates as you type, with JSON paths', async () => {
    const def = support();
    def.transitions.resolve!.to = 'done';
    def.states.new!.onEnter = [{ action: 'teleport' }];
    const res = await h.as.manager.post('/manage/workflows/support/validate', { body: JSON.stringify(def) }, { htmx: true });
    const text = textOf(await res.text());
    expect(text).toContain('error $.transitions.resolve.to unknown state "done" (or "@previous")');
    expect(text).toMatch(/error \$\.states\.new\.onEnter\[0\]\.action unknown action "teleport"/);
    const renamed = support();
    renamed.workflow = 'other';
    expect(textOf(await (await h.as.manager.post('/manage/workflows/support/validate', { body: JSON.stringify(renamed) }, { htmx: true })).text())).toContain(
      'error $.workflow the workflow is named "other" but is stored as "support"',
    );
  });

  it('warns, as you type, about a state customers would read in staff wording (no customerLabel)', async () => {
    const def = support();
    delete def.states.escalated!.customerLabel;
    const text = textOf(await (await h.as.manager.post('/manage/workflows/support/validate', { body: JSON.stringify(def) }, { htmx: true })).text());
    expect(text).toContain('warning $.states.escalated.customerLabel missing: customers would read the staff label "Escalated"');
  });

  it('saves a draft with its diff and diagram, publishes it for new cases, rolls back', async () => {
    const saved = await h.as.manager.post('/manage/workflows/support/drafts', { body: JSON.stringify(withHold()), note: 'On hold' });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('Location')).toBe('/manage/workflows/support?saved=2#draft');
    const page = await (await h.as.manager.get('/manage/workflows/support')).text();
    expect(page).toContain('id="draft-diagram"');
    expect(page).toContain('data-state="onHold"');
    expect(page).toMatch(/<tr class="diff-added">.*?<pre>    &quot;onHold&quot;: \{<\/pre>.*?<pre>      &quot;label&quot;: &quot;On hold&quot;,<\/pre>/);
    expect(textOf(page)).toContain('Checks passed: no errors, no warnings.');

    const running = await h.intake({ customer: { email: 'a@example.com' }, subject: 'Hello', description: 'A question' });
    expect((await h.as.manager.post('/manage/workflows/support/publish', { draft: '2', note: 'Agents can park cases' })).status).toBe(303);
    const fresh = await h.intake({ customer: { email: 'b@example.com' }, subject: 'Hello', description: 'A question' });
    const version = async (id: number) => (await h.query((q) => q.db.select({ v: q.tables.cases.workflowVersion }).from(q.tables.cases).where(eq(q.tables.cases.id, id))))[0]!.v;
    expect(await version(running)).toBe(1);
    expect(await version(fresh)).toBe(3);
    const published = textOf(await (await h.as.manager.get('/manage/workflows/support?published=3')).text());
    expect(published).toContain('Published v3 (draft v2).');
    expect(published).toContain('State diagram (v3)');
    expect(published).toContain('On hold onHold pending — Resolution');

    expect((await h.as.manager.post('/manage/workflows/support/rollback', { version: '1', note: '' })).status).toBe(303);
    expect(h.services.definitions.version('workflow', 'support', 4)).toMatchObject({ state: 'published', basedOn: 1, note: 'Rolled back to v1' });
    const v3 = await (await h.as.manager.get('/manage/workflows/support/versions/3')).text();
    expect(v3).toContain('id="v3-diagram"');
    expect(v3).toContain('data-state="onHold"');
    expect(textOf(v3)).toContain('Roll back to v3');
  });

  it('refuses a transition written twice (JSON keeps only the last one), as you type and on save, keeping the text', async () => {
    const text = JSON.stringify(support(), null, 2).replace(
      '"transitions": {',
      '"transitions": {\n    "waitOnCustomer": { "label": "Wait (tier 2)", "from": ["escalated"], "to": "pending", "roles": ["advanced"] },',
    );
    const validated = textOf(await (await h.as.manager.post('/manage/workflows/support/validate', { body: text }, { htmx: true })).text());
    expect(validated).toMatch(/error \$\.transitions\.waitOnCustomer duplicate key "waitOnCustomer" \(lines \d+ and \d+\): JSON keeps only the last one/);
    expect(validated).not.toContain('No problems found');

    const saved = await h.as.manager.post('/manage/workflows/support/drafts', { body: text, note: 'tier 2 can wait too' });
    expect(saved.status).toBe(422);
    const page = await saved.text();
    expect(textOf(page)).toContain('error $.transitions.waitOnCustomer duplicate key "waitOnCustomer"');
    expect(page).toContain('&quot;label&quot;: &quot;Wait (tier 2)&quot;'); // the text as typed
    expect(h.services.definitions.history('workflow', 'support')).toHaveLength(1);
  });

  it('refuses an escalation to a queue that does not exist (or no longer is active), as you type, on save and on publish', async () => {
    const typo = support();
    typo.transitions.escalate!.actions = [{ action: 'escalate', tier: 2, queue: 'advnaced' }];
    const validated = textOf(await (await h.as.manager.post('/manage/workflows/support/validate', { body: JSON.stringify(typo) }, { htmx: true })).text());
    expect(validated).toContain('error $.transitions.escalate.actions[0].queue unknown queue "advnaced" (known: ');
    expect((await h.as.manager.post('/manage/workflows/support/drafts', { body: JSON.stringify(typo, null, 2) })).status).toBe(422);
    expect(h.services.definitions.history('workflow', 'support')).toHaveLength(1);

    // A draft naming a queue that exists is saved; the queue is switched off before it is published.
    h.queue('vendors', 2);
    const vendors = support();
    vendors.transitions.escalate!.actions = [{ action: 'escalate', tier: 2, queue: 'vendors' }];
    expect((await h.as.manager.post('/manage/workflows/support/drafts', { body: JSON.stringify(vendors, null, 2) })).status).toBe(303);
    await h.query((q) => q.db.update(q.tables.queues).set({ active: false }).where(eq(q.tables.queues.id, 'vendors')));
    const refused = await h.as.manager.post('/manage/workflows/support/publish', { draft: '2', note: 'Escalations go to vendors' });
    expect(refused.status).toBe(422);
    expect(textOf(await refused.text())).toContain('error $.transitions.escalate.actions[0].queue unknown queue "vendors"');
    expect(h.services.definitions.publishedVersion('workflow', 'support')).toBe(1);
  });

  it('refuses an escalation to a queue of another tier, or to a tier no active queue has, as you type and on save', async () => {
    const def = support();
    def.transitions.escalate!.actions = [{ action: 'escalate', tier: 2, queue: 'billing' }];
    def.states.escalated!.onEnter = [{ action: 'escalate', tier: 3 }];
    const validated = textOf(await (await h.as.manager.post('/manage/workflows/support/validate', { body: JSON.stringify(def) }, { htmx: true })).text());
    expect(validated).toContain('error $.transitions.escalate.actions[0].queue the queue "billing" is at tier 1, not tier 2: the case would be marked tier 2 in a tier-1 queue; name a tier-2 queue (advanced), or escalate to tier 1');
    expect(validated).toContain('error $.states.escalated.onEnter[0].tier no active queue is at tier 3');
    expect((await h.as.manager.post('/manage/workflows/support/drafts', { body: JSON.stringify(def, null, 2) })).status).toBe(422);
    expect(h.services.definitions.history('workflow', 'support')).toHaveLength(1);
  });

  it('refuses a draft that breaks the workflow, keeping the text', async () => {
    const def = support();
    delete (def.states as Record<string, unknown>).closed;
    const res = await h.as.manager.post('/manage/workflows/support/drafts', { body: JSON.stringify(def, null, 2) });
    expect(res.status).toBe(422);
    const text = textOf(await res.text());
    expect(text).toContain('error $.transitions.close.to unknown state "closed"');
    expect(h.services.definitions.history('workflow', 'support')).toHaveLength(1);
  });

  it('refuses a draft whose state runs an unknown ruleset or starts a clock it may not, at their paths', async () => {
    const def = support();
    def.states.new!.onEnter = [{ action: 'assign' }, { action: 'runRuleset', ruleset: 'triaging' }];
    def.states.open!.sla = { start: ['nextResponse'] };
    const res = await h.as.manager.post('/manage/workflows/support/drafts', { body: JSON.stringify(def, null, 2) });
    expect(res.status).toBe(422);
    expect(textOf(await res.text())).toContain('error $.states.open.sla.start[0] a state cannot start "nextResponse"');
    def.states.open!.sla = { start: ['resolution'] };
    const named = await h.as.manager.post('/manage/workflows/support/drafts', { body: JSON.stringify(def, null, 2) });
    expect(named.status).toBe(422);
    expect(textOf(await named.text())).toContain('error $.states.new.onEnter[1].ruleset unknown ruleset "triaging"');
    def.states.new!.onEnter = [{ action: 'assign' }, { action: 'runRuleset', ruleset: 'escalation' }];
    expect((await h.as.manager.post('/manage/workflows/support/drafts', { body: JSON.stringify(def, null, 2) })).status).toBe(303);
    expect(h.services.definitions.history('workflow', 'support')[0]!.body).toMatchObject({ states: { open: { sla: { start: ['resolution'] } } } });
  });
});
