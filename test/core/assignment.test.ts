import { and, eq } from 'drizzle-orm';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fillCapacity } from '../../src/assignment/fill-capacity.js';
import { pickAgent } from '../../src/assignment/pick-agent.js';
import { createCase } from '../../src/cases/create-case.js';
import { reassignCase } from '../../src/cases/reassign-case.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import type { Priority } from '../../src/db/schema/index.js';
import { updateQueue } from '../../src/team/queues.js';
import { SYSTEM_ACTOR } from '../../src/roles.js';
import { ADMIN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
  standardQueues(h);
});
afterEach(() => h.close());

let n = 0;
function intake(subject = 'Account question', description = 'How do I rename my workspace?', priority?: Priority) {
  n++;
  return createCase(h.services, { customer: { email: `c${n}@example.com` }, subject, description, ...(priority ? { priority } : {}) }, ADMIN);
}
const caseRow = async (id: number) => (await h.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, id))))[0]!;
const assigneeOf = async (id: number) => (await caseRow(id)).assigneeId;
/** Sets staff columns (a fixture written through the store, as an admin's edit would be). */
const setStaff = (id: number, set: { lastAssignedAt?: number; active?: boolean; available?: boolean; capacity?: number }) =>
  h.query((q) => q.db.update(q.tables.staff).set(set).where(eq(q.tables.staff.id, id)));

describe('pickAgent', () => {
  it('prefers the least-loaded available member with the skills and spare capacity', async () => {
    const a = h.agent({ queues: ['general'], capacity: 5 });
    const b = h.agent({ queues: ['general'], capacity: 5 });
    h.agent({ queues: ['general'], available: false });
    h.agent({ queues: ['billing'] });
    expect((await h.services.store.query((q) => pickAgent(q, 'general', [])))?.id).toBe(a.id);
    await setStaff(a.id, { lastAssignedAt: 10 });
    expect((await h.services.store.query((q) => pickAgent(q, 'general', [])))?.id).toBe(b.id);
    expect(await h.services.store.query((q) => pickAgent(q, 'general', ['refunds']))).toBeNull();
  });

  it('breaks ties by least recently assigned, then lowest id (deterministic)', async () => {
    const a = h.agent({ queues: ['general'] });
    const b = h.agent({ queues: ['general'] });
    expect((await h.services.store.query((q) => pickAgent(q, 'general', [])))?.id).toBe(Math.min(a.id, b.id));
  });

  it('ignores deactivated staff', async () => {
    const a = h.agent({ queues: ['general'] });
    await setStaff(a.id, { active: false });
    expect(await h.services.store.query((q) => pickAgent(q, 'general', []))).toBeNull();
  });
});

describe('assignment at intake', () => {
  it('spreads cases over agents by load', async () => {
    const a = h.agent({ queues: ['general'], capacity: 5 });
    const b = h.agent({ queues: ['general'], capacity: 5 });
    const created = [];
    for (let i = 0; i < 4; i++) {
      created.push(await intake());
      h.clock.advanceMinutes(1);
    }
    const counts = new Map<number | null, number>();
    for (const c of created) {
      const assignee = await assigneeOf(c.id);
      counts.set(assignee, (counts.get(assignee) ?? 0) + 1);
    }
    expect(counts.get(a.id)).toBe(2);
    expect(counts.get(b.id)).toBe(2);
  });

  it('an equal load goes to the agent assigned least recently: a new case counts as their latest assignment', async () => {
    const a = h.agent({ queues: ['general'], capacity: 5 });
    const b = h.agent({ queues: ['general'], capacity: 5 });
    const lastAssigned = async (id: number) =>
      (await h.query((q) => q.db.select({ at: q.tables.staff.lastAssignedAt }).from(q.tables.staff).where(eq(q.tables.staff.id, id))))[0]!.at;
    const first = await intake();
    expect(await assigneeOf(first.id)).toBe(a.id); // nobody assigned yet: the lower id
    expect(await lastAssigned(a.id)).toBe(first.createdAt);
    await transitionCase(h.services, first.id, { transition: 'resolve', solution: 'Done' }, a);
    h.clock.advanceMinutes(1);
    const second = await intake(); // both free again: b was never assigned
    expect(await assigneeOf(second.id)).toBe(b.id);
    expect([await lastAssigned(a.id), await lastAssigned(b.id)]).toEqual([first.createdAt, second.createdAt]);

    // A case inserted with an assignee and an older creation time (an import) leaves the time as it was.
    const imported = { ...(await caseRow(first.id)), id: first.id + 1000, createdAt: first.createdAt - 60_000, assigneeId: b.id, open: true, changeSeq: 0 };
    await h.services.store.write((q) => q.db.insert(q.tables.cases).values(imported));
    expect(await lastAssigned(b.id)).toBe(second.createdAt);
  });

  it('needs the required skills', async () => {
    h.agent({ queues: ['billing'] });
    const skilled = h.agent({ queues: ['billing'], skills: ['refunds'] });
    const c = await intake('Refund', 'Please refund the duplicate charge on my card');
    expect(c.skills).toEqual(['refunds']);
    expect(c.assigneeId).toBe(skilled.id);
  });

  it('respects capacity: the case waits in the queue', async () => {
    h.agent({ queues: ['general'], capacity: 1 });
    const first = await intake();
    const second = await intake();
    expect(first.assigneeId).not.toBeNull();
    expect(second).toMatchObject({ assigneeId: null, status: 'new' });
    expect(second.waitingSince).toBe(h.clock.now());
  });
});

describe('the waiting queue', () => {
  it('assigns the oldest waiting case first when capacity frees', async () => {
    const agent = h.agent({ queues: ['general'], capacity: 1 });
    const busy = await intake();
    const older = await intake();
    h.clock.advanceMinutes(5);
    const newer = await intake();
    expect([older.assigneeId, newer.assigneeId]).toEqual([null, null]);

    h.clock.advanceMinutes(5);
    await transitionCase(h.services, busy.id, { transition: 'resolve', solution: 'Done.' }, agent);
    expect(await assigneeOf(older.id)).toBe(agent.id);
    expect(await assigneeOf(newer.id)).toBeNull();
    const older2 = await caseRow(older.id);
    expect(older2).toMatchObject({ status: 'open', waitingSince: null });
  });

  it('skips waiting cases the agent lacks the skills for', async () => {
    const plain = h.agent({ queues: ['billing', 'general'], capacity: 1, available: false });
    const refund = await intake('Refund', 'refund the duplicate charge');
    const other = await intake('Billing', 'invoice address');
    expect([refund.assigneeId, other.assigneeId]).toEqual([null, null]);
    await setStaff(plain.id, { available: true });
    await h.services.store.write((q) => fillCapacity(q, h.services, plain.id, SYSTEM_ACTOR));
    expect(await assigneeOf(refund.id)).toBeNull();
    expect(await assigneeOf(other.id)).toBe(plain.id);
  });

  it('finds a case the agent can take behind 201 waiting cases they cannot (more than a read of 200 once held)', async () => {
    const plain = h.agent({ queues: ['billing'], capacity: 1, available: false });
    const refunds = [];
    for (let i = 0; i < 201; i++) refunds.push((await intake('Refund', 'refund the duplicate charge')).id);
    h.clock.advanceMinutes(1);
    const other = await intake('Billing', 'invoice address');
    await setStaff(plain.id, { available: true });
    expect(await h.services.store.write((q) => fillCapacity(q, h.services, plain.id, SYSTEM_ACTOR))).toBe(1);
    expect(await assigneeOf(other.id)).toBe(plain.id);
    expect(await assigneeOf(refunds[0]!)).toBeNull();
  });

  it('finds a case the agent can take behind 201 waiting live chats, with no room for a chat', async () => {
    const agent = h.agent({ queues: ['general'], capacity: 2, available: false });
    await h.run('UPDATE staff SET chat_limit = 0 WHERE id = ?', agent.id);
    for (let i = 0; i < 201; i++) {
      n++;
      await createCase(h.services, { customer: { email: `c${n}@example.com` }, subject: 'Account question', description: 'How do I rename my workspace?', channel: 'chat' }, ADMIN);
    }
    h.clock.advanceMinutes(1);
    const mail = await intake();
    await setStaff(agent.id, { available: true });
    expect(await h.services.store.write((q) => fillCapacity(q, h.services, agent.id, SYSTEM_ACTOR))).toBe(1);
    expect(await assigneeOf(mail.id)).toBe(agent.id);
  });

  it('passes over a waiting case it finds taken once loaded, and offers it no more', async () => {
    const agent = h.agent({ queues: ['general'], capacity: 2, available: false });
    const other = h.agent({ queues: ['billing'], available: false });
    const first = await intake();
    h.clock.advanceMinutes(1);
    const second = await intake();
    // What a read before another agent's fill committed sees on PostgreSQL: still waiting, yet taken.
    await h.run('UPDATE cases SET assignee_id = ? WHERE id = ?', other.id, first.id);
    await setStaff(agent.id, { available: true });
    expect(await h.services.store.write((q) => fillCapacity(q, h.services, agent.id, SYSTEM_ACTOR))).toBe(1);
    expect([await assigneeOf(first.id), await assigneeOf(second.id)]).toEqual([other.id, agent.id]);
  }, 10_000);

  it('fills all spare capacity, oldest first, when an agent becomes available', async () => {
    const agent = h.agent({ queues: ['general'], capacity: 2, available: false });
    const ids = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await intake()).id);
      h.clock.advanceMinutes(1);
    }
    await setStaff(agent.id, { available: true });
    const assigned = await h.services.store.write((q) => fillCapacity(q, h.services, agent.id, SYSTEM_ACTOR));
    expect(assigned).toBe(2);
    expect(await Promise.all(ids.map(assigneeOf))).toEqual([agent.id, agent.id, null]);
  });
});

describe('the waiting queue takes priority into account', () => {
  /** One agent (capacity 1) busy with a case; then low, normal, urgent and urgent again wait, a minute apart. */
  async function backlog() {
    const agent = h.agent({ queues: ['general'], capacity: 1 });
    const busy = await intake();
    const waiting: Record<string, number> = {};
    for (const [name, priority] of [['low', 'low'], ['normal', 'normal'], ['urgent', 'urgent'], ['urgent2', 'urgent']] as const) {
      h.clock.advanceMinutes(1);
      const c = await intake('Account question', 'How do I rename my workspace?', priority);
      expect(c).toMatchObject({ priority, assigneeId: null });
      waiting[name] = c.id;
    }
    return { agent, busy: busy.id, waiting };
  }

  /** Resolves the agent's current case and returns the waiting case they get next. */
  async function next(agent: TestActor, current: number): Promise<number> {
    h.clock.advanceMinutes(1);
    await transitionCase(h.services, current, { transition: 'resolve', solution: 'Done.' }, agent);
    const assigned = await h.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.assigneeId, agent.id)));
    return assigned.find((c) => c.open)!.id;
  }

  it('by priority, then oldest first (an urgent case does not wait behind a low one)', async () => {
    const { agent, busy, waiting } = await backlog();
    const order: number[] = [];
    let current = busy;
    for (let i = 0; i < 4; i++) order.push((current = await next(agent, current)));
    expect(order).toEqual([waiting.urgent, waiting.urgent2, waiting.normal, waiting.low]);
  });

  it('a queue set to FIFO takes the oldest first, whatever the priority', async () => {
    const mia = h.agent({ role: 'manager' });
    await updateQueue(h.services, 'general', { name: 'General', tier: 1, waitingOrder: 'fifo' }, mia);
    const { agent, busy, waiting } = await backlog();
    const order: number[] = [];
    let current = busy;
    for (let i = 0; i < 4; i++) order.push((current = await next(agent, current)));
    expect(order).toEqual([waiting.low, waiting.normal, waiting.urgent, waiting.urgent2]);
  });

  it('across an agent\'s queues, cases of a FIFO queue rank as normal priority', async () => {
    await h.query((q) => q.db.update(q.tables.queues).set({ waitingOrder: 'fifo' }).where(eq(q.tables.queues.id, 'billing')));
    const agent = h.agent({ queues: ['general', 'billing'], capacity: 3, available: false });
    const low = await intake('Account question', 'How do I rename my workspace?', 'low');
    h.clock.advanceMinutes(1);
    const billingUrgent = await intake('Invoice', 'Question about my invoice address', 'urgent');
    h.clock.advanceMinutes(1);
    const high = await intake('Account question', 'How do I rename my workspace?', 'high');
    expect(billingUrgent.queueId).toBe('billing');
    await setStaff(agent.id, { available: true, capacity: 1 });
    await h.services.store.write((q) => fillCapacity(q, h.services, agent.id, SYSTEM_ACTOR));
    expect([await assigneeOf(high.id), await assigneeOf(billingUrgent.id), await assigneeOf(low.id)]).toEqual([agent.id, null, null]);
    await setStaff(agent.id, { capacity: 2 });
    await h.services.store.write((q) => fillCapacity(q, h.services, agent.id, SYSTEM_ACTOR));
    expect([await assigneeOf(billingUrgent.id), await assigneeOf(low.id)]).toEqual([agent.id, null]);
  });
});

describe('an agent’s load (staff.open_cases, kept by triggers)', () => {
  /** Staff whose stored load differs from a count of their open cases. */
  const drift = () => h.all('SELECT id, open_cases FROM staff WHERE open_cases != (SELECT count(*) FROM cases c WHERE c.assignee_id = staff.id AND c.open = true)');
  const loadOf = async (id: number) => (await h.query((q) => q.db.select({ n: q.tables.staff.openCases }).from(q.tables.staff).where(eq(q.tables.staff.id, id))))[0]!.n;

  it('follows assignment, resolution, reopening, reassignment and escalation', async () => {
    const a = h.agent({ queues: ['general'], capacity: 5 });
    const b = h.agent({ queues: ['general'], capacity: 5 });
    const tier2 = h.agent({ role: 'advanced', queues: ['advanced'] });
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await intake()).id);
    expect([await loadOf(a.id), await loadOf(b.id)]).toEqual([2, 2]);
    expect(await drift()).toEqual([]);

    await transitionCase(h.services, ids[0]!, { transition: 'resolve', solution: 'Done' }, a);
    expect((await loadOf(a.id)) + (await loadOf(b.id))).toBe(3);
    await transitionCase(h.services, ids[0]!, { transition: 'reopen' }, a);
    expect((await loadOf(a.id)) + (await loadOf(b.id))).toBe(4);
    expect(await drift()).toEqual([]);

    const assignees = await Promise.all(ids.map(assigneeOf));
    const onA = ids[assignees.indexOf(a.id)]!;
    await h.services.store.write((q) => q.db.update(q.tables.cases).set({ assigneeId: b.id }).where(eq(q.tables.cases.id, onA)));
    expect([await loadOf(a.id), await loadOf(b.id)]).toEqual([1, 3]);
    await transitionCase(h.services, ids[1]!, { transition: 'escalate', reason: 'needs tier 2' }, { ...ADMIN, role: 'admin' });
    expect(await loadOf(tier2.id)).toBe(1);
    expect(await drift()).toEqual([]);

    await h.run('UPDATE cases SET open = false');
    expect([await loadOf(a.id), await loadOf(b.id), await loadOf(tier2.id)]).toEqual([0, 0, 0]);
    expect(await drift()).toEqual([]);
  });
});

/**
 * Commands at once. On SQLite writes take turns, so these hold by construction; on PostgreSQL
 * (the `postgres` project runs this file there) the transactions overlap at READ COMMITTED,
 * and each once broke capacity: every intake saw the same loads and chose the same agent.
 */
describe('at once', () => {
  const openCasesOf = async (id: number) => (await h.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.assigneeId, id)))).filter((c) => c.open).length;

  it('intakes arriving together never fill an agent beyond capacity', async () => {
    const a = h.agent({ queues: ['general'], capacity: 2 });
    const b = h.agent({ queues: ['general'], capacity: 1 });
    const made = await Promise.all(Array.from({ length: 8 }, () => intake()));
    expect(made.filter((c) => c.assigneeId === a.id)).toHaveLength(2);
    expect(made.filter((c) => c.assigneeId === b.id)).toHaveLength(1);
    expect(made.filter((c) => c.assigneeId === null && c.waitingSince !== null)).toHaveLength(5);
    expect([await openCasesOf(a.id), await openCasesOf(b.id)]).toEqual([2, 1]);
  });

  it('agents assigning cases to one colleague with room for one at once: one is assigned, the others refused', async () => {
    const target = h.agent({ queues: ['general'], capacity: 1 });
    const owners = Array.from({ length: 4 }, () => h.agent({ queues: ['general'], capacity: 5 }));
    await setStaff(target.id, { available: false }); // the intakes go to the others, one each
    const cases = [];
    for (let i = 0; i < owners.length; i++) cases.push(await intake());
    const ownerOf = (c: { assigneeId: number | null }) => owners.find((o) => o.id === c.assigneeId)!;
    const results = await Promise.allSettled(cases.map((c) => reassignCase(h.services, c.id, { assignee: target.id }, ownerOf(c))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) expect(r.reason).toMatchObject({ code: 'CAPACITY_EXCEEDED' });
    expect(await openCasesOf(target.id)).toBe(1);
  });

  it('agents freeing capacity at once: each waiting case goes to one of them, and every resolution stands', async () => {
    const agents = Array.from({ length: 4 }, () => h.agent({ queues: ['general'], capacity: 1 }));
    const busy = [];
    for (let i = 0; i < agents.length; i++) busy.push(await intake());
    const waiting = [await intake(), await intake()];
    expect(waiting.map((c) => c.assigneeId)).toEqual([null, null]);
    const ownerOf = (c: { assigneeId: number | null }) => agents.find((o) => o.id === c.assigneeId)!;
    await Promise.all(busy.map((c) => transitionCase(h.services, c.id, { transition: 'resolve', solution: 'Done.' }, ownerOf(c))));
    for (const c of busy) expect((await caseRow(c.id)).status).toBe('resolved');
    const takers = await Promise.all(waiting.map((c) => assigneeOf(c.id)));
    expect(new Set(takers).size).toBe(2);
    for (const taker of takers) expect(agents.map((a) => a.id)).toContain(taker);
    // Assigned once each: no agent took a case another had just been given.
    for (const c of waiting) expect(await h.query((q) => q.db.select().from(q.tables.caseEvents).where(and(eq(q.tables.caseEvents.caseId, c.id), eq(q.tables.caseEvents.type, 'case.assigned'))))).toHaveLength(1);
  });
});

describe.skipIf(!ON_POSTGRES)('on PostgreSQL, a pick that needs a skill', () => {
  it('locks only the members who have it: another transaction holding a colleague without it does not hold up the intake', async () => {
    const plain = h.agent({ queues: ['billing'], capacity: 5 });
    const refunds = h.agent({ queues: ['billing'], skills: ['refunds'], capacity: 5 });
    await h.settled();
    const other = new pg.Client({ connectionString: h.databaseUrl! });
    await other.connect();
    try {
      // Another instance's pick in billing, without a skill, holds the plain agent's row.
      await other.query('BEGIN');
      await other.query('SELECT id FROM staff WHERE id = $1 FOR NO KEY UPDATE', [plain.id]);
      const refund = intake('Refund', 'refund the duplicate charge');
      const held = new Promise<'held up'>((resolve) => setTimeout(() => resolve('held up'), 3_000));
      expect(await Promise.race([refund.then((c) => c.assigneeId), held])).toBe(refunds.id);
    } finally {
      await other.query('ROLLBACK');
      await other.end();
    }
  });
});
