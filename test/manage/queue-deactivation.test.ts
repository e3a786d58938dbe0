/**
 * Deactivating a queue in the console (`/manage/team/queues/:id`): its open cases move to the
 * queue chosen, and cases leaving advanced support for a tier-1 queue leave the workflow's
 * escalation state through the workflow (`case.deescalated`).
 */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../support/harness.js';
import { manageHarness, type ManageHarness } from './support.js';

let h: ManageHarness;
beforeEach(async () => {
  h = manageHarness({ start: '2026-03-02T08:00:00Z' });
  await h.settled();
});
afterEach(() => h.close());

const caseOf = async (id: number) =>
  (
    await h.query((q) => {
      const c = q.tables.cases;
      return q.db.select({ status: c.status, previous: c.previousStatus, queue: c.queueId, tier: c.tier, open: c.open }).from(c).where(eq(c.id, id));
    })
  )[0]!;
const entries = async (id: number, type: string) =>
  (await h.query((q) => q.db.select({ type: q.tables.caseEvents.type, data: q.tables.caseEvents.data }).from(q.tables.caseEvents).where(eq(q.tables.caseEvents.caseId, id))))
    .filter((r) => r.type === type)
    .map((r) => r.data as Record<string, unknown>);

async function escalated(subject: string): Promise<number> {
  const id = await h.intake({ customer: { email: 'chloe@example.com' }, subject, description: `${subject}: it fails every time.` });
  const res = await h.api('POST', `/api/v1/cases/C-${id}/transitions`, { token: ADMIN_TOKEN, body: { transition: 'escalate', reason: 'Needs a developer' } });
  expect(res.status).toBe(200);
  await h.settled();
  return id;
}

describe('deactivating advanced support', () => {
  it('takes its cases back to tier 1 through the workflow: escalated → open, a waiting case returns to open', async () => {
    const working = await escalated('Export fails');
    const waiting = await escalated('Import fails');
    expect((await h.api('POST', `/api/v1/cases/C-${waiting}/transitions`, { token: ADMIN_TOKEN, body: { transition: 'waitOnCustomer' } })).status).toBe(200);
    await h.settled();
    expect(await caseOf(working)).toMatchObject({ status: 'escalated', queue: 'advanced', tier: 2 });
    expect(await caseOf(waiting)).toMatchObject({ status: 'pending', previous: 'escalated', queue: 'advanced', tier: 2 });

    const res = await h.as.manager.post('/manage/team/queues/advanced/deactivate', { moveTo: 'general' });
    expect(res.status).toBe(303);
    await h.settled();

    expect(await caseOf(working)).toMatchObject({ status: 'open', queue: 'general', tier: 1, open: true });
    expect(await entries(working, 'case.transitioned')).toContainEqual({ transition: 'deescalateAutomatically', from: 'escalated', to: 'open', on: 'case.deescalated', after: 'Maria Manager' });
    expect(await entries(working, 'case.transferred')).toEqual([{ fromQueue: 'advanced', queue: 'general', tier: 1, reason: 'queue advanced deactivated by Maria Manager' }]);
    // Still waiting on the customer; their reply brings it back to tier-1 work, not to "escalated".
    expect(await caseOf(waiting)).toMatchObject({ status: 'pending', previous: 'open', queue: 'general', tier: 1 });
    const reply = await h.api('POST', `/api/v1/cases/C-${waiting}/messages`, { token: h.tokenFor(h.chloe), body: { body: 'Here is the file.' } });
    expect(reply.status).toBe(201);
    await h.settled();
    expect(await caseOf(waiting)).toMatchObject({ status: 'open', queue: 'general', tier: 1 });
  });
});
