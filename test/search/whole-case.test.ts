/**
 * Words are searched over the whole case: a case matches when each word is in one of its
 * documents the caller may see (subject and description, a reply, a note for staff), not
 * necessarily the same one; -word leaves out a case with the word in any of them; a phrase
 * stays within one document. The snippet is the document holding the most words, every word
 * it holds marked; pages continue case by case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { search, type SearchResult } from '../../src/search/search.js';
import type { Marked } from '../../src/search/highlight.js';
import type { TestActor } from '../support/harness.js';
import { signedIn } from '../support/pages.js';
import { addMessage, createDesk, type Desk } from './support.js';

let desk: Desk;
let spread: number; // Chloe's: "cafe" in the request, "giraffe" in a reply, "zebra" in a note
let best: number; // Chloe's: "cafe" in the request, "giraffe" in one reply, both in a later one
let single: number; // Sam's: "cafe giraffe" in the request
let cafeOnly: number; // Sam's: "cafe" alone
const spreadOut: number[] = []; // "koala" in the request, "lemur" in the second of three replies
let otters: number; // Chloe's: "otter" in the request; replies with both "otter badger", with "badger" alone; a note with both

beforeAll(async () => {
  desk = createDesk();
  const { h, chloe, sam, alice } = desk;
  spread = await desk.open(chloe, 'Cafe order', 'The cafe machine is broken', { queue: 'general' });
  await addMessage(h.services, spread, { body: 'A giraffe-shaped part is on its way', public: true }, alice);
  await addMessage(h.services, spread, { body: 'Supplier is zebra logistics', public: false }, alice);
  best = await desk.open(chloe, 'Espresso', 'The espresso at the cafe is cold', { queue: 'general' });
  await addMessage(h.services, best, { body: 'Is the giraffe mug yours?', public: true }, alice);
  await addMessage(h.services, best, { body: 'The giraffe mug was left at the cafe counter', public: true }, chloe);
  await addMessage(h.services, best, { body: 'Thanks, noted', public: true }, alice);
  single = await desk.open(sam, 'Mural', 'The cafe giraffe mural is peeling', { queue: 'general' });
  cafeOnly = await desk.open(sam, 'Opening hours', 'When does the cafe open?', { queue: 'general' });
  for (let i = 0; i < 7; i++) {
    const id = await desk.open(i % 2 ? chloe : sam, `Zoo ${i}`, `koala enclosure ${i}`, { queue: 'general' });
    for (const body of ['first answer', 'the lemur escaped', 'last answer']) await addMessage(h.services, id, { body, public: true }, alice);
    spreadOut.push(id);
  }
  otters = await desk.open(chloe, 'Pond', 'The otter pond is muddy', { queue: 'general' });
  await addMessage(h.services, otters, { body: 'A badger and an otter were seen', public: true }, alice);
  await addMessage(h.services, otters, { body: 'The otter met the badger again', public: true }, chloe);
  await addMessage(h.services, otters, { body: 'A badger alone this time', public: true }, alice);
  await addMessage(h.services, otters, { body: 'Otter and badger: call the ranger', public: false }, alice);
  // Words in one case each, but never together: neither case matches both.
  await desk.open(sam, 'Koala only', 'koala', { queue: 'general' });
  await desk.open(sam, 'Lemur only', 'lemur', { queue: 'general' });
});
afterAll(() => desk.h.close());

const ref = (id: number) => `C-${id}`;
const run = async (actor: TestActor, q: string, more: { cursor?: string | null; limit?: number; budget?: number } = {}): Promise<SearchResult> =>
  search(desk.h.services, await desk.principal(actor), { q, ...more });
const marks = (m: Marked) => m.highlights.map(([s, e]) => m.text.slice(s, e).toLowerCase());

describe('words over the whole case', () => {
  it('finds a case whose words are in different documents, newest case first', async () => {
    expect(await desk.find(desk.maria, 'cafe giraffe')).toEqual([ref(single), ref(best), ref(spread)]);
    expect(await desk.find(desk.chloe, 'cafe giraffe')).toEqual([ref(best), ref(spread)]);
    expect(await desk.find(desk.maria, 'giraffe cafe order')).toEqual([ref(spread)]);
  });

  it('-word leaves out a case with the word in any document', async () => {
    expect(await desk.find(desk.maria, 'cafe -giraffe')).toEqual([ref(cafeOnly)]);
    expect(await desk.find(desk.chloe, 'cafe -giraffe')).toEqual([]);
  });

  it('a phrase stays within one document', async () => {
    expect(await desk.find(desk.maria, '"cafe giraffe"')).toEqual([ref(single)]);
    expect(await desk.find(desk.maria, '"cafe giraffe" -mural')).toEqual([]);
  });

  it('a word only in an internal note matches for staff, never for the customer', async () => {
    expect(await desk.find(desk.maria, 'cafe zebra')).toEqual([ref(spread)]);
    expect(await desk.find(desk.alice, 'cafe zebra')).toEqual([ref(spread)]);
    expect(await desk.find(desk.chloe, 'cafe zebra')).toEqual([]);
    expect(await desk.find(desk.chloe, 'cafe -zebra')).toEqual([ref(best), ref(spread)]);
    expect(await desk.find(desk.maria, 'cafe -zebra')).toEqual([ref(cafeOnly), ref(single), ref(best)]);
    // The API too: the customer's answer says nothing of the note.
    const res = await desk.h.api('GET', '/api/v1/search?q=cafe%20zebra', { token: desk.h.tokenFor(desk.chloe) });
    expect(((await res.json()) as { cases: { items: unknown[] } }).cases.items).toEqual([]);
  });
});

describe('the snippet', () => {
  it('is the document holding the most words, each word it holds marked', async () => {
    const hit = (await run(desk.maria, 'cafe giraffe')).cases.items.find((i) => i.row.id === best)!;
    expect(hit.match.kind).toBe('reply');
    expect(hit.match.snippet.text).toBe('The giraffe mug was left at the cafe counter');
    expect(marks(hit.match.snippet)).toEqual(['giraffe', 'cafe']);
    // The other reply holds "giraffe" only: not a message matching the query, not counted.
    expect(hit.moreMatches).toBe(0);
  });

  it('on a tie is the description, with its word marked; the subject is marked with its own', async () => {
    const hit = (await run(desk.maria, 'cafe giraffe')).cases.items.find((i) => i.row.id === spread)!;
    expect(hit.match.kind).toBe('description');
    expect(marks(hit.match.snippet)).toEqual(['cafe']);
    expect(marks(hit.subject)).toEqual(['cafe']);
    expect(hit.moreMatches).toBe(0); // the reply holds "giraffe" alone
    expect((await run(desk.maria, 'cafe')).cases.items.find((i) => i.row.id === spread)!.moreMatches).toBe(0);
    expect((await run(desk.maria, 'giraffe')).cases.items.find((i) => i.row.id === spread)!.moreMatches).toBe(0);
  });

  it('among messages holding as many words is the newest; a note only for staff', async () => {
    const staff = (await run(desk.maria, 'giraffe zebra')).cases.items[0]!;
    expect(staff.row.id).toBe(spread);
    expect(staff.match.kind).toBe('note');
    expect(marks(staff.match.snippet)).toEqual(['zebra']);
    expect(staff.moreMatches).toBe(0);
    const logistics = (await run(desk.maria, 'supplier logistics giraffe')).cases.items[0]!;
    expect(logistics.match.kind).toBe('note');
    expect(marks(logistics.match.snippet)).toEqual(['supplier', 'logistics']);
    const customer = (await run(desk.chloe, 'supplier logistics giraffe')).cases.items;
    expect(customer).toEqual([]);
  });
});

describe('more matching messages', () => {
  it('counts the other messages the searcher may see that hold every searched word themselves', async () => {
    // Staff: the note is the newest with both words; the two replies with both are more; the
    // reply with "badger" alone and the request with "otter" alone are not.
    const staff = (await run(desk.maria, 'otter badger')).cases.items.find((i) => i.row.id === otters)!;
    expect(staff.match.kind).toBe('note');
    expect(staff.moreMatches).toBe(2);
    // The customer: the newest public reply with both is shown, one more; the note is not counted.
    const customer = (await run(desk.chloe, 'otter badger')).cases.items.find((i) => i.row.id === otters)!;
    expect(customer.match.snippet.text).toBe('The otter met the badger again');
    expect(customer.moreMatches).toBe(1);
    // A phrase must be in the message as a phrase.
    expect((await run(desk.maria, '"otter met" badger')).cases.items.find((i) => i.row.id === otters)!.moreMatches).toBe(0);
    // One word: every other message with it (the note shown and three replies; the request
    // shown and two replies and the note).
    expect((await run(desk.maria, 'badger')).cases.items.find((i) => i.row.id === otters)!.moreMatches).toBe(3);
    expect((await run(desk.maria, 'otter')).cases.items.find((i) => i.row.id === otters)!.moreMatches).toBe(3);
  });

  it('the page says what is counted', async () => {
    const html = await (await signedIn(desk.h, desk.maria).get('/search?q=otter+badger')).text();
    expect(html).toContain('2 more messages with all the searched words');
    const one = await (await signedIn(desk.h, desk.chloe).get('/search?q=otter+badger')).text();
    expect(one).toContain('1 more message with all the searched words');
  });
});

describe('pages', () => {
  it('continue case by case to the end, whatever the page size and the scan budget', async () => {
    const expected = [...spreadOut].reverse();
    for (const [limit, budget] of [[1, 1], [3, 5], [2, 3000], [20, 2]] as const) {
      {
        const seen: number[] = [];
        let cursor: string | null = null;
        let rounds = 0;
        do {
          const page: SearchResult = await run(desk.maria, 'koala lemur', { cursor, limit, budget });
          expect(page.cases.items.length).toBeLessThanOrEqual(limit);
          seen.push(...page.cases.items.map((i) => i.row.id));
          cursor = page.cases.nextCursor;
          expect(++rounds).toBeLessThan(100);
        } while (cursor);
        expect(seen, `limit ${limit}, budget ${budget}`).toEqual(expected);
      }
    }
  });

  it('a lone word: a case cut by a chunk is still whole, on one page', async () => {
    // "answer" is in the first and the last reply of each: one shown, one more.
    const expected = [...spreadOut].reverse();
    for (const [limit, budget] of [[2, 1], [3, 2], [20, 3000]] as const) {
      const hits: { id: number; more: number; text: string }[] = [];
      let cursor: string | null = null;
      do {
        const page: SearchResult = await run(desk.maria, 'answer', { cursor, limit, budget });
        hits.push(...page.cases.items.map((i) => ({ id: i.row.id, more: i.moreMatches, text: i.match.snippet.text })));
        cursor = page.cases.nextCursor;
      } while (cursor);
      expect(hits.map((h) => h.id), `limit ${limit}, budget ${budget}`).toEqual(expected);
      expect(hits.every((h) => h.more === 1 && h.text === 'last answer')).toBe(true);
    }
  });
});
