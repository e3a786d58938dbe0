/**
 * Time zones (issue 13, item 6): every time a person is shown is in their zone with the zone
 * named, relative where it helps; the zone is set on /profile or reported once by the browser.
 */
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import { ADMIN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { setPassword, signedIn, type PageClient } from '../support/pages.js';
import { formatInstantIn } from '../../src/text/time-zones.js';
import { formatRelative, formatTime, formatTimeShort } from '../../views/time.js';

let h: Harness;
let alice: TestActor;
let chloe: TestActor;
let desk: PageClient;
let caseRef: string;

beforeAll(async () => {
  // Monday 2 March 2026, 09:00 UTC = 10:00 in Berlin (CET), 04:00 in New York (EST).
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing'], skills: ['refunds'] });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  desk = signedIn(h, alice);
  const c = await createCase(h.services, { customer: { email: 'chloe@example.com' }, subject: 'Refund please', description: 'I was charged twice, please refund the duplicate charge.', channel: 'web' }, ADMIN);
  caseRef = `C-${c.id}`;
});
afterAll(() => h.close());

const staffRow = async (id: number) => (await h.query((q) => q.db.select().from(q.tables.staff).where(eq(q.tables.staff.id, id))))[0]!;
const zoneOf = async (id: number) => (await staffRow(id)).timeZone;

describe('formatting', () => {
  it('names the zone, also across daylight saving, and says how far from now', () => {
    const winter = Date.parse('2026-12-01T13:05:00Z');
    const summer = Date.parse('2026-07-01T13:05:00Z');
    expect(formatTime(winter, 'Europe/Berlin')).toBe('1 Dec 2026, 14:05 CET');
    expect(formatTime(summer, 'Europe/Berlin')).toBe('1 Jul 2026, 15:05 CEST');
    expect(formatTime(winter, 'America/New_York')).toBe('1 Dec 2026, 08:05 EST');
    expect(formatTime(winter, 'Asia/Kolkata')).toBe('1 Dec 2026, 18:35 GMT+5:30');
    expect(formatTime(winter)).toBe('1 Dec 2026, 13:05 UTC');
    expect(formatTimeShort(winter, 'Europe/Berlin', winter - 3_600_000)).toBe('14:05 CET');
    expect(formatTimeShort(winter, 'Europe/Berlin', winter - 5 * 86_400_000)).toBe('1 Dec, 14:05 CET');
    expect(formatRelative(winter, winter - (3 * 60 + 12) * 60_000)).toBe('in 3h 12m');
    expect(formatRelative(winter, winter + 5 * 60_000)).toBe('5m ago');
    expect(formatRelative(winter, winter + 10_000)).toBe('just now');
    expect(formatRelative(winter, winter - 50 * 3_600_000)).toBe('in 2d 2h');
    // Mail text (SLA warnings): the zone by its current IANA name, also when stored by its older one.
    expect(formatInstantIn(winter, 'Asia/Calcutta')).toBe('Tue 1 Dec 2026, 18:35 (Asia/Kolkata)');
    expect(formatInstantIn(winter, 'Asia/Kathmandu')).toBe('Tue 1 Dec 2026, 18:50 (Asia/Kathmandu)');
  });
});

describe('the viewer’s zone', () => {
  it('shows UTC until a zone is set, and marks the page for the browser to report its zone', async () => {
    const html = await (await desk.get(`/cases/${caseRef}`)).text();
    expect(html).toContain('data-time-zone=""');
    expect(html).toMatch(/<time datetime="2026-03-02T09:00:00\.000Z">2 Mar 2026, 09:00 UTC<\/time>/);
  });

  it('takes the browser’s zone once, and never over a zone already set', async () => {
    const res = await desk.post('/profile/time-zone', { timeZone: 'America/New_York' }, { csrfHeader: true });
    expect(res.status).toBe(204);
    expect(await zoneOf(alice.id)).toBe('America/New_York');
    await desk.post('/profile/time-zone', { timeZone: 'Asia/Tokyo' }, { csrfHeader: true });
    expect(await zoneOf(alice.id)).toBe('America/New_York');
    expect((await desk.post('/profile/time-zone', { timeZone: 'Mars/Olympus' }, { csrfHeader: true })).status).toBe(422);
    const html = await (await desk.get(`/cases/${caseRef}`)).text();
    expect(html).toContain('data-time-zone="America/New_York"');
    expect(html).toContain('2 Mar 2026, 04:00 EST');
  });

  it('sets name and zone on /profile (without JavaScript: form post and redirect), validated against IANA names', async () => {
    const page = await (await desk.get('/profile')).text();
    expect(page).toContain('<option value="Europe/Berlin">Europe/Berlin</option>');
    expect(page).toContain('<option value="America/New_York" selected="">America/New York</option>');
    const bad = await desk.post('/profile', { name: 'Alice A.', timeZone: 'Europe/Atlantis' });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('choose a time zone from the list');
    expect(await zoneOf(alice.id)).toBe('America/New_York');
    const ok = await desk.post('/profile', { name: 'Alice A.', timeZone: 'europe/berlin' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('Location')).toBe('/profile?saved=profile');
    expect(await zoneOf(alice.id)).toBe('Europe/Berlin');
    expect((await staffRow(alice.id)).name).toBe('Alice A.');
  });

  it('shows the case page, the SLA due times and the inbox in the zone, with relative times where they help', async () => {
    h.clock.advance(5 * 60_000);
    const page = await (await desk.get(`/cases/${caseRef}`)).text();
    // The request: created 10:00 CET, five minutes ago.
    expect(page).toContain('<time datetime="2026-03-02T09:00:00.000Z">2 Mar 2026, 10:00 CET</time><span class="time-relative"> (5m ago)</span>');
    // The SLA clocks name their due time in CET (first response: 8h business time in the Berlin office → 18:00 CET is after hours: next day).
    expect(page).toMatch(/class="sla-due"> · due <time datetime="[^"]+">[^<]*CET<\/time>/);
    expect(page).not.toMatch(/\d\d:\d\d UTC/);
    const inbox = await (await desk.get('/inbox')).text();
    expect(inbox).toContain('Last activity <span class="when"><time datetime="2026-03-02T09:00:00.000Z">10:00 CET</time><span class="time-relative"> (5m ago)</span>');
    // htmx fragments too.
    const fragment = await (await desk.get(`/cases/${caseRef}`, { htmx: true })).text();
    expect(fragment).toContain('2 Mar 2026, 10:00 CET');
  });

  it('changes the password after checking the current one', async () => {
    await setPassword(h, alice, 'correct horse battery');
    const wrong = await desk.post('/profile/password', { current: 'nope', next: 'a new long password' });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain('this is not your current password');
    const short = await desk.post('/profile/password', { current: 'correct horse battery', next: 'short' });
    expect(short.status).toBe(422);
    const ok = await desk.post('/profile/password', { current: 'correct horse battery', next: 'a new long password' });
    expect(ok.status).toBe(303);
    // Still signed in with this session.
    expect((await desk.get('/profile')).status).toBe(200);
  });

  it('customers: the portal in the browser’s zone, UTC before', async () => {
    const portal = signedIn(h, chloe);
    expect(await (await portal.get('/portal')).text()).toMatch(/UTC<\/time>/);
    expect((await portal.post('/profile/time-zone', { timeZone: 'Asia/Tokyo' }, { csrfHeader: true })).status).toBe(204);
    expect((await h.query((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.id, chloe.id))))[0]!.timeZone).toBe('Asia/Tokyo');
    const html = await (await portal.get(`/cases/${caseRef}`)).text();
    expect(html).toContain('2 Mar 2026, 18:00 GMT+9');
    expect((await portal.get('/profile')).status).toBe(200);
    // A customer's own name change joins their profile's audit trail.
    expect((await portal.post('/profile', { name: 'Chloe C.', timeZone: 'Asia/Tokyo' })).status).toBe(303);
    const trail = await h.query((q) => q.db.select().from(q.tables.customerChanges).where(eq(q.tables.customerChanges.customerId, chloe.id)).orderBy(asc(q.tables.customerChanges.id)));
    expect(trail.at(-1)).toMatchObject({ via: 'edit', actorType: 'customer', changes: { name: { from: 'Chloe', to: 'Chloe C.' } } });
  });

  it('offers and stores IANA’s current names (Asia/Kolkata, not the runtime’s older Asia/Calcutta)', async () => {
    const ravi = h.agent({ name: 'Ravi', queues: ['general', 'billing'] });
    const raviDesk = signedIn(h, ravi);
    const page = await (await raviDesk.get('/profile')).text();
    for (const zone of ['Asia/Kolkata', 'Asia/Kathmandu', 'Europe/Kyiv', 'America/Argentina/Buenos_Aires']) expect(page).toContain(`<option value="${zone}">`);
    for (const old of ['Asia/Calcutta', 'Asia/Katmandu', 'Europe/Kiev']) expect(page).not.toContain(`"${old}"`);
    // A browser that reports the older name (Chrome says Asia/Calcutta) gets the current one.
    expect((await raviDesk.post('/profile/time-zone', { timeZone: 'Asia/Calcutta' }, { csrfHeader: true })).status).toBe(204);
    expect(await zoneOf(ravi.id)).toBe('Asia/Kolkata');
    expect((await raviDesk.post('/profile', { name: 'Ravi', timeZone: 'Asia/Kathmandu' })).status).toBe(303);
    expect(await zoneOf(ravi.id)).toBe('Asia/Kathmandu');
    // A zone stored earlier under its older name is selected as the current one, so saving the form keeps it.
    await h.services.store.write((q) => q.db.update(q.tables.staff).set({ timeZone: 'Asia/Calcutta' }).where(eq(q.tables.staff.id, ravi.id)));
    expect(await (await raviDesk.get('/profile')).text()).toContain('<option value="Asia/Kolkata" selected="">Asia/Kolkata</option>');
    expect(await (await raviDesk.get(`/cases/${caseRef}`)).text()).toContain('2 Mar 2026, 14:30 GMT+5:30');
  });

  it('a stored zone this runtime does not know (older time-zone data, a restored backup) shows UTC instead of breaking every page', async () => {
    const bob = h.agent({ name: 'Bob', queues: ['general', 'billing'] });
    await h.services.store.write((q) => q.db.update(q.tables.staff).set({ timeZone: 'Mars/Olympus' }).where(eq(q.tables.staff.id, bob.id)));
    const bobDesk = signedIn(h, bob);
    for (const path of ['/inbox', `/cases/${caseRef}`, '/search?q=refund']) {
      const res = await bobDesk.get(path);
      expect(res.status, path).toBe(200);
    }
    expect(await (await bobDesk.get(`/cases/${caseRef}`)).text()).toContain('2 Mar 2026, 09:00 UTC');
    const profile = await bobDesk.get('/profile');
    expect(profile.status).toBe(200);
    expect(await profile.text()).toMatch(/Now: [^<]* UTC/);
    // …where a zone the runtime knows fixes it.
    expect((await bobDesk.post('/profile', { name: 'Bob', timeZone: 'Europe/Berlin' })).status).toBe(303);
    expect(await (await bobDesk.get(`/cases/${caseRef}`)).text()).toContain('2 Mar 2026, 10:00 CET');
    const sam = h.customer({ email: 'sam@example.com', name: 'Sam' });
    await h.services.store.write((q) => q.db.update(q.tables.customers).set({ timeZone: 'Not a zone' }).where(eq(q.tables.customers.id, sam.id)));
    const samPortal = signedIn(h, sam);
    expect((await samPortal.get('/portal')).status).toBe(200);
    expect((await samPortal.get('/profile')).status).toBe(200);
  });
});
