/**
 * User text is never FTS5 syntax: a corpus of hostile and broken queries answers 200 or 422,
 * never 500, on the API and the page. Phrases and exclusions mean what they say; pages
 * continue without repeating a case; a scan that reaches its budget says so and continues.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWN_CASES_LIMIT } from '../../src/search/own-cases.js';
import { search } from '../../src/search/search.js';
import { signedIn } from '../support/pages.js';
import { addMessage, createDesk, type Desk } from './support.js';

let desk: Desk;
let phrase: number;
let words: number;

beforeAll(async () => {
  desk = createDesk();
  const { chloe, sam, alice } = desk;
  phrase = await desk.open(chloe, 'Password reset link', 'The password reset link never arrives', { queue: 'general' });
  words = await desk.open(sam, 'Reset my password', 'I want to reset the password of my link account', { queue: 'general' });
  await addMessage(desk.h.services, words, { body: 'Sent via paypal', public: true }, alice);
});
afterAll(() => desk.h.close());

const CORPUS = [
  '"',
  '""',
  '"""',
  '"password',
  'password"',
  'NEAR(',
  'NEAR(password reset',
  'NEAR(password reset, 2)',
  'password OR reset',
  'password AND',
  'NOT password',
  'password NOT',
  '*',
  'pass*',
  '^password',
  'subject:password',
  '{subject body}: password',
  '- password',
  '--password',
  '-"',
  '-',
  '(',
  ')',
  '(password',
  'password)',
  ':',
  'status:"',
  'tag:"unclosed',
  'created:>',
  'created:>>2026-01-01',
  'created:2026-01-01..',
  'customer:',
  'customer:@',
  'customer:"',
  "'; DROP TABLE cases; --",
  'password\u0000reset',
  '\u0002password\u0003',
  '\u202Epassword',
  '😀 password 🔑',
  'pässwörd',
  'x'.repeat(300),
  Array.from({ length: 40 }, () => 'a').join(' '),
  'C-',
  'C-1e3',
  'C--1',
  'C-99999999999999999999',
  '%',
  '_',
  '\\',
  'password\\"reset',
];

describe('hostile and broken queries', () => {
  it('never fail the API (200 or 422) for staff and customers', async () => {
    for (const actor of [desk.maria, desk.alice, desk.chloe]) {
      const token = desk.h.tokenFor(actor);
      for (const q of CORPUS) {
        const res = await desk.h.api('GET', `/api/v1/search?q=${encodeURIComponent(q)}`, { token });
        expect([200, 422], `${actor.name}: ${JSON.stringify(q)} → ${res.status} ${await res.clone().text()}`).toContain(res.status);
        if (res.status === 422) expect(res.headers.get('Content-Type')).toBe('application/problem+json');
      }
    }
  });

  it('never fail the page, with or without htmx', async () => {
    const page = signedIn(desk.h, desk.maria);
    for (const q of CORPUS) {
      for (const htmx of [false, true]) {
        const res = await page.get(`/search?q=${encodeURIComponent(q)}&live=1`, { htmx });
        expect([200, 422], `${JSON.stringify(q)} (${htmx ? 'htmx' : 'page'}) → ${res.status}`).toContain(res.status);
      }
    }
  });

  it('operators are words: "password OR reset" needs all three', async () => {
    expect(await desk.find(desk.maria, 'password reset')).toEqual([`C-${words}`, `C-${phrase}`]);
    expect(await desk.find(desk.maria, 'password OR reset')).toEqual([]);
    expect(await desk.find(desk.maria, 'NEAR(password reset')).toEqual([]);
    expect(await desk.find(desk.maria, 'password* reset')).toEqual([`C-${words}`, `C-${phrase}`]);
    expect(await desk.find(desk.maria, 'password\u0000reset')).toEqual([`C-${words}`, `C-${phrase}`]);
  });
});

describe('phrases and exclusions', () => {
  it('a phrase needs its words in order, words do not', async () => {
    expect(await desk.find(desk.maria, '"password reset"')).toEqual([`C-${phrase}`]);
    expect(await desk.find(desk.maria, 'password reset')).toEqual([`C-${words}`, `C-${phrase}`]);
    expect(await desk.find(desk.maria, '"reset link"')).toEqual([`C-${phrase}`]);
  });

  it('-word leaves out cases with the word in any of their documents', async () => {
    expect(await desk.find(desk.maria, 'password -arrives')).toEqual([`C-${words}`]);
    expect(await desk.find(desk.maria, 'password -"link never"')).toEqual([`C-${words}`]);
    // The paypal reply is a document of its own, and it leaves its case out.
    expect(await desk.find(desk.maria, 'reset -paypal')).toEqual([`C-${phrase}`]);
  });
});

describe('pages', () => {
  it('continue without repeating a case, newest first, to the end', async () => {
    const local = createDesk();
    try {
      const ids: number[] = [];
      for (let i = 0; i < 45; i++) {
        const id = await local.open(local.chloe, `Gadget ${i}`, `gadget broken ${i}`, { queue: 'general' });
        if (i % 3 === 0) await addMessage(local.h.services, id, { body: `gadget reply ${i}`, public: true }, local.alice);
        ids.push(id);
      }
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const result: Awaited<ReturnType<typeof search>> = await search(local.h.services, await local.principal(local.maria), { q: 'gadget', cursor });
        seen.push(...result.cases.items.map((i) => i.row.id));
        expect(result.cases.partial).toBe(false);
        cursor = result.cases.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual([...ids].reverse());
      const first = (await search(local.h.services, await local.principal(local.maria), { q: 'gadget' })).cases.nextCursor;
      await expect(search(local.h.services, await local.principal(local.maria), { q: 'tag:x', cursor: first })).rejects.toThrow(/cursor/);
    } finally {
      local.h.close();
    }
  });

  it('a scan that reaches its budget says so, and its cursor searches on', async () => {
    const local = createDesk();
    try {
      const visible = await local.open(local.chloe, 'Widget', 'widget old', { queue: 'billing' });
      for (let i = 0; i < 30; i++) await local.open(local.sam, `Widget ${i}`, 'widget', { queue: 'technical' });
      const alice = await local.principal(local.alice);
      const first = await search(local.h.services, alice, { q: 'widget', budget: 10 });
      expect(first.cases.items).toEqual([]);
      expect(first.cases.partial).toBe(true);
      let cursor = first.cases.nextCursor;
      const found: number[] = [];
      while (cursor) {
        const next: Awaited<ReturnType<typeof search>> = await search(local.h.services, alice, { q: 'widget', budget: 10, cursor });
        found.push(...next.cases.items.map((i) => i.row.id));
        cursor = next.cases.nextCursor;
      }
      expect(found).toEqual([visible]);
    } finally {
      local.h.close();
    }
  });
});

describe('a customer with many cases', () => {
  it('is searched in the shared index, still only their cases and never notes', async () => {
    const local = createDesk();
    try {
      const { h, chloe, sam, alice } = local;
      const bulk = Array.from({ length: OWN_CASES_LIMIT + 1 }, (_, i) => ({
        customerId: chloe.id,
        subject: `Bulk order ${i}`,
        description: 'bulk',
        status: 'new' as const,
        stateEnteredAt: 0,
        queueId: 'general',
        workflow: 'support',
        workflowVersion: 1,
        createdAt: 0,
        updatedAt: 0,
      }));
      await h.services.store.write((q) => q.db.insert(q.tables.cases).values(bulk));
      const mine = await local.open(chloe, 'Sprocket jammed', 'the sprocket', { queue: 'general' });
      await addMessage(h.services, mine, { body: 'sprocket secret note', public: false }, alice);
      const theirs = await local.open(sam, 'Sprocket too', 'another sprocket', { queue: 'general' });
      expect(await local.find(chloe, 'sprocket')).toEqual([`C-${mine}`]);
      expect(await local.find(chloe, 'secret')).toEqual([]);
      // Words over the case's documents, still never the note's for the customer.
      expect(await local.find(chloe, 'jammed sprocket')).toEqual([`C-${mine}`]);
      expect(await local.find(chloe, 'jammed secret')).toEqual([]);
      expect(await local.find(chloe, 'jammed -secret')).toEqual([`C-${mine}`]);
      expect(await local.find(local.maria, 'jammed secret')).toEqual([`C-${mine}`]);
      expect(await local.find(local.maria, 'jammed -secret')).toEqual([]);
      expect(await local.find(sam, 'sprocket')).toEqual([`C-${theirs}`]);
      expect(await local.find(chloe, 'bulk order')).toHaveLength(20);
    } finally {
      local.h.close();
    }
  });
});
