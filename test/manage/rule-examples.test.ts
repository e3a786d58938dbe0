/**
 * Rules tested like code: a ruleset's examples (a case and what must happen to it) kept
 * from a past case in one click or written by hand, run on every draft save, in dry-runs
 * and on publish; publishing refuses a failing example (422 naming it and what differed)
 * unless a manager overrides it with a note, which is recorded; the API runs them too;
 * they live in rules/<name>.examples.json in rules as code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/definitions/diff.js';
import { exportDefinitions, importDefinitions } from '../../src/definitions/export-import.js';
import type { RulesetDefinition } from '../../src/rules/definition.js';
import type { RuleExample } from '../../src/rules/example-format.js';
import { runExamples } from '../../src/rules/examples.js';
import { createCase } from '../../src/cases/create-case.js';
import { ADMIN, ADMIN_TOKEN } from '../support/harness.js';
import { formFields, withFields } from '../support/forms.js';
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

const REFUND: RuleExample = {
  name: 'A double charge goes to billing',
  case: { subject: 'Charged twice', description: 'My card was charged twice, I want a refund.', createdAt: '2026-03-03T10:00:00Z' },
  expect: { queue: 'billing', skills: ['refunds'], escalated: false },
};

const ENTERPRISE_OUTAGE: RuleExample = {
  name: 'An urgent enterprise outage goes straight to advanced support',
  case: { subject: 'Outage', description: 'Production is down for all users', customer: { tier: 'enterprise' }, createdAt: '2026-03-03T10:00:00Z' },
  expect: { queue: 'advanced', priority: 'urgent', tags: ['enterprise'], policy: 'premium', escalated: true },
};

async function publishWithExamples(examples: RuleExample[]): Promise<void> {
  const res = await api('PUT', '/api/v1/rulesets/routing', { rules: routing().rules, examples, note: 'examples' });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
}

async function api(method: string, url: string, body?: unknown): Promise<{ status: number; json: Record<string, any> }> {
  const res = await h.app.request(url, { method, headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

function latest() {
  return h.services.definitions.history('ruleset', 'routing')[0]!;
}

describe('running examples', () => {
  it('replays each example through intake with the other rulesets as published, and says exactly what differs', async () => {
    const body = { ...routing(), examples: [REFUND, ENTERPRISE_OUTAGE, { ...REFUND, name: 'Wrong on purpose', expect: { queue: 'technical', tags: ['vip'], escalated: true } }] };
    const run = await runExamples(h.services, 'routing', body);
    expect(run.passed).toBe(2);
    expect(run.failed).toBe(1);
    expect(run.results[2]).toMatchObject({ name: 'Wrong on purpose', passed: false, differences: ['queue: expected technical, got billing', 'tags: expected vip, got (none)', 'escalated: expected yes, got no'] });
    expect(run.results[1]!.outcome).toMatchObject({ queue: 'advanced', tier: 2, priority: 'urgent', slaPolicy: 'premium', escalated: true });
  });

  it('computes business hours from the time the example arrives, in the calendar of the default policy', async () => {
    const at = (createdAt: string): RuleExample => ({ name: createdAt, case: { subject: 'Hello', description: 'A question', createdAt }, expect: { tags: [] } });
    const run = await runExamples(h.services, 'routing', { ...routing(), examples: [at('2026-03-03T10:00:00Z'), at('2026-03-07T10:00:00Z')] });
    expect(run.results.map((r) => r.outcome!.tags)).toEqual([[], ['after-hours']]);
  });

  it('validates examples with the ruleset: shape, names and paths', async () => {
    const res = await api('PUT', '/api/v1/rulesets/routing', { rules: routing().rules, examples: [REFUND, REFUND, { name: 'x', case: { subject: 's' }, expect: {} }] });
    expect(res.status).toBe(422);
    expect(res.json.code).toBe('INVALID_RULESET');
    expect(res.json.problems.map((p: { path: string }) => p.path)).toEqual(['$.examples[1].name', '$.examples[2].case.description', '$.examples[2].expect']);
  });
});

describe('keep this as an example', () => {
  it('a manager keeps a past case as an example in one click: a new draft with the case and what happened to it', async () => {
    const id = await h.intake({ customer: { email: 'eve@acme.example', name: 'Eve', tier: 'enterprise', organization: 'Acme' }, subject: 'Invoice wrong', description: 'The invoice total is wrong' });
    const casePage = await (await h.as.manager.get(`/cases/C-${id}`)).text();
    expect(casePage).toContain('Keep this case as an example of the rules:');
    expect(casePage).toContain('formaction="/manage/rules/routing/examples"');
    expect(casePage).toContain('formaction="/manage/rules/escalation/examples"');
    expect(await (await h.as.agent.get(`/cases/C-${id}`)).text()).not.toContain('keep-example');

    const res = await h.as.manager.post('/manage/rules/routing/examples', { case: `C-${id}` });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/manage/rules/routing?saved=2#example-0');
    const draft = latest();
    expect(draft.state).toBe('draft');
    expect(draft.note).toBe(`Kept C-${id} as an example`);
    const example = (draft.body as RulesetDefinition).examples![0]!;
    const row = (await h.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, id))))[0]!;
    expect(example).toEqual({
      name: `C-${id}: Invoice wrong`,
      case: {
        subject: 'Invoice wrong',
        description: 'The invoice total is wrong',
        channel: 'api',
        priority: 'normal',
        // Name and address stay out: no published rule reads them.
        customer: { tier: 'enterprise', organization: 'Acme' },
        knownProblem: false,
        createdAt: new Date(row.createdAt).toISOString(),
        withinBusinessHours: true,
      },
      expect: { queue: 'billing', priority: 'normal', tags: ['enterprise'], skills: [], policy: 'premium', escalated: false },
      fromCase: `C-${id}`,
    });
    // The rules are the published ones, untouched.
    expect((draft.body as RulesetDefinition).rules).toEqual(routing().rules);
    const page = textOf(await (await h.as.manager.get('/manage/rules/routing')).text());
    expect(page).toContain('all pass 1 of 1 pass.');
    expect(page).toContain(`kept from C-${id}`);
  });

  it('keeps where a case came in (a mailbox\'s default queue, the mailbox): the example passes, and a rule on the mailbox is tested by it', async () => {
    const row = await createCase(h.services, { customer: { email: 'sam@example.com' }, subject: 'Hello', description: 'A question about the product' }, ADMIN, { channel: 'email', defaultQueue: 'billing', eventData: { mailbox: 'Support desk' } });
    expect(row.queueId).toBe('billing');
    expect((await h.as.manager.post('/manage/rules/routing/examples', { case: `C-${row.id}` })).status).toBe(303);
    const example = (latest().body as RulesetDefinition).examples![0]!;
    // It was kept without them: replayed in "general", it failed at once (queue: expected billing, got general) and refused the next publish.
    expect(example.case).toMatchObject({ defaultQueue: 'billing', event: { mailbox: 'Support desk' } });
    expect(example.expect.queue).toBe('billing');
    expect((await runExamples(h.services, 'routing', latest().body as RulesetDefinition)).failed).toBe(0);
    const draft = latest().body as RulesetDefinition;
    draft.rules.push({ name: 'The support desk is general', priority: 99, conditions: { all: [{ fact: 'event', path: '$.mailbox', operator: 'equal', value: 'Support desk' }] }, event: { type: 'route', params: { queue: 'general' } } });
    expect((await runExamples(h.services, 'routing', draft)).results[0]!.differences).toEqual(['queue: expected billing, got general']);
  });

  it('from the builder: a reference typed beside "Add from case"; an unknown one is refused beside the field', async () => {
    const id = await h.intake({ customer: { email: 'x@example.com' }, subject: 'Login error', description: 'I cannot log in' });
    const html = await (await h.as.manager.get('/manage/rules/routing')).text();
    const fields = formFields(html, 'builder-form');
    const bad = await h.as.manager.post('/manage/rules/routing/builder', [...withFields(fields, { set: { fromCase: 'C-999999' } }), ['op', 'addExampleFromCase']]);
    const badHtml = await bad.text();
    expect(badHtml).toContain('<span class="field-error" id="example-from-case-error">No case &quot;C-999999&quot;.</span>');
    expect(badHtml).toContain('value="C-999999"');
    const good = await h.as.manager.post('/manage/rules/routing/builder', [...withFields(fields, { set: { fromCase: `C-${id}` } }), ['op', 'addExampleFromCase']]);
    const goodHtml = await good.text();
    // Technical, matching no known problem: escalated to advanced support at intake.
    expect(textOf(goodHtml)).toContain(`Intake decides: queue advanced · priority normal · tags (none) · skills (none) · policy standard · escalated`);
    expect(textOf(goodHtml)).toContain('passes Everything it expects happens.');
  });
});

describe('publishing', () => {
  async function draftWith(examples: RuleExample[]): Promise<number> {
    const res = await h.as.manager.post('/manage/rules/routing/drafts', { body: JSON.stringify({ ...routing(), examples }), note: '' });
    expect(res.status).toBe(303);
    return latest().version;
  }

  it('is refused while an example fails (422 naming it and what differed), then allowed with a recorded override note', async () => {
    const failing: RuleExample = { ...REFUND, name: 'Refunds go to technical', expect: { queue: 'technical' } };
    const draft = await draftWith([REFUND, failing]);
    const page = textOf(await (await h.as.manager.get('/manage/rules/routing')).text());
    expect(page).toContain('1 failing 1 of 2 pass.');
    expect(page).toContain('Refunds go to technical — fails: queue: expected technical, got billing');

    const refused = await h.as.manager.post('/manage/rules/routing/publish', { draft: String(draft), note: 'try' });
    expect(refused.status).toBe(422);
    const text = textOf(await refused.text());
    expect(text).toContain('1 of 2 examples of the ruleset "routing" fails: "Refunds go to technical" (queue: expected technical, got billing)');
    expect(text).toContain('Refunds go to technical — fails: queue: expected technical, got billing');
    expect(text).toContain('Publish even though examples fail');
    expect(h.services.definitions.publishedVersion('ruleset', 'routing')).toBe(1);

    const noReason = await h.as.manager.post('/manage/rules/routing/publish', { draft: String(draft), note: 'try', overrideExamples: 'on', overrideNote: ' ' });
    expect(noReason.status).toBe(422);
    expect(await noReason.text()).toContain('say why it is right to publish while examples fail');

    const ok = await h.as.manager.post('/manage/rules/routing/publish', { draft: String(draft), note: 'ship it', overrideExamples: 'on', overrideNote: 'the example is wrong; fixed next week' });
    expect(ok.status).toBe(303);
    const published = h.services.definitions.version('ruleset', 'routing', 3)!;
    expect(published.state).toBe('published');
    expect(published.examplesOverride).toEqual({ note: 'the example is wrong; fixed next week', failed: [{ name: 'Refunds go to technical', differences: ['queue: expected technical, got billing'] }] });
    const history = textOf(await (await h.as.manager.get('/manage/rules/routing')).text());
    expect(history).toContain('examples overridden the example is wrong; fixed next week (failing: Refunds go to technical)');
  });

  it('publishes at once when every example passes; a rollback to a version whose examples fail needs the override', async () => {
    const draft = await draftWith([REFUND]);
    expect((await h.as.manager.post('/manage/rules/routing/publish', { draft: String(draft), note: 'examples' })).status).toBe(303);
    // v4: the billing rule routes to general; its example fails, so it goes in with an override.
    const changed = routing();
    changed.rules[0]!.event = { type: 'route', params: { queue: 'general' } };
    const put = await api('PUT', '/api/v1/rulesets/routing', { rules: changed.rules, overrideFailingExamples: 'billing is closed this week' });
    expect(put.status).toBe(200);
    expect(put.json.exampleResults).toEqual({ passed: 0, failed: 1, results: [{ name: REFUND.name, passed: false, differences: ['queue: expected billing, got general'] }] });
    expect(put.json.examplesOverride.note).toBe('billing is closed this week');
    // Rolling back to v4 again (from v5) needs the override too.
    await api('PUT', '/api/v1/rulesets/routing', { rules: routing().rules.map((r, i) => (i === 0 ? { ...r, event: { type: 'route', params: { queue: 'billing' } } } : r)) });
    const refused = await h.as.manager.post('/manage/rules/routing/rollback', { version: '4', note: '' });
    expect(refused.status).toBe(422);
    expect(textOf(await refused.text())).toContain('v4 cannot be published again as it is: 1 of 1 example of the ruleset "routing" fails');
    const needsNote = await h.as.manager.post('/manage/rules/routing/rollback', { version: '4', note: '', overrideExamples: 'on' });
    expect(needsNote.status).toBe(422);
    const ok = await h.as.manager.post('/manage/rules/routing/rollback', { version: '4', note: 'back to general', overrideExamples: 'on' });
    expect(ok.status).toBe(303);
    expect(latest().examplesOverride?.note).toBe('back to general');
  });

  it('the API runs them on PUT: 422 EXAMPLES_FAILED with each failure; examples left out are kept from the version in force', async () => {
    await publishWithExamples([REFUND, ENTERPRISE_OUTAGE]);
    const broken = routing();
    broken.rules = broken.rules.filter((r) => r.name !== 'Outages are urgent');
    const res = await api('PUT', '/api/v1/rulesets/routing', { rules: broken.rules, note: 'no more urgent outages' });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({
      code: 'EXAMPLES_FAILED',
      title: 'Examples of the ruleset fail',
      // Still technical, so still escalated as undiagnosed: only the priority differs.
      examples: [{ name: ENTERPRISE_OUTAGE.name, index: 1, differences: ['priority: expected urgent, got normal'] }],
    });
    expect(res.json.problems).toEqual([{ path: '$.examples[1]', severity: 'error', message: expect.stringContaining('example "An urgent enterprise outage goes straight to advanced support" fails') }]);
    const got = await api('GET', '/api/v1/rulesets/routing');
    expect(got.json.examples).toEqual([REFUND, ENTERPRISE_OUTAGE]);
    expect(got.json.version).toBe(2);
  });

  it('a dry-run shows how the draft does on its examples', async () => {
    await h.intake({ customer: { email: 'a@example.com' }, subject: 'Hello', description: 'A question' });
    const draft = await draftWith([REFUND, { ...REFUND, name: 'Fails', expect: { queue: 'general' } }]);
    const start = await h.as.manager.post('/manage/rules/routing/dry-runs', { draft: String(draft), scope: 'last', count: '10' }, { htmx: true });
    const url = /hx-get="([^"]+)"/.exec(await start.text())![1]!;
    const done = textOf(await waitForJob(h.as.manager, url));
    expect(done).toContain('Examples 1 failing 1 of 2 pass.');
    expect(done).toContain('Fails — fails: queue: expected general, got billing');
  });
});

describe('rules as code', () => {
  it('exports the examples beside the rules (rules/<name>.examples.json), and import then changes nothing', async () => {
    await publishWithExamples([REFUND]);
    const changes = await exportDefinitions(h.services, h.folders);
    const examplesFile = path.join(h.folders.rulesDir, 'routing.examples.json');
    // The rules did not change: only the examples file is new.
    expect(changes.filter((c) => c.changed).map((c) => path.basename(c.file))).toEqual(['routing.examples.json']);
    expect(JSON.parse(fs.readFileSync(examplesFile, 'utf8'))).toEqual({ ruleset: 'routing', examples: [REFUND] });
    // The rules file is json-rules-engine's format alone, as before.
    const { examples: _kept, ...rulesOnly } = routing();
    expect(fs.readFileSync(path.join(h.folders.rulesDir, 'routing.json'), 'utf8')).toBe(canonicalJson(rulesOnly));
    expect((await importDefinitions(h.services, h.folders, ADMIN)).filter((c) => c.changed)).toEqual([]);

    // An edited examples file is imported as a new version; a failing one imports nothing.
    fs.writeFileSync(examplesFile, canonicalJson({ ruleset: 'routing', examples: [REFUND, ENTERPRISE_OUTAGE] }));
    expect((await importDefinitions(h.services, h.folders, ADMIN)).filter((c) => c.changed).map((c) => c.name)).toEqual(['routing']);
    expect((latest().body as RulesetDefinition).examples).toEqual([REFUND, ENTERPRISE_OUTAGE]);
    fs.writeFileSync(examplesFile, canonicalJson({ ruleset: 'routing', examples: [{ ...REFUND, expect: { queue: 'general' } }] }));
    const refused = await h.as.manager.post('/manage/rules/import');
    expect(refused.status).toBe(422);
    expect(textOf(await refused.text())).toContain('Nothing was imported: 1 of 1 example of the ruleset "routing" fails');
    expect(latest().version).toBe(3);

    // No examples left: export removes the file.
    await api('PUT', '/api/v1/rulesets/routing', { rules: routing().rules, examples: [] });
    await exportDefinitions(h.services, h.folders);
    expect(fs.existsSync(examplesFile)).toBe(false);
  });

  it('refuses an examples file of a ruleset that has no file, or examples in both places', async () => {
    fs.writeFileSync(path.join(h.folders.rulesDir, 'nothing.examples.json'), canonicalJson({ ruleset: 'nothing', examples: [] }));
    await expect(importDefinitions(h.services, h.folders, ADMIN)).rejects.toThrow(/examples of a ruleset "nothing" that has no file nothing\.json/);
    fs.rmSync(path.join(h.folders.rulesDir, 'nothing.examples.json'));
    fs.writeFileSync(path.join(h.folders.rulesDir, 'routing.examples.json'), canonicalJson({ ruleset: 'routing', examples: [REFUND] }));
    fs.writeFileSync(path.join(h.folders.rulesDir, 'routing.json'), canonicalJson({ ...routing(), examples: [REFUND] }));
    await expect(importDefinitions(h.services, h.folders, ADMIN)).rejects.toThrow(/the examples are in routing\.examples\.json: keep them in one place/);
  });
});
