/**
 * The pages lane on PostgreSQL (docs/postgres.md "Converted: pages"): a desk seeded on SQLite,
 * its case page read there, then the file copied into PostgreSQL (moveToPostgres) and the
 * agent's and the customer's case pages, the case commands' pages, macros, the portal, CSAT
 * links and downloads driven through HTTP. Everything is read back through the store: a page
 * or command still on `services.db` would read or write the SQLite file instead.
 */
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSAT_LINK_DAYS, csatKey, makeCsatToken } from '../../src/channels/email/csat-link.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { createMacro } from '../../src/macros/edit-macro.js';
import { createProblem } from '../../src/team/problems.js';
import { ADMIN } from '../support/harness.js';
import type { Handle } from '../../src/db/store/index.js';
import { moveToPostgres, type Moved } from '../support/on-postgres.js';
import { signedIn, type PageClient } from '../support/pages.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';
import { addMessage, createDesk, type Desk } from '../search/support.js';

let cluster: PostgresCluster;
let desk: Desk;
let moved: Moved;
let refund: number;
let printer: number;
let samsCase: number;
let resolved: number;
let macroId: number;
const clients = new Map<'maria' | 'alice' | 'bob' | 'chloe' | 'sam', PageClient>();
const onSqlite = new Map<string, { status: number; html: string }>();

const ref = (id: number) => `C-${id}`;
const page = (who: 'maria' | 'alice' | 'bob' | 'chloe' | 'sam') => clients.get(who)!;
const read = <T>(fn: (q: Handle) => Promise<T>) => desk.h.services.store.query(fn);

/** The case page as the test compares it: the CSRF token and the request's nonce are the parts that differ per session and request. */
async function casePage(who: 'maria' | 'chloe', url: string, htmx: boolean): Promise<{ status: number; html: string }> {
  const res = await page(who).get(url, { htmx });
  const html = (await res.text())
    .replaceAll(page(who).csrf, 'CSRF')
    .replace(/nonce="[^"]*"/g, 'nonce=""');
  return { status: res.status, html };
}

const COMPARED: [who: 'maria' | 'chloe', url: () => string, htmx: boolean][] = [
  ['maria', () => `/cases/${ref(refund)}`, false],
  ['maria', () => `/cases/${ref(refund)}`, true],
  ['chloe', () => `/cases/${ref(refund)}`, false],
  ['chloe', () => `/portal`, false],
  ['maria', () => `/cases/new?find=chl%20car`, true],
];

async function events(caseId: number, type: string) {
  // In the order written (PostgreSQL gives no order without ORDER BY).
  return read((q) => q.db.select().from(q.tables.caseEvents).where(and(eq(q.tables.caseEvents.caseId, caseId), eq(q.tables.caseEvents.type, type))).orderBy(asc(q.tables.caseEvents.id)));
}

async function caseRow(caseId: number) {
  const [row] = await read((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, caseId)));
  return row!;
}

/** How many rows of `table` the SQLite file holds: nothing may land there after the move. */
const sqliteCount = (table: string) => (desk.h.db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

beforeAll(async () => {
  cluster = await startPostgres();
  desk = createDesk();
  const { chloe, sam, alice, maria } = desk;
  refund = await desk.open(chloe, 'Refund for a double charge', 'Charged twice for the March invoice.', { queue: 'billing', assignee: alice.id, tags: ['VIP'] });
  await addMessage(desk.h.services, refund, { body: 'We are looking into the refund.', public: true }, alice);
  await addMessage(desk.h.services, refund, { body: 'Finance says the charge is real.', public: false }, alice);
  printer = await desk.open(chloe, 'Printer offline', 'The office printer is offline.', { queue: 'billing' });
  samsCase = await desk.open(sam, 'Where is my order', 'Order 7781 is late.', { queue: 'billing' });
  resolved = await desk.open(chloe, 'Login loop', 'The sign-in page loops.', { queue: 'billing', assignee: alice.id });
  await transitionCase(desk.h.services, resolved, { transition: 'resolve', solution: 'Cleared the stale session.' }, maria);
  await createProblem(desk.h.services, { title: 'Charged twice for one invoice', symptoms: 'charged twice, double charge, duplicate payment', solution: 'The second charge is refunded within 3 days.' }, ADMIN);
  macroId = (await createMacro(desk.h.services, { name: 'Refund sent', body: 'Hi {{customer.firstName}}, the refund is on its way.', actions: { tags: { add: ['refunded'], remove: [] } }, shared: true }, maria)).id;
  for (const who of ['maria', 'alice', 'bob', 'chloe', 'sam'] as const) clients.set(who, signedIn(desk.h, desk[who]));
  for (const [who, url, htmx] of COMPARED) onSqlite.set(`${who} ${url()} ${htmx}`, await casePage(who, url(), htmx));
  moved = await moveToPostgres(desk.h.services, desk.h.dbPath, cluster);
}, 60_000);

afterAll(async () => {
  await moved?.close();
  desk?.h.close();
  await cluster?.stop();
});

describe('the case pages on PostgreSQL', () => {
  it('render the same HTML as on SQLite (agent full page and fragment, the customer, the portal, the customer finder)', async () => {
    expect(desk.h.services.store.dialect).toBe('postgres');
    for (const [who, url, htmx] of COMPARED) {
      const before = onSqlite.get(`${who} ${url()} ${htmx}`)!;
      expect(before.status, url()).toBe(200);
      expect(await casePage(who, url(), htmx), `${who} ${url()}`).toEqual(before);
    }
    expect(onSqlite.get(`maria /cases/${ref(refund)} false`)!.html).toContain('Finance says the charge is real.');
    expect(onSqlite.get(`chloe /cases/${ref(refund)} false`)!.html).not.toContain('Finance says');
    expect(onSqlite.get(`maria /cases/new?find=chl%20car true`)!.html).toContain('Chloe Carter');
  });


  it('the portal lists a request made on PostgreSQL; another customer’s case is a 404 for chloe', async () => {
    const made = await page('chloe').post('/portal/cases', { subject: 'Invoice address wrong', description: 'Please change the invoice address.' });
    expect(made.status).toBe(303);
    const portal = await (await page('chloe').get('/portal')).text();
    expect(portal).toContain('Invoice address wrong');
    expect(portal).toContain('Refund for a double charge');
    expect(portal).not.toContain('Where is my order');
    expect((await page('chloe').get(`/cases/${ref(samsCase)}`)).status).toBe(404);
    expect((await page('sam').get(`/cases/${ref(samsCase)}`)).status).toBe(200);
    expect(sqliteCount("cases WHERE subject = 'Invoice address wrong'")).toBe(0);
  });

  it('a reply with a file, downloaded by the customer and the agent; a note with a @mention', async () => {
    const sent = await page('alice').upload(`/cases/${ref(refund)}/messages`, { body: 'The refund is approved.', visibility: 'public', confirmed: '1' }, [{ name: 'receipt.txt', type: 'text/plain', content: 'refund receipt' }]);
    expect(sent.status).toBe(303);
    const [reply] = (await events(refund, 'staff.replied')).filter((e) => e.data.body === 'The refund is approved.');
    expect(reply).toBeDefined();
    const [file] = await read((q) => q.db.select().from(q.tables.attachments).where(eq(q.tables.attachments.eventId, reply!.id)));
    expect(file?.fileName).toBe('receipt.txt');
    for (const who of ['chloe', 'alice'] as const) {
      const download = await page(who).get(`/cases/${ref(refund)}/attachments/${file!.id}`);
      expect(download.status, who).toBe(200);
      expect(await download.text()).toBe('refund receipt');
    }
    expect((await page('chloe').get(`/cases/${ref(refund)}/attachments/${file!.id + 1000}`)).status).toBe(404);
    expect((await page('sam').get(`/cases/${ref(refund)}/attachments/${file!.id}`)).status).toBe(404);

    // A note naming two colleagues: maria may see billing cases, bob may not.
    const noted = await page('alice').post(`/cases/${ref(refund)}/messages`, { body: 'Double-checked with @maria and @bob.', visibility: 'internal' });
    expect(noted.status).toBe(303);
    const [mention] = await events(refund, 'staff.mentioned');
    expect(mention?.data).toMatchObject({ mentioned: [{ id: desk.maria.id, name: 'Maria Moreau' }], notNotified: [{ id: desk.bob.id, name: 'Bob Baker' }] });
    const preview = await page('alice').post(`/cases/${ref(refund)}/mentions`, { body: '@maria @bob', visibility: 'internal' }, { htmx: true });
    expect(await preview.text()).toContain('Maria Moreau');
    expect(sqliteCount('attachments')).toBe(0);
  });

  it('holds a public reply after a note and a reply from a stale view, listing what changed', async () => {
    const asked = await page('alice').post(`/cases/${ref(refund)}/messages`, { body: 'Anything else?', visibility: 'public' }, { htmx: true });
    expect(asked.status).toBe(200);
    expect(await asked.text()).toMatch(/internal note/i);
    const [first] = await events(refund, 'customer.replied');
    const seen = String(first?.id ?? 0);
    const stale = await page('maria').post(`/cases/${ref(refund)}/messages`, { body: 'Late answer', visibility: 'internal', seen }, { htmx: true });
    expect(stale.status).toBe(200);
    const html = await stale.text();
    expect(html).toContain('Alice Archer replied to the customer');
    expect(html).toContain('Alice Archer added an internal note');
    expect((await events(refund, 'staff.noted')).some((e) => e.data.body === 'Late answer')).toBe(false);
  });

  it('edits the case fields, and re-renders the form with the conflict for a stale version', async () => {
    const before = await caseRow(refund);
    const edited = await page('maria').post(`/cases/${ref(refund)}/edit`, { subject: 'Refund for a double charge (March)', priority: 'high', tags: 'VIP, billing', expectedVersion: String(before.version) });
    expect(edited.status).toBe(303);
    const after = await caseRow(refund);
    expect(after).toMatchObject({ subject: 'Refund for a double charge (March)', priority: 'high', tags: ['vip', 'billing'], version: before.version + 1 });
    const conflict = await page('maria').post(`/cases/${ref(refund)}/edit`, { subject: 'Something else', priority: 'low', tags: '', expectedVersion: String(before.version) }, { htmx: true });
    expect(conflict.status).toBe(422);
    const html = await conflict.text();
    expect(html).toContain('Someone else changed this case while you were editing');
    expect(html).toContain(`value="${after.version}"`);
    expect((await caseRow(refund)).subject).toBe('Refund for a double charge (March)');
  });

  it('edits the customer from the case page (managers), refuses a bad tier, and shows the profile history', async () => {
    const changed = await page('maria').post(`/cases/${ref(refund)}/customer`, { name: 'Chloe Carter-Smith', tier: 'gold', organization: 'Acme Rockets', reason: 'married' });
    expect(changed.status).toBe(303);
    const [customer] = await read((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.id, desk.chloe.id)));
    expect(customer).toMatchObject({ name: 'Chloe Carter-Smith', tier: 'gold' });
    const refused = await page('maria').post(`/cases/${ref(refund)}/customer`, { name: 'Chloe', tier: 'no spaces!' }, { htmx: true });
    expect(refused.status).toBe(422);
    const html = await (await page('maria').get(`/cases/${ref(refund)}`)).text();
    expect(html).toContain('Chloe Carter-Smith');
    expect(html).toContain('married');
  });

  it('applies a macro from the case page and in bulk, and refuses a macro that does not exist', async () => {
    const row = await caseRow(printer);
    const applied = await page('alice').post(`/cases/${ref(printer)}/macros/apply`, { appliedMacro: String(macroId), macroVersion: '1', caseVersion: String(row.version), body: 'Hi Chloe, the refund is on its way.', visibility: 'public' });
    expect(applied.status).toBe(303);
    expect((await caseRow(printer)).tags).toContain('refunded');
    const [use] = await read((q) => q.db.select().from(q.tables.macros).where(eq(q.tables.macros.id, macroId)));
    expect(use?.usageCount).toBe(1);
    const previewed = await page('alice').post(`/cases/${ref(printer)}/macros/preview`, { macro: String(macroId) }, { htmx: true });
    expect(await previewed.text()).toContain('Refund sent');

    const bulk = await page('maria').post('/inbox/bulk', [['cases', ref(printer)], ['cases', ref(samsCase)], ['cases', 'C-999999'], ['action', 'tag'], ['tag', 'bulk-pg']], { htmx: true });
    expect(bulk.status).toBe(200);
    expect(await bulk.text()).toContain('not found');
    expect((await caseRow(printer)).tags).toContain('bulk-pg');
    expect((await caseRow(samsCase)).tags).toContain('bulk-pg');
    const missing = await page('maria').post('/inbox/bulk', [['cases', ref(printer)], ['action', 'macro'], ['macro', '999999']], { htmx: true });
    expect(missing.status).toBe(422);
    expect(sqliteCount("cases WHERE tags LIKE '%bulk-pg%'")).toBe(0);
  });

  it('rates a resolved case through the mailed CSAT link', async () => {
    // As the resolved mail makes it: its expiry, CSAT_LINK_DAYS after the mail, also says when the mail was made.
    const token = makeCsatToken(await csatKey(desk.h.services), resolved, desk.chloe.id, desk.h.clock.now() + CSAT_LINK_DAYS * 86_400_000);
    const form = await page('chloe').get(`/csat/${token}?answer=yes`);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('Login loop');
    const rated = await page('chloe').post(`/csat/${token}`, { answer: 'yes', comment: 'Quick fix' });
    expect(rated.status).toBe(303);
    const [rating] = await read((q) => q.db.select().from(q.tables.caseRatings).where(eq(q.tables.caseRatings.caseId, resolved)));
    expect(rating).toMatchObject({ satisfied: true, comment: 'Quick fix', customerId: desk.chloe.id });
    expect((await events(resolved, 'case.rated'))[0]?.data).toMatchObject({ via: 'mail-link', satisfied: true });
    // Signed for another customer: not a valid link.
    const forged = makeCsatToken(await csatKey(desk.h.services), resolved, desk.sam.id, desk.h.clock.now() + CSAT_LINK_DAYS * 86_400_000);
    expect((await page('chloe').get(`/csat/${forged}`)).status).toBe(404);
    expect(sqliteCount('case_ratings')).toBe(0);
  });

  it('offers a known solution on a portal request, and the customer’s "This solved it" resolves the case', async () => {
    const made = await page('chloe').post('/portal/cases', { subject: 'Charged twice', description: 'My card was charged twice, a double charge.' });
    expect(made.status).toBe(303);
    const offered = Number(made.headers.get('Location')!.replace(/^\/cases\/C-|\?.*$/g, ''));
    expect(await (await page('chloe').get(`/cases/${ref(offered)}`)).text()).toContain('The second charge is refunded within 3 days.');
    expect((await page('chloe').post(`/cases/${ref(offered)}/offered-solution`, { answer: 'maybe' }, { htmx: true })).status).toBe(422);
    expect((await page('chloe').post(`/cases/${ref(offered)}/offered-solution`, { answer: 'solved' })).status).toBe(303);
    expect(await caseRow(offered)).toMatchObject({ status: 'resolved', solution: 'The second charge is refunded within 3 days.' });
    expect(await events(offered, 'case.solutionAccepted')).toHaveLength(1);
  });

  it('answers a customer with no offered solution, and tells an agent where a moved case went', async () => {
    const none = await page('chloe').post(`/cases/${ref(printer)}/offered-solution`, { answer: 'solved' });
    expect(none.status).toBe(409);
    const moved = await page('maria').post(`/cases/${ref(printer)}/assignment`, { queue: 'technical', reason: 'printer' });
    expect(moved.status).toBe(303);
    expect((await caseRow(printer)).queueId).toBe('technical');
    // Alice worked the billing queue: her next look goes to the inbox with the notice.
    const gone = await page('alice').get(`/cases/${ref(printer)}`);
    expect(gone.status).toBe(303);
    expect(gone.headers.get('Location')).toBe(`/inbox?moved=${ref(printer)}`);
    const inbox = await (await page('alice').get(`/inbox?moved=${ref(printer)}`)).text();
    expect(inbox).toContain('It is no longer in your queues');
  });
});
