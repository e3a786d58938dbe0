/**
 * The intake's reads on PostgreSQL (docs/postgres.md, "Converted: the intake's reads"): the
 * `customer` fact (the customer, their open cases, their CRM record: src/cases/intake/pg.ts)
 * and the diagnosis (src/diagnosis/pg.ts through `diagnoseOn`), which on SQLite run as one
 * synchronous call and the in-memory FTS5 index. Rows written on PostgreSQL only (a problem,
 * a CRM record, a customer) must reach the intake's facts: a read still on `services.db`
 * would miss them.
 */
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import type { RoutingRecord } from '../../src/db/schema/index.js';
import { DomainError } from '../../src/errors.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';
import { moveToPostgres, type Moved } from '../support/on-postgres.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';

let cluster: PostgresCluster;
let h: Harness;
let moved: Moved;

beforeAll(async () => {
  cluster = await startPostgres();
  h = createHarness();
  standardQueues(h);
  h.agent({ name: 'Ada', queues: ['general', 'billing', 'technical'] });
  moved = await moveToPostgres(h.services, h.dbPath, cluster);
  const at = h.clock.now();
  await h.services.store.write(async (q) => {
    await q.db.insert(q.tables.problems).values({ title: 'Paper jam in the printer', symptoms: 'paper stuck in the printer tray', solution: 'Open the tray.', synonyms: '', createdAt: at, updatedAt: at });
    await q.db.insert(q.tables.crmRecords).values({ email: 'paula@example.com', data: { plan: 'enterprise', mrr: 900, accountOwner: 'Ada', churned: false }, fetchedAt: at });
    await q.db.insert(q.tables.customers).values({ email: 'only-pg@example.com', name: 'Only PG', tier: 'standard', createdAt: at, updatedAt: at });
    // Customers who file from the portal (by id), with CRM records: one stored canonical, one
    // stored as typed before addresses were canonical (its record is under the canonical form).
    await q.db.insert(q.tables.customers).values([
      { email: 'portal@example.com', name: 'Portal', tier: 'standard', createdAt: at, updatedAt: at },
      { email: 'Old.Style@Example.COM', name: 'Old Style', tier: 'standard', createdAt: at, updatedAt: at },
    ]);
    await q.db.insert(q.tables.crmRecords).values([
      { email: 'portal@example.com', data: { plan: 'team', mrr: 90, accountOwner: 'Ben', churned: false }, fetchedAt: at },
      { email: 'old.style@example.com', data: { plan: 'legacy', mrr: 10, accountOwner: 'Cy', churned: true }, fetchedAt: at },
    ]);
  });
}, 60_000);

afterAll(async () => {
  await moved?.close();
  h?.close();
  await cluster?.stop();
});

type Json = Record<string, unknown>;
const caseId = (ref: unknown) => Number(String(ref).replace(/^C-/, ''));

let answer: Json = {};

async function intake(email: string, subject: string, description: string): Promise<number> {
  const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email }, subject, description } });
  expect(res.status).toBe(201);
  answer = (await res.json()) as Json;
  return caseId(answer.id);
}

const caseRow = async (id: number) => (await h.services.store.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, id))))[0]!;
const entries = (id: number) =>
  h.services.store.query((q) => q.db.select({ type: q.tables.caseEvents.type, data: q.tables.caseEvents.data }).from(q.tables.caseEvents).where(eq(q.tables.caseEvents.caseId, id)).orderBy(asc(q.tables.caseEvents.id)));

describe('the intake reads PostgreSQL', () => {
  it('diagnoses against the problem library on PostgreSQL', async () => {
    const id = await intake('paula@example.com', 'Printer paper jam', 'The paper is stuck in the printer tray again.');
    const row = await caseRow(id);
    const [problem] = await h.services.store.query((q) => q.db.select({ id: q.tables.problems.id }).from(q.tables.problems).where(eq(q.tables.problems.title, 'Paper jam in the printer')));
    expect(row.diagnosisMatched).toBe(true);
    expect(row.suggestions[0]).toMatchObject({ problemId: problem!.id, title: 'Paper jam in the printer' });
    expect((await entries(id)).find((e) => e.type === 'case.diagnosed')?.data).toMatchObject({ matched: true, problemId: problem!.id });
    expect((h.db.$client.prepare('SELECT count(*) AS n FROM problems').get() as { n: number }).n).toBe(0);
  });

  it("builds the customer fact from PostgreSQL: the CRM record stored there, the customer's open cases", async () => {
    const second = await intake('paula@example.com', 'Another question', 'Where do I change the invoice address?');
    const input = ((await caseRow(second)).routing as RoutingRecord).input as { customer: Json };
    expect(input.customer).toMatchObject({ email: 'paula@example.com', openCases: 1, crm: { plan: 'enterprise', mrr: 900, accountOwner: 'Ada', churned: false } });
    // The answer shows the record read with the facts.
    expect(answer.customer).toMatchObject({ email: 'paula@example.com', crm: { plan: 'enterprise', accountOwner: 'Ada' } });
  });

  it('takes in a case for a customer who exists on PostgreSQL only, and refuses an unknown one', async () => {
    const [customer] = await h.services.store.query((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.email, 'only-pg@example.com')));
    const actor = { type: 'customer' as const, id: customer!.id, role: 'customer' as const, name: 'Only PG' };
    const row = await createCase(h.services, { subject: 'Login fails', description: 'I cannot sign in since this morning.' }, actor, { customerId: customer!.id, channel: 'web' });
    expect(row.customerId).toBe(customer!.id);
    const input = ((await caseRow(row.id)).routing as RoutingRecord).input as { customer: Json };
    expect(input.customer).toMatchObject({ email: 'only-pg@example.com', openCases: 0, crm: null });

    const unknown = { ...actor, id: customer!.id + 1000 };
    const refused = await createCase(h.services, { subject: 'Login fails', description: 'I cannot sign in.' }, unknown, { customerId: unknown.id, channel: 'web' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).code).toBe('FORBIDDEN');
  });

  it("reads the CRM record of a customer filing by id, also where their row keeps the address as typed", async () => {
    for (const [email, crm] of [
      ['portal@example.com', { plan: 'team', accountOwner: 'Ben' }],
      ['Old.Style@Example.COM', { plan: 'legacy', accountOwner: 'Cy', churned: true }],
    ] as const) {
      const [customer] = await h.services.store.query((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.email, email)));
      const actor = { type: 'customer' as const, id: customer!.id, role: 'customer' as const, name: customer!.name };
      const row = await createCase(h.services, { subject: 'Invoice question', description: 'Which plan am I on?' }, actor, { customerId: customer!.id, channel: 'web' });
      const input = ((await caseRow(row.id)).routing as RoutingRecord).input as { customer: Json };
      expect(input.customer, email).toMatchObject({ email, openCases: 0, crm });
    }
  });
});
