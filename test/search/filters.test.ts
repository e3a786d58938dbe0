/**
 * Each filter narrows the results — with words and on its own — and a filter value that
 * names nothing (an unknown state, queue or person, a date that is not one) is a 422 that
 * says what is wrong, as problem+json on the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transitionCase } from '../../src/cases/transition-case.js';
import { search } from '../../src/search/search.js';
import { ValidationError } from '../../src/errors.js';
import { createDesk, type Desk } from './support.js';

let desk: Desk;
let march: number; // Chloe, billing, unassigned, tag vip, created 2 March, open
let april: number; // Sam, billing, Alice, created 1 April, pending
let may: number; // Chloe, technical, Bob, tag vip + legal, created 1 May, open

beforeAll(async () => {
  desk = createDesk();
  const { h, chloe, sam, alice, bob } = desk;
  march = await desk.open(chloe, 'Invoice question', 'The invoice total is wrong', { queue: 'billing', tags: ['vip'] });
  h.clock.set('2026-04-01T10:00:00Z');
  april = await desk.open(sam, 'Invoice copy', 'Please send an invoice copy', { queue: 'billing', assignee: alice.id });
  await h.run("UPDATE cases SET status = 'open' WHERE id = ?", april);
  await transitionCase(h.services, april, { transition: 'waitOnCustomer' }, alice);
  h.clock.set('2026-05-01T10:00:00Z');
  may = await desk.open(chloe, 'Invoice export broken', 'Exporting the invoice fails', { queue: 'technical', assignee: bob.id, tags: ['VIP', 'legal'] });
  await h.run("UPDATE cases SET status = 'open' WHERE id IN (?, ?)", march, may);
  await h.run("UPDATE cases SET priority = 'high' WHERE id = ?", may);
  await h.run("UPDATE cases SET priority = 'low' WHERE id = ?", april);
});
afterAll(() => desk.h.close());

const refs = (...ids: number[]) => ids.map((id) => `C-${id}`);

describe('filters', () => {
  it.each([
    ['invoice', () => refs(may, april, march)],
    ['invoice status:pending', () => refs(april)],
    ['invoice status:open', () => refs(may, march)],
    ['invoice status:Open,pending', () => refs(may, april, march)],
    ['invoice queue:billing', () => refs(april, march)],
    ['invoice queue:technical,billing', () => refs(may, april, march)],
    ['invoice assignee:none', () => refs(march)],
    ['invoice assignee:bob@casebook.test', () => refs(may)],
    ['invoice assignee:none,alice@casebook.test', () => refs(april, march)],
    ['invoice tag:vip', () => refs(may, march)],
    ['invoice tag:legal', () => refs(may)],
    ['invoice customer:sam@example.org', () => refs(april)],
    ['invoice customer:@example.com', () => refs(may, march)],
    ['invoice customer:chloe', () => refs(may, march)],
    ['invoice customer:"acme rockets"', () => refs(may, march)],
    ['invoice customer:nobody', () => []],
    ['invoice created:>2026-03-02', () => refs(may, april)],
    ['invoice created:<2026-04-01', () => refs(march)],
    ['invoice created:<=2026-04-01', () => refs(april, march)],
    ['invoice created:2026-04-01', () => refs(april)],
    ['invoice created:2026-03-01..2026-04-30', () => refs(april, march)],
    ['invoice created:>=2026-03-03 created:<2026-05-01', () => refs(april)],
    ['invoice queue:billing tag:vip', () => refs(march)],
    ['invoice priority:high', () => refs(may)],
    ['priority:HIGH,low', () => refs(may, april)],
  ])('%s', async (q, expected) => {
    expect(await desk.find(desk.maria, q)).toEqual(expected());
  });

  it('status: and queue: take the names the pages show as well as the ids (a state’s label, a queue’s name)', async () => {
    expect(await desk.find(desk.maria, 'invoice status:"Pending customer"')).toEqual(refs(april));
    expect(await desk.find(desk.maria, 'status:Open status:"pending customer"')).toEqual(refs(may, april, march));
    await desk.h.run("UPDATE queues SET name = 'Money matters' WHERE id = 'billing'");
    try {
      expect(await desk.find(desk.maria, 'invoice queue:"Money matters"')).toEqual(refs(april, march));
      expect(await desk.find(desk.alice, 'queue:"money matters"')).toEqual(refs(april, march));
    } finally {
      await desk.h.run("UPDATE queues SET name = 'Billing' WHERE id = 'billing'");
    }
  });

  it('assignee:me is the caller', async () => {
    expect(await desk.find(desk.alice, 'invoice assignee:me')).toEqual(refs(april));
    expect(await desk.find(desk.bob, 'assignee:me')).toEqual(refs(may));
  });

  it('work without words, newest case first, with the description as the snippet', async () => {
    expect(await desk.find(desk.maria, 'tag:vip')).toEqual(refs(may, march));
    expect(await desk.find(desk.maria, 'status:pending')).toEqual(refs(april));
    expect(await desk.find(desk.maria, 'queue:billing created:>2026-03-15')).toEqual(refs(april));
    const hit = (await search(desk.h.services, await desk.principal(desk.maria), { q: 'customer:sam@example.org' })).cases.items[0]!;
    expect(hit.match).toMatchObject({ kind: 'description', snippet: { text: 'Please send an invoice copy', highlights: [] } });
  });

  it('keep to what the caller may see', async () => {
    // Alice works billing: Bob's technical case stays hidden whatever the filter says.
    expect(await desk.find(desk.alice, 'invoice queue:technical')).toEqual([]);
    expect(await desk.find(desk.alice, 'tag:vip')).toEqual(refs(march));
    expect(await desk.find(desk.bob, 'invoice queue:billing')).toEqual([]);
  });

  it('customers may filter by created: only', async () => {
    expect(await desk.find(desk.chloe, 'invoice created:>2026-04-01')).toEqual(refs(may));
    for (const q of ['invoice status:new', 'invoice queue:billing', 'invoice assignee:me', 'invoice tag:vip', 'invoice priority:high', 'invoice customer:sam@example.org']) {
      await expect(desk.find(desk.chloe, q), q).rejects.toThrow(/is not a filter for customers/);
    }
  });
});

describe('filter values that name nothing', () => {
  it.each([
    ['invoice status:nonsense', 'status:nonsense — no such state'],
    ['invoice queue:nowhere', 'queue:nowhere — no such queue'],
    ['invoice priority:asap', 'priority:asap — use urgent, high, normal, low'],
    ['invoice assignee:ghost@example.com', 'assignee:ghost@example.com — use me, none or a staff email address'],
    ['invoice created:>foo', 'created:>foo is not a date'],
    ['invoice created:', 'created: needs a value'],
    // Two days in one created: would be intersected into nothing: refused, saying how to write it.
    ['invoice created:2026-11-01,2026-11-03', 'created:2026-11-01,2026-11-03 names several dates: give one date or a range'],
    ['-invoice', 'add a word to search for'],
  ])('%s is refused', async (q, message) => {
    await expect(desk.find(desk.maria, q)).rejects.toThrow(ValidationError);
    await expect(desk.find(desk.maria, q)).rejects.toThrow(message);
  });

  it('the API answers 422 problem+json naming the problem', async () => {
    const res = await desk.h.api('GET', `/api/v1/search?q=${encodeURIComponent('invoice created:>foo')}`, { token: desk.h.tokenFor(desk.maria) });
    expect(res.status).toBe(422);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    const body = (await res.json()) as { code: string; requestId: string; errors: { path: string; message: string }[] };
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.requestId).toBeTruthy();
    expect(body.errors).toEqual([{ path: 'q', message: expect.stringContaining('created:>foo is not a date') }]);
    const missing = await desk.h.api('GET', '/api/v1/search', { token: desk.h.tokenFor(desk.maria) });
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe('q');
  });
});
