/**
 * `/manage/templates` and `/api/v1/templates`: the list, editing with the variables shown,
 * validation before save (422 with the problems beside the fields; problem+json for the API),
 * the live preview (htmx) and the Preview button (no JavaScript) against a sample or a real
 * case, reset to the default, the history of who changed what; role checks and CSRF.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../support/harness.js';
import { formFields, withFields } from '../support/forms.js';
import { visitor } from '../support/pages.js';
import { manageHarness, textOf, type ManageHarness } from './support.js';

let h: ManageHarness;
beforeEach(async () => {
  h = manageHarness();
  await h.settled(); // on PostgreSQL the definitions registry is loaded once the seeding step has run
});
afterEach(() => h.close());

const BASE = '/manage/templates/case-resolved/customer';
const GOOD = { subject: 'Done: {{case.subject}}', body: 'Hi {{customer.firstName}},\n\n{{#csat}}\nHappy? {{csat.yesUrl}} / {{csat.noUrl}}\n{{/csat}}\n{{case.url}}\n' };
const stored = () => h.query((q) => q.db.select().from(q.tables.notificationTemplates).orderBy(q.tables.notificationTemplates.name, q.tables.notificationTemplates.audience));
/** A form's fields as the admin posts them (their own CSRF token). */
const asAdmin = (fields: [string, string][]): [string, string][] => fields.map(([k, v]) => [k, k === '_csrf' ? h.as.admin.csrf : v]);
const changes = () => h.query((q) => q.db.select().from(q.tables.notificationTemplateChanges).orderBy(q.tables.notificationTemplateChanges.id));

describe('the templates page', () => {
  it('lists every template with its customer and staff version, default or customized', async () => {
    const res = await h.as.manager.get('/manage/templates');
    expect(res.status).toBe(200);
    const html = await res.text();
    for (const name of ['case-received', 'solution-offered', 'case-pending', 'case-resolved', 'case-escalated', 'sla-warning', 'sla-breached', 'case-waiting', 'staff-reply']) {
      expect(html).toContain(`id="template-${name}"`);
      expect(html).toContain(`href="/manage/templates/${name}/customer"`);
    }
    expect(html).toContain('href="/manage/templates/sla-warning/staff"');
    expect(html).not.toContain('href="/manage/templates/staff-reply/staff"');
    expect(html).toContain('href="/manage/templates"'); // the console navigation
  });

  it('shows the wording in force, the variables the version may use and a preview of the sample', async () => {
    const html = await (await h.as.manager.get(BASE)).text();
    expect(html).toContain('[{{case.id}}] Resolved: {{case.subject}}');
    const text = textOf(html);
    expect(text).toContain('{{csat.yesUrl}} link: "yes, this solved it" (signed, valid 30 days)');
    expect(text).toContain('{{#csat}}…{{/csat}}');
    expect(text).not.toContain('{{case.queue}}');
    expect(text).toContain('Subject: [C-1042] Resolved: Invoice 2026-03 charged twice');
    expect(text).toContain('Yes: http://127.0.0.1:3000/csat/example?answer=yes');
    expect(html).toContain('hx-post="/manage/templates/case-resolved/customer/preview"');
    expect(html).toContain('formaction="/manage/templates/case-resolved/customer/preview"');
    const staff = textOf(await (await h.as.manager.get('/manage/templates/sla-warning/staff')).text());
    expect(staff).toContain('{{case.queue}} the queue (id)');
    expect(staff).toContain('{{reason}}');
  });

  it('saves a valid wording, records who and when, and says so', async () => {
    const res = await h.as.manager.post(BASE, GOOD);
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`${BASE}?done=saved`);
    expect(await stored()).toEqual([expect.objectContaining({ name: 'case-resolved', audience: 'customer', ...GOOD, updatedBy: 'Maria Manager', updatedById: h.maria.id, updatedAt: h.clock.now() })]);
    expect(await changes()).toEqual([expect.objectContaining({ name: 'case-resolved', audience: 'customer', action: 'saved', ...GOOD, actor: 'Maria Manager', actorId: h.maria.id })]);
    const text = textOf(await (await h.as.manager.get(`${BASE}?done=saved`)).text());
    expect(text).toContain('Saved: mails use your wording from now on.');
    expect(text).toContain('customized by Maria Manager');
    expect(text).toContain('Subject: [C-1042] Done: Invoice 2026-03 charged twice');
    expect(text).toContain('History');
    expect(textOf(await (await h.as.manager.get('/manage/templates')).text())).toContain('Edit customer version customized by Maria Manager');
  });

  it('refuses a wording with problems: 422, the problems beside their fields, the text kept, nothing stored', async () => {
    const bad = { subject: '', body: 'Hello {{customer.name}}\n{{case.queue}}\n{{#csat}}\n{{nope}}' };
    const res = await h.as.manager.post(BASE, bad);
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('<p class="field-error" id="template-subject-error">The subject is empty.</p>');
    // Every problem of the text beside it, in the order of its lines; and in the preview panel.
    expect(html).toContain(
      'id="template-body-error">line 2: {{case.queue}} is for staff only: customer mails never show it · line 3: {{#csat}} is not closed with {{/csat}} · line 4: unknown variable {{nope}}</p>',
    );
    expect(textOf(html)).toContain('Fix these to see the preview: subject The subject is empty. body line 2:');
    expect(html).toContain('Hello {{customer.name}}\n{{case.queue}}');
    // htmx posts get the form alone.
    const fragment = await h.as.manager.post(BASE, bad, { htmx: true });
    expect(fragment.status).toBe(422);
    expect(fragment.headers.get('HX-Retarget')).toBe('#template-form');
    expect(await fragment.text()).toMatch(/^<form id="template-form"/);
    expect(await stored()).toEqual([]);
    expect(await changes()).toEqual([]);
  });

  it('previews as you type (htmx) and with the Preview button, against the sample or a real case', async () => {
    const live = await h.as.manager.post(`${BASE}/preview`, { ...GOOD, case: '' }, { htmx: true });
    expect(live.status).toBe(200);
    const fragment = await live.text();
    expect(fragment).toMatch(/^<section class="panel" id="template-preview"/);
    expect(textOf(fragment)).toContain('Hi Chloe, Happy? http://127.0.0.1:3000/csat/example?answer=yes');

    const id = await h.intake({ customer: { email: 'pat@example.com', name: 'Pat <Lee>' }, subject: 'Printer on fire', description: 'Smoke everywhere' });
    const real = await (await h.as.manager.post(`${BASE}/preview`, { ...GOOD, case: `C-${id}` }, { htmx: true })).text();
    expect(textOf(real)).toContain(`Filled in with case C-${id}.`);
    expect(textOf(real)).toContain('Subject: [C-');
    expect(real).toContain('Done: Printer on fire');
    expect(real).toContain('Hi Pat,');
    // The HTML part is derived from the text and escaped.
    expect(real).toContain('&lt;p dir=&quot;auto&quot;&gt;Hi Pat,&lt;/p&gt;');
    expect(real).not.toContain('<Lee>');

    const problems = await (await h.as.manager.post(`${BASE}/preview`, { ...GOOD, body: '{{#csat}}', case: 'C-999999' }, { htmx: true })).text();
    expect(textOf(problems)).toContain('Fix these to see the preview');
    expect(textOf(problems)).toContain('line 1: {{#csat}} is not closed with {{/csat}}');
    expect(textOf(problems)).toContain('No case C-999999');

    // Without JavaScript: the whole page with the preview, nothing saved.
    const page = await h.as.manager.post(`${BASE}/preview`, { ...GOOD, case: `C-${id}` });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<html');
    expect(html).toContain('Done: Printer on fire');
    expect(html).toContain('Hi {{customer.firstName}}'); // the text being edited, kept in the form
    const refused = await h.as.manager.post(`${BASE}/preview`, { ...GOOD, case: 'nonsense' });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('id="template-case-error">No case nonsense');
    expect(await stored()).toEqual([]);
  });

  it('resets to the default, recorded in the history', async () => {
    await h.as.admin.post(BASE, GOOD);
    const res = await h.as.manager.post(`${BASE}/reset`);
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`${BASE}?done=reset`);
    expect(await stored()).toEqual([]);
    expect((await changes()).map((c) => [c.action, c.actor, c.subject])).toEqual([
      ['saved', 'Ada Admin', GOOD.subject],
      ['reset', 'Maria Manager', null],
    ]);
    const text = textOf(await (await h.as.manager.get(`${BASE}?done=reset`)).text());
    expect(text).toContain('Reset: mails use the built-in wording again.');
    expect(text).toContain('reset to the default');
    expect(text).toContain('Subject: [C-1042] Resolved: Invoice 2026-03 charged twice');
  });

  it('does not save over a wording someone saved after the page was opened: 422 with the text kept and who saved; saving again does', async () => {
    const maria = await (await h.as.manager.get(BASE)).text();
    const ada = await (await h.as.admin.get(BASE)).text();
    expect(formFields(maria, 'template-form')).toContainEqual(['seen', '0']);
    const adaWording = { subject: 'Ada: {{case.subject}}', body: 'Ada wrote this.\n{{case.url}}\n' };
    expect((await h.as.admin.post(BASE, withFields(asAdmin(formFields(ada, 'template-form')), { set: adaWording }))).status).toBe(303);

    const mine = withFields(formFields(maria, 'template-form'), { set: GOOD });
    const res = await h.as.manager.post(BASE, mine);
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(textOf(html)).toContain('Ada Admin saved this template on 2026-03-02 09:00 UTC, after this page was opened. Your wording was not saved; it is still below, and theirs is in the history.');
    const again = formFields(html, 'template-form');
    expect(again).toContainEqual(['body', GOOD.body]);
    expect((await stored())[0]).toMatchObject({ subject: adaWording.subject, updatedBy: 'Ada Admin' });

    // Having looked, Maria saves again: hers replaces Ada's (both in the history).
    expect((await h.as.manager.post(BASE, again)).status).toBe(303);
    expect((await stored())[0]).toMatchObject({ subject: GOOD.subject, updatedBy: 'Maria Manager' });
    expect((await changes()).map((c) => c.actor)).toEqual(['Ada Admin', 'Maria Manager']);
  });

  it('answers 404 for templates and audiences that do not exist', async () => {
    for (const path of ['/manage/templates/nope/customer', '/manage/templates/staff-reply/staff', '/manage/templates/case-resolved/manager', '/manage/templates/constructor/customer']) {
      expect((await h.as.manager.get(path)).status, path).toBe(404);
      expect((await h.as.manager.post(path, GOOD)).status, path).toBe(404);
    }
  });
});

describe('who may use the templates pages', () => {
  const routes = [
    ['GET', '/manage/templates'],
    ['GET', BASE],
    ['POST', BASE],
    ['POST', `${BASE}/preview`],
    ['POST', `${BASE}/reset`],
  ] as const;

  it('agents and advanced agents 403, customers 404, visitors to sign-in; nothing changes', async () => {
    const anonymous = visitor(h);
    await anonymous.start();
    for (const [method, path] of routes) {
      const go = (client: typeof h.as.agent) => (method === 'GET' ? client.get(path) : client.post(path, GOOD));
      expect((await go(h.as.agent)).status, `${method} ${path} agent`).toBe(403);
      expect((await go(h.as.advanced)).status, `${method} ${path} advanced`).toBe(403);
      expect((await go(h.as.customer)).status, `${method} ${path} customer`).toBe(404);
      const res = await go(anonymous);
      if (method === 'GET') expect(res.headers.get('Location') ?? '', `${method} ${path} visitor`).toMatch(/^\/login/);
      else expect([res.status, (await res.text()).includes('Your session has ended')], `${method} ${path} visitor`).toEqual([401, true]);
    }
    expect(await stored()).toEqual([]);
  });

  it('refuses posts without the CSRF token or from another site', async () => {
    expect((await h.as.manager.post(BASE, GOOD, { csrf: false })).status).toBe(403);
    expect((await h.as.manager.post(BASE, GOOD, { origin: 'https://evil.example' })).status).toBe(403);
    expect(await stored()).toEqual([]);
  });
});

describe('the templates API', () => {
  const auth = () => ({ token: h.tokenFor(h.maria) });

  it('lists, saves, reads with the history, previews and resets', async () => {
    const list = (await (await h.api('GET', '/api/v1/templates', auth())).json()) as { name: string; audience: string; customized: boolean; variables: { name: string }[] }[];
    expect(list).toHaveLength(17);
    expect(list.find((t) => t.name === 'case-resolved' && t.audience === 'customer')).toMatchObject({ customized: false });

    const put = await h.api('PUT', '/api/v1/templates/case-resolved/customer', { ...auth(), body: GOOD });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ name: 'case-resolved', audience: 'customer', customized: true, ...GOOD, updatedBy: 'Maria Manager', updatedAt: '2026-03-02T09:00:00.000Z' });

    const one = (await (await h.api('GET', '/api/v1/templates/case-resolved/customer', auth())).json()) as { history: unknown[] };
    expect(one.history).toEqual([{ action: 'saved', ...GOOD, by: 'Maria Manager', at: '2026-03-02T09:00:00.000Z' }]);

    const preview = await h.api('POST', '/api/v1/templates/case-resolved/customer/preview', { ...auth(), body: {} });
    expect(preview.status).toBe(200);
    expect(await preview.json()).toMatchObject({ subject: '[C-1042] Done: Invoice 2026-03 charged twice', text: expect.stringContaining('Happy? http://127.0.0.1:3000/csat/example?answer=yes'), html: expect.stringContaining('<p dir="auto">Hi Chloe,</p>'), case: null });

    const reset = await h.api('DELETE', '/api/v1/templates/case-resolved/customer', auth());
    expect(await reset.json()).toMatchObject({ customized: false, subject: '[{{case.id}}] Resolved: {{case.subject}}' });
    expect(await stored()).toEqual([]);
  });

  it('refuses a wording with problems as problem+json with each field, and stores nothing', async () => {
    const res = await h.api('PUT', '/api/v1/templates/case-received/customer', { ...auth(), body: { subject: 'x', body: '{{#offer}}{{case.priority}}' } });
    expect(res.status).toBe(422);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [
        { path: 'body', message: 'line 1: {{#offer}} is not closed with {{/offer}}' },
        { path: 'body', message: 'line 1: {{case.priority}} is for staff only: customer mails never show it' },
      ],
    });
    expect((await h.api('PUT', '/api/v1/templates/case-received/customer', { ...auth(), body: { subject: 'x' } })).status).toBe(422);
    expect((await h.api('PUT', '/api/v1/templates/nope/customer', { ...auth(), body: GOOD })).status).toBe(404);
    expect((await h.api('POST', '/api/v1/templates/case-resolved/customer/preview', { ...auth(), body: { case: 'C-424242' } })).status).toBe(422);
    expect(await stored()).toEqual([]);
  });

  it('is for managers and admins only', async () => {
    for (const who of [h.alice, h.dana, h.chloe]) {
      expect((await h.api('GET', '/api/v1/templates', { token: h.tokenFor(who) })).status).toBe(403);
      expect((await h.api('PUT', '/api/v1/templates/case-resolved/customer', { token: h.tokenFor(who), body: GOOD })).status).toBe(403);
    }
    expect((await h.api('PUT', '/api/v1/templates/case-resolved/customer', { token: ADMIN_TOKEN, body: GOOD })).status).toBe(200);
    expect(await stored()).toEqual([expect.objectContaining({ updatedBy: 'admin token', updatedById: null })]);
  });
});
