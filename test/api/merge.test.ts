/**
 * `POST /api/v1/cases/:id/merge`: a duplicate is merged into the case that goes on — its request,
 * messages, notes and files copied there with their authors and times, the duplicate closed with
 * its clocks standing still, both timelines and the audit log told — and every refusal is clear.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweepSla } from '../../src/sla/sweep.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';

let h: Harness;
let alice: TestActor;
let bob: TestActor;
let chloeToken: string;
let samToken: string;
let aliceToken: string;

type Json = Record<string, any>;

beforeEach(() => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], capacity: 10 });
  bob = h.agent({ name: 'Bob', queues: ['technical'], capacity: 10 });
  chloeToken = h.tokenFor(h.customer({ email: 'chloe@example.com', name: 'Chloe' }));
  samToken = h.tokenFor(h.customer({ email: 'sam@example.org', name: 'Sam' }));
  aliceToken = h.tokenFor(alice);
});
afterEach(() => h.close());

async function call(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; json: Json; type: string | null }> {
  const res = await h.api(method, url, { token, body });
  return { status: res.status, json: (await res.json()) as Json, type: res.headers.get('Content-Type') };
}

async function newCase(token: string, subject: string, description = 'The March invoice was charged twice.'): Promise<string> {
  const { status, json } = await call('POST', '/api/v1/cases', token, { subject, description });
  expect(status).toBe(201);
  return json.id as string;
}

const merge = (ref: string, token: string, body: Json) => call('POST', `/api/v1/cases/${ref}/merge`, token, body);
const events = async (ref: string) => (await call('GET', `/api/v1/cases/${ref}/events`, ADMIN_TOKEN)).json as unknown as { id: number; type: string; at: string; data: Json; actor: Json }[];
const staffView = async (ref: string) => (await call('GET', `/api/v1/cases/${ref}`, ADMIN_TOKEN)).json;
const timers = (ref: string) => h.all<{ metric: string; state: string; due_at: number | null; used_minutes: number }>('SELECT metric, state, due_at, used_minutes FROM sla_timers WHERE case_id = ? ORDER BY metric', Number(ref.slice(2)));

/** Chloe wrote twice: a duplicate (with a reply of hers, a file and an agent's note) and the case that goes on. */
async function twoRequests(): Promise<{ dup: string; kept: string }> {
  const dup = await newCase(chloeToken, 'Charged twice', 'Invoice 2026-03 was charged twice.');
  h.clock.advance(60_000);
  const body = new FormData();
  body.append('body', 'Here is the statement.');
  body.append('files', new File(['%PDF-1.4 statement'], 'statement.pdf', { type: 'application/pdf' }));
  const sent = await h.app.request(`/api/v1/cases/${dup}/messages`, { method: 'POST', headers: { Authorization: `Bearer ${chloeToken}` }, body });
  expect(sent.status).toBe(201);
  h.clock.advance(60_000);
  expect((await call('POST', `/api/v1/cases/${dup}/messages`, aliceToken, { body: 'Same as her other case.', public: false })).status).toBe(201);
  h.clock.advance(60_000);
  const kept = await newCase(chloeToken, 'Double charge on my card', 'My card shows two charges.');
  return { dup, kept };
}

describe('merging a duplicate', () => {
  it('copies the request, messages, notes and files with their authors and times, closes the duplicate and links both ways', async () => {
    const { dup, kept } = await twoRequests();
    const keptTimers = await timers(kept);
    const before = await events(dup);
    // Someone copied on the duplicate's mail (a colleague of hers in Cc).
    await h.run('INSERT INTO case_email_contacts (case_id, address, name, added_at) VALUES (?, ?, ?, ?)', Number(dup.slice(2)), 'ben@example.com', 'Ben', h.clock.now());
    h.clock.advance(5 * 60_000);

    const res = await merge(dup, aliceToken, { into: kept, note: 'Same double charge' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: dup, mergedInto: kept, open: false, status: 'closed' });

    // The duplicate: closed by the merge, told on its timeline; its clocks stand still (none runs on to breach).
    const dupEvents = await events(dup);
    expect(dupEvents.find((e) => e.type === 'case.merged')?.data).toMatchObject({ into: kept, messages: 3, note: 'Same double charge' });
    expect(dupEvents.find((e) => e.type === 'case.transitioned' && e.data.transition === 'merge')?.data).toMatchObject({ to: 'closed' });
    expect((await timers(dup)).filter((t) => t.state === 'running')).toEqual([]);
    // The case that goes on: its clocks untouched, the copies in order with their authors and original times.
    expect(await timers(kept)).toEqual(keptTimers);
    const keptEvents = await events(kept);
    expect(keptEvents.find((e) => e.type === 'case.duplicate_merged')?.data).toMatchObject({ from: dup, messages: 3 });
    const copies = keptEvents.filter((e) => e.data.mergedFrom === dup);
    const original = (type: string) => before.find((e) => e.type === type)!;
    expect(copies.map((e) => [e.type, e.actor.type, e.at])).toEqual([
      ['customer.replied', 'customer', original('case.created').at],
      ['customer.replied', 'customer', original('customer.replied').at],
      ['staff.noted', 'staff', original('staff.noted').at],
    ]);
    expect(copies[0]!.data.body).toBe('Charged twice\n\nInvoice 2026-03 was charged twice.');
    expect(copies[2]!.data).toMatchObject({ body: 'Same as her other case.', author: 'Alice' });
    // Those copied on the duplicate's mail are copied on the kept case.
    expect(await h.all('SELECT address FROM case_email_contacts WHERE case_id = ?', Number(kept.slice(2)))).toEqual([{ address: 'ben@example.com' }]);
    // Copies are history: no SLA entry, no workflow step on the kept case came of them.
    expect(keptEvents.filter((e) => e.id > copies[0]!.id && e.type.startsWith('sla.'))).toEqual([]);

    // Chloe sees her messages (and the file) on the kept case, and the duplicate pointing there.
    const timeline = (await call('GET', `/api/v1/cases/${kept}/events`, chloeToken)).json as unknown as Json[];
    const statement = timeline.find((e) => e.body === 'Here is the statement.')!;
    expect(statement).toMatchObject({ type: 'customer.replied', author: { you: true } });
    expect(timeline.some((e) => String(e.body).includes('other case'))).toBe(false);
    const file = statement.attachments[0];
    const download = await h.app.request(`/api/v1/cases/${kept}/attachments/${file.id}`, { headers: { Authorization: `Bearer ${chloeToken}` } });
    expect(await download.text()).toBe('%PDF-1.4 statement');
    expect((await call('GET', `/api/v1/cases/${dup}`, chloeToken)).json).toMatchObject({ mergedInto: kept, open: false });
    // Writing to the duplicate tells her where the conversation went.
    const late = await call('POST', `/api/v1/cases/${dup}/messages`, chloeToken, { body: 'Any news?' });
    expect(late).toMatchObject({ status: 409, json: { code: 'INVALID_TRANSITION', mergedInto: kept } });
    expect(late.json.detail).toBe(`${dup} was merged into your request ${kept}; please write there.`);

    // The audit log, and the open lists: the duplicate is no longer among the open cases.
    const audit = await h.all<{ action: string; entity_id: string }>("SELECT action, entity_id FROM audit_log WHERE entity_type = 'case'");
    expect(audit).toContainEqual({ action: 'merged', entity_id: dup });
    const listed = (await call('GET', '/api/v1/cases', aliceToken)).json.items as Json[];
    expect(listed.find((c) => c.id === dup)).toMatchObject({ open: false });
    expect(listed.find((c) => c.id === kept)).toMatchObject({ open: true });

    // Merged again into the same case (a retry): the same answer, nothing copied twice.
    expect((await merge(dup, aliceToken, { into: kept })).json).toMatchObject({ id: dup, mergedInto: kept });
    expect((await events(kept)).filter((e) => e.data.mergedFrom === dup)).toHaveLength(3);
  });

  it('copies the duplicate’s contacts up to the cap of 50 a case has, the kept case’s own first', async () => {
    const { dup, kept } = await twoRequests();
    const add = (ref: string, address: string) => h.run('INSERT INTO case_email_contacts (case_id, address, name, added_at) VALUES (?, ?, ?, ?)', Number(ref.slice(2)), address, null, h.clock.now());
    for (let i = 0; i < 45; i++) await add(kept, `kept${String(i).padStart(2, '0')}@example.com`);
    for (let i = 0; i < 10; i++) await add(dup, `dup${String(i).padStart(2, '0')}@example.com`);
    expect((await merge(dup, aliceToken, { into: kept })).status).toBe(200);
    const addresses = (await h.all<{ address: string }>('SELECT address FROM case_email_contacts WHERE case_id = ?', Number(kept.slice(2)))).map((r) => r.address);
    expect(addresses).toHaveLength(50);
    expect(addresses.filter((a) => a.startsWith('dup')).sort()).toEqual(['dup00@example.com', 'dup01@example.com', 'dup02@example.com', 'dup03@example.com', 'dup04@example.com']);
  });

  it('the duplicate never breaches later: its clocks stand still while the kept case’s run on', async () => {
    const { dup, kept } = await twoRequests();
    expect((await merge(dup, aliceToken, { into: kept })).status).toBe(200);
    h.clock.advance(10 * 24 * 3_600_000);
    await sweepSla(h.services);
    expect((await events(dup)).filter((e) => e.type === 'sla.breached')).toEqual([]);
    expect((await events(kept)).filter((e) => e.type === 'sla.breached').length).toBeGreaterThan(0);
  });
});

describe('refusals', () => {
  it('into itself, from or into a merged or closed case, and a cycle: 409 MERGE_REFUSED as problem+json', async () => {
    const { dup, kept } = await twoRequests();
    const self = await merge(dup, aliceToken, { into: dup });
    expect(self).toMatchObject({ status: 409, type: 'application/problem+json', json: { code: 'MERGE_REFUSED' } });
    expect(self.json.detail).toContain('into itself');

    const third = await newCase(chloeToken, 'Third');
    expect((await merge(dup, aliceToken, { into: kept })).status).toBe(200);
    // B into A now would be a cycle: the duplicate is merged and cannot receive.
    const cycle = await merge(kept, aliceToken, { into: dup });
    expect(cycle).toMatchObject({ status: 409, json: { code: 'MERGE_REFUSED', mergedInto: kept } });
    expect(cycle.json.detail).toContain(`merge into that case instead`);
    // A merged case is not merged again elsewhere.
    expect(await merge(dup, aliceToken, { into: third })).toMatchObject({ status: 409, json: { code: 'MERGE_REFUSED', mergedInto: kept } });

    // A closed case cannot receive.
    const closed = await newCase(chloeToken, 'Closed one');
    for (const t of [{ transition: 'resolve', solution: 'Done.' }, { transition: 'close' }]) {
      expect((await call('POST', `/api/v1/cases/${closed}/transitions`, aliceToken, t)).status).toBe(200);
    }
    const intoClosed = await merge(third, aliceToken, { into: closed });
    expect(intoClosed).toMatchObject({ status: 409, json: { code: 'MERGE_REFUSED' } });
    expect(intoClosed.json.detail).toContain('cannot receive');
    expect(await merge(closed, aliceToken, { into: third })).toMatchObject({ status: 409, json: { code: 'MERGE_REFUSED' } });
  });

  it('bad input is 422, a customer may not merge, a target the agent cannot see is 404', async () => {
    const { dup, kept } = await twoRequests();
    expect(await merge(dup, aliceToken, { into: 'next week' })).toMatchObject({ status: 422, json: { code: 'VALIDATION_FAILED' } });
    expect(await merge(dup, aliceToken, {})).toMatchObject({ status: 422, json: { code: 'VALIDATION_FAILED' } });
    expect((await merge(dup, chloeToken, { into: kept })).status).toBe(403);
    expect(await merge(dup, aliceToken, { into: 'C-999999' })).toMatchObject({ status: 404, json: { code: 'CASE_NOT_FOUND' } });
    // Bob works only the technical queue: a case of another queue is no case to him.
    const bobToken = h.tokenFor(bob);
    const mine = await newCase(chloeToken, 'Something technical');
    await call('POST', `/api/v1/cases/${mine}/assignment`, ADMIN_TOKEN, { queue: 'technical', assignee: bob.id });
    expect((await staffView(kept)).queue).not.toBe('technical');
    expect(await merge(mine, bobToken, { into: kept })).toMatchObject({ status: 404, json: { code: 'CASE_NOT_FOUND' } });
    expect((await staffView(mine)).mergedInto).toBeNull();
    // A stale expectedVersion is a conflict, as for other commands.
    expect(await merge(dup, aliceToken, { into: kept, expectedVersion: 1 })).toMatchObject({ status: 409, json: { code: 'CONFLICT' } });
  });

  it('across customers only when confirmed, and then nothing of one customer reaches the other', async () => {
    const chloes = await newCase(chloeToken, 'Charged twice');
    await call('POST', `/api/v1/cases/${chloes}/messages`, chloeToken, { body: 'My account number is 123.' });
    const sams = await newCase(samToken, 'Charged twice as well');
    const unconfirmed = await merge(chloes, aliceToken, { into: sams });
    expect(unconfirmed).toMatchObject({ status: 422, json: { code: 'MERGE_CONFIRMATION_REQUIRED', missing: ['confirmDifferentCustomer'] } });
    expect((await staffView(chloes)).open).toBe(true);

    // Chloe's colleague, copied on her case's mail: never copied on Sam's case (Sam's replies are not theirs to read).
    await h.run('INSERT INTO case_email_contacts (case_id, address, name, added_at) VALUES (?, ?, ?, ?)', Number(chloes.slice(2)), 'ben@example.com', 'Ben', h.clock.now());
    expect((await merge(chloes, aliceToken, { into: sams, confirmDifferentCustomer: true })).status).toBe(200);
    expect(await h.all('SELECT address FROM case_email_contacts WHERE case_id = ?', Number(sams.slice(2)))).toEqual([]);
    // Staff see the copies as internal notes; Sam sees none of Chloe's words, Chloe is not told of Sam's case.
    const copies = (await events(sams)).filter((e) => e.data.mergedFrom === chloes);
    expect(copies.map((e) => [e.type, e.data.mergedType])).toEqual([
      ['staff.noted', 'customer.replied'],
      ['staff.noted', 'customer.replied'],
    ]);
    const samSees = JSON.stringify((await call('GET', `/api/v1/cases/${sams}/events`, samToken)).json);
    expect(samSees).not.toContain('account number');
    expect(samSees).not.toContain(chloes);
    expect((await call('GET', `/api/v1/cases/${chloes}`, chloeToken)).json).toMatchObject({ mergedInto: null, open: false });
    const late = await call('POST', `/api/v1/cases/${chloes}/messages`, chloeToken, { body: 'Any news?' });
    expect(late.json.detail).toBe(`${chloes} is closed; please open a new request.`);
  });
});
