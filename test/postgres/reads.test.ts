/**
 * The reads lane on PostgreSQL (docs/postgres.md "Converted: reads"): a desk seeded on SQLite
 * with the existing commands, every request asked there first, then the file copied into
 * PostgreSQL (moveToPostgres) and the same requests asked again through HTTP — the answers must
 * match. Anything still reading `services.db` would answer from the SQLite file, so a case
 * added after the move (on PostgreSQL only) must show up too.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN } from '../support/harness.js';
import { moveToPostgres, type Moved } from '../support/on-postgres.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';
import { createProblem } from '../../src/team/problems.js';
import { staffPrincipal } from '../../src/auth/principal.js';
import { saveInboxView } from '../../src/cases/inbox-views.js';
import { diagnose, diagnoseOn, type Diagnosis } from '../../src/diagnosis/search-problems.js';
import { signedIn, type PageClient } from '../support/pages.js';
import { addMessage, createDesk, type Desk } from '../search/support.js';

let cluster: PostgresCluster;
let desk: Desk;
let moved: Moved;
let refund: number;
let missing: number;
let tagged: number;

/** The requests compared on both databases: [who, url]. */
type Ask = [who: 'maria' | 'alice' | 'bob' | 'chloe' | 'sam', url: string];

const SEARCHES: Ask[] = [
  ['maria', '/api/v1/search?q=refund'],
  ['maria', '/api/v1/search?q=chargeback'],
  ['maria', '/api/v1/search?q=%22charged%20twice%22%20-march'],
  ['maria', '/api/v1/search?q=status:new'],
  ['maria', '/api/v1/search?q=refund%20tag:vip'],
  ['maria', '/api/v1/search?q=customer:%40example.org'],
  ['maria', '/api/v1/search?q=refund%20customer:chloe'],
  ['maria', '/api/v1/search?q=printer%20assignee:none'],
  ['maria', '/api/v1/search?q=refund&limit=1'],
  ['maria', '/api/v1/search?q=chloe'],
  ['maria', '/api/v1/search?q=toner'],
  ['alice', '/api/v1/search?q=refund'],
  ['alice', '/api/v1/search?q=sam'],
  ['bob', '/api/v1/search?q=refund%20queue:billing'],
  ['chloe', '/api/v1/search?q=refund'],
  ['chloe', '/api/v1/search?q=chargeback'],
  ['sam', '/api/v1/search?q=7781'],
  ['maria', '/api/v1/search?q=invoice%20queue:nowhere'],
  ['chloe', '/api/v1/search?q=refund%20status:open'],
];

/** The case read models through the API (filled in once the cases exist). */
const CASE_READS: Ask[] = [];

/** API tokens and page sessions, made on SQLite before the move (the copy takes them along). */
const tokens = new Map<string, string>();
const pages = new Map<string, PageClient>();

async function ask([who, url]: Ask): Promise<{ status: number; body: unknown }> {
  const res = await desk.h.api('GET', url, { token: tokens.get(who)! });
  const body = (await res.json()) as Record<string, unknown>;
  // A problem's requestId differs per request.
  if ('requestId' in body) delete body.requestId;
  return { status: res.status, body };
}

/** Texts a customer types (diagnosis suggestions): plain words, inflections, accents, nothing known. */
const DIAGNOSED = ['my printer prints faint pages', 'printers offline again', 'Tönér lów on the prínter', 'nothing to see here', 'toner'];
const suggestionsUrl = (text: string) => `/portal/suggestions?subject=${encodeURIComponent(text)}&description=`;
const suggestedOnSqlite = new Map<string, string>();
const diagnosedOnSqlite = new Map<string, Diagnosis>();

/** Pages compared on both databases: [who, url, htmx]. */
type Visit = [who: 'maria' | 'alice' | 'bob' | 'chloe' | 'sam', url: string, htmx: boolean];
const PAGES: Visit[] = [
  ['maria', '/inbox?view=all', false],
  ['maria', '/inbox?view=all&tag=VIP', true],
  ['maria', '/inbox?view=queues&limit=1', true],
  ['alice', '/inbox?view=mine', false],
  ['alice', '/inbox?view=breaching', true],
  ['bob', '/inbox?view=queues', true],
  ['bob', '/inbox/counts?current=inbox:mine', true],
  ['maria', '/inbox/views?current=', true],
  ['alice', '/inbox?view=all', false],
];
const pagesOnSqlite = new Map<string, { status: number; html: string }>();

async function visit([who, url, htmx]: Visit): Promise<{ status: number; html: string }> {
  const res = await pages.get(who)!.get(url, { htmx });
  // An error page names its request's id: the one part that differs per request.
  return { status: res.status, html: (await res.text()).replace(/Request id: <code>[^<]*<\/code>/, 'Request id') };
}

const onSqlite = new Map<string, { status: number; body: unknown }>();

beforeAll(async () => {
  cluster = await startPostgres();
  desk = createDesk();
  const { chloe, sam, alice, bob } = desk;
  refund = await desk.open(chloe, 'Refund for a double charge', 'Charged twice for the March invoice.', { queue: 'billing', tags: ['VIP'] });
  await addMessage(desk.h.services, refund, { body: 'We have issued the refund.', public: true }, alice);
  await addMessage(desk.h.services, refund, { body: 'Refund approved internally, chargeback risk', public: false }, alice);
  missing = await desk.open(sam, 'Refund missing', 'Still no refund for order 7781, charged twice.', { queue: 'technical' });
  await addMessage(desk.h.services, missing, { body: 'Checking the 7781 refund', public: true }, bob);
  tagged = await desk.open(sam, 'Printer offline', 'The office printer is offline, toner low.', { queue: 'technical', tags: ['hardware'] });
  await createProblem(desk.h.services, { title: 'Toner empty', symptoms: 'printer prints faint pages, toner low', solution: 'Replace the toner cartridge.' }, ADMIN);
  await createProblem(desk.h.services, { title: 'Printer offline', symptoms: 'printer shows offline', solution: 'Restart the printer and the spooler.' }, ADMIN);
  for (const who of ['maria', 'alice', 'bob', 'chloe', 'sam'] as const) {
    tokens.set(who, desk.h.tokenFor(desk[who]));
    pages.set(who, signedIn(desk.h, desk[who]));
  }
  CASE_READS.push(
    ['maria', '/api/v1/cases'],
    ['maria', '/api/v1/cases?limit=1'],
    ['maria', '/api/v1/cases?queue=technical&assignee=none'],
    ['alice', '/api/v1/cases'],
    ['chloe', '/api/v1/cases'],
    ['chloe', '/api/v1/cases?queue=billing'],
    ['maria', `/api/v1/cases/C-${refund}`],
    ['alice', `/api/v1/cases/C-${refund}`],
    ['bob', `/api/v1/cases/C-${refund}`],
    ['chloe', `/api/v1/cases/C-${refund}`],
    ['sam', `/api/v1/cases/C-${refund}`],
    ['maria', `/api/v1/cases/C-${refund}/events`],
    ['chloe', `/api/v1/cases/C-${refund}/events`],
    ['sam', `/api/v1/cases/C-${missing}/events`],
    ['maria', '/api/v1/cases/C-999999'],
  );
  const first = (await ask(['maria', '/api/v1/cases?limit=1'])).body as { nextCursor: string };
  CASE_READS.push(['maria', `/api/v1/cases?limit=1&cursor=${first.nextCursor}`]);
  for (const request of [...SEARCHES, ...CASE_READS]) onSqlite.set(request.join(' '), await ask(request));
  await saveInboxView(desk.h.services, staffPrincipal(desk.h.db, desk.maria.id)!, { view: 'all', tag: 'VIP' }, { name: 'Shared VIP', shared: true });
  for (const page of PAGES) pagesOnSqlite.set(page.join(' '), await visit(page));
  for (const text of DIAGNOSED) {
    suggestedOnSqlite.set(text, await (await pages.get('chloe')!.get(suggestionsUrl(text), { htmx: true })).text());
    diagnosedOnSqlite.set(text, diagnose(desk.h.db, text, ''));
  }
  moved = await moveToPostgres(desk.h.services, desk.h.dbPath, cluster);
}, 60_000);

afterAll(async () => {
  await moved?.close();
  desk?.h.close();
  await cluster?.stop();
});

describe('search through HTTP', () => {
  it('answers every request as on SQLite', async () => {
    expect(desk.h.services.store.dialect).toBe('postgres');
    for (const request of SEARCHES) {
      const expected = onSqlite.get(request.join(' '))!;
      expect(await ask(request), request.join(' ')).toEqual(expected);
    }
    // The answers were not empty: cases, customers and the library were found.
    const staff = onSqlite.get('maria /api/v1/search?q=refund')!.body as { cases: { items: unknown[] } };
    expect(staff.cases.items).toHaveLength(2);
    expect((onSqlite.get('maria /api/v1/search?q=chloe')!.body as { customers: unknown[] }).customers).toHaveLength(1);
    expect((onSqlite.get('maria /api/v1/search?q=toner')!.body as { library: unknown[] }).library).toHaveLength(1);
    expect(onSqlite.get('maria /api/v1/search?q=invoice%20queue:nowhere')!.status).toBe(422);
    void missing;
  });

});

describe('case read models through the API', () => {
  it('list, view and timeline every case as on SQLite, for staff and customers', async () => {
    for (const request of CASE_READS) {
      const expected = onSqlite.get(request.join(' '))!;
      expect(await ask(request), request.join(' ')).toEqual(expected);
    }
    const answer = (who: string, url: string) => onSqlite.get(`${who} ${url}`)!;
    expect((answer('maria', '/api/v1/cases').body as { items: unknown[] }).items).toHaveLength(3);
    expect((answer('maria', `/api/v1/cases/C-${refund}/events`).body as { type: string }[]).map((e) => e.type)).toContain('staff.noted');
    expect(JSON.stringify(answer('chloe', `/api/v1/cases/C-${refund}/events`).body)).not.toContain('chargeback');
    expect(answer('sam', `/api/v1/cases/C-${refund}`).status).toBe(404);
    expect(answer('bob', `/api/v1/cases/C-${refund}`).status).toBe(404);
    expect(answer('chloe', '/api/v1/cases?queue=billing').status).toBe(422);
    expect(answer('maria', '/api/v1/cases/C-999999').status).toBe(404);
  });
});

describe('the inbox', () => {
  it('renders every view, filter, count and saved view as on SQLite', async () => {
    for (const page of PAGES) {
      const expected = pagesOnSqlite.get(page.join(' '))!;
      expect(await visit(page), page.join(' ')).toEqual(expected);
    }
    const all = pagesOnSqlite.get('maria /inbox?view=all false')!;
    expect(all.status).toBe(200);
    expect(all.html).toContain('Refund for a double charge');
    expect(all.html).toContain('Shared VIP');
    expect(pagesOnSqlite.get('alice /inbox?view=all false')!.status).toBe(403);
  });
});

describe('diagnosis suggestions', () => {
  it('suggest the same problems on PostgreSQL, on the portal and for the intake', async () => {
    for (const text of DIAGNOSED) {
      const res = await pages.get('chloe')!.get(suggestionsUrl(text), { htmx: true });
      expect(res.status).toBe(200);
      expect(await res.text(), text).toBe(suggestedOnSqlite.get(text));
      expect(await desk.h.services.store.query((q) => diagnoseOn(q, text, '')), text).toEqual(diagnosedOnSqlite.get(text));
    }
    expect(diagnosedOnSqlite.get('my printer prints faint pages')!.matched).toBe(true);
    expect(diagnosedOnSqlite.get('Tönér lów on the prínter')!.suggestions.length).toBeGreaterThan(0);
    expect(diagnosedOnSqlite.get('nothing to see here')!.suggestions).toEqual([]);
  });
});

describe('on PostgreSQL only (after the comparisons: these change the copy)', () => {
  it('search reads PostgreSQL, not the SQLite file: a case stored there only is found', async () => {
    const id = await desk.h.services.store.write(async (q) => {
      const { cases } = q.tables;
      const [row] = await q.db.select().from(cases).where(eq(cases.id, tagged));
      const { id: _id, ...copy } = row!;
      const [made] = await q.db.insert(cases).values({ ...copy, subject: 'Quokka printer', description: 'only on PostgreSQL' }).returning({ id: cases.id });
      return made!.id;
    });
    const found = (await ask(['maria', '/api/v1/search?q=quokka'])).body as { cases: { items: { id: string }[] } };
    expect(found.cases.items.map((i) => i.id)).toEqual([`C-${id}`]);
    const own = (await ask(['sam', '/api/v1/search?q=quokka'])).body as { cases: { items: { id: string }[] } };
    expect(own.cases.items.map((i) => i.id)).toEqual([`C-${id}`]);
    // The case reads too: the case, its (empty) timeline and the list.
    const view = await ask(['maria', `/api/v1/cases/C-${id}`]);
    expect(view.status).toBe(200);
    expect((view.body as { subject: string }).subject).toBe('Quokka printer');
    expect((await ask(['sam', `/api/v1/cases/C-${id}/events`])).body).toEqual([]);
    expect(((await ask(['sam', '/api/v1/cases'])).body as { items: { id: string }[] }).items[0]!.id).toBe(`C-${id}`);
  });

  it('lists, counts and saves on PostgreSQL, not the SQLite file', async () => {
    const before = await visit(['maria', '/inbox/counts?current=inbox:all', true]);
    await desk.h.services.store.write(async (q) => {
      const { cases } = q.tables;
      const [row] = await q.db.select().from(cases).where(eq(cases.id, refund));
      const { id: _id, ...copy } = row!;
      await q.db.insert(cases).values({ ...copy, subject: 'Wombat on PostgreSQL only', tags: ['vip'] });
    });
    const list = await visit(['maria', '/inbox?view=all&tag=vip', true]);
    expect(list.html).toContain('Wombat on PostgreSQL only');
    const after = await visit(['maria', '/inbox/counts?current=inbox:all', true]);
    expect(after.html).not.toEqual(before.html);
    const maria = pages.get('maria')!;
    expect((await maria.post('/inbox/views', { name: 'Mine on PG', view: 'mine' })).status).toBe(303);
    expect((await visit(['maria', '/inbox/views?current=', true])).html).toContain('Mine on PG');
    const sqliteViews = desk.h.db.$client.prepare("SELECT count(*) AS n FROM inbox_views WHERE name = 'Mine on PG'").get() as { n: number };
    expect(sqliteViews.n).toBe(0);
    // A name taken is refused (422, the form again), on PostgreSQL too.
    expect((await maria.post('/inbox/views', { name: 'mine on pg', view: 'mine' })).status).toBe(422);
  });

  it('follow the library on PostgreSQL: a problem added there is suggested', async () => {
    await desk.h.services.store.write(async (q) => {
      await q.db.insert(q.tables.problems).values({ title: 'Paper jam', symptoms: 'paper stuck in the tray', solution: 'Open the tray.', synonyms: '', createdAt: desk.h.clock.now(), updatedAt: desk.h.clock.now() });
    });
    const found = await desk.h.services.store.query((q) => diagnoseOn(q, 'paper stuck', ''));
    expect(found.suggestions.map((s) => s.title)).toEqual(['Paper jam']);
    expect(await (await pages.get('chloe')!.get(suggestionsUrl('paper stuck'), { htmx: true })).text()).toContain('Paper jam');
  });
});
