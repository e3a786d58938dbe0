/**
 * The inbox's pager keeps the page size chosen (`limit=`): the next and first page links,
 * the live poll, the filter form and the bulk form all carry it, so a list of 50 stays 50.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';

let h: Harness;
let chloe: TestActor;
let boss: PageClient;

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  h.agent({ name: 'Alice Archer', queues: ['general'], capacity: 50 });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe Martin' });
  boss = signedIn(h, h.agent({ name: 'Mia Manager', role: 'manager' }));
  for (let i = 0; i < 5; i++) await createCase(h.services, { subject: `Question ${i + 1} about my account`, description: 'How do I change my address?' }, chloe, { customerId: chloe.id });
});
afterEach(() => h.close());

const decode = (s: string) => s.replaceAll('&amp;', '&');
const rows = (html: string) => (html.match(/<input type="checkbox" name="cases" value="C-\d+"/g) ?? []).length;
const nextHref = (html: string) => decode(/<a href="([^"]+)"[^>]*id="next-page"/.exec(html)?.[1] ?? '');

describe('inbox pager', () => {
  it('the next page link, the first page link and the live poll keep limit=', async () => {
    const first = await (await boss.get('/inbox?view=all&limit=2')).text();
    expect(rows(first)).toBe(2);
    const next = nextHref(first);
    expect(next).toMatch(/[?&]limit=2(&|$)/);
    expect(next).toContain('cursor=');
    const second = await (await boss.get(next)).text();
    expect(rows(second)).toBe(2);
    expect(decode(/<a href="([^"]+)"[^>]*>\s*First page/.exec(second)?.[1] ?? '')).toBe('/inbox?view=all&limit=2');
    const third = await (await boss.get(nextHref(second))).text();
    expect(rows(third)).toBe(1);
    // The poll of the list asks for the same page size.
    expect(decode(/id="inbox-results"[^>]*hx-get="([^"]+)"/.exec(first)?.[1] ?? '')).toMatch(/limit=2&stamp=/);
  });

  it('the filter form offers the size chosen and the bulk form carries it', async () => {
    const html = await (await boss.get('/inbox?view=all&limit=10')).text();
    expect(html).toMatch(/<select[^>]*name="limit"[^>]*>[\s\S]*?<option value="10" selected/);
    expect(/<div id="bulk-filters"[\s\S]*?<\/div>/.exec(html)?.[0]).toContain('name="limit" value="10"');
    // A no-JavaScript bulk request that is refused comes back with the same page size.
    const back = await boss.post('/inbox/bulk', { view: 'all', limit: '2', action: 'status' });
    expect(rows(await back.text())).toBe(2);
  });

  it('the default size stays out of the URL', async () => {
    const html = await (await boss.get('/inbox?view=all&limit=25')).text();
    expect(html).not.toContain('limit=25');
    expect(html).toMatch(/<option value="25" selected/);
  });
});
