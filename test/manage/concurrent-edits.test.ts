/**
 * Two managers editing one definition at once: what one of them stored after the other's page
 * was drawn is never dropped without a word. A draft saved from forms or JSON that started from
 * an older version, a publish or a rollback from a page that showed another version in force,
 * comes back (422) with everything typed and who stored what; sent again, it goes through.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RulesetDefinition } from '../../src/rules/definition.js';
import { formFields, withFields } from '../support/forms.js';
import { manageHarness, textOf, type ManageHarness } from './support.js';

let h: ManageHarness;
beforeEach(async () => {
  h = manageHarness();
  await h.settled(); // on PostgreSQL the definitions registry is loaded once the seeding step has run
});
afterEach(() => h.close());

type Fields = [string, string][];

function history(kind: 'ruleset' | 'workflow' | 'sla', name: string) {
  return h.services.definitions.history(kind, name).map((r) => `v${r.version} ${r.state} ${r.author}`);
}

async function page(url: string, as: 'manager' | 'admin' = 'manager'): Promise<string> {
  const res = await h.as[as].get(url);
  expect(res.status).toBe(200);
  return res.text();
}

/** A form's fields as another person posts them (their own CSRF token). */
function asAdmin(fields: Fields): Fields {
  return fields.map(([k, v]) => [k, k === '_csrf' ? h.as.admin.csrf : v]);
}

describe('saving a draft that started from an older version', () => {
  it('the rule builder keeps the forms and says who saved what meanwhile; saving again stores them', async () => {
    const maria = await page('/manage/rules/routing');
    const ada = await page('/manage/rules/routing', 'admin');
    const saved = await h.as.manager.post('/manage/rules/routing/builder', [...withFields(formFields(maria, 'builder-form'), { set: { 's:/rules/0/name': 'Maria’s rename' } }), ['op', 'save'], ['note', 'Maria']]);
    expect(saved.status).toBe(303);

    const res = await h.as.admin.post('/manage/rules/routing/builder', [...asAdmin(withFields(formFields(ada, 'builder-form'), { set: { 's:/rules/1/name': 'Ada’s rename' } })), ['op', 'save'], ['note', 'Ada']]);
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(textOf(html)).toContain('Not saved. Maria Manager saved v2 of the ruleset "routing" on 2026-03-02 09:00 UTC, after this page started from v1.');
    expect(history('ruleset', 'routing')).toEqual(['v2 draft Maria Manager', 'v1 published files']);
    // Ada's change is still in the forms, which now count as started from v2.
    const fields = formFields(html, 'builder-form');
    const doc = JSON.parse(fields.find(([k]) => k === 'doc')![1]) as RulesetDefinition;
    expect(doc.rules[1]!.name).toBe('Ada’s rename');
    expect(fields).toContainEqual(['from', '2']);

    const again = await h.as.admin.post('/manage/rules/routing/builder', [...fields, ['op', 'save'], ['note', 'Ada, having looked']]);
    expect(again.status).toBe(303);
    expect(history('ruleset', 'routing')[0]).toBe('v3 draft Ada Admin');
  });

  it('the JSON editor of a workflow keeps the text typed; the workflow editor the same', async () => {
    const maria = await page('/manage/workflows/support');
    const ada = await page('/manage/workflows/support', 'admin');
    const mine = withFields(formFields(maria, 'editor-form'), { set: { note: 'Maria' } });
    const text = mine.find(([k]) => k === 'body')![1].replace('"Waiting for your reply"', '"Waiting for you"');
    expect(text).toContain('"Waiting for you"');
    expect((await h.as.manager.post('/manage/workflows/support/drafts', withFields(mine, { set: { body: text } }))).status).toBe(303);

    const theirs = withFields(formFields(ada, 'editor-form'), { set: { note: 'Ada' } });
    const typed = theirs.find(([k]) => k === 'body')![1].replace('"description": "', '"description": "Ada: ');
    const res = await h.as.admin.post('/manage/workflows/support/drafts', asAdmin(withFields(theirs, { set: { body: typed } })));
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(textOf(html)).toContain('Maria Manager saved v2 of the workflow "support" on 2026-03-02 09:00 UTC, after this page started from v1. Your changes were not saved');
    expect(formFields(html, 'editor-form')).toContainEqual(['body', typed]);
    expect(formFields(html, 'editor-form')).toContainEqual(['from', '2']);
    expect(history('workflow', 'support')).toEqual(['v2 draft Maria Manager', 'v1 published files']);

    // The workflow editor's forms, drawn before Maria's draft too.
    const forms = await h.as.admin.post('/manage/workflows/support/builder', [...asAdmin(formFields(ada, 'builder-form')), ['op', 'save']]);
    expect(forms.status).toBe(422);
    expect(textOf(await forms.text())).toContain('Not saved. Maria Manager saved v2 of the workflow "support"');
  });
});

describe('publishing or rolling back from a page that showed another version in force', () => {
  it('does not publish a draft over a version published meanwhile; the page shows the draft against it, and publishing again goes through', async () => {
    const rules = structuredClone(h.services.definitions.ruleset('routing').definition);
    rules.rules[0]!.name = 'Billing first';
    expect((await h.as.manager.post('/manage/rules/routing/drafts', { body: JSON.stringify(rules), note: 'v2', from: '1' })).status).toBe(303);
    const maria = await page('/manage/rules/routing');
    const publish = formFields(maria, 'publish-form');
    expect(publish).toContainEqual(['inForce', '1']);

    // Ada publishes her own change in the meantime (a draft and its publish).
    const ada = structuredClone(rules);
    ada.rules[1]!.name = 'Technical second';
    expect((await h.as.admin.post('/manage/rules/routing/drafts', { body: JSON.stringify(ada), note: 'v3', from: '2' })).status).toBe(303);
    expect((await h.as.admin.post('/manage/rules/routing/publish', { draft: '3', note: 'Ada publishes', inForce: '1' })).status).toBe(303);

    // Maria's stale form: draft v2 would take Ada's rename back out.
    const res = await h.as.manager.post('/manage/rules/routing/publish', withFields(publish, { set: { note: 'Maria publishes' } }));
    expect(res.status).toBe(422);
    const text = textOf(await res.text());
    expect(text).toContain('Ada Admin published v4 of the ruleset "routing" on 2026-03-02 09:00 UTC, after this page showed v1 in force. Draft v2 was not published: compare it with v4 first');
    expect(text).toContain('/manage/rules/routing/versions/2');
    expect(history('ruleset', 'routing')[0]).toBe('v4 published Ada Admin');
    expect(h.services.definitions.ruleset('routing').definition.rules[1]!.name).toBe('Technical second');

    // From v2's page (its diff against v4), publishing is a choice made knowingly.
    const v2 = await page('/manage/rules/routing/versions/2');
    expect(formFields(v2, 'publish-form')).toContainEqual(['inForce', '4']);
    const knowingly = await h.as.manager.post('/manage/rules/routing/publish', withFields(formFields(v2, 'publish-form'), { set: { note: 'Back to v2 on purpose' } }));
    expect(knowingly.status).toBe(303);
    expect(history('ruleset', 'routing')[0]).toBe('v5 published Maria Manager');
  });

  it('the SLA configuration too: a draft is not published over a version the API published meanwhile', async () => {
    const sla = structuredClone(h.services.definitions.sla().config.definition);
    sla.calendars.office!.holidays = [...(sla.calendars.office!.holidays ?? []), '2027-12-24'];
    expect((await h.as.manager.post('/manage/sla/drafts', { body: JSON.stringify(sla), note: 'Christmas Eve' })).status).toBe(303);
    const publish = formFields(await page('/manage/sla'), 'publish-form');
    const other = structuredClone(h.services.definitions.sla().config.definition);
    other.policies.standard!.warnBefore = '25%';
    const api = await h.app.request('http://localhost/api/v1/sla-config', { method: 'PUT', headers: { Authorization: 'Bearer test-admin-token-0123456789abcdef', 'Content-Type': 'application/json' }, body: JSON.stringify({ config: other, note: 'warn earlier' }) });
    expect(api.status).toBe(200);

    const res = await h.as.manager.post('/manage/sla/publish', withFields(publish, { set: { note: 'Holiday added' } }));
    expect(res.status).toBe(422);
    expect(textOf(await res.text())).toContain('after this page showed v1 in force. Draft v2 was not published: compare it with v3 first — publishing it as it is would take out what v3 changed. Draft v2\'s page shows what it changes against the version in force: /manage/sla/versions/2.');
    expect(h.services.definitions.sla().version).toBe(3);
    expect(h.services.definitions.sla().config.definition.policies.standard!.warnBefore).toBe('25%');
  });

  it('does not roll back over a version published after the page was drawn', async () => {
    const rules = structuredClone(h.services.definitions.ruleset('routing').definition);
    rules.rules[0]!.name = 'Billing first';
    expect((await h.as.manager.post('/manage/rules/routing/drafts', { body: JSON.stringify(rules), note: 'v2' })).status).toBe(303);
    expect((await h.as.manager.post('/manage/rules/routing/publish', { draft: '2', note: 'v3' })).status).toBe(303);
    const maria = await page('/manage/rules/routing');
    const rollback = formFields(maria, 'rollback-1');
    expect(rollback).toContainEqual(['inForce', '3']);
    rules.rules[1]!.name = 'Technical second';
    expect((await h.as.admin.post('/manage/rules/routing/drafts', { body: JSON.stringify(rules), note: 'v4' })).status).toBe(303);
    expect((await h.as.admin.post('/manage/rules/routing/publish', { draft: '4', note: 'v5' })).status).toBe(303);

    const res = await h.as.manager.post('/manage/rules/routing/rollback', withFields(rollback, { set: { note: 'undo v3' } }));
    expect(res.status).toBe(422);
    expect(textOf(await res.text())).toContain('Ada Admin published v5 of the ruleset "routing" on 2026-03-02 09:00 UTC, after this page showed v3 in force. Nothing was rolled back: v5 is in force now, and rolling back to v1 would undo it too.');
    expect(history('ruleset', 'routing')[0]).toBe('v5 published Ada Admin');
  });
});
