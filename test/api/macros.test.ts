/**
 * Macros over the API: checks before saving (unknown and staff-only variables, actions that
 * do not exist), personal and shared macros and who may change them, the preview (rendered
 * for the case, the changes applying would make), and apply: the reply and every change in
 * one transaction — all or nothing, version-checked — with the usage counted.
 */
import { asc, eq } from 'drizzle-orm';
import { loadCase } from '../../src/cases/case-read.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';

let h: Harness;
let alice: TestActor;
let bob: TestActor;
let mia: TestActor;
let tokens: Record<'alice' | 'bob' | 'mia' | 'chloe', string>;

beforeEach(() => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice Archer', queues: ['general', 'billing'] });
  bob = h.agent({ name: 'Bob Baker', queues: ['technical'] });
  mia = h.agent({ name: 'Mia Manager', role: 'manager' });
  const chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe Martin' });
  tokens = { alice: h.tokenFor(alice), bob: h.tokenFor(bob), mia: h.tokenFor(mia), chloe: h.tokenFor(chloe) };
});
afterEach(() => h.close());

type Json = Record<string, any>;

async function call(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; json: Json; type: string }> {
  const res = await h.api(method, url, { token, body });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Json) : {}, type: res.headers.get('Content-Type') ?? '' };
}

async function newCase(): Promise<string> {
  const { json } = await call('POST', '/api/v1/cases', tokens.chloe, { subject: 'Question about my account', description: 'How do I change my address?' });
  const c = await call('GET', `/api/v1/cases/${json.id}`, ADMIN_TOKEN);
  expect(c.json.queue).toBe('general');
  return json.id as string;
}

const events = (ref: string) =>
  h.query((q) => {
    const t = q.tables.caseEvents;
    return q.db.select().from(t).where(eq(t.caseId, Number(ref.slice(2)))).orderBy(asc(t.id));
  });

const WAIT = { name: 'Waiting on you', body: 'Hi {{customer.firstName}},\n\ncould you send us the invoice number for {{case.id}}?\n\n{{agent.firstName}}', actions: { transition: 'waitOnCustomer', priority: 'high', tags: { add: ['needs-info', ' #Billing '] }, assignee: 'me' } };

describe('saving a macro', () => {
  it('refuses unknown and staff-only variables, unknown transitions and empty macros, with every problem (problem+json)', async () => {
    const res = await call('POST', '/api/v1/macros', tokens.alice, { name: 'Bad', body: 'Hi {{customer.age}}\nQueue: {{case.queue}}\n{{#case.id}}', actions: { transition: 'teleport', assignee: 99999 } });
    expect(res.status).toBe(422);
    expect(res.type).toContain('application/problem+json');
    expect(res.json.code).toBe('VALIDATION_FAILED');
    expect(res.json.requestId).toEqual(expect.any(String));
    const messages = (res.json.errors as { path: string; message: string }[]).map((i) => `${i.path}: ${i.message}`);
    expect(messages).toEqual([
      expect.stringContaining('body: line 1: unknown variable {{customer.age}}'),
      'body: line 2: {{case.queue}} is for staff only: a reply goes to the customer',
      'body: line 3: {{#case.id}} is not closed with {{/case.id}}',
      expect.stringContaining('actions.transition: unknown transition "teleport": use'),
      'actions.assignee: no active staff member 99999',
    ]);
    expect((await call('POST', '/api/v1/macros', tokens.alice, { name: 'Empty' })).json.errors).toEqual([{ path: 'body', message: 'A macro needs a reply, or at least one change to make.' }]);
    expect((await call('POST', '/api/v1/macros', tokens.alice, { name: 'Resolve silently', actions: { transition: 'resolve' } })).json.errors[0].message).toContain('"Resolve" asks for solution');
    expect((await call('POST', '/api/v1/macros', tokens.alice, { name: 'x', actions: { priority: 'asap' } })).status).toBe(422);
    expect(await h.query((q) => q.db.select().from(q.tables.macros))).toEqual([]);
  });

  it('stores normalised tags and refuses a second macro of the same name in the same scope', async () => {
    const created = await call('POST', '/api/v1/macros', tokens.alice, WAIT);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'Waiting on you', scope: 'personal', version: 1, usageCount: 0, editable: true, actions: { tags: { add: ['needs-info', 'billing'], remove: [] } } });
    const again = await call('POST', '/api/v1/macros', tokens.alice, { ...WAIT, name: 'waiting ON you' });
    expect(again.status).toBe(422);
    expect(again.json.errors).toEqual([{ path: 'name', message: 'You already have a macro called "waiting ON you".' }]);
    // Another scope may use the name.
    expect((await call('POST', '/api/v1/macros', tokens.bob, WAIT)).status).toBe(201);
    expect((await call('POST', '/api/v1/macros', tokens.mia, { ...WAIT, shared: true })).status).toBe(201);
  });
});

describe('personal and shared macros', () => {
  it('agents keep their own; managers share; nobody sees or changes somebody else’s personal macro', async () => {
    const mine = (await call('POST', '/api/v1/macros', tokens.alice, { name: 'Mine', body: 'Hello' })).json;
    expect((await call('POST', '/api/v1/macros', tokens.alice, { name: 'Team', body: 'Hello', shared: true })).status).toBe(403);
    const shared = (await call('POST', '/api/v1/macros', tokens.mia, { name: 'Team', body: 'Hello team', shared: true })).json;
    expect(shared.scope).toBe('shared');

    expect((await call('GET', '/api/v1/macros', tokens.alice)).json.map((m: Json) => [m.name, m.scope, m.editable])).toEqual([
      ['Mine', 'personal', true],
      ['Team', 'shared', false],
    ]);
    expect((await call('GET', '/api/v1/macros', tokens.bob)).json.map((m: Json) => m.name)).toEqual(['Team']);
    expect((await call('GET', '/api/v1/macros', tokens.mia)).json.map((m: Json) => [m.name, m.editable])).toEqual([['Team', true]]);
    expect((await call('GET', '/api/v1/macros', tokens.chloe)).status).toBe(403);

    for (const token of [tokens.bob, tokens.mia]) {
      expect((await call('GET', `/api/v1/macros/${mine.id}`, token)).status).toBe(404);
      expect((await call('PATCH', `/api/v1/macros/${mine.id}`, token, { name: 'Taken' })).json.code).toBe('MACRO_NOT_FOUND');
      expect((await call('DELETE', `/api/v1/macros/${mine.id}`, token)).status).toBe(404);
    }
    expect((await call('PATCH', `/api/v1/macros/${shared.id}`, tokens.alice, { body: 'Changed' })).status).toBe(403);
    expect((await call('DELETE', `/api/v1/macros/${shared.id}`, tokens.alice)).status).toBe(403);

    const renamed = await call('PATCH', `/api/v1/macros/${shared.id}`, tokens.mia, { name: 'Team hello', expectedVersion: 1 });
    expect(renamed.json).toMatchObject({ name: 'Team hello', body: 'Hello team', version: 2 });
    expect((await call('PATCH', `/api/v1/macros/${shared.id}`, tokens.mia, { name: 'Stale', expectedVersion: 1 })).json.code).toBe('CONFLICT');
    expect((await call('PATCH', `/api/v1/macros/${mine.id}`, tokens.alice, { body: 'Hi {{nope}}' })).json.errors[0].message).toBe('line 1: unknown variable {{nope}}: use {{case.id}}, {{case.subject}}, {{case.status}}, {{case.url}}, {{customer.name}}, {{customer.firstName}}, {{customer.email}}, {{agent.name}}, {{agent.firstName}}');
    expect((await call('DELETE', `/api/v1/macros/${mine.id}`, tokens.alice)).status).toBe(204);
    expect((await call('DELETE', `/api/v1/macros/${shared.id}`, ADMIN_TOKEN)).status).toBe(204);
    expect(await h.query((q) => q.db.select().from(q.tables.macros))).toEqual([]);
  });
});

describe('preview and apply', () => {
  it('previews the reply for the case and the changes it would make, without changing anything', async () => {
    const ref = await newCase();
    const macro = (await call('POST', '/api/v1/macros', tokens.alice, WAIT)).json;
    const before = await loadCase(h.services, Number(ref.slice(2)));
    const preview = await call('POST', `/api/v1/cases/${ref}/macros/${macro.id}/preview`, tokens.alice);
    expect(preview.status).toBe(200);
    expect(preview.json).toMatchObject({
      case: ref,
      text: `Hi Chloe,\n\ncould you send us the invoice number for ${ref}?\n\nAlice`,
      planned: ['Status: Wait on customer', 'Priority: high', 'Tags: +needs-info +billing', 'Assign: to whoever applies it'],
      problem: null,
      caseVersion: before.version,
      macroVersion: 1,
    });
    expect(preview.json.changes.map((c: Json) => c.text)).toEqual(['Status: Open → Pending customer', 'Priority: normal → high', 'Tags: +needs-info +billing']);
    expect(await loadCase(h.services, before.id)).toEqual(before);
    expect((await h.query((q) => q.db.select().from(q.tables.macros)))[0]!.usageCount).toBe(0);
    // Bob does not work the general queue: the case is not found for him.
    expect((await call('POST', `/api/v1/cases/${ref}/macros/${macro.id}/preview`, tokens.bob)).status).toBe(404);
    expect((await call('POST', `/api/v1/cases/${ref}/macros/99999/preview`, tokens.alice)).json.code).toBe('MACRO_NOT_FOUND');
  });

  it('applies the reply and every change in one transaction, counted, recorded on the timeline', async () => {
    const ref = await newCase();
    const macro = (await call('POST', '/api/v1/macros', tokens.alice, WAIT)).json;
    const preview = (await call('POST', `/api/v1/cases/${ref}/macros/${macro.id}/preview`, tokens.alice)).json;
    const count = (await events(ref)).length;
    const applied = await call('POST', `/api/v1/cases/${ref}/macros/${macro.id}/apply`, tokens.alice, { body: `${preview.text}\n\nP.S. edited`, expectedVersion: preview.caseVersion, macroVersion: 1 });
    expect(applied.status).toBe(200);
    expect(applied.json.case).toMatchObject({ status: 'pending', priority: 'high', tags: expect.arrayContaining(['needs-info', 'billing']) });
    expect(applied.json.message).toMatchObject({ type: 'staff.replied', data: { body: expect.stringContaining('P.S. edited') } });
    expect(applied.json.macro).toMatchObject({ usageCount: 1, lastUsedAt: expect.any(String) });
    const added = (await events(ref)).slice(count);
    expect(added.map((e) => e.type)).toEqual(expect.arrayContaining(['staff.replied', 'case.priority_changed', 'case.tags_changed', 'case.transitioned', 'macro.applied']));
    expect(added.find((e) => e.type === 'macro.applied')!.data).toMatchObject({ macro: 'Waiting on you', reply: 'public', changes: ['Status: Open → Pending customer', 'Priority: normal → high', 'Tags: +needs-info +billing'] });
    // One transaction: one version step.
    expect((await loadCase(h.services, Number(ref.slice(2)))).version).toBe(preview.caseVersion + 1);
  });

  it('is all or nothing: a change that fails leaves no reply, no other change and no count behind', async () => {
    const ref = await newCase();
    // Bob works the technical queue only: assigning him a general case is refused.
    const macro = (await call('POST', '/api/v1/macros', tokens.alice, { name: 'To Bob', body: 'Bob will help you, {{customer.firstName}}.', actions: { priority: 'urgent', assignee: bob.id } })).json;
    const before = await loadCase(h.services, Number(ref.slice(2)));
    const count = (await events(ref)).length;
    const res = await call('POST', `/api/v1/cases/${ref}/macros/${macro.id}/apply`, tokens.alice, {});
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ code: 'STAFF_NOT_FOUND', detail: 'Bob Baker does not work the General queue.' });
    expect((await events(ref)).length).toBe(count);
    expect(await loadCase(h.services, before.id)).toEqual(before);
    expect((await h.query((q) => q.db.select().from(q.tables.macros)))[0]!.usageCount).toBe(0);
    // The preview says so beforehand.
    const preview = (await call('POST', `/api/v1/cases/${ref}/macros/${macro.id}/preview`, tokens.alice)).json;
    expect(preview.problem).toEqual({ code: 'STAFF_NOT_FOUND', message: 'Bob Baker does not work the General queue.' });
  });

  it('refuses a stale case version or a macro changed since the preview (409), writing nothing', async () => {
    const ref = await newCase();
    const macro = (await call('POST', '/api/v1/macros', tokens.alice, { name: 'Ack', body: 'Thanks {{customer.firstName}}', actions: { tags: { add: ['acked'] } } })).json;
    const preview = (await call('POST', `/api/v1/cases/${ref}/macros/${macro.id}/preview`, tokens.alice)).json;
    await call('POST', `/api/v1/cases/${ref}/messages`, tokens.chloe, { body: 'Any news?' });
    const count = (await events(ref)).length;
    const stale = await call('POST', `/api/v1/cases/${ref}/macros/${macro.id}/apply`, tokens.alice, { expectedVersion: preview.caseVersion });
    expect(stale.status).toBe(409);
    expect(stale.json.code).toBe('CONFLICT');
    await call('PATCH', `/api/v1/macros/${macro.id}`, tokens.alice, { body: 'Thank you {{customer.firstName}}' });
    const changed = await call('POST', `/api/v1/cases/${ref}/macros/${macro.id}/apply`, tokens.alice, { macroVersion: 1 });
    expect(changed.status).toBe(409);
    expect(changed.json.detail).toBe('The macro "Ack" changed since you previewed it; preview it again.');
    expect((await events(ref)).length).toBe(count);
    const ok = await call('POST', `/api/v1/cases/${ref}/macros/${macro.id}/apply`, tokens.alice, { macroVersion: 2, public: false });
    expect(ok.json.message).toMatchObject({ type: 'staff.noted', data: { body: 'Thank you Chloe' } });
    expect(ok.json.case.tags).toContain('acked');
  });

  it('a transition the case cannot take now is refused (409 INVALID_TRANSITION), and customers cannot use macros', async () => {
    const ref = await newCase();
    const macro = (await call('POST', '/api/v1/macros', tokens.alice, { name: 'Resume', body: 'Back on it.', actions: { transition: 'resume' } })).json;
    const res = await call('POST', `/api/v1/cases/${ref}/macros/${macro.id}/apply`, tokens.alice);
    expect(res.status).toBe(409);
    expect(res.json.code).toBe('INVALID_TRANSITION');
    expect((await call('POST', `/api/v1/cases/${ref}/macros/${macro.id}/apply`, tokens.chloe)).status).toBe(403);
    expect((await call('POST', `/api/v1/cases/${ref}/macros/${macro.id}/apply`, tokens.alice, { public: 'yes' })).status).toBe(422);
  });
});
