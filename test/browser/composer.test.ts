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

/**
 * While a form's post is on its way (a slow upload, a slow server), text typed into it would be
 * replaced by the answer: the form is read-only until then and says so (aria-busy, a "Sending…"
 * status, buttons aria-disabled), a second press sends nothing, and an error gives it back as it was.
 * The answer is held with `page.route` until the checks are done.
 */
describe('a form on its way', () => {
  async function newCase(subject: string): Promise<string> {
    const res = await suite.server.api('POST', '/api/v1/cases', { customer: { email: 'chloe@example.com' }, subject, description: 'It does not work.' });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  function hold(page: Page, url: string): { release: () => void; count: () => number } {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let posts = 0;
    void page.route(url, async (route) => {
      if (route.request().method() === 'POST') posts += 1;
      await released;
      await route.continue();
    });
    return { release, count: () => posts };
  }

  /** The form is read-only and says it is sending; typing in it and pressing its button again do nothing. */
  async function expectSending(page: Page, form: string, field: string, button: string, typed: string) {
    const status = page.locator(`${form} [role="status"].form-sending`);
    await status.getByText('Sending').waitFor();
    expect(await page.locator(form).getAttribute('aria-busy')).toBe('true');
    expect(await page.locator(field).evaluate((el) => (el as HTMLTextAreaElement).readOnly)).toBe(true);
    expect(await page.locator(button).getAttribute('aria-disabled')).toBe('true');
    await page.locator(field).click();
    await page.keyboard.type(' And this was typed while it was sending.');
    expect(await page.locator(field).inputValue()).toBe(typed);
    // The button pressed again (at a person's pace): no second post.
    const box = (await page.locator(button).boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2, { delay: 150 });
    await page.locator(field).press('Enter');
  }

  it('the composer: read-only with a Sending… status until the answer, nothing typed meanwhile is lost, one post', async () => {
    const ref = await newCase('Slow upload');
    const page = await suite.newPage({ width: 1280, height: 800 });
    await signIn(page, suite.server, 'alice@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/cases/${ref}`);
    const held = hold(page, `**/cases/${ref}/messages`);
    const text = 'The export is under Settings, Data.';
    await page.getByLabel('Message').fill(text);
    const sent = page.waitForRequest((r) => r.url().endsWith(`/cases/${ref}/messages`));
    await page.locator('#composer-submit').click({ delay: 150 });
    await sent;
    await expectSending(page, '#composer', '#composer-body', '#composer-submit', text);
    expect(await page.locator('#composer-files').isDisabled()).toBe(true);
    held.release();
    await page.locator('#flash').getByText('Reply sent.').waitFor();
    expect(held.count()).toBe(1);
    await page.locator('#case-timeline').getByText(text).waitFor();
    expect(await page.locator('#composer').getAttribute('aria-busy')).toBeNull();
    expect(await page.locator('#composer-body').evaluate((el) => (el as HTMLTextAreaElement).readOnly)).toBe(false);
    const events = (await (await suite.server.api('GET', `/api/v1/cases/${ref}/events`)).json()) as { type: string; data: { body?: string } }[];
    expect(events.filter((e) => e.type === 'staff.replied').map((e) => e.data.body)).toEqual([text]);
    expect(suite.problems()).toEqual([]);
  });

  it('the portal reply: read-only while sending; a failed send gives the form back as it was, and sending again works', async () => {
    const ref = await newCase('Invoice missing');
    const page = await suite.newPage({ width: 390, height: 844 });
    await signIn(page, suite.server, 'chloe@example.com', PASSWORD);
    await page.goto(`${suite.server.url}/cases/${ref}`);
    // First try: the connection drops while it is on its way.
    let drop!: () => void;
    const dropped = new Promise<void>((resolve) => (drop = resolve));
    await page.route(`**/cases/${ref}/messages`, async (route) => {
      await dropped;
      await route.abort('connectionreset');
    });
    const text = 'I still have not received the March invoice.';
    await page.getByLabel('Your message').fill(text);
    const sent = page.waitForRequest((r) => r.url().endsWith(`/cases/${ref}/messages`));
    await page.getByRole('button', { name: 'Send reply' }).click({ delay: 150 });
    await sent;
    await expectSending(page, '#reply-form', '#reply-body', '#reply-submit', text);
    const failed = page.evaluate(() => new Promise<void>((resolve) => document.body.addEventListener('htmx:afterRequest', () => resolve(), { once: true })));
    drop();
    await failed;
    expect(await page.locator('#reply-form').getAttribute('aria-busy')).toBeNull();
    expect(await page.locator('#reply-form .form-sending').count()).toBe(0);
    expect(await page.locator('#reply-submit').getAttribute('aria-disabled')).toBeNull();
    expect(await page.locator('#reply-body').inputValue()).toBe(text);
    await page.locator('#reply-body').press('End');
    await page.keyboard.type(' Order 4711.');

    // Second try: held, then answered.
    await page.unroute(`**/cases/${ref}/messages`);
    const held = hold(page, `**/cases/${ref}/messages`);
    await page.getByRole('button', { name: 'Send reply' }).click({ delay: 150 });
    await expectSending(page, '#reply-form', '#reply-body', '#reply-submit', `${text} Order 4711.`);
    held.release();
    await page.locator('#case-page').getByText(`${text} Order 4711.`).waitFor();
    expect(held.count()).toBe(1);
    const events = (await (await suite.server.api('GET', `/api/v1/cases/${ref}/events`)).json()) as { type: string; data: { body?: string } }[];
    expect(events.filter((e) => e.type === 'customer.replied').map((e) => e.data.body)).toEqual([`${text} Order 4711.`]);
  });

  it('a new request in the portal: read-only while sending, then the new case', async () => {
    const page = await suite.newPage({ width: 1280, height: 800 });
    await signIn(page, suite.server, 'chloe@example.com', PASSWORD);
    await page.goto(`${suite.server.url}/portal/new`);
    const held = hold(page, '**/portal/cases');
    await page.getByLabel('Subject').fill('Calendar sync stopped');
    const text = 'Since Monday nothing syncs.';
    await page.getByLabel('Describe the problem').fill(text);
    const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/portal/cases'));
    await page.getByRole('button', { name: 'Send request' }).click({ delay: 150 });
    await sent;
    await expectSending(page, '#new-request-form', '#request-description', '#request-submit', text);
    expect(await page.locator('#request-subject').evaluate((el) => (el as HTMLInputElement).readOnly)).toBe(true);
    held.release();
    await page.waitForURL(/\/cases\/C-\d+/);
    await page.locator('#case-page').getByText(text).waitFor();
    expect(held.count()).toBe(1);
  });
});
