/**
 * The agent workspace's composer and case edits in Chromium, at 1280×800 and 390×844:
 * the internal-note mode looks unmistakably different and stays after sending, a mention
 * is previewed and notifies, a public reply after a note asks first, "Send and wait on
 * customer" does both, "Edit case…" changes priority and tags. Then the same without
 * JavaScript. No CSP violation; axe-core on every screenshot taken with JavaScript.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible, screenshot, signIn, useBrowserSuite, type Server } from './support.js';

const PASSWORD = 'browser test password';
const refs: string[] = [];

const suite = useBrowserSuite(
  [
    { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', password: PASSWORD, queues: ['general'] },
    { email: 'bob@casebook.test', name: 'Bob Baker', role: 'agent', password: PASSWORD, queues: ['general'] },
    { email: 'chloe@example.com', name: 'Chloe Carter', role: 'customer', password: PASSWORD },
  ],
  async (server: Server) => {
    // Cases of the general queue: Alice works them all (some are assigned to Bob).
    for (const subject of ['Workspace rename', 'Export settings', 'Profile picture']) {
      const res = await server.api('POST', '/api/v1/cases', { customer: { email: 'chloe@example.com' }, subject, description: 'How does this work?' });
      expect(res.status).toBe(201);
      refs.push(((await res.json()) as { id: string }).id);
    }
  },
);

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/** `javaScript: false`: the page runs no script, so the computed style cannot be read (the banners still tell). */
async function composerLooksLike(page: Page, mode: 'note' | 'public', javaScript = true) {
  if (javaScript) {
    const border = await page.locator('#composer').evaluate((form) => getComputedStyle(form).borderTopStyle);
    expect(border).toBe(mode === 'note' ? 'dashed' : 'solid');
  }
  await expect(page.locator('#composer .mode-banner-note').isVisible()).resolves.toBe(mode === 'note');
  await expect(page.locator('#composer .mode-banner-public').isVisible()).resolves.toBe(mode === 'public');
  // Resolving needs a reply the customer sees: not offered for a note.
  await expect(page.locator('#composer-then-resolve').isVisible()).resolves.toBe(mode === 'public');
}

/** No horizontal scrolling at this width. */
async function fitsTheScreen(page: Page) {
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(scroll).toBeLessThanOrEqual(client);
}

describe('the composer with htmx', () => {
  for (const [i, viewport] of VIEWPORTS.entries()) {
    it(`notes, mentions, the confirmation, send and set status, edits (${viewport.width}×${viewport.height})`, async () => {
      const ref = refs[i]!;
      const page = await suite.newPage({ width: viewport.width, height: viewport.height });
      page.setDefaultTimeout(15_000);
      await signIn(page, suite.server, 'alice@casebook.test', PASSWORD);
      await page.goto(`${suite.server.url}/cases/${ref}`);
      await composerLooksLike(page, 'public');
      await expect(page.getByRole('button', { name: 'Send and wait on customer' }).isVisible()).resolves.toBe(true);
      await fitsTheScreen(page);
      await expectAccessible(page, `70-composer-reply-${viewport.name}`);

      // Internal note: another look, a mention previewed while typing.
      await page.locator('label[for="composer-visibility-internal"]').click();
      await composerLooksLike(page, 'note');
      await page.getByLabel('Message').fill('@bob can you check the export job?');
      await page.locator('#composer-mentions').getByText('Will notify: Bob Baker').waitFor();
      await fitsTheScreen(page);
      await expectAccessible(page, `71-composer-note-${viewport.name}`);
      await page.getByRole('button', { name: 'Add note', exact: true }).click();
      await page.locator('#flash').getByText('Internal note added. Notified: Bob Baker.').waitFor();
      await page.locator('#case-timeline').getByText('Alice Archer mentioned Bob Baker in a note').waitFor();
      // Still a note after sending, the text cleared.
      await composerLooksLike(page, 'note');
      await expect(page.getByLabel('Message').inputValue()).resolves.toBe('');

      // A public reply right after the note: asked first.
      await page.locator('label[for="composer-visibility-public"]').click();
      await composerLooksLike(page, 'public');
      await page.getByLabel('Message').fill('Which plan are you on?');
      await page.getByRole('button', { name: 'Send and wait on customer' }).click();
      await page.locator('#composer-confirm').getByText('Your last entry was an internal note. Send this reply to the customer?').waitFor();
      await fitsTheScreen(page);
      await expectAccessible(page, `72-composer-confirm-${viewport.name}`);
      await page.getByRole('button', { name: 'Yes, send it to the customer and wait on customer' }).click();
      await page.locator('#flash').getByText('Reply sent. The case is now Pending customer.').waitFor();
      await page.getByRole('list', { name: 'Case status' }).getByText('Pending customer').waitFor();
      // The buttons follow the new state.
      await page.getByRole('button', { name: 'Send and resume work' }).waitFor();

      // Edit: priority and tags (customers never see them).
      await page.locator('summary', { hasText: 'Edit case…' }).click();
      await page.getByLabel('Priority').selectOption('urgent');
      await page.getByLabel('Tags').fill('vip, export');
      await fitsTheScreen(page);
      await page.locator('#edit-submit').click();
      // The seeded case carries "after-hours" when the suite runs outside the demo's business hours, and the form's tags replace it.
      await page.locator('#flash').getByText(/^Case updated: priority normal → urgent; tags: added vip, export(; removed after-hours)?\.$/).waitFor();
      await page.locator('#case-header').getByText('urgent priority').waitFor();
      await page.locator('#case-header').getByText('#vip').waitFor();
      await fitsTheScreen(page);
      await expectAccessible(page, `73-case-edited-${viewport.name}`);
      expect(suite.problems()).toEqual([]);
    });
  }
});

describe('the composer without JavaScript', () => {
  it('the tabs, the note mode after sending and the confirmation all work as plain forms', async () => {
    const ref = refs[2]!;
    const page = await suite.newPage({ javaScriptEnabled: false, width: 1280, height: 800 });
    page.setDefaultTimeout(15_000);
    await signIn(page, suite.server, 'alice@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/cases/${ref}`);
    await page.locator('label[for="composer-visibility-internal"]').click();
    await composerLooksLike(page, 'note', false);
    await page.getByLabel('Message').fill('Checked the logs, nothing there.');
    await Promise.all([page.waitForURL(new RegExp(`/cases/${ref}\\?mode=note`)), page.getByRole('button', { name: 'Add note', exact: true }).click()]);
    await composerLooksLike(page, 'note', false);
    await page.getByText('Checked the logs, nothing there.').first().waitFor();

    await page.locator('label[for="composer-visibility-public"]').click();
    await page.getByLabel('Message').fill('Could you send a screenshot?');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByText('Your last entry was an internal note. Send this reply to the customer?').waitFor();
    await expect(page.getByLabel('Message').inputValue()).resolves.toBe('Could you send a screenshot?');
    await screenshot(page, '74-composer-confirm-no-javascript');
    await Promise.all([page.waitForURL(new RegExp(`/cases/${ref}$`)), page.getByRole('button', { name: 'Yes, send it to the customer' }).click()]);
    await page.locator('#case-timeline').getByText('Could you send a screenshot?').waitFor();

    const events = (await (await suite.server.api('GET', `/api/v1/cases/${ref}/events`)).json()) as { type: string; data: { body?: string } }[];
    expect(events.filter((e) => e.type === 'staff.noted' || e.type === 'staff.replied').map((e) => [e.type, e.data.body])).toEqual([
      ['staff.noted', 'Checked the logs, nothing there.'],
      ['staff.replied', 'Could you send a screenshot?'],
    ]);
    expect(suite.problems()).toEqual([]);
  });
});
