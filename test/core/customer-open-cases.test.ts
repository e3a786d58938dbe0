/**
 * The rules' `customer.openCases` at intake: the customer's open cases before the new one,
 * kept on the customer's row by triggers on cases (drizzle/0051, pg/0023) as cases come, close,
 * reopen, are merged away and change customer. Runs on SQLite and on PostgreSQL (the `postgres`
 * project).
 */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import { mergeCase } from '../../src/cases/merge-case.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import type { RoutingRecord } from '../../src/db/schema/index.js';
import { ADMIN, createHarness, standardQueues, type Harness } from '../support/harness.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
  standardQueues(h);
});
afterEach(() => h.close());

async function intake(email: string) {
  const c = await createCase(h.services, { customer: { email }, subject: 'Invoice address', description: 'Where do I change the invoice address?' }, ADMIN);
  const [row] = await h.query((q) => q.db.select({ routing: q.tables.cases.routing }).from(q.tables.cases).where(eq(q.tables.cases.id, c.id)));
  return { id: c.id, customerId: c.customerId, seen: (row!.routing as RoutingRecord).input.customer.openCases as number };
}
/** Customers whose kept figure differs from a count of their open cases. */
const drift = () => h.all('SELECT id, open_cases FROM customers WHERE open_cases != (SELECT count(*) FROM cases c WHERE c.customer_id = customers.id AND c.open = true)');

describe("the customer's open cases (customer.openCases)", () => {
  it('are the open cases before the new one, through resolution, reopening, a merge and a case moved to another customer', async () => {
    const agent = h.agent({ queues: ['general', 'billing', 'technical'], capacity: 50 });
    const first = await intake('olga@example.com');
    const second = await intake('olga@example.com');
    const third = await intake('olga@example.com');
    expect([first.seen, second.seen, third.seen]).toEqual([0, 1, 2]);
    expect((await intake('pete@example.com')).seen).toBe(0); // another customer's cases do not count

    await transitionCase(h.services, first.id, { transition: 'resolve', solution: 'Done.' }, agent);
    expect((await intake('olga@example.com')).seen).toBe(2); // second and third
    await transitionCase(h.services, first.id, { transition: 'reopen' }, agent);
    expect((await intake('olga@example.com')).seen).toBe(4); // first again, and the one before

    await mergeCase(h.services, second.id, { into: `C-${third.id}` }, agent); // the merged case closes
    expect((await intake('olga@example.com')).seen).toBe(4);

    // A case moved to another customer (a stand-in replaced by the real one) counts there.
    const pete = await intake('pete@example.com');
    expect(pete.seen).toBe(1);
    await h.services.store.write((q) => q.db.update(q.tables.cases).set({ customerId: first.customerId }).where(eq(q.tables.cases.id, pete.id)));
    expect((await intake('pete@example.com')).seen).toBe(1);
    expect((await intake('olga@example.com')).seen).toBe(6);
    expect(await drift()).toEqual([]);
  });
});
