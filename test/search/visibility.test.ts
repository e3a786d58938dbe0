/**
 * Results only from what the caller may see: customers their own cases and public messages
 * (never notes, never internal fields, no customer directory); agents the cases of their
 * queues and those assigned to them; advanced agents tier 2; managers everything. The same
 * rules as src/cases/access.ts, checked against canSeeCase for every caller and case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canSeeCase } from '../../src/cases/access.js';
import { loadCase } from '../../src/cases/case-read.js';
import { search } from '../../src/search/search.js';
import { signedIn } from '../support/pages.js';
import { addMessage, createDesk, type Desk } from './support.js';

let desk: Desk;
let refund: number; // Chloe's, billing, with a reply and a note
let missing: number; // Sam's, technical
let login: number; // Chloe's, advanced (tier 2)
let assigned: number; // Sam's, technical, assigned to Alice

beforeAll(async () => {
  desk = createDesk();
  const { chloe, sam, alice, bob, maria } = desk;
  refund = await desk.open(chloe, 'Refund for a double charge', 'Charged twice for the March invoice. zebra', { queue: 'billing' });
  await addMessage(desk.h.services, refund, { body: 'We have issued the refund. zebra', public: true }, alice);
  await addMessage(desk.h.services, refund, { body: 'Refund approved internally, chargeback risk', public: false }, alice);
  missing = await desk.open(sam, 'Refund missing', 'Still no refund for order 7781. zebra', { queue: 'technical' });
  await addMessage(desk.h.services, missing, { body: 'Checking the 7781 refund', public: true }, bob);
  login = await desk.open(chloe, 'Login fails after reset', 'The reset link expired. zebra', { queue: 'advanced' });
  assigned = await desk.open(sam, 'Printer offline', 'The office printer is offline. zebra', { queue: 'technical', assignee: alice.id });
  void maria;
});
afterAll(() => desk.h.close());

const ref = (id: number) => `C-${id}`;

describe('customers', () => {
  it('find their own cases only', async () => {
    expect(await desk.find(desk.chloe, 'refund')).toEqual([ref(refund)]);
    expect(await desk.find(desk.sam, 'refund')).toEqual([ref(missing)]);
    expect(await desk.find(desk.chloe, '7781')).toEqual([]);
    expect(await desk.find(desk.sam, 'march invoice')).toEqual([]);
  });

  it('never find note text, nor learn that a note matched', async () => {
    expect(await desk.find(desk.chloe, 'chargeback')).toEqual([]);
    expect(await desk.find(desk.chloe, 'approved internally')).toEqual([]);
    const hit = (await search(desk.h.services, await desk.principal(desk.chloe), { q: 'refund' })).cases.items[0]!;
    expect(hit.match).toMatchObject({ kind: 'reply', author: { type: 'staff', name: 'Alice Archer' } });
    expect(hit.moreMatches).toBe(0);
    // Staff see the same case with the note counted.
    expect((await search(desk.h.services, await desk.principal(desk.maria), { q: 'refund' })).cases.items.find((i) => i.row.id === refund)!.moreMatches).toBe(1);
  });

  it('get their projection from the API: no internal fields, no notes, no customer directory', async () => {
    const res = await desk.h.api('GET', '/api/v1/search?q=refund', { token: desk.h.tokenFor(desk.chloe) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { customers?: unknown; cases: { items: Record<string, unknown>[] } };
    expect(body).not.toHaveProperty('customers');
    expect(Object.keys(body.cases.items[0]!).sort()).toEqual(['createdAt', 'id', 'match', 'moreMatches', 'open', 'status', 'statusCategory', 'statusLabel', 'subject', 'updatedAt']);
    expect(body.cases.items[0]!.status).toBe('Received');
    const text = JSON.stringify(body);
    for (const internal of ['chargeback', 'internally', 'billing', 'queue', 'assignee', 'tags', 'priority', 'chloe@example.com']) expect(text).not.toContain(internal);
  });

  it('do not find customers', async () => {
    expect((await search(desk.h.services, await desk.principal(desk.chloe), { q: 'sam' })).customers).toEqual([]);
    expect((await search(desk.h.services, await desk.principal(desk.chloe), { q: 'chloe' })).customers).toEqual([]);
  });
});

describe('staff', () => {
  it('agents find the cases of their queues and those assigned to them', async () => {
    expect(await desk.find(desk.alice, 'refund')).toEqual([ref(refund)]);
    expect(await desk.find(desk.alice, 'offline')).toEqual([ref(assigned)]);
    expect(await desk.find(desk.bob, 'refund')).toEqual([ref(missing)]);
    expect(await desk.find(desk.bob, 'chargeback')).toEqual([]);
    expect(await desk.find(desk.alice, 'reset link')).toEqual([]);
  });

  it('advanced agents find tier-2 cases, managers everything, notes included', async () => {
    expect(await desk.find(desk.dana, 'reset link')).toEqual([ref(login)]);
    expect(await desk.find(desk.dana, 'refund')).toEqual([]);
    expect(await desk.find(desk.maria, 'refund')).toEqual([ref(missing), ref(refund)]);
    const note = (await search(desk.h.services, await desk.principal(desk.maria), { q: 'chargeback' })).cases.items[0]!;
    expect(note.match).toMatchObject({ kind: 'note', author: { type: 'staff', name: 'Alice Archer' } });
  });

  it('every caller finds exactly the cases canSeeCase allows them', async () => {
    const all = [refund, missing, login, assigned];
    for (const actor of [desk.chloe, desk.sam, desk.alice, desk.bob, desk.dana, desk.maria]) {
      const principal = await desk.principal(actor);
      const rows = await Promise.all(all.map((id) => loadCase(desk.h.services, id)));
      const expected = rows.filter((row) => canSeeCase(principal, row)).map((row) => row.id).sort().reverse().map(ref);
      expect(await desk.find(actor, 'zebra'), actor.name).toEqual(expected);
    }
  });

  it('agents find only customers with a case they may see; managers all of them', async () => {
    const customers = async (actor: typeof desk.alice, q: string) => (await search(desk.h.services, await desk.principal(actor), { q })).customers.map((c) => c.email);
    expect(await customers(desk.maria, 'sam')).toEqual(['sam@example.org']);
    expect(await customers(desk.bob, 'sam')).toEqual(['sam@example.org']);
    expect(await customers(desk.dana, 'sam')).toEqual([]);
    expect(await customers(desk.dana, 'acme rockets')).toEqual(['chloe@example.com']);
    expect(await customers(desk.bob, 'acme')).toEqual([]);
  });
});

describe('case references', () => {
  it('jump only to a case the caller may see', async () => {
    expect((await search(desk.h.services, await desk.principal(desk.maria), { q: ref(missing) })).jump).toBe(missing);
    expect((await search(desk.h.services, await desk.principal(desk.alice), { q: ref(missing) })).jump).toBeNull();
    expect((await search(desk.h.services, await desk.principal(desk.chloe), { q: ref(missing) })).jump).toBeNull();
    expect((await search(desk.h.services, await desk.principal(desk.chloe), { q: ref(refund) })).jump).toBe(refund);
    expect((await search(desk.h.services, await desk.principal(desk.maria), { q: 'C-999999' })).jump).toBeNull();

    const hidden = await signedIn(desk.h, desk.alice).get(`/search?q=${ref(missing)}`);
    expect(hidden.status).toBe(200);
    expect(await hidden.text()).not.toContain(`/cases/${ref(missing)}`);
    const own = await signedIn(desk.h, desk.chloe).get(`/search?q=${ref(refund).toLowerCase()}`);
    expect(own.status).toBe(303);
    expect(own.headers.get('Location')).toBe(`/cases/${ref(refund)}`);
  });
});
