/**
 * Issue 13 items 6–8 in Chromium, at 1280×800 and 390×844: the browser's time zone taken on
 * the first visit and every time shown in it (the profile page to change it); logging a
 * phone call for a customer found by phone number (htmx) and a walk-in without JavaScript;
 * presence (who is viewing, who is typing) and a reply from a stale view held back until
 * "Send anyway". No CSP violation; axe-core on every screenshot taken with JavaScript.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible, screenshot, signIn, useBrowserSuite, type Server } from './support.js';

const PASSWORD = 'browser test password';
const refs: string[] = [];

const suite = useBrowserSuite(
  [
    { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', password: PASSWORD, queues: ['general', 'billing'] },
    { email: 'bob@casebook.test', name: 'Bob Baker', role: 'agent', password: PASSWORD, queues: ['general', 'billing'] },
    { email: 'chloe@example.com', name: 'Chloe Carter', role: 'customer', password: PASSWORD },
  ],
  async (server: Server) => {
    for (const subject of ['Workspace rename', 'Export settings']) {
      const res = await server.api('POST', '/api/v1/cases', { customer: { email: 'chloe@example.com', phone: '+49 30 1234567' }, subject, description: 'How does this work?' });
      expect(res.status).toBe(201);
      refs.push(((await res.json()) as { id: string }).id);
    }
  },
);

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

async function fitsTheScreen(page: Page) {
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(scroll).toBeLessThanOrEqual(client);
}

describe('time zones', () => {
  it('takes the browser’s zone on the first visit and shows times in it; the profile changes it', async () => {
    const page = await suite.newPage({ width: 1280, height: 800, timezoneId: 'Europe/Berlin' });
    await signIn(page, suite.server, 'alice@casebook.test', PASSWORD);
    // The first page reports the zone; the next page shows times in it.
    await page.waitForFunction(() => document.body.dataset.timeZone === 'Europe/Berlin');
    await page.goto(`${suite.server.url}/cases/${refs[0]}`);
    await expect(page.locator('#description-heading + .event-meta time').textContent()).resolves.toMatch(/\d\d:\d\d CET$/);
    await expect(page.locator('.time-relative').first().textContent()).resolves.toMatch(/ago\)|just now\)/);
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize({ width: viewport.width, height: viewport.height });
      await page.goto(`${suite.server.url}/profile`);
      await expect(page.getByLabel('Time zone').inputValue()).resolves.toBe('Europe/Berlin');
      await fitsTheScreen(page);
      await expectAccessible(page, `90-profile-${viewport.name}`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByLabel('Time zone').selectOption('America/New_York');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('#profile-saved').getByText('Times are shown in America/New_York').waitFor();
    await page.goto(`${suite.server.url}/inbox`);
    await expect(page.locator('.cell-activity time').first().textContent()).resolves.toMatch(/E[SD]T$/);
  });
});

describe('logging a call or a visit', () => {
  for (const viewport of VIEWPORTS) {
    it(`finds the caller by phone number and logs the call (${viewport.width}×${viewport.height})`, async () => {
      const page = await suite.newPage({ width: viewport.width, height: viewport.height });
      await signIn(page, suite.server, 'alice@casebook.test', PASSWORD);
      await page.goto(`${suite.server.url}/cases/new`);
      await page.getByLabel('Find the customer').fill('+49 30 123');
      await page.locator('#customer-results').getByText('Chloe Carter').waitFor();
      await expect(page.getByRole('radio', { name: /Chloe Carter/ }).isChecked()).resolves.toBe(true);
      await page.getByLabel('Subject').fill(`Called about the invoice (${viewport.name})`);
      await page.getByLabel('Duration').fill('7:30');
      await page.getByLabel('Notes').fill('Wants to know why the invoice doubled.');
      await fitsTheScreen(page);
      await expectAccessible(page, `91-new-case-${viewport.name}`);
      await Promise.all([page.waitForURL(/\/cases\/C-\d+$/), page.getByRole('button', { name: 'Create case' }).click()]);
      await page.locator('#case-timeline').getByText('Phone call logged by Alice Archer · 7m 30s').waitFor();
      await expect(page.locator('#customer-phone-link').textContent()).resolves.toBe('+49301234567');
      await expectAccessible(page, `92-phone-case-${viewport.name}`);
    });
  }

  it('adds a walk-in customer without JavaScript', async () => {
    const page = await suite.newPage({ javaScriptEnabled: false, width: 1280, height: 800 });
    await signIn(page, suite.server, 'bob@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/cases/new?find=Walter`);
    await page.getByText('No customer matches “Walter”.').waitFor();
    await expect(page.getByLabel('Name (new customer)').inputValue()).resolves.toBe('Walter');
    // the phone field is a text box like its neighbours, not a bare browser default
    const [phone, email] = await Promise.all([page.getByLabel('Phone (new customer)').boundingBox(), page.getByLabel('Email (new customer)').boundingBox()]);
    expect(phone!.height).toBeCloseTo(email!.height, 0);
    expect(phone!.width).toBeCloseTo(email!.width, 0);
    await page.getByLabel('Phone (new customer)').fill('+44 20 7946 0958');
    await page.getByRole('radio', { name: 'Walk-in' }).check();
    await page.getByLabel('Subject').fill('Printer setup');
    await page.getByLabel('Notes').fill('Came to the desk: the printer does not pair.');
    await Promise.all([page.waitForURL(/\/cases\/C-\d+$/), page.getByRole('button', { name: 'Create case' }).click()]);
    // The visit's own entry (the first response it fulfils names it too, in that entry's detail).
    await page.locator('#case-timeline .event-text', { hasText: 'Visit logged by Bob Baker' }).waitFor();
    await screenshot(page, '93-walk-in-no-js');
  });
});

/**
 * A call logged (or a case filed for a call) is posted; while the answer is on its way the form
 * is read-only and says so, as the composer is: notes typed meanwhile would be replaced by the
 * answer (the form comes back empty, or as it was sent) and lost. The answer is held with `page.route`.
 */
describe('a call form on its way', () => {
  function hold(page: Page, url: string): { release: () => void; count: () => number } {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let posts = 0;
    void page.route(url, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      posts += 1;
      await released;
      await route.continue();
    });
    return { release, count: () => posts };
  }

  /** Read-only, saying it is sending; a click on the notes and typing change nothing, a second press sends nothing. */
  async function expectSending(page: Page, form: string, field: string, button: string, typed: string) {
    await page.locator(`${form} [role="status"].form-sending`).getByText('Sending').waitFor();
    expect(await page.locator(form).getAttribute('aria-busy')).toBe('true');
    expect(await page.locator(field).evaluate((el) => (el as HTMLTextAreaElement).readOnly)).toBe(true);
    await page.locator(field).click();
    await page.keyboard.type(' Also: send the form again.');
    expect(await page.locator(field).inputValue()).toBe(typed);
    const box = (await page.locator(button).boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2, { delay: 150 });
  }

  it('Log a call… on the case page', async () => {
    const res = await suite.server.api('POST', '/api/v1/cases', { customer: { email: 'chloe@example.com' }, subject: 'Call me back', description: 'About the renewal.' });
    const ref = ((await res.json()) as { id: string }).id;
    const page = await suite.newPage({ width: 1280, height: 800 });
    await signIn(page, suite.server, 'alice@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/cases/${ref}`);
    await page.getByText('Log a call…').click();
    const held = hold(page, `**/cases/${ref}/calls`);
    const notes = 'Renewal explained; she will pay by card.';
    await page.getByLabel('Notes (staff only)').fill(notes);
    const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/cases/${ref}/calls`));
    await page.locator('#call-submit').click({ delay: 150 });
    await sent;
    await expectSending(page, '#call-form', '#call-notes', '#call-submit', notes);
    held.release();
    await page.locator('#flash').getByText('Call logged.').waitFor();
    expect(held.count()).toBe(1);
    const events = (await (await suite.server.api('GET', `/api/v1/cases/${ref}/events`)).json()) as { type: string; data: { notes?: string } }[];
    expect(events.filter((e) => e.type === 'call.logged').map((e) => e.data.notes)).toEqual([notes]);

    // The other forms of the Actions panel alike: Resolve… with its solution.
    await page.unroute(`**/cases/${ref}/calls`);
    const resolving = hold(page, `**/cases/${ref}/transitions`);
    await page.getByText('Resolve…').click();
    const solution = 'Paid by card; the renewal is active.';
    await page.getByLabel('Solution (the customer sees it)').fill(solution);
    await page.locator('#transition-resolve-submit').click({ delay: 150 });
    await expectSending(page, '#transition-resolve', '#transition-resolve-solution', '#transition-resolve-submit', solution);
    resolving.release();
    await page.locator('#flash').getByText('Done: the case is now Resolved.').waitFor();
    expect(resolving.count()).toBe(1);
    expect(suite.problems()).toEqual([]);
  });

  it('a case for a call on /cases/new, refused and sent again', async () => {
    const page = await suite.newPage({ width: 390, height: 844 });
    await signIn(page, suite.server, 'bob@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/cases/new?find=Chloe`);
    await page.getByRole('radio', { name: /Chloe Carter/ }).check();
    const held = hold(page, '**/cases/new');
    const notes = 'Asked about the invoice.';
    await page.getByLabel('Notes').fill(notes);
    // No subject: refused (422), the form back with what was sent.
    await page.getByRole('button', { name: 'Create case' }).click({ delay: 150 });
    await expectSending(page, '#new-case-form', '#new-notes', '#new-case-submit', notes);
    held.release();
    await page.locator('#new-case-form').getByText(/Subject/).first().waitFor();
    await expect.poll(() => page.locator('#new-case-form').getAttribute('aria-busy')).toBeNull();
    expect(held.count()).toBe(1);
    expect(await page.getByLabel('Notes').inputValue()).toBe(notes);
    await page.getByLabel('Subject').fill('Invoice question');
    await Promise.all([page.waitForURL(/\/cases\/C-\d+$/), page.getByRole('button', { name: 'Create case' }).click({ delay: 150 })]);
    await page.locator('#case-timeline .event-text', { hasText: 'Phone call logged by Bob Baker' }).waitFor();
    expect(suite.problems()).toEqual([]);
  });
});

describe('collision', () => {
  it('shows who is viewing and typing, and holds back a reply from a stale view', async () => {
    const ref = refs[1]!;
    const alice = await suite.newPage({ width: 1280, height: 800 });
    const bob = await suite.newPage({ width: 390, height: 844 });
    alice.setDefaultTimeout(8_000);
    bob.setDefaultTimeout(8_000);
    await signIn(alice, suite.server, 'alice@casebook.test', PASSWORD);
    await signIn(bob, suite.server, 'bob@casebook.test', PASSWORD);
    await bob.goto(`${suite.server.url}/cases/${ref}`);
    await alice.goto(`${suite.server.url}/cases/${ref}`);
    await alice.locator('#case-presence').getByText('Bob Baker is viewing').waitFor();
    // Bob types: Alice's presence panel says so within a poll.
    const beat = bob.waitForResponse((r) => r.url().endsWith(`/cases/${ref}/presence`));
    await bob.getByLabel('Message').pressSequentially('Checking the export job', { delay: 5 });
    await beat;
    // Alice's panel asks now instead of at its next poll.
    await alice.evaluate(() => document.body.dispatchEvent(new CustomEvent('composer-typing')));
    await alice.locator('#case-presence').getByText('Bob Baker is typing…').waitFor();
    await expectAccessible(alice, '94-presence-desktop');
    await bob.evaluate(() => document.body.dispatchEvent(new CustomEvent('composer-typing')));
    await bob.locator('#case-presence').getByText('Alice Archer is viewing').waitFor();
    await expectAccessible(bob, '94-presence-phone');

    // Bob sends a note; Alice, who has not reloaded, replies from her older view before her poll brings it.
    await alice.evaluate(() => document.getElementById('case-poll')?.remove());
    await bob.getByRole('button', { name: 'Send', exact: true }).click();
    await bob.locator('#flash').getByText(/Reply sent/).waitFor();
    await alice.getByLabel('Message').fill('We are on it.');
    await alice.getByRole('button', { name: 'Send', exact: true }).click();
    const warning = alice.locator('#composer-stale');
    await warning.getByText('Bob Baker replied to the customer').waitFor();
    await expect(alice.getByLabel('Message').inputValue()).resolves.toBe('We are on it.');
    await alice.locator('#case-timeline').getByText('Checking the export job').waitFor();
    await expectAccessible(alice, '95-stale-reply-desktop');
    await alice.getByRole('button', { name: 'Send anyway' }).click();
    await alice.locator('#flash').getByText(/Reply sent/).waitFor();
    await alice.locator('#case-timeline').getByText('We are on it.').waitFor();
    expect(suite.problems()).toEqual([]);
  });
});
