/**
 * The SQLite pick (sqlite.ts: the queue's entries of `pick_order`, kept by triggers) against the
 * reference: every member of the queue read in assignment's order (CANDIDATE_SQL), the first
 * that fits. Random desks of up to 128 staff, random queues, skills, chats and preferences:
 * always the same agent, or none. A pick that needs skills filters them in SQL; the reference
 * checks them in JavaScript. And `pick_order` itself, through random changes of staff and
 * membership: always exactly the pairs the reference's condition derives.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, standardQueues, type Harness } from '../../test/support/harness.js';
import { CANDIDATE_SQL, firstFitting, type CandidateRow } from './candidates.js';
import { pickAgent } from './pick-agent.js';

let h: Harness;
beforeAll(() => {
  h = createHarness();
  standardQueues(h);
});
afterAll(() => h.close());

const QUEUES = ['general', 'billing', 'advanced'] as const;
/** A desk larger than the few the pick usually reads. */
const DESK = 32;
/** Skills that share a prefix, and one that JSON escapes: the SQL keeps exact matches only (sqlite.ts HAS_SKILLS). */
const SKILLS = ['refunds', 'api', 'refunds-eu', 'say "hi"'] as const;

const person = fc.record({
  active: fc.integer({ min: 0, max: 9 }).map((x) => x < 9),
  available: fc.integer({ min: 0, max: 9 }).map((x) => x < 8),
  capacity: fc.integer({ min: 0, max: 6 }),
  openCases: fc.integer({ min: 0, max: 3 }),
  lastAssignedAt: fc.integer({ min: 0, max: 5 }),
  chatLimit: fc.integer({ min: 0, max: 2 }),
  skills: fc.subarray([...SKILLS]),
  queues: fc.subarray([...QUEUES]),
});

const pick = fc.record({
  queue: fc.constantFrom(...QUEUES),
  skills: fc.subarray([...SKILLS], { maxLength: 2 }),
  chat: fc.boolean(),
  /** Indexes into the desk: staff with the workspace open (a chat's preference). */
  prefer: fc.option(fc.uniqueArray(fc.nat(120), { maxLength: 6 }), { nil: undefined }),
});

type Person = typeof person extends fc.Arbitrary<infer T> ? T : never;

/** Replaces the desk with `people` (ids in insertion order). */
async function seed(people: readonly Person[]): Promise<number[]> {
  await h.run('DELETE FROM staff_queues');
  await h.run("DELETE FROM staff WHERE email LIKE 'pick-%'");
  const ids: number[] = [];
  for (const [i, p] of people.entries()) {
    await h.run(
      'INSERT INTO staff (email, name, role, skills, capacity, chat_limit, available, active, open_cases, last_assigned_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)',
      `pick-${i}@casebook.test`, `Pick ${i}`, 'agent', JSON.stringify(p.skills), p.capacity, p.chatLimit, p.available ? 1 : 0, p.active ? 1 : 0, p.openCases, p.lastAssignedAt,
    );
    const { id } = (await h.get<{ id: number }>('SELECT id FROM staff WHERE email = ?', `pick-${i}@casebook.test`))!;
    ids.push(id);
    for (const queue of p.queues) await h.run('INSERT INTO staff_queues (staff_id, queue_id) VALUES (?, ?)', id, queue);
  }
  // Agents the harness made before (standardQueues' members, if any) stay out of the way.
  await h.run("UPDATE staff SET available = 0 WHERE email NOT LIKE 'pick-%'");
  return ids;
}

/** The (queue, staff) pairs of who could take a case now, in assignment's order, as the triggers should keep them. */
const DERIVED = `SELECT sq.queue_id, s.open_cases, s.last_assigned_at, s.id AS staff_id FROM staff_queues sq JOIN staff s ON s.id = sq.staff_id
  WHERE s.active = TRUE AND s.available = TRUE AND s.open_cases < s.capacity ORDER BY 1, 2, 3, 4`;
const KEPT = 'SELECT queue_id, open_cases, last_assigned_at, staff_id FROM pick_order ORDER BY 1, 2, 3, 4';

describe('the SQLite pick reads pick_order and chooses as reading every member would', () => {
  it('agrees with the reference on random desks: a fit first in line, further on, none at all, a preferred one', async () => {
    const seen = { first: 0, further: 0, none: 0, preferred: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(person, { minLength: 0, maxLength: 4 * DESK, size: 'max' }), fc.array(pick, { minLength: 1, maxLength: 6 }), async (people, picks) => {
        const ids = await seed(people);
        for (const p of picks) {
          const channel = p.chat ? 'chat' : undefined;
          const prefer = p.prefer ? new Set(p.prefer.filter((i) => i < ids.length).map((i) => ids[i]!)) : undefined;
          const rows = await h.all<CandidateRow>(p.chat ? CANDIDATE_SQL.membersForChat : CANDIDATE_SQL.members, p.queue);
          const expected = firstFitting(rows, p.skills, channel, prefer);
          const got = await h.query((q) => pickAgent(q, p.queue, p.skills, channel, prefer));
          expect(got?.id ?? null).toBe(expected?.id ?? null);
          expect(got).toEqual(expected);
          if (expected === null) seen.none++;
          else if (expected.id === rows[0]!.id) seen.first++;
          else seen.further++;
          if (expected && prefer?.has(expected.id)) seen.preferred++;
        }
      }),
      // A failure is reported as found: shrinking reseeds the desk for every step.
      { numRuns: 60, seed: 20261206, endOnFailure: true },
    );
    expect(seen.first).toBeGreaterThan(0);
    expect(seen.further).toBeGreaterThan(0);
    expect(seen.none).toBeGreaterThan(0);
    expect(seen.preferred).toBeGreaterThan(0);
  });

  it('keeps pick_order to exactly the pairs of who could take a case now, through every change of staff and membership', async () => {
    const change = fc.oneof(
      fc.record({ kind: fc.constant('staff' as const), who: fc.nat(40), column: fc.constantFrom('active', 'available', 'capacity', 'open_cases', 'last_assigned_at'), value: fc.integer({ min: 0, max: 6 }) }),
      fc.record({ kind: fc.constant('join' as const), who: fc.nat(40), queue: fc.constantFrom(...QUEUES) }),
      fc.record({ kind: fc.constant('leave' as const), who: fc.nat(40), queue: fc.constantFrom(...QUEUES) }),
      fc.record({ kind: fc.constant('move' as const), who: fc.nat(40), queue: fc.constantFrom(...QUEUES) }),
      fc.record({ kind: fc.constant('delete' as const), who: fc.nat(40) }),
      fc.record({ kind: fc.constant('everyone' as const), value: fc.boolean() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(person, { minLength: 1, maxLength: 24 }), fc.array(change, { minLength: 1, maxLength: 25 }), async (people, changes) => {
        const ids = await seed(people);
        const deleted = new Set<number>();
        expect(await h.all(KEPT)).toEqual(await h.all(DERIVED));
        for (const c of changes) {
          if (c.kind !== 'everyone' && deleted.has(ids[c.who % ids.length]!)) continue;
          if (c.kind === 'everyone') await h.run("UPDATE staff SET available = ? WHERE email LIKE 'pick-%'", c.value ? 1 : 0);
          else {
            const id = ids[c.who % ids.length]!;
            if (c.kind === 'staff') await h.run(`UPDATE staff SET ${c.column} = ? WHERE id = ?`, c.column === 'active' || c.column === 'available' ? c.value % 2 : c.value, id);
            else if (c.kind === 'join') await h.run('INSERT OR IGNORE INTO staff_queues (staff_id, queue_id) VALUES (?, ?)', id, c.queue);
            else if (c.kind === 'leave') await h.run('DELETE FROM staff_queues WHERE staff_id = ? AND queue_id = ?', id, c.queue);
            else if (c.kind === 'move') await h.run('UPDATE OR IGNORE staff_queues SET queue_id = ? WHERE staff_id = ? AND rowid = (SELECT min(rowid) FROM staff_queues WHERE staff_id = ?)', c.queue, id, id);
            else {
              await h.run('DELETE FROM staff_queues WHERE staff_id = ?', id);
              await h.run('DELETE FROM staff WHERE id = ?', id);
              deleted.add(id);
            }
          }
          expect(await h.all(KEPT), JSON.stringify(c)).toEqual(await h.all(DERIVED));
        }
      }),
      { numRuns: 40, seed: 20261207, endOnFailure: true },
    );
  });

  it('moves an agent along the order as their load and last assignment change, in each of their queues', async () => {
    const ids = await seed([
      { active: true, available: true, capacity: 2, openCases: 0, lastAssignedAt: 0, chatLimit: 1, skills: [], queues: ['general', 'billing'] },
      { active: true, available: true, capacity: 2, openCases: 0, lastAssignedAt: 1, chatLimit: 1, skills: [], queues: ['general'] },
    ]);
    const [a, b] = [ids[0]!, ids[1]!];
    const picked = (queue: string) => h.query((q) => pickAgent(q, queue, [])).then((c) => c?.id ?? null);
    expect(await picked('general')).toBe(a);
    await h.run('UPDATE staff SET open_cases = 1, last_assigned_at = 10 WHERE id = ?', a);
    expect(await picked('general')).toBe(b);
    expect(await picked('billing')).toBe(a);
    await h.run('UPDATE staff SET open_cases = 1, last_assigned_at = 11 WHERE id = ?', b);
    expect(await picked('general')).toBe(a);
    // At capacity: out of both queues; a case closed: back in both.
    await h.run('UPDATE staff SET open_cases = 2 WHERE id = ?', a);
    expect(await picked('billing')).toBeNull();
    expect(await picked('general')).toBe(b);
    await h.run('UPDATE staff SET open_cases = 0 WHERE id = ?', a);
    expect(await picked('billing')).toBe(a);
    expect(await picked('general')).toBe(a);
    expect(await h.all(KEPT)).toEqual(await h.all(DERIVED));
  });

  it('keeps, for a pick that needs skills, only those who have every one, compared exactly', async () => {
    const agent = (skills: Person['skills'], lastAssignedAt: number): Person => ({ active: true, available: true, capacity: 5, openCases: 0, lastAssignedAt, chatLimit: 1, skills, queues: ['billing'] });
    // Before them in the order: a desk's worth with no skills, and near misses (a longer name, one of two).
    const desk: Person[] = Array.from({ length: DESK + 3 }, (_, i) => agent([], i));
    desk.push(agent(['refunds-eu'], 100), agent(['refunds'], 101), agent(['api', 'say "hi"'], 102), agent(['say "hi"', 'refunds', 'api'], 103));
    const ids = await seed(desk);
    const picked = (skills: readonly string[]) => h.query((q) => pickAgent(q, 'billing', skills)).then((c) => c?.id ?? null);
    expect(await picked(['refunds'])).toBe(ids[DESK + 4]);
    expect(await picked(['refunds-eu'])).toBe(ids[DESK + 3]);
    expect(await picked(['say "hi"'])).toBe(ids[DESK + 5]);
    expect(await picked(['refunds', 'say "hi"'])).toBe(ids[DESK + 6]);
    expect(await picked(['refund'])).toBeNull();
    expect(await picked(['hi'])).toBeNull();
    expect(await picked([])).toBe(ids[0]);
  });

  it('finds the member of a small queue behind a desk of others who are free, and nobody when they are away', async () => {
    const desk: Person[] = Array.from({ length: DESK + 5 }, (_, i) => ({ active: true, available: true, capacity: 5, openCases: 0, lastAssignedAt: i, chatLimit: 1, skills: [], queues: ['general'] }));
    // The advanced queue's only member is the most loaded pickable agent: last in the order.
    desk.push({ active: true, available: true, capacity: 5, openCases: 4, lastAssignedAt: 0, chatLimit: 1, skills: [], queues: ['advanced'] });
    const ids = await seed(desk);
    expect((await h.query((q) => pickAgent(q, 'advanced', [])))?.id).toBe(ids.at(-1));
    expect((await h.query((q) => pickAgent(q, 'general', [])))?.id).toBe(ids[0]);
    // Preferred far down the order: found by reading on.
    expect((await h.query((q) => pickAgent(q, 'general', [], 'chat', new Set([ids[DESK + 2]!]))))?.id).toBe(ids[DESK + 2]);
    await h.run('UPDATE staff SET available = 0 WHERE id = ?', ids.at(-1)!);
    expect(await h.query((q) => pickAgent(q, 'advanced', []))).toBeNull();
  });
});
