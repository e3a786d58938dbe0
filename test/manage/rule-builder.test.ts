/**
 * The rule builder through its pages, as a browser without JavaScript posts it: every
 * shipped ruleset makes the round trip unchanged (byte for byte), a nested rule is built
 * from nothing, constructs the builder does not know stay exactly as they are (shown as
 * JSON), validation messages sit beside their fields, rules are reordered, duplicated,
 * switched off and removed, and the JSON view and the forms follow each other.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/definitions/diff.js';
import type { RulesetDefinition } from '../../src/rules/definition.js';
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

async function page(name = 'routing'): Promise<string> {
  const res = await h.as.manager.get(`/manage/rules/${name}`);
  expect(res.status).toBe(200);
  return res.text();
}

/** Posts the builder form as it stands (with changes), as a plain form; the page that comes back. */
async function post(fields: Fields, op: string, name = 'routing', htmx = false): Promise<{ status: number; html: string; location: string | null }> {
  const res = await h.as.manager.post(`/manage/rules/${name}/builder`, [...fields, ['op', op]], { htmx });
  return { status: res.status, html: await res.text(), location: res.headers.get('Location') ?? res.headers.get('HX-Redirect') };
}

/** The document the builder holds in a page. */
function docOf(html: string): RulesetDefinition {
  const doc = formFields(html, 'builder-form').find(([k]) => k === 'doc');
  if (!doc) throw new Error('no builder document in the page');
  return JSON.parse(doc[1]) as RulesetDefinition;
}

function fieldsOf(html: string): Fields {
  return formFields(html, 'builder-form');
}

function latest(name = 'routing') {
  return h.services.definitions.history('ruleset', name)[0]!;
}

describe('the round trip', () => {
  for (const name of ['routing', 'escalation']) {
    it(`saves the shipped ${name} ruleset unchanged, byte for byte, when nothing was changed`, async () => {
      const html = await page(name);
      const saved = await post(fieldsOf(html), 'save', name);
      expect(saved.status).toBe(303);
      const draft = latest(name);
      expect(draft.state).toBe('draft');
      expect(draft.version).toBe(2);
      const file = fs.readFileSync(path.join(ROOT, 'rules', `${name}.json`), 'utf8');
      expect(canonicalJson(draft.body)).toBe(file);
      expect(canonicalJson(draft.body)).toBe(canonicalJson(h.services.definitions.version('ruleset', name, 1)!.body));
    });
  }

  it('re-renders without changing anything when a field is posted as shown', async () => {
    const html = await page();
    const again = await post(fieldsOf(html), 'refresh');
    expect(again.status).toBe(200);
    expect(canonicalJson(docOf(again.html))).toBe(canonicalJson(docOf(html)));
    // And once more from the re-rendered page.
    const third = await post(fieldsOf(again.html), 'refresh');
    expect(canonicalJson(docOf(third.html))).toBe(canonicalJson(docOf(html)));
  });

  it('keeps constructs it does not know exactly as they are, marked "shown as JSON", and edits the rest around them', async () => {
    const routing = structuredClone(h.services.definitions.ruleset('routing').definition);
    const odd = {
      name: 'Odd constructs',
      priority: 3,
      conditions: {
        all: [
          { fact: 'customer', path: '$.openCases', operator: 'greaterThan', value: { fact: 'case', path: '$.reopenCount' } },
          { fact: 'case', path: '$.tags[0]', operator: 'equal', value: 'vip' },
          { fact: 'case', path: '$.tags', operator: 'someValue:equal', value: ['vip', 'gold'] },
          { any: [{ fact: 'case', path: '$.priority', operator: 'equal', value: 'urgent' }], priority: 2 },
          { fact: 'case', path: '$.tier', operator: 'equal', value: '2' },
          { fact: 'event', path: '$.mailbox', operator: 'equal', value: 'Sales' },
        ],
      },
      event: { type: 'addTags', params: { tags: ['odd', 'odd'] } },
    };
    const body = { ...routing, rules: [...routing.rules, odd] };
    const saved = await h.as.manager.post('/manage/rules/routing/drafts', { body: JSON.stringify(body), note: 'odd' });
    expect(saved.status).toBe(303);
    const html = await page();
    expect(textOf(html)).toContain('shown as JSON The builder cannot show this as a form: it compares with another fact');
    expect(textOf(html)).toContain('the field "case" "$.tags[0]" is not in the builder\'s catalogue');
    expect(textOf(html)).not.toContain('the field "event" "$.mailbox"');
    expect(textOf(html)).toContain('the operator "someValue:equal" is not offered for tags');
    expect(textOf(html)).toContain('the group has "priority", which the builder does not edit');
    expect(textOf(html)).toContain('its value "2" does not fit "is"');

    // Rename the rule in the form; everything else stays as it was.
    const fields = withFields(fieldsOf(html), { set: { 's:/rules/8/name': 'Odd constructs, renamed' } });
    const res = await post(fields, 'save');
    expect(res.status).toBe(303);
    const stored = latest().body as RulesetDefinition;
    expect(stored.rules[8]).toEqual({ ...odd, name: 'Odd constructs, renamed' });
    expect(canonicalJson({ ...stored, rules: stored.rules.slice(0, 8) })).toBe(canonicalJson(routing));
  });
});

describe('building rules', () => {
  it('builds a nested rule from nothing: field, operator, words as chips, a group, a "not", an action and its params', async () => {
    let html = await page();
    const n = docOf(html).rules.length;
    ({ html } = await post(fieldsOf(html), 'addRule'));
    expect(docOf(html).rules[n]).toEqual({ name: 'New rule', conditions: { all: [{ fact: 'case', path: '$.subject', operator: 'textHasAnyWord', value: [] }] }, event: { type: 'route', params: { queue: 'general' } } });
    const r = `/rules/${n}`;

    // Name, priority; the first condition's words typed as chips (comma separated).
    ({ html } = await post(withFields(fieldsOf(html), { set: { [`s:${r}/name`]: 'VIP refunds', [`n:${r}/priority`]: '40', [`+l:${r}/conditions/all/0/value`]: 'refund, money back' } }), 'refresh'));
    // Any-group inside the all-group, with the customer tier and a time.
    ({ html } = await post(fieldsOf(html), `addGroup ${r}/conditions/all`));
    expect(docOf(html).rules[n]!.conditions.all![1]).toEqual({ any: [{ fact: 'case', path: '$.subject', operator: 'textHasAnyWord', value: [] }] });
    ({ html } = await post(withFields(fieldsOf(html), { set: { [`f:${r}/conditions/all/1/any/0`]: 'customer|$.tier' } }), 'refresh'));
    expect(docOf(html).rules[n]!.conditions.all![1]).toEqual({ any: [{ fact: 'customer', path: '$.tier', operator: 'equal', value: '' }] });
    ({ html } = await post(withFields(fieldsOf(html), { set: { [`s:${r}/conditions/all/1/any/0/value`]: 'enterprise' } }), `addCondition ${r}/conditions/all/1/any`));
    ({ html } = await post(withFields(fieldsOf(html), { set: { [`f:${r}/conditions/all/1/any/1`]: 'case|$.priority' } }), 'refresh'));
    ({ html } = await post(withFields(fieldsOf(html), { set: { [`op:${r}/conditions/all/1/any/1`]: 'in' } }), 'refresh'));
    ({ html } = await post(withFields(fieldsOf(html), { add: [[`+l:${r}/conditions/all/1/any/1/value`, 'urgent, high']] }), 'refresh'));
    // A third condition, negated: not within business hours.
    ({ html } = await post(fieldsOf(html), `addCondition ${r}/conditions/all`));
    ({ html } = await post(withFields(fieldsOf(html), { set: { [`f:${r}/conditions/all/2`]: 'withinBusinessHours|' } }), `negate ${r}/conditions/all/2`));
    // Then: require skills.
    ({ html } = await post(withFields(fieldsOf(html), { set: { [`et:${r}/event`]: 'requireSkills' } }), 'refresh'));
    ({ html } = await post(withFields(fieldsOf(html), { add: [[`+l:${r}/event/params/skills`, 'refunds']] }), 'refresh'));
    // The outer group becomes "any", after the rest of the post was applied.
    ({ html } = await post(withFields(fieldsOf(html), { set: { [`g:${r}/conditions`]: 'any' } }), 'refresh'));

    const res = await post(fieldsOf(html), 'save');
    expect(res.status).toBe(303);
    expect((latest().body as RulesetDefinition).rules[n]).toEqual({
      name: 'VIP refunds',
      conditions: {
        any: [
          { fact: 'case', path: '$.subject', operator: 'textHasAnyWord', value: ['refund', 'money back'] },
          {
            any: [
              { fact: 'customer', path: '$.tier', operator: 'equal', value: 'enterprise' },
              { fact: 'case', path: '$.priority', operator: 'in', value: ['urgent', 'high'] },
            ],
          },
          { not: { fact: 'withinBusinessHours', operator: 'equal', value: true } },
        ],
      },
      event: { type: 'requireSkills', params: { skills: ['refunds'] } },
      priority: 40,
    });
    const text = textOf((await page()));
    expect(text).toContain('VIP refunds');
    expect(text).toContain('if the subject has any of the words “refund”, “money back” or (the customer\'s tier is enterprise or the priority is urgent or high) or not it is within business hours → require the skill refunds');
  });

  it('shows validation messages beside the field they concern, and does not save a draft with errors', async () => {
    let html = await page();
    ({ html } = await post(fieldsOf(html), 'addRule'));
    const n = docOf(html).rules.length - 1;
    const res = await post(withFields(fieldsOf(html), { set: { [`s:/rules/${n}/name`]: 'Billing questions go to billing', [`n:/rules/${n}/priority`]: '-2' } }), 'save');
    expect(res.status).toBe(422);
    expect(latest().version).toBe(1);
    // Beside the name, the priority and the empty word list, each wired to its field.
    expect(res.html).toMatch(new RegExp(`aria-describedby="f-s-rules-${n}-name-messages"[^>]*>.{0,40}<ul class="field-messages" id="f-s-rules-${n}-name-messages"><li class="field-error">the name &quot;Billing questions go to billing&quot; is already used by rules\\[0\\]</li>`, 's'));
    expect(res.html).toContain(`id="f-n-rules-${n}-priority-messages"><li class="field-error">must be a whole number, 1 or more</li>`);
    expect(res.html).toMatch(new RegExp(`id="f-l-rules-${n}-conditions-all-0-value-messages"><li class="field-error">textHasAnyWord compares with a non-empty array`));
    expect(textOf(res.html)).toContain('Not saved: fix the problems shown beside the fields.');
    // What was typed is still there.
    expect(docOf(res.html).rules[n]!.name).toBe('Billing questions go to billing');
  });

  it('takes a rule priority as a whole number from 1: the field says so, and 0.5 (json-rules-engine reads 0 and refuses) is not saved', async () => {
    const html = await page();
    expect(html).toMatch(/<input type="number"[^>]*id="f-n-rules-0-priority"[^>]*step="1" min="1" inputmode="numeric"/);
    const res = await post(withFields(fieldsOf(html), { set: { 'n:/rules/0/priority': '0.5' } }), 'save');
    expect(res.status).toBe(422);
    expect(res.html).toContain('id="f-n-rules-0-priority-messages"><li class="field-error">must be a whole number, 1 or more: json-rules-engine reads 0.5 as 0 and refuses the rule</li>');
    expect(latest().version).toBe(1);
  });

  it('moves, duplicates, switches off and removes rules; a switched-off rule is kept but not run', async () => {
    let html = await page();
    const names = () => docOf(html).rules.map((r) => r.name);
    const before = names();
    ({ html } = await post(fieldsOf(html), 'moveRule 1 up'));
    expect(names()).toEqual([before[1], before[0], ...before.slice(2)]);
    expect(html).toMatch(/id="rule-0-move-up"[^>]*autofocus/);
    ({ html } = await post(fieldsOf(html), 'moveRule 0 to 3'));
    expect(names().slice(0, 4)).toEqual([before[0], before[2], before[3], before[1]]);
    ({ html } = await post(fieldsOf(html), 'duplicateRule 0'));
    expect(names()[1]).toBe(`${before[0]} (copy)`);
    ({ html } = await post(fieldsOf(html), 'removeRule 1'));
    expect(names()).toEqual([before[0], before[2], before[3], before[1], ...before.slice(4)]);
    // Switch off "Tag known problems" (unchecking its box): "enabled": false, nothing else changes.
    const i = names().indexOf('Tag known problems');
    ({ html } = await post(withFields(fieldsOf(html), { unset: [`en:/rules/${i}/enabled`] }), 'refresh'));
    expect(docOf(html).rules[i]!.enabled).toBe(false);
    expect(textOf(html)).toContain('Tag known problems switched off');
    const saved = await post(fieldsOf(html), 'save');
    expect(saved.status).toBe(303);
    const draft = latest().version;
    const pub = await h.as.manager.post('/manage/rules/routing/publish', { draft: String(draft), note: 'reordered, one rule off' });
    expect(pub.status).toBe(303);
    // Not run: a known problem is no longer tagged.
    await h.services.store.write((q) => q.db.insert(q.tables.problems).values({ title: 'Charged twice', symptoms: 'charged twice, double charge', solution: 'Wait.', createdAt: 0, updatedAt: 0 }));
    const id = await h.intake({ customer: { email: 'x@example.com' }, subject: 'Charged twice', description: 'I was charged twice for one invoice' });
    const { eq } = await import('drizzle-orm');
    const [row] = await h.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, id)));
    expect(row!.diagnosisMatched).toBe(true);
    expect(row!.tags).not.toContain('known-problem');
    // Switched on again: the key goes away.
    ({ html } = await post(withFields(fieldsOf(await page()), { add: [[`en:/rules/${i}/enabled`, 'on']] }), 'refresh'));
    expect(Object.hasOwn(docOf(html).rules[i]!, 'enabled')).toBe(false);
  });

  it('htmx: the builder comes back alone, with the JSON view and its problems out of band', async () => {
    const html = await page();
    const res = await post(withFields(fieldsOf(html), { set: { 's:/rules/0/name': 'Billing first' } }), 'refresh', 'routing', true);
    expect(res.status).toBe(200);
    expect(res.html.startsWith('<div id="builder" class="builder">')).toBe(true);
    expect(res.html).not.toContain('<html');
    expect(res.html).toContain('<textarea id="definition-json"');
    expect(res.html).toMatch(/id="definition-json"[^>]*hx-swap-oob="true"/);
    expect(res.html).toContain('&quot;name&quot;: &quot;Billing first&quot;');
    expect(res.html).toContain('<div id="editor-problems" class="editor-problems" aria-live="polite" hx-swap-oob="true">');
  });

  it('"Show in the forms" reads the JSON view into the builder (without JavaScript)', async () => {
    const routing = structuredClone(h.services.definitions.ruleset('routing').definition);
    routing.rules[0]!.name = 'Typed in the JSON';
    const res = await h.as.manager.post('/manage/rules/routing/builder', { body: JSON.stringify(routing, null, 2), op: 'load', note: '' });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(docOf(html).rules[0]!.name).toBe('Typed in the JSON');
    expect(html).toContain('value="Typed in the JSON"');
    // Broken JSON: the JSON view keeps the text and says where it breaks; the builder says it cannot show it.
    const broken = await h.as.manager.post('/manage/rules/routing/builder', { body: '{ "ruleset": ', op: 'load' });
    expect(broken.status).toBe(422);
    const text = textOf(await broken.text());
    expect(text).toContain('The builder cannot show this ruleset: its JSON does not parse');
    expect(text).toMatch(/not valid JSON \(line 1, column \d+\)/);
  });

  it('refuses a builder post without its document, and pointers that lead outside the document change nothing', async () => {
    const lost = await h.as.manager.post('/manage/rules/routing/builder', { op: 'refresh' });
    expect(lost.status).toBe(422);
    const html = await page();
    const res = await post([...fieldsOf(html), ['s:/__proto__/polluted', 'x'], ['s:/rules/99/name', 'x']], 'removeNode /rules/0/conditions');
    expect(res.status).toBe(200);
    expect(canonicalJson(docOf(res.html))).toBe(canonicalJson(docOf(html)));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('escapes what it shows: rule names, values, example texts, JSON nodes', async () => {
    const routing = structuredClone(h.services.definitions.ruleset('routing').definition);
    const evil = '"><script>alert(1)</script><img src=x onerror=alert(2)>';
    routing.rules[0]!.name = evil;
    routing.rules[1]!.conditions.any![0]!.value = [evil];
    (routing.rules[2]!.conditions.all as unknown[]).push({ fact: 'case', path: '$.subject', operator: 'textContains', value: evil, params: { x: evil } });
    const body = { ...routing, examples: [{ name: evil, case: { subject: evil, description: evil, customer: { organization: evil } }, expect: { queue: 'billing' } }] };
    const saved = await h.as.manager.post('/manage/rules/routing/drafts', { body: JSON.stringify(body), note: '' });
    expect(saved.status).toBe(303);
    const html = await page();
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // And the document round-trips through the escaped hidden field unchanged.
    expect(docOf(html)).toEqual(body);
  });
});


describe('a large ruleset', () => {
  it('is edited in the builder and the JSON editor past 64 KiB of form (up to 2 MiB, as the API takes); other forms keep 64 KiB', async () => {
    // 120 rules like the shipped ones: ~60 KB of JSON, a builder form of ~165 KB.
    const routing = structuredClone(h.services.definitions.ruleset('routing').definition);
    const base = routing.rules;
    routing.rules = Array.from({ length: 15 }, (_, k) => base.map((r) => ({ ...structuredClone(r), name: `${r.name} ${k}` }))).flat();
    const json = JSON.stringify(routing, null, 2);
    expect(json.length).toBeGreaterThan(64 * 1024);
    const saved = await h.as.manager.post('/manage/rules/routing/drafts', { body: json, note: 'many rules' });
    expect(saved.status).toBe(303);
    expect(latest().version).toBe(2);

    const html = await page();
    const fields = withFields(fieldsOf(html), { set: { 's:/rules/119/name': 'The last rule, renamed' } });
    expect(new URLSearchParams(fields).toString().length).toBeGreaterThan(2 * 64 * 1024);
    const applied = await post(fields, 'refresh');
    expect(applied.status).toBe(200);
    const res = await post(fieldsOf(applied.html), 'save');
    expect(res.status).toBe(303);
    expect((latest().body as RulesetDefinition).rules[119]!.name).toBe('The last rule, renamed');

    // The workflow and SLA editors take the same (a text of 100 KB is checked, not refused).
    for (const url of ['/manage/workflows/support/validate', '/manage/workflows/support/builder', '/manage/sla/validate']) {
      const big = await h.as.manager.post(url, { body: `{ "a": "${'x'.repeat(100 * 1024)}" `, op: 'load' });
      expect([200, 422]).toContain(big.status);
    }
    // Beyond the editors' limit, and on any other form past 64 KiB: 413 as before.
    const huge = await h.as.manager.post('/manage/rules/routing/validate', { body: 'x'.repeat(2 * 1024 * 1024 + 1) });
    expect(huge.status).toBe(413);
    const queue = await h.as.manager.post('/manage/team/queues', { id: 'big', name: 'Big', description: 'x'.repeat(70 * 1024), tier: '1' });
    expect(queue.status).toBe(413);
  });
});
