/**
 * The case engine on the storage port, on PostgreSQL (docs/postgres.md, "Converted: core"):
 * a harness seeded on SQLite, moved to a PostgreSQL copy, then intake, a stale transition, a
 * message, a reassignment, the SLA sweep and a mail opening a case — each read back through
 * `services.store`. A command still writing `services.db` would leave PostgreSQL unchanged.
 */
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMessage } from '../../src/cases/add-message.js';
import { reassignCase } from '../../src/cases/reassign-case.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { receiveEmail } from '../../src/channels/email/receive-email.js';
import { DomainError } from '../../src/errors.js';
import { sweepSla } from '../../src/sla/sweep.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { moveToPostgres, type Moved } from '../support/on-postgres.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';

let cluster: PostgresCluster;
let h: Harness;
let moved: Moved;
let ada: TestActor;
let bob: TestActor;

type Json = Record<string, unknown>;

beforeAll(async () => {
  cluster = await startPostgres();
  h = createHarness();
  standardQueues(h);
  ada = h.agent({ name: 'Ada', queues: ['general', 'billing', 'technical'] });
  bob = h.agent({ name: 'Bob', queues: ['general', 'billing', 'technical'] });
  moved = await moveToPostgres(h.services, h.dbPath, cluster);
}, 60_000);

afterAll(async () => {
  await moved?.close();
  h?.close();
  await cluster?.stop();
});

const caseId = (ref: unknown) => Number(String(ref).replace(/^C-/, ''));

async function intake(subject: string, description: string, email = 'chloe@example.com'): Promise<number> {
  const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email, name: 'Chloe' }, subject, description } });
  expect(res.status).toBe(201);
  return caseId(((await res.json()) as Json).id);
}

const caseRow = (id: number) => h.services.store.query(async (q) => (await q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, id)))[0]);
const entries = (id: number) =>
  h.services.store.query((q) => q.db.select({ type: q.tables.caseEvents.type, data: q.tables.caseEvents.data }).from(q.tables.caseEvents).where(eq(q.tables.caseEvents.caseId, id)).orderBy(asc(q.tables.caseEvents.id)));
const sqliteCount = (table: string) => (h.db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('the case engine on PostgreSQL', () => {
  it('takes in a case through the API: routed, assigned, SLA timers started, timeline written', async () => {
    const sqliteCases = sqliteCount('cases');
    const id = await intake('Refund for a double charge', 'I was billed twice for my invoice.');
    const row = await caseRow(id);
    expect(row).toMatchObject({ id, open: true, version: 1, channel: 'api' });
    expect([ada.id, bob.id]).toContain(row!.assigneeId);
    const types = (await entries(id)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['case.created', 'case.routed', 'case.assigned', 'sla.started']));
    const timers = await h.services.store.query((q) => q.db.select().from(q.tables.slaTimers).where(eq(q.tables.slaTimers.caseId, id)));
    expect(timers.map((t) => t.metric).sort()).toEqual(['firstResponse', 'resolution']);
    expect(row!.slaDueAt).toBe(Math.min(...timers.map((t) => t.dueAt!)));
    // Nothing of it went to the SQLite file.
    expect(sqliteCount('cases')).toBe(sqliteCases);
  });

  it('refuses a transition with a stale expectedVersion (409), then applies it with the current one', async () => {
    const id = await intake('Cannot log in', 'The login page says my password is wrong.');
    const assignee = (await caseRow(id))!.assigneeId === ada.id ? ada : bob;
    // The commands directly: the routes' case lookup (case-view.ts, the read side) still reads SQLite.
    const stale = await transitionCase(h.services, id, { transition: 'resolve', solution: 'Reset it.', expectedVersion: 99 }, assignee).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(DomainError);
    expect((stale as DomainError).code).toBe('CONFLICT');
    expect((await caseRow(id))!.version).toBe(1);
    await transitionCase(h.services, id, { transition: 'resolve', solution: 'Reset it.', expectedVersion: 1 }, assignee);
    const row = await caseRow(id);
    expect(row).toMatchObject({ open: false, version: 2, solution: 'Reset it.' });
    expect((await entries(id)).map((e) => e.type)).toContain('case.transitioned');
  });

  it('adds a message (the first response fulfils its SLA clock) and reassigns, on PostgreSQL', async () => {
    const id = await intake('Export to CSV', 'Where is the CSV export?', 'dan@example.com');
    const before = (await caseRow(id))!;
    const other = before.assigneeId === ada.id ? bob : ada;
    await addMessage(h.services, id, { body: 'It is under Reports.', public: true }, ada);
    const afterReply = (await caseRow(id))!;
    expect(afterReply.firstResponseAt).not.toBeNull();
    expect(afterReply.version).toBe(before.version + 1);
    const first = await h.services.store.query((q) =>
      q.db.select().from(q.tables.slaTimers).where(and(eq(q.tables.slaTimers.caseId, id), eq(q.tables.slaTimers.metric, 'firstResponse'))),
    );
    expect(first[0]!.state).toBe('fulfilled');

    await reassignCase(h.services, id, { assignee: other.id }, ada);
    expect((await caseRow(id))!.assigneeId).toBe(other.id);
    const unknown = await reassignCase(h.services, id, { assignee: 999_999 }, ada).catch((e: unknown) => e);
    expect((unknown as DomainError).code).toBe('STAFF_NOT_FOUND');
    const missing = await addMessage(h.services, 999_999, { body: 'Hello?', public: true }, ada).catch((e: unknown) => e);
    expect((missing as DomainError).code).toBe('CASE_NOT_FOUND');
    const types = (await entries(id)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['staff.replied', 'sla.fulfilled', 'case.unassigned']));
  });

  it('records a breach once when the sweep runs after the clock moved past the due time', async () => {
    const id = await intake('Server down', 'Nothing loads since this morning.', 'erin@example.com');
    const [timer] = await h.services.store.query((q) =>
      q.db.select().from(q.tables.slaTimers).where(and(eq(q.tables.slaTimers.caseId, id), eq(q.tables.slaTimers.metric, 'resolution'))),
    );
    h.clock.set(timer!.dueAt! + 60_000);
    const first = await sweepSla(h.services);
    expect(first.breaches).toBeGreaterThan(0);
    expect(first.entries.filter((e) => e.caseId === `C-${id}` && e.type === 'sla.breached' && e.metric === 'resolution')).toHaveLength(1);
    const again = await sweepSla(h.services);
    expect(again.entries.filter((e) => e.caseId === `C-${id}` && e.type === 'sla.breached')).toHaveLength(0);
    const breached = (await entries(id)).filter((e) => e.type === 'sla.breached' && (e.data as Json).metric === 'resolution');
    expect(breached).toHaveLength(1);
  });

  it('opens a case from a received mail, its acknowledgement queued in the outbox; the same mail again is a duplicate', async () => {
    const raw = Buffer.from(
      ['From: Fay <fay@example.com>', 'To: support@example.com', 'Subject: Invoice question', 'Message-ID: <core-pg-1@mail.example.com>', 'Content-Type: text/plain; charset=UTF-8', '', 'Why is my invoice higher?', ''].join('\r\n'),
    );
    const outcome = await receiveEmail(h.services, raw, { via: 'http' });
    expect(outcome.result).toBe('created');
    const id = caseId((outcome as { case: string }).case);
    const row = await caseRow(id);
    expect(row).toMatchObject({ channel: 'email', subject: 'Invoice question' });
    const customer = await h.services.store.query((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.id, row!.customerId)));
    expect(customer[0]!.email).toBe('fay@example.com');
    expect((await entries(id)).map((e) => e.type)).toContain('email.received');
    const outbox = await h.services.store.query((q) => q.db.select({ type: q.tables.outbox.type, payload: q.tables.outbox.payload }).from(q.tables.outbox).where(eq(q.tables.outbox.caseId, id)));
    expect(outbox).toContainEqual(expect.objectContaining({ type: 'notification.send', payload: expect.objectContaining({ template: 'case-received' }) }));
    const again = await receiveEmail(h.services, raw, { via: 'http' });
    expect(again).toMatchObject({ result: 'ignored', reason: 'duplicate' });
  });
});
