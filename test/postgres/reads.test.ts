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

const onSqlite = new Map<string, { status: number; body: unknown }>();

beforeAll(async () => {
  cluster = await startPostgres();
  desk = createDesk();
  const { chloe, sam, alice, bob } = desk;
  refund = await desk.open(chloe, 'Refund for a double charge', 'Charged twice for the March invoice.', { queue: 'billing', tags: ['VIP'] });
  addMessage(desk.h.services, refund, { body: 'We have issued the refund.', public: true }, alice);
  addMessage(desk.h.services, refund, { body: 'Refund approved internally, chargeback risk', public: false }, alice);
  missing = await desk.open(sam, 'Refund missing', 'Still no refund for order 7781, charged twice.', { queue: 'technical' });
  addMessage(desk.h.services, missing, { body: 'Checking the 7781 refund', public: true }, bob);
  tagged = await desk.open(sam, 'Printer offline', 'The office printer is offline, toner low.', { queue: 'technical', tags: ['hardware'] });
  createProblem(desk.h.services, { title: 'Toner empty', symptoms: 'printer prints faint pages, toner low', solution: 'Replace the toner cartridge.' }, ADMIN);
  createProblem(desk.h.services, { title: 'Printer offline', symptoms: 'printer shows offline', solution: 'Restart the printer and the spooler.' }, ADMIN);
  for (const who of ['maria', 'alice', 'bob', 'chloe', 'sam'] as const) {
    tokens.set(who, desk.h.tokenFor(desk[who]));
    pages.set(who, signedIn(desk.h, desk[who]));
  }
  for (const request of SEARCHES) onSqlite.set(request.join(' '), await ask(request));
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

  it('reads PostgreSQL, not the SQLite file: a case stored there only is found', async () => {
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

  it('follow the library on PostgreSQL: a problem added there is suggested', async () => {
    await desk.h.services.store.write(async (q) => {
      await q.db.insert(q.tables.problems).values({ title: 'Paper jam', symptoms: 'paper stuck in the tray', solution: 'Open the tray.', synonyms: '', createdAt: desk.h.clock.now(), updatedAt: desk.h.clock.now() });
    });
    const found = await desk.h.services.store.query((q) => diagnoseOn(q, 'paper stuck', ''));
    expect(found.suggestions.map((s) => s.title)).toEqual(['Paper jam']);
    expect(await (await pages.get('chloe')!.get(suggestionsUrl('paper stuck'), { htmx: true })).text()).toContain('Paper jam');
  });
});
