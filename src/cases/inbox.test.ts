import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { staffPrincipal } from '../auth/principal.js';
import { NO_DUE_AT } from '../db/schema/index.js';
import type { Principal } from '../http/types.js';
import { ADMIN, createHarness, standardQueues, type Harness, type TestActor } from '../../test/support/harness.js';
import { caseRef } from './case-ref.js';
import { createCase } from './create-case.js';
import { BREACHING_SOON_MS, inboxCounts, inboxPage, inboxQueries, inboxQuerySchema, type InboxQuery } from './inbox.js';

let h: Harness;
let alice: TestActor;
let bob: TestActor;
let maria: TestActor;
const HOUR = 3_600_000;

interface Spec {
  subject: string;
  description?: string;
  queue: string;
  dueInHours: number | null;
  assignee?: TestActor;
  priority?: 'urgent' | 'high' | 'normal' | 'low';
  tags?: string[];
  open?: boolean;
  status?: string;
}

const ids = new Map<string, number>();

async function make(spec: Spec): Promise<number> {
  const row = await createCase(h.services, { customer: { email: 'chloe@example.com' }, subject: spec.subject, description: spec.description ?? 'Just a question.' }, ADMIN);
  const due = spec.dueInHours === null ? NO_DUE_AT : h.clock.now() + spec.dueInHours * HOUR;
  h.db.$client
    .prepare('UPDATE cases SET queue_id = ?, sla_due_at = ?, assignee_id = ?, priority = ?, tags = ?, open = ?, status = ?, waiting_since = NULL WHERE id = ?')
    .run(spec.queue, due, spec.assignee?.id ?? null, spec.priority ?? 'normal', JSON.stringify(spec.tags ?? []), spec.open === false ? 0 : 1, spec.status ?? 'open', row.id);
  ids.set(spec.subject, row.id);
  return row.id;
}

function principal(actor: TestActor): Principal {
  return staffPrincipal(h.db, actor.id)!;
}

function page(actor: TestActor, query: Partial<Record<keyof InboxQuery, string>>) {
  return inboxPage(h.services, principal(actor), inboxQuerySchema.parse(query));
}

function subjects(rows: { id: number }[]): string[] {
  const byId = new Map([...ids].map(([s, id]) => [id, s]));
  return rows.map((r) => byId.get(r.id) ?? caseRef(r.id));
}

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing'], available: false });
  bob = h.agent({ name: 'Bob', queues: ['technical'], available: false });
  maria = h.agent({ name: 'Maria', role: 'manager', available: false });
  ids.clear();
  await make({ subject: 'A mine late', queue: 'general', dueInHours: -1, assignee: alice, priority: 'high', tags: ['vip'] });
  await make({ subject: 'B mine later', queue: 'billing', dueInHours: 5, assignee: alice });
  await make({ subject: 'C mine no sla', queue: 'general', dueInHours: null, assignee: alice, status: 'pending' });
  await make({ subject: 'D general unassigned soon', queue: 'general', dueInHours: 1 });
  await make({ subject: 'E billing unassigned', queue: 'billing', dueInHours: 3, tags: ['vip', 'refund'] });
  await make({ subject: 'F technical unassigned soon', queue: 'technical', dueInHours: 0.5 });
  await make({ subject: 'G technical bob', queue: 'technical', dueInHours: 1.5, assignee: bob });
  await make({ subject: 'H resolved', queue: 'general', dueInHours: -3, assignee: alice, open: false, status: 'resolved' });
  await make({ subject: 'I mine in technical', queue: 'technical', dueInHours: 1, assignee: alice });
});
afterEach(() => h.close());

describe('inbox views', () => {
  it('mine: open cases assigned to me, the most urgent SLA first, no-SLA last', async () => {
    expect(subjects((await page(alice, { view: 'mine' })).rows)).toEqual(['A mine late', 'I mine in technical', 'B mine later', 'C mine no sla']);
  });

  it('queues: unassigned cases of my queues (managers: every queue)', async () => {
    expect(subjects((await page(alice, { view: 'queues' })).rows)).toEqual(['D general unassigned soon', 'E billing unassigned']);
    expect(subjects((await page(bob, { view: 'queues' })).rows)).toEqual(['F technical unassigned soon']);
    expect(subjects((await page(maria, { view: 'queues' })).rows)).toEqual(['F technical unassigned soon', 'D general unassigned soon', 'E billing unassigned']);
  });

  it('breaching: due within two hours or overdue, among the cases I may see', async () => {
    expect(BREACHING_SOON_MS).toBe(2 * HOUR);
    expect(subjects((await page(alice, { view: 'breaching' })).rows)).toEqual(['A mine late', 'D general unassigned soon', 'I mine in technical']);
    expect(subjects((await page(bob, { view: 'breaching' })).rows)).toEqual(['F technical unassigned soon', 'I mine in technical', 'G technical bob']);
    expect(subjects((await page(maria, { view: 'breaching' })).rows)).toEqual(['A mine late', 'F technical unassigned soon', 'D general unassigned soon', 'I mine in technical', 'G technical bob']);
  });

  it('all open: managers only', async () => {
    expect((await page(maria, { view: 'all' })).rows).toHaveLength(8);
    await expect(page(alice, { view: 'all' })).rejects.toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });

  it('filters by queue, status, priority and tag', async () => {
    expect(subjects((await page(alice, { view: 'mine', queue: 'general' })).rows)).toEqual(['A mine late', 'C mine no sla']);
    expect(subjects((await page(alice, { view: 'queues', queue: 'technical' })).rows)).toEqual([]);
    expect(subjects((await page(alice, { view: 'mine', status: 'pending' })).rows)).toEqual(['C mine no sla']);
    expect(subjects((await page(alice, { view: 'mine', priority: 'high' })).rows)).toEqual(['A mine late']);
    expect(subjects((await page(maria, { view: 'all', tag: 'vip' })).rows)).toEqual(['A mine late', 'E billing unassigned']);
    expect(subjects((await page(maria, { view: 'all', tag: 'vi' })).rows)).toEqual([]);
  });

  it('pages with a keyset cursor on (sla_due_at, id), also across merged branches and ties', async () => {
    const tie = h.clock.now() + 10 * HOUR;
    for (let i = 0; i < 3; i++) {
      const id = await make({ subject: `T${i}`, queue: i % 2 ? 'general' : 'billing', dueInHours: 10 });
      h.db.$client.prepare('UPDATE cases SET sla_due_at = ? WHERE id = ?').run(tie, id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let n = 0; n < 10; n++) {
      const result = await page(alice, { view: 'queues', limit: '2', ...(cursor ? { cursor } : {}) });
      seen.push(...subjects(result.rows));
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    expect(seen).toEqual(['D general unassigned soon', 'E billing unassigned', 'T0', 'T1', 'T2']);
    await expect(page(alice, { view: 'mine', cursor: 'garbage' })).rejects.toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('counts each view for the sidebar', async () => {
    expect(await inboxCounts(h.services, principal(alice))).toEqual({ mine: 4, queues: 2, breaching: 3 });
    expect(await inboxCounts(h.services, principal(maria))).toEqual({ mine: 0, queues: 3, breaching: 5, all: 8 });
  });

  it('reads each branch in index order (no sort step), with the cursor as an index range', async () => {
    const plans: string[] = [];
    const queries = await h.services.store.query((q) =>
      Promise.resolve([
        ...inboxQueries(q, h.services, principal(alice), inboxQuerySchema.parse({ view: 'mine', cursor: 'MTAwOjEwMDE' })),
        ...inboxQueries(q, h.services, principal(alice), inboxQuerySchema.parse({ view: 'queues' })),
        ...inboxQueries(q, h.services, principal(maria), inboxQuerySchema.parse({ view: 'all' })),
        ...inboxQueries(q, h.services, principal(maria), inboxQuerySchema.parse({ view: 'breaching' })),
      ]),
    );
    for (const q of queries) {
      const { sql, params } = q.toSQL();
      const rows = h.db.$client.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(params as unknown[])) as { detail: string }[];
      plans.push(rows.map((r) => r.detail).join(' | '));
    }
    for (const plan of plans) {
      expect(plan).toMatch(/USING (COVERING )?INDEX cases_(assignee|queue)?_?open_due_idx|USING INDEX cases_open_due_idx/);
      expect(plan).not.toContain('TEMP B-TREE');
    }
  });
});
