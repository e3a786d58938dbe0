import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, createHarness, standardQueues, type Harness } from '../../test/support/harness.js';
import { formatCount } from '../../views/partials/staff-nav.js';
import { staffPrincipal } from '../auth/principal.js';
import { createCase } from './create-case.js';
import { COUNT_CAP, inboxCounts } from './inbox.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
  standardQueues(h);
});
afterEach(() => h.close());

describe('sidebar counts', () => {
  it('stop at COUNT_CAP and read as "1,000+"', async () => {
    const maria = h.agent({ role: 'manager' });
    const c = await createCase(h.services, { customer: { email: 'c@example.com' }, subject: 'Hi', description: 'Hello' }, ADMIN);
    // Copies of the case, straight into the table: only the counts are under test here.
    const copy = h.db.$client.prepare(
      `INSERT INTO cases (customer_id, subject, description, channel, requested_priority, priority, status, state_entered_at, open, tier, queue_id,
         tags, skills, workflow, workflow_version, sla_due_at, suggestions, created_at, updated_at)
       SELECT customer_id, subject, description, channel, requested_priority, priority, status, state_entered_at, open, tier, queue_id,
         tags, skills, workflow, workflow_version, sla_due_at, suggestions, created_at, updated_at FROM cases WHERE id = ?`,
    );
    for (let i = 0; i < COUNT_CAP - 2; i++) copy.run(c.id);
    expect((await inboxCounts(h.services, staffPrincipal(h.db, maria.id)!)).all).toBe(COUNT_CAP - 1);
    copy.run(c.id);
    copy.run(c.id);
    const counts = await inboxCounts(h.services, staffPrincipal(h.db, maria.id)!);
    expect(counts.all).toBe(COUNT_CAP);
    expect(formatCount(counts.all!)).toBe('1,000+');
    expect(formatCount(999)).toBe('999');
  });
});
