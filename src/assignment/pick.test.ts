/**
 * The SQLite pick (sqlite.ts: a walk of `staff_pick_idx`, then the whole pick order or the
 * queue's membership when the walk finds no fit; a small queue's membership straight away)
 * against the reference: every member of the queue read in
 * assignment's order (CANDIDATE_SQL), the first that fits. Random desks larger and smaller than
 * the walk, random queues, skills, chats and preferences: always the same agent, or none. A pick
 * that needs skills filters them in SQL; the reference checks them in JavaScript.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, standardQueues, type Harness } from '../../test/support/harness.js';
import { CANDIDATE_SQL, firstFitting, type CandidateRow } from './candidates.js';
import { pickAgent } from './pick-agent.js';
import { RECOUNT, TINY, WALK, forgetQueueHints, pickReads } from './sqlite.js';

let h: Harness;
beforeAll(() => {
  h = createHarness();
  standardQueues(h);
});
afterAll(() => h.close());

const QUEUES = ['general', 'billing', 'advanced'] as const;
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
  await h.query(async (q) => forgetQueueHints(q));
  return ids;
}

describe('the SQLite pick walks staff_pick_idx and chooses as reading every member would', () => {
  it('agrees with the reference on random desks, with the walk enough, cut short and exhausted', async () => {
    const seen = { walk: 0, beyond: 0, none: 0, preferred: 0 };
    const before = { ...pickReads };
    await fc.assert(
      fc.asyncProperty(fc.array(person, { minLength: 0, maxLength: 4 * WALK, size: 'max' }), fc.array(pick, { minLength: 1, maxLength: 6 }), async (people, picks) => {
        const ids = await seed(people);
        const pickable = await h.all<{ id: number }>('SELECT id FROM staff WHERE active = TRUE AND available = TRUE AND open_cases < capacity ORDER BY open_cases, last_assigned_at, id');
        const rank = new Map(pickable.map((r, i) => [r.id, i]));
        for (const p of picks) {
          const channel = p.chat ? 'chat' : undefined;
          const prefer = p.prefer ? new Set(p.prefer.filter((i) => i < ids.length).map((i) => ids[i]!)) : undefined;
          const rows = await h.all<CandidateRow>(p.chat ? CANDIDATE_SQL.membersForChat : CANDIDATE_SQL.members, p.queue);
          const expected = firstFitting(rows, p.skills, channel, prefer);
          const got = await h.query((q) => pickAgent(q, p.queue, p.skills, channel, prefer));
          expect(got?.id ?? null).toBe(expected?.id ?? null);
          expect(got).toEqual(expected);
          if (expected === null) seen.none++;
          else if (rank.get(expected.id)! < WALK) seen.walk++;
          else seen.beyond++;
          if (expected && prefer?.has(expected.id)) seen.preferred++;
        }
      }),
      // A failure is reported as found: shrinking reseeds the desk for every step.
      { numRuns: 60, seed: 20261206, endOnFailure: true },
    );
    // Every path was taken: a fit in the walk, one beyond it, none at all, a preferred one.
    expect(seen.walk).toBeGreaterThan(0);
    expect(seen.beyond).toBeGreaterThan(0);
    expect(seen.none).toBeGreaterThan(0);
    expect(seen.preferred).toBeGreaterThan(0);
    // And every way of reading: the walk, the whole pick order, the membership.
    expect(pickReads.walk).toBeGreaterThan(before.walk);
    expect(pickReads.pickOrder).toBeGreaterThan(before.pickOrder);
    expect(pickReads.membership).toBeGreaterThan(before.membership);
  });

  it('keeps, for a pick that needs skills, only those who have every one, compared exactly', async () => {
    const agent = (skills: Person['skills'], lastAssignedAt: number): Person => ({ active: true, available: true, capacity: 5, openCases: 0, lastAssignedAt, chatLimit: 1, skills, queues: ['billing'] });
    // Before them in the order: a desk's worth with no skills, and near misses (a longer name, one of two).
    const desk: Person[] = Array.from({ length: WALK + 3 }, (_, i) => agent([], i));
    desk.push(agent(['refunds-eu'], 100), agent(['refunds'], 101), agent(['api', 'say "hi"'], 102), agent(['say "hi"', 'refunds', 'api'], 103));
    const ids = await seed(desk);
    const picked = (skills: readonly string[]) => h.query((q) => pickAgent(q, 'billing', skills)).then((c) => c?.id ?? null);
    expect(await picked(['refunds'])).toBe(ids[WALK + 4]);
    expect(await picked(['refunds-eu'])).toBe(ids[WALK + 3]);
    expect(await picked(['say "hi"'])).toBe(ids[WALK + 5]);
    expect(await picked(['refunds', 'say "hi"'])).toBe(ids[WALK + 6]);
    expect(await picked(['refund'])).toBeNull();
    expect(await picked(['hi'])).toBeNull();
    expect(await picked([])).toBe(ids[0]);
  });

  it('finds a member of a small queue behind a walk full of others', async () => {
    const desk: Person[] = Array.from({ length: WALK + 5 }, (_, i) => ({ active: true, available: true, capacity: 5, openCases: 0, lastAssignedAt: i, chatLimit: 1, skills: [], queues: ['general'] }));
    // The advanced queue's only member is the most loaded pickable agent: last in the order.
    desk.push({ active: true, available: true, capacity: 5, openCases: 4, lastAssignedAt: 0, chatLimit: 1, skills: [], queues: ['advanced'] });
    const ids = await seed(desk);
    expect((await h.query((q) => pickAgent(q, 'advanced', [])))?.id).toBe(ids.at(-1));
    expect((await h.query((q) => pickAgent(q, 'general', [])))?.id).toBe(ids[0]);
    // Preferred beyond the walk: found by reading the members whole.
    expect((await h.query((q) => pickAgent(q, 'general', [], 'chat', new Set([ids[WALK + 2]!]))))?.id).toBe(ids[WALK + 2]);
  });

  it('reads a small queue from its members, not by walking a desk of others, while it finds nobody there, and counts again as the queue grows', async () => {
    // Tier 2 at night: a large desk free in general, the advanced queue's members all away.
    const agent = (available: boolean, queue: Person['queues'][number], lastAssignedAt = 0): Person => ({ active: true, available, capacity: 5, openCases: 0, lastAssignedAt, chatLimit: 1, skills: [], queues: [queue] });
    const desk: Person[] = Array.from({ length: 2 * WALK }, (_, i) => agent(true, 'general', i));
    for (let i = 0; i < TINY + 2; i++) desk.push(agent(false, 'advanced'));
    const ids = await seed(desk);
    const pick = () => h.query((q) => pickAgent(q, 'advanced', [])).then((c) => c?.id ?? null);
    const counted = async (fn: () => Promise<unknown>) => {
      const before = { ...pickReads };
      await fn();
      return { walk: pickReads.walk - before.walk, pickOrder: pickReads.pickOrder - before.pickOrder, membership: pickReads.membership - before.membership };
    };
    // More members than TINY: the first pick walks, finds none of them, then reads them.
    expect(await counted(async () => expect(await pick()).toBeNull())).toEqual({ walk: 1, pickOrder: 0, membership: 1 });
    // Past the walk last time: the next picks read the members without the walk.
    expect(await counted(async () => expect(await pick()).toBeNull())).toEqual({ walk: 0, pickOrder: 0, membership: 1 });
    // One of them back: chosen the same way; with someone found, the next pick walks again (and finds them early in it).
    await h.run('UPDATE staff SET available = 1 WHERE id = ?', ids.at(-2)!);
    expect(await counted(async () => expect(await pick()).toBe(ids.at(-2)))).toEqual({ walk: 0, pickOrder: 0, membership: 1 });
    expect(await counted(async () => expect(await pick()).toBe(ids.at(-2)))).toEqual({ walk: 1, pickOrder: 0, membership: 0 });
    // The whole desk joins advanced: counted again within RECOUNT picks, then more members than
    // pickable staff: the pick order, whole, stopping at the first.
    await h.run("INSERT INTO staff_queues (staff_id, queue_id) SELECT id, 'advanced' FROM staff WHERE email LIKE 'pick-%' AND id NOT IN (SELECT staff_id FROM staff_queues WHERE queue_id = 'advanced')");
    for (let i = 0; i < RECOUNT; i++) expect(await pick()).toBe(ids[0]);
    expect(await counted(async () => expect(await pick()).toBe(ids[0]))).toEqual({ walk: 0, pickOrder: 1, membership: 0 });
    // A queue of at most TINY members is always read from them.
    await h.run("DELETE FROM staff_queues WHERE queue_id = 'billing'");
    await h.run("INSERT INTO staff_queues (staff_id, queue_id) VALUES (?, 'billing'), (?, 'billing')", ids[5]!, ids[6]!);
    expect(await counted(async () => expect(await h.query((q) => pickAgent(q, 'billing', [])).then((c) => c?.id)).toBe(ids[5]))).toEqual({ walk: 0, pickOrder: 0, membership: 1 });
  });
});
