/**
 * The rules console through its pages: rulesets and their rules as sentences, validation as
 * you type (problems with JSON paths), drafts with their diff, dry-run jobs (exact on a
 * seeded history), publish with checks, rollback, history, version pages, and rules as code
 * (export / import buttons, a round trip giving identical files).
 */
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/definitions/diff.js';
import type { RulesetDefinition, RuleJson } from '../../src/rules/definition.js';
import { runSlaSweep } from '../../src/sla/run-sweep.js';
import { signedIn } from '../support/pages.js';
import { formFields } from '../support/forms.js';
import { manageHarness, textOf, waitForJob, type ManageHarness } from './support.js';

let h: ManageHarness;
beforeEach(async () => {
  h = manageHarness();
  await h.settled(); // on PostgreSQL the definitions registry is loaded once the seeding step has run
});
afterEach(() => h.close());

function routing(): RulesetDefinition {
  return structuredClone(h.services.definitions.ruleset('routing').definition);
}

const ACME_RULE: RuleJson = {
  name: 'Acme goes to technical',
  priority: 50,
  conditions: { all: [{ fact: 'customer', path: '$.organization', operator: 'equal', value: 'Acme' }] },
  event: { type: 'route', params: { queue: 'technical' } },
};

function withAcme(def = routing()): RulesetDefinition {
  return { ...def, rules: [structuredClone(ACME_RULE), ...def.rules] };
}

async function caseRow(id: number) {
  const [row] = await h.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, id)));
  return row!;
}

async function saveDraft(body: unknown, note = 'Acme first'): Promise<Response> {
  return h.as.manager.post('/manage/rules/routing/drafts', { body: JSON.stringify(body, null, 2), note, from: '1' });
}

/** A small history: Acme and other customers, billing, technical and general requests. */
async function seedHistory() {
  const ids = {
    acmeInvoice: await h.intake({ customer: { email: 'a1@acme.example', organization: 'Acme' }, subject: 'Invoice question', description: 'The invoice total looks wrong' }),
    acmeHello: await h.intake({ customer: { email: 'a2@acme.example', organization: 'Acme' }, subject: 'Hello', description: 'How do I export my data?' }),
    acmeError: await h.intake({ customer: { email: 'a3@acme.example', organization: 'Acme' }, subject: 'Login error', description: 'I get an error when I log in' }),
    otherInvoice: await h.intake({ customer: { email: 'b@example.com' }, subject: 'Invoice copy', description: 'Please send the invoice again' }),
    otherHello: await h.intake({ customer: { email: 'c@example.com', organization: 'Globex' }, subject: 'Hello', description: 'How do I export my data?' }),
  };
  h.clock.advanceMinutes(10);
  return ids;
}

describe('rulesets', () => {
  it('lists rulesets with the version in force, author, date and rules count; the Manage navigation links the areas', async () => {
    const res = await h.as.manager.get('/manage/rules');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('href="/manage/rules/routing"');
    expect(html).toContain('href="/manage/rules/escalation"');
    expect(html).toMatch(/<a href="\/manage\/rules" aria-current="page">Rules<\/a>/);
    expect(html).toContain('<a href="/manage/workflows">Workflows</a>');
    expect(html).toContain('<a href="/manage/sla">SLA</a>');
    const at = html.indexOf('href="/manage/rules/routing"');
    const row = textOf(html.slice(html.lastIndexOf('<tr>', at), html.indexOf('</tr>', at)));
    expect(row).toBe(`routing Picks the queue, priority, tags, skills and SLA policy of every new case. ${routing().rules.length} v1 files 2 Mar 2026, 09:00 UTC —`);
    expect(html).toContain('/assets/manage.css?v=');
  });

  it('shows each rule as a sentence beside its JSON, and the editor holds the version in force', async () => {
    const html = await (await h.as.manager.get('/manage/rules/routing')).text();
    const text = textOf(html);
    expect(text).toContain("Enterprise customers get premium SLAs if the customer's tier is enterprise → apply the SLA policy premium rules[4] · priority 1");
    expect(text).toContain('Tag requests outside business hours if it is outside business hours → tag it after-hours');
    expect(text).toContain('Outages are urgent if the subject has any of the words “outage”, “down”, “data loss” or the description has any of the words “production is down”, “all users”, “data loss” → set the priority to urgent');
    expect(html).toContain('&quot;name&quot;: &quot;Enterprise customers get premium SLAs&quot;');
    expect(text).toContain('v1 published by files on 2 Mar 2026, 09:00 UTC — Seeded from rules/routing.json');
    const textarea = /<textarea[^>]*id="definition-json"[^>]*>([\s\S]*?)<\/textarea>/.exec(html)![1]!;
    expect(textOf(textarea)).toBe(textOf(canonicalJson(routing())));
    expect(html).toContain('hx-post="/manage/rules/routing/validate"');
    expect(html).toContain('hx-trigger="input changed delay:400ms"');
    expect(text).toContain('No draft.');
  });

  it('publishes shared conditions from the console and shows each as a sentence; rules name the one they use', async () => {
    const def = routing();
    def.sharedConditions = { 'key account': { any: [{ fact: 'customer', path: '$.organization', operator: 'equal', value: 'Acme' }, { fact: 'customer', path: '$.tier', operator: 'equal', value: 'enterprise' }] } };
    def.rules.unshift({ ...structuredClone(ACME_RULE), name: 'Key accounts to technical', conditions: { all: [{ condition: 'key account' }] } });
    expect((await saveDraft(def, 'Key accounts')).status).toBe(303);
    const published = await h.as.manager.post('/manage/rules/routing/publish', { draft: '2', note: 'Key accounts first' });
    expect(published.headers.get('Location')).toBe('/manage/rules/routing?published=3'); // the draft's copy, published
    const text = textOf(await (await h.as.manager.get('/manage/rules/routing')).text());
    expect(text).toContain('Shared conditions key account the customer\'s organization is Acme or the customer\'s tier is enterprise rules refer to it as { "condition": "key account" }');
    expect(text).toContain('Key accounts to technical if the shared condition “key account” → route to technical');
    const id = await h.intake({ customer: { email: 'k@acme.example', organization: 'Acme' }, subject: 'Hello', description: 'How do I export my data?' });
    expect((await caseRow(id)).routing!.fired.map((f) => f.rule)).toContain('Key accounts to technical');
  });

  it('answers 404 for a ruleset that does not exist', async () => {
    expect((await h.as.manager.get('/manage/rules/nope')).status).toBe(404);
    expect((await h.as.manager.post('/manage/rules/nope/validate', { body: '{}' })).status).toBe(404);
    expect((await h.as.manager.get('/manage/rules/routing/versions/99')).status).toBe(404);
  });
});

describe('validation as you type', () => {
  async function validate(body: string) {
    const res = await h.as.manager.post('/manage/rules/routing/validate', { body }, { htmx: true, csrfHeader: true });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('<html');
    return html;
  }

  it('lists every problem with its JSON path, without saving anything', async () => {
    const broken = routing();
    broken.rules[0]!.event = { type: 'route', params: { queue: 'nowhere' } };
    broken.rules[1]!.conditions.any![0]!.operator = 'sounds like';
    const html = await validate(JSON.stringify(broken));
    const text = textOf(html);
    expect(text).toContain('2 errors');
    expect(text).toMatch(/error \$\.rules\[0\]\.event\.params\.queue unknown queue "nowhere" \(known: [a-z, ]+\)/);
    expect(text).toMatch(/error \$\.rules\[1\]\.conditions\.any\[0\]\.operator unknown operator "sounds like"/);
    expect(h.services.definitions.history('ruleset', 'routing')).toHaveLength(1);
  });

  it('says where the JSON breaks, and reports the publish checks (warnings) of a valid body', async () => {
    expect(textOf(await validate('{\n  "ruleset": "routing",\n  "rules": [\n'))).toMatch(/error \$ not valid JSON \(line 4, column 1\)/);
    const contradictory = routing();
    contradictory.rules.push({
      name: 'Never',
      conditions: {
        all: [
          { fact: 'case', path: '$.priority', operator: 'equal', value: 'urgent' },
          { fact: 'case', path: '$.priority', operator: 'equal', value: 'low' },
        ],
      },
      event: { type: 'addTags', params: { tags: ['never'] } },
    });
    const text = textOf(await validate(JSON.stringify(contradictory)));
    expect(text).toContain('1 warning');
    expect(text).toContain('warning $.rules[8].conditions.all[1] "Never" can never fire: its conditions on case.priority contradict each other');
    const valid = await validate(JSON.stringify(routing()));
    // The fragment is the problem list; the rule builder follows the JSON out of band.
    expect(textOf(valid.split('<div id="builder"')[0]!)).toBe('No problems found.');
    expect(valid).toContain('<div id="builder" class="builder" hx-swap-oob="true">');
  });

  it('warns that a rule with an empty condition group fires on every case, without refusing it', async () => {
    const everything = routing();
    everything.rules.push({ name: 'Everything', conditions: { any: [] }, event: { type: 'addTags', params: { tags: ['all'] } } });
    const text = textOf(await validate(JSON.stringify(everything)));
    expect(text).toContain('0 errors');
    expect(text).toContain('warning $.rules[8].conditions.any "Everything" fires on every case: json-rules-engine treats an empty "any" group as true');
  });

  it('warns about a condition comparing a field with a value it never has: the tier as text, a state no workflow has', async () => {
    const typed = routing();
    typed.rules.push({ name: 'Tier one', conditions: { all: [{ fact: 'case', path: '$.tier', operator: 'equal', value: '1' }] }, event: { type: 'addTags', params: { tags: ['one'] } } });
    typed.rules.push({ name: 'Waiting', conditions: { all: [{ fact: 'case', path: '$.status', operator: 'in', value: ['pending', 'waiting'] }] }, event: { type: 'addTags', params: { tags: ['w'] } } });
    const text = textOf(await validate(JSON.stringify(typed)));
    expect(text).toContain('0 errors');
    expect(text).toContain('warning $.rules[8].conditions.all[0].value "Tier one": Tier is a number, never the text "1" (write 1 without quotes), so this condition never holds');
    expect(text).toContain('warning $.rules[9].conditions.all[0].value[1] "Waiting": State is never "waiting": it is one of the states of the workflows (closed, escalated, new, open, pending, resolved), so this value never matches');
  });

  it('escapes what was typed', async () => {
    const evil = routing();
    evil.rules[0]!.event = { type: 'route', params: { queue: '<img src=x onerror=alert(1)>' } };
    const html = await validate(JSON.stringify(evil));
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('draft → diff → dry-run → publish → rollback', () => {
  it('refuses an invalid draft with 422, keeping the text and listing the problems', async () => {
    const broken = withAcme();
    broken.rules[0]!.event.params = { queue: 'nowhere' };
    const text = JSON.stringify(broken, null, 2);
    const res = await h.as.manager.post('/manage/rules/routing/drafts', { body: text, note: 'mine' });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(textOf(html)).toContain('error $.rules[0].event.params.queue unknown queue "nowhere"');
    expect(html).toContain('aria-invalid="true"');
    const textarea = /<textarea[^>]*>([\s\S]*?)<\/textarea>/.exec(html)![1]!;
    expect(textarea).toContain('&quot;queue&quot;: &quot;nowhere&quot;');
    expect(html).toContain('value="mine"');
    const syntax = await h.as.manager.post('/manage/rules/routing/drafts', { body: '{ nope' });
    expect(syntax.status).toBe(422);
    expect(textOf(await syntax.text())).toMatch(/\$ not valid JSON \(line 1, column 3\)/);
    expect(h.services.definitions.history('ruleset', 'routing')).toHaveLength(1);
  });

  it('saves a draft, shows its diff, replays it exactly over past cases, publishes it and rolls back', async () => {
    const ids = await seedHistory();
    const before = Object.fromEntries(await Promise.all(Object.entries(ids).map(async ([k, id]) => [k, (await caseRow(id)).queueId])));
    // The login error matches no known problem: the escalation rules send it to advanced support.
    expect(before).toEqual({ acmeInvoice: 'billing', acmeHello: 'general', acmeError: 'advanced', otherInvoice: 'billing', otherHello: 'general' });

    // Save: a draft v2, the page shows it with its diff against v1.
    const saved = await saveDraft(withAcme());
    expect(saved.status, textOf(await saved.clone().text()).slice(0, 3000)).toBe(303);
    expect(saved.headers.get('Location')).toBe('/manage/rules/routing?saved=2#draft');
    const page = await (await h.as.manager.get('/manage/rules/routing?saved=2')).text();
    const text = textOf(page);
    expect(text).toContain('Draft v2 saved.');
    expect(text).toContain('Draft v2 v2 draft by Maria Manager on 2 Mar 2026, 09:10 UTC — Acme first');
    expect(text).toContain('Changes against the published v1');
    expect(page).toMatch(/<tr class="diff-added"><td class="diff-num"><\/td><td class="diff-num">\d+<\/td>(?:(?!<\/tr>).)*<pre> {6}&quot;name&quot;: &quot;Acme goes to technical&quot;,<\/pre>/);
    // Its line, and the lines around it, as the JSON text was written.
    expect(page).toContain(
      '<tr class="diff-added"><td class="diff-num"></td><td class="diff-num">6</td><td class="diff-sign"><span aria-hidden="true">+</span><span class="visually-hidden">added</span></td><td class="diff-text"><pre>      &quot;name&quot;: &quot;Acme goes to technical&quot;,</pre>',
    );
    expect(page).toContain('<td colspan="4">… 2 unchanged lines</td>');
    expect(page).not.toContain('diff-removed"');
    expect(text).toContain('Checks passed: no errors, no warnings.');
    expect(page).toContain('id="dry-run-form"');
    expect(page).toContain('<input type="hidden" name="draft" value="2"/>');
    // The editor now starts from the draft.
    expect(page).toContain('Started from version 2.');

    // Dry-run (htmx): a job whose fragment polls until it is done.
    const start = await h.as.manager.post('/manage/rules/routing/dry-runs', { draft: '2', scope: 'last', count: '100' }, { htmx: true, csrfHeader: true });
    expect(start.status).toBe(200);
    const first = await start.text();
    expect(first).toContain('hx-trigger="every 500ms"');
    expect(first).toContain('aria-busy="true"');
    expect(textOf(first)).toContain('Replaying the last 100 cases against draft v2…');
    expect(textOf(first)).toMatch(/0 of 5 cases \(0%\)/);
    const url = /hx-get="([^"]+)"/.exec(first)![1]!;
    expect(url).toMatch(/^\/manage\/rules\/routing\/dry-runs\/[A-Za-z0-9_-]{43}$/);
    const done = await waitForJob(h.as.manager, url);
    const result = textOf(done);
    expect(result).toContain('Dry-run of draft v2: 2 cases of 5 would change');
    expect(result).toContain('The last 100 cases, replayed against v1 in force.');
    expect(result).toContain('Nothing was written.');
    expect(result).toContain('Changes by outcome Outcome Cases Queue 2');
    // Routed to technical, matching no known problem: the shipped escalation rules send them on to advanced support.
    expect(result).toContain('Rules responsible Rule Cases escalation: Undiagnosed technical problems go to advanced support 2 routing: Acme goes to technical 2');
    // Exactly the Acme cases that were not already technical, before → after.
    const listed = [...done.matchAll(/<td class="cell-ref"><a href="\/cases\/(C-\d+)">/g)].map((m) => m[1]);
    expect(listed.sort()).toEqual([`C-${ids.acmeInvoice}`, `C-${ids.acmeHello}`].sort());
    expect(result).toContain(`C-${ids.acmeInvoice} Invoice question 2 Mar 2026, 09:00 UTC Queue : billing → advanced Tier : 1 → 2 escalation: Undiagnosed technical problems go to advanced support routing: Acme goes to technical`);
    expect(result).toContain(`C-${ids.acmeHello} Hello 2 Mar 2026, 09:00 UTC Queue : general → advanced`);
    // Nothing was written by the dry-run.
    expect((await caseRow(ids.acmeInvoice)).queueId).toBe('billing');

    // The job is the manager's own: the admin cannot read it.
    expect((await h.as.admin.get(url, { htmx: true })).status).toBe(404);
    expect((await h.as.admin.get(url)).status).toBe(404);
    // Without htmx: a redirect to the job's page, which shows the same results.
    const plain = await h.as.manager.post('/manage/rules/routing/dry-runs', { draft: '2', scope: 'queue', queue: 'billing', count: '10' });
    expect(plain.status).toBe(303);
    const jobPage = plain.headers.get('Location')!;
    await waitForJob(h.as.manager, jobPage);
    const full = textOf(await (await h.as.manager.get(jobPage)).text());
    expect(full).toContain('Dry-run of draft v2: 1 case of 2 would change');
    expect(full).toContain('The last 10 cases in billing');

    // Publish needs a note; then v3 is in force, based on draft v2.
    const noNote = await h.as.manager.post('/manage/rules/routing/publish', { draft: '2', note: ' ' });
    expect(noNote.status).toBe(422);
    expect(textOf(await noNote.text())).toContain('write a note: why this change');
    h.clock.advanceMinutes(5);
    const published = await h.as.manager.post('/manage/rules/routing/publish', { draft: '2', note: 'Acme is our biggest customer' });
    expect(published.status).toBe(303);
    expect(published.headers.get('Location')).toBe('/manage/rules/routing?published=3');
    const after = textOf(await (await h.as.manager.get('/manage/rules/routing?published=3')).text());
    expect(after).toContain('Published v3 (draft v2). It is in force from now on; cases already handled keep the version they started with.');
    expect(after).toContain('v3 published by Maria Manager on 2 Mar 2026, 09:15 UTC — Acme is our biggest customer');
    expect(after).toContain('Rules in force (v3) Acme goes to technical if the customer\'s organization is Acme → route to technical');
    expect(after).toContain('No draft.');
    expect(after).toContain(
      'v3 in force Maria Manager 2 Mar 2026, 09:15 UTC Acme is our biggest customer v2 v2 draft Maria Manager 2 Mar 2026, 09:10 UTC Acme first — v1 published files 2 Mar 2026, 09:00 UTC Seeded from rules/routing.json — Roll back to v1…',
    );

    // A new Acme case is routed by v3; the earlier cases keep v1.
    const fresh = await h.intake({ customer: { email: 'a4@acme.example', organization: 'Acme' }, subject: 'Hello again', description: 'A question' });
    expect(await caseRow(fresh)).toMatchObject({ queueId: 'advanced', routing: { version: 3 } });
    expect(await caseRow(ids.acmeHello)).toMatchObject({ queueId: 'general', routing: { version: 1 } });

    // Roll back to v1: a new version v4, a copy of v1.
    h.clock.advanceMinutes(5);
    const rolled = await h.as.manager.post('/manage/rules/routing/rollback', { version: '1', note: 'Acme asked us not to' });
    expect(rolled.status).toBe(303);
    expect(rolled.headers.get('Location')).toBe('/manage/rules/routing?rolledBack=4');
    const rolledPage = textOf(await (await h.as.manager.get('/manage/rules/routing?rolledBack=4')).text());
    expect(rolledPage).toContain('Rolled back: v4, a copy of v1, is in force now.');
    expect(rolledPage).toMatch(/v4 in force Maria Manager 2 Mar 2026, 09:20 UTC Acme asked us not to v1 /);
    const later = await h.intake({ customer: { email: 'a5@acme.example', organization: 'Acme' }, subject: 'Hello', description: 'A question' });
    expect(await caseRow(later)).toMatchObject({ queueId: 'general', routing: { version: 4 } });
    expect((await caseRow(fresh)).routing?.version).toBe(3);
    expect(h.services.definitions.history('ruleset', 'routing').map((r) => [r.version, r.state, r.basedOn, r.note])).toEqual([
      [4, 'published', 1, 'Acme asked us not to'],
      [3, 'published', 2, 'Acme is our biggest customer'],
      [2, 'draft', null, 'Acme first'],
      [1, 'published', null, 'Seeded from rules/routing.json'],
    ]);
  });

  it('dry-runs the escalation ruleset over the SLA events of past cases too, saying when a case would end differently', async () => {
    const id = await h.intake({ customer: { email: 'c@example.com' }, subject: 'Question about my account', description: 'How do I change my display name?' });
    // The first-response SLA warns, then breaches the next working day: the shipped rule escalates it.
    for (let i = 0; i < 30; i++) {
      h.clock.advanceMinutes(60);
      await runSlaSweep(h.services);
    }
    expect((await caseRow(id)).queueId).toBe('advanced');
    const draft = structuredClone(h.services.definitions.ruleset('escalation').definition);
    draft.rules = draft.rules.filter((r) => r.name !== 'Breached SLAs go to advanced support');
    const manager = signedIn(h, h.maria); // a day later: a session of today
    expect((await manager.post('/manage/rules/escalation/drafts', { body: JSON.stringify(draft, null, 2), note: 'No escalation on breach', from: '1' })).status).toBe(303);
    const start = await manager.post('/manage/rules/escalation/dry-runs', { draft: '2', scope: 'last', count: '100' }, { htmx: true });
    const result = textOf(await waitForJob(manager, /hx-get="([^"]+)"/.exec(await start.text())![1]!));
    expect(result).toContain('Dry-run of draft v2: 1 case of 1 would change');
    expect(result).toContain('The last 100 cases, replayed against v1 in force, with 2 later events the ruleset runs on.');
    expect(result).toMatch(
      new RegExp(`C-${id} Question about my account 2 Mar 2026, 09:00 UTC SLA breach \\(first response\\), 3 Mar 2026, \\d\\d:\\d\\d UTC Queue : advanced → general Tier : 2 → 1 escalation: Breached SLAs go to advanced support`),
    );
    expect(result).not.toContain('Not replayed');
  });

  it('dry-runs a date range or one queue, and refuses a bad selection with the form', async () => {
    await h.intake({ customer: { email: 'old@acme.example', organization: 'Acme' }, subject: 'Old', description: 'x y z', createdAt: '2026-02-10T10:00:00Z' });
    await seedHistory();
    await saveDraft(withAcme());
    const range = await h.as.manager.post('/manage/rules/routing/dry-runs', { draft: '2', scope: 'range', from: '2026-02-01', to: '2026-02-28' }, { htmx: true });
    const url = /hx-get="([^"]+)"/.exec(await range.text())![1]!;
    const text = textOf(await waitForJob(h.as.manager, url));
    expect(text).toContain('Dry-run of draft v2: 1 case of 1 would change');
    expect(text).toContain('The cases created 2026-02-01 to 2026-02-28 (UTC)');
    expect(text).toContain('Old');

    const bad = await h.as.manager.post('/manage/rules/routing/dry-runs', { draft: '2', scope: 'last', count: '0' }, { htmx: true });
    expect(bad.status).toBe(422);
    expect(bad.headers.get('HX-Retarget')).toBe('#dry-run-form');
    const form = await bad.text();
    expect(form).toMatch(/^<form id="dry-run-form"/);
    expect(textOf(form)).toContain('count: at least 1');
    const backwards = await h.as.manager.post('/manage/rules/routing/dry-runs', { draft: '2', scope: 'range', from: '2026-03-02', to: '2026-03-01' }, { htmx: true });
    expect(textOf(await backwards.text())).toContain('to: must not be before the start date');
    const unknownQueue = await h.as.manager.post('/manage/rules/routing/dry-runs', { draft: '2', scope: 'queue', queue: 'nowhere', count: '5' }, { htmx: true });
    expect(textOf(await unknownQueue.text())).toContain('queue: unknown queue "nowhere"');
    expect((await h.as.manager.post('/manage/rules/routing/dry-runs', { draft: '9', scope: 'last', count: '5' })).status).toBe(404);
  });

  it('refuses a date that does not exist (not read as another day), and without JavaScript shows the page with the form as typed', async () => {
    await saveDraft(withAcme());
    // Date.parse reads 2026-02-30 as 2 March: the range would have started two days later than asked.
    const feb30 = await h.as.manager.post('/manage/rules/routing/dry-runs', { draft: '2', scope: 'range', from: '2026-02-30', to: '2026-03-31' }, { htmx: true });
    expect(feb30.status).toBe(422);
    expect(textOf(await feb30.text())).toContain('from: no such date');

    const plain = await h.as.manager.post('/manage/rules/routing/dry-runs', { draft: '2', scope: 'last', count: 'ten' });
    expect(plain.status).toBe(422);
    const html = await plain.text();
    expect(html).toContain('<title>Ruleset routing');
    const form = formFields(html, 'dry-run-form');
    expect(form).toContainEqual(['count', 'ten']);
    expect(textOf(html)).toContain('count: a whole number');
    const odd = await h.as.manager.post('/manage/rules/routing/dry-runs', { draft: '2', scope: 'weird' });
    expect(textOf(await odd.text())).toContain('scope: choose the last cases, a date range or a queue');
  });

  it('shows the publish warnings of a draft and refuses to publish one that no longer validates', async () => {
    const clash = routing();
    clash.rules.push({ name: 'Acme to billing', conditions: { all: [{ fact: 'customer', path: '$.organization', operator: 'equal', value: 'Acme' }] }, event: { type: 'route', params: { queue: 'billing' } } });
    clash.rules.push({ name: 'Acme to technical', conditions: { all: [{ fact: 'customer', path: '$.tier', operator: 'equal', value: 'gold' }] }, event: { type: 'route', params: { queue: 'technical' } } });
    expect((await saveDraft(clash)).status).toBe(303);
    const page = textOf(await (await h.as.manager.get('/manage/rules/routing')).text());
    expect(page).toContain(
      'Publish draft v2 1 warning warning $.rules[9] "Acme to technical" and "Acme to billing" set different queue values at the same rule priority (1) and can match the same case',
    );

    await h.run("UPDATE queues SET active = false WHERE id = 'technical'");
    const refused = await h.as.manager.post('/manage/rules/routing/publish', { draft: '2', note: 'try' });
    expect(refused.status).toBe(422);
    const text = textOf(await refused.text());
    expect(text).toContain('The ruleset "routing" has 2 problems.');
    expect(text).toContain('error $.rules[1].event.params.queue unknown queue "technical"');
    expect(text).toContain('error $.rules[9].event.params.queue unknown queue "technical"');
    expect(h.services.definitions.publishedVersion('ruleset', 'routing')).toBe(1);
  });

  it('shows a version on its own page: its rules, its diff against the version in force, and what can be done with it', async () => {
    await saveDraft(withAcme());
    const draftPage = textOf(await (await h.as.manager.get('/manage/rules/routing/versions/2')).text());
    expect(draftPage).toContain('Ruleset routing v2');
    expect(draftPage).toContain('Publish draft v2');
    expect(draftPage).toContain('Against the version in force (v1)');
    expect(draftPage).toContain("Rules of v2 Acme goes to technical if the customer's organization is Acme → route to technical");
    await h.as.manager.post('/manage/rules/routing/publish', { draft: '2', note: 'go' });
    const old = textOf(await (await h.as.manager.get('/manage/rules/routing/versions/1')).text());
    expect(old).toContain('Roll back to v1');
    expect(old).toContain('Against the version in force (v3)');
    const current = textOf(await (await h.as.manager.get('/manage/rules/routing/versions/3')).text());
    expect(current).toContain('in force');
    expect(current).not.toContain('Roll back to v3');
  });

  it('escapes rule names and values everywhere they are shown', async () => {
    const evil = routing();
    evil.rules.push({ name: '<script>alert(1)</script>', conditions: { all: [{ fact: 'case', path: '$.subject', operator: 'textContains', value: '"><img src=x>' }] }, event: { type: 'addTags', params: { tags: ['x'] } } });
    await saveDraft(evil);
    await h.as.manager.post('/manage/rules/routing/publish', { draft: '2', note: '<b>bold</b>' });
    for (const url of ['/manage/rules/routing', '/manage/rules/routing/versions/2', '/manage/rules/routing/versions/3', '/manage/rules']) {
      const html = await (await h.as.manager.get(url)).text();
      expect(html, url).not.toContain('<script>alert');
      expect(html, url).not.toContain('<img src=x>');
      expect(html, url).not.toContain('<b>bold');
    }
  });
});

describe('rules as code', () => {
  const files = () => {
    const out: Record<string, string> = {};
    for (const dir of [h.folders.rulesDir, h.folders.workflowsDir]) {
      for (const f of fs.readdirSync(dir).sort()) out[path.join(path.basename(dir), f)] = fs.readFileSync(path.join(dir, f), 'utf8');
    }
    return out;
  };

  it('exports the published definitions to the folders, and import then changes nothing; the files stay identical', async () => {
    fs.rmSync(h.folders.rulesDir, { recursive: true });
    fs.rmSync(h.folders.workflowsDir, { recursive: true });
    const exported = await h.as.manager.post('/manage/rules/export');
    expect(exported.status).toBe(200);
    const text = textOf(await exported.text());
    expect(text).toContain('Exported: 4 of 4 files written.');
    expect(text).toContain('ruleset routing rules/routing.json written (v1)');
    // the page names the folders as configured, never where the server keeps them
    expect(text).toContain('Export writes every published ruleset, workflow and the SLA configuration to rules and workflows');
    expect(await (await h.as.manager.get('/manage/rules')).text()).not.toContain(h.folders.rulesDir);
    expect(text).not.toContain(path.dirname(h.folders.rulesDir));
    const first = files();
    expect(Object.keys(first)).toEqual(['rules/escalation.json', 'rules/routing.json', 'rules/sla.json', 'workflows/support.json']);
    expect(first['rules/routing.json']).toBe(canonicalJson(h.services.definitions.ruleset('routing').definition));

    const imported = textOf(await (await h.as.manager.post('/manage/rules/import')).text());
    expect(imported).toContain('Imported: the files match the versions in force; nothing was published.');
    expect(imported).toContain('ruleset routing');
    expect(imported).toContain('unchanged (v1)');
    expect(h.services.definitions.history('ruleset', 'routing')).toHaveLength(1);
    const again = textOf(await (await h.as.manager.post('/manage/rules/export')).text());
    expect(again).toContain('Exported: every file was already up to date.');
    expect(files()).toEqual(first);
  });

  it('imports a changed file as a new published version, and export gives the same file back', async () => {
    const file = path.join(h.folders.rulesDir, 'routing.json');
    fs.writeFileSync(file, canonicalJson(withAcme()));
    const res = await h.as.admin.post('/manage/rules/import');
    expect(res.status).toBe(200);
    const text = textOf(await res.text());
    expect(text).toContain('Imported: 1 new version published.');
    expect(text).toContain('published v2');
    expect(h.services.definitions.version('ruleset', 'routing', 2)).toMatchObject({ state: 'published', author: 'Ada Admin' });
    const before = fs.readFileSync(file, 'utf8');
    await h.as.admin.post('/manage/rules/export');
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  it('imports nothing when a file has problems, and says which', async () => {
    const broken = withAcme();
    broken.rules[0]!.event.params = { queue: 'technical', extra: 1 };
    fs.writeFileSync(path.join(h.folders.rulesDir, 'routing.json'), JSON.stringify(broken));
    fs.writeFileSync(path.join(h.folders.rulesDir, 'escalation.json'), '{ "ruleset": "escalation", "rules": [] }');
    const res = await h.as.manager.post('/manage/rules/import');
    expect(res.status).toBe(422);
    const text = textOf(await res.text());
    expect(text).toContain('Nothing was imported: rules/routing.json has problems.');
    expect(text).not.toContain(path.dirname(h.folders.rulesDir));
    expect(text).toContain('$.rules[0].event.params');
    expect(h.services.definitions.history('ruleset', 'escalation')).toHaveLength(1);
    expect(h.services.definitions.history('ruleset', 'routing')).toHaveLength(1);
  });
});

describe('rulesets whose version in force is no longer valid', () => {
  const EXPLOIT = "$..[?(@.constructor[( @.getPrototypeOf ? @.getPrototypeOf(@).constructor('x')() : 'x' )])]";
  /** A version stored before today's checks existed (written straight to the database; the registry refreshed after, as insertVersion asks). */
  const storeUnchecked = async (name: string, rules: unknown, body: Record<string, unknown> = { ruleset: name, description: '', rules }) => {
    const row = await h.services.store.write((q) => h.services.definitions.insertVersion(q, 'ruleset', name, body, { state: 'published', note: 'old', now: h.clock.now() }));
    await h.services.definitions.refresh();
    return row.version;
  };

  it('are marked "not run" in the list, and the ruleset page says which version and why', async () => {
    const version = await storeUnchecked('escalation', [{ name: 'old', conditions: { all: [{ fact: 'event', path: EXPLOIT, operator: 'equal', value: 'never' }] }, event: { type: 'addTags', params: { tags: ['x'] } } }]);
    const list = textOf(await (await h.as.manager.get('/manage/rules')).text());
    expect(list).toContain(`Not run because the version in force is no longer valid: escalation v${version}.`);
    expect(list).toContain('not run: invalid');
    const page = await h.as.manager.get('/manage/rules/escalation');
    expect(page.status).toBe(200);
    const text = textOf(await page.text());
    expect(text).toContain(`v${version}, the version in force, is no longer valid and is not run`);
    expect(text).toContain('$.rules[0].conditions.all[0].path');
    expect(text).toContain('plain property path');
  });

  it('a version in force json-rules-engine runs otherwise than written (a priority of 10.5, read as 10) is run so, and its page says why', async () => {
    const rules = [...routing().rules, { ...structuredClone(ACME_RULE), priority: 10.5 }];
    const version = await storeUnchecked('routing', rules);
    const list = textOf(await (await h.as.manager.get('/manage/rules')).text());
    expect(list).not.toContain('not run: invalid');
    const text = textOf(await (await h.as.manager.get('/manage/rules/routing')).text());
    expect(text).toContain(`v${version}, the version in force, runs as json-rules-engine reads it, which is not quite as it is written`);
    expect(text).toContain(`$.rules[${rules.length - 1}].priority`);
    expect(text).toContain('10.5 is not a whole number: json-rules-engine reads it as 10');
    expect((await h.as.manager.get('/manage/rules/escalation')).status).toBe(200);
    expect(textOf(await (await h.as.manager.get('/manage/rules/escalation')).text())).not.toContain('not quite as it is written');
  });

  it('the editor refuses a draft with a filter path (422, the problem with its JSON path), and nothing is saved', async () => {
    const draft = routing();
    draft.rules[0]!.conditions = { all: [{ fact: 'event', path: EXPLOIT, operator: 'equal', value: 'never' }] };
    const res = await saveDraft(draft);
    expect(res.status).toBe(422);
    const text = textOf(await res.text());
    expect(text).toContain('$.rules[0].conditions.all[0].path');
    expect(text).toContain('plain property path');
    expect(h.services.definitions.history('ruleset', 'routing')).toHaveLength(1);
  });

  it('still shows the pages when the refused version does not even have the shape of a ruleset', async () => {
    await storeUnchecked('escalation', [{ conditions: { all: [{ not: null }, 7] }, event: 'escalate' }]);
    await storeUnchecked('routing', 'none', { ruleset: 'routing', rules: 'none' });
    expect((await h.as.manager.get('/manage/rules')).status).toBe(200);
    for (const name of ['escalation', 'routing']) {
      const page = await h.as.manager.get(`/manage/rules/${name}`);
      expect(page.status).toBe(200);
      expect(textOf(await page.text())).toContain('is no longer valid and is not run');
    }
  });

  it('export refuses a stored ruleset named sla with a 422 notice, and writes nothing', async () => {
    const before = fs.readFileSync(path.join(h.folders.rulesDir, 'sla.json'), 'utf8');
    await storeUnchecked('sla', []);
    const res = await h.as.manager.post('/manage/rules/export');
    expect(res.status).toBe(422);
    const text = textOf(await res.text());
    expect(text).toContain('Nothing was exported: 1 definition cannot be written to a file.');
    expect(text).toContain('ruleset "sla": "sla" is reserved');
    expect(fs.readFileSync(path.join(h.folders.rulesDir, 'sla.json'), 'utf8')).toBe(before);
  });
});
