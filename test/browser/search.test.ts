/**
 * Search in Chromium against the real server: `/` focuses the jump box and a case reference
 * opens the case; results follow typing on the search page (htmx) with the hits marked;
 * the same works as plain forms with JavaScript off. Screenshots at 1280×800 and 390×844
 * (test-results/screenshots/search-*.png); no CSP violation, no serious accessibility problem.
 */
import { describe, expect, it } from 'vitest';
import { expectAccessible, screenshot, signIn, useBrowserSuite } from './support.js';

const PASSWORD = 'browser search password';
const cases: Record<string, string> = {};

const suite = useBrowserSuite(
  [
    { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', password: PASSWORD, queues: ['general', 'billing', 'technical'] },
    { email: 'chloe@example.com', name: 'Chloe Carter', role: 'customer', password: PASSWORD },
  ],
  async (server) => {
    const open = async (key: string, email: string, subject: string, description: string) => {
      const res = await server.api('POST', '/api/v1/cases', { customer: { email, name: email.startsWith('chloe') ? 'Chloe Carter' : 'Pat Parker', organization: 'Acme Rockets' }, subject, description });
      expect(res.status, await res.clone().text()).toBe(201);
      cases[key] = ((await res.json()) as { id: string }).id;
    };
    await open('refund', 'chloe@example.com', 'Refund for a double charge', 'My card was charged twice for the March invoice, please refund the second payment.');
    await open('export', 'pat@example.org', 'Export of invoices fails', 'The CSV export of our invoices stops after the first page.');
    await open('login', 'chloe@example.com', 'Cannot sign in after the password reset', 'The reset link expired before I could use it.');
    const reply = await server.api('POST', `/api/v1/cases/${cases.refund}/messages`, { body: 'We have issued a refund of the duplicate invoice payment.', public: true });
    expect(reply.status).toBe(201);
    const note = await server.api('POST', `/api/v1/cases/${cases.refund}/messages`, { body: 'Internal: the invoice run charged twice for 14 customers.', public: false });
    expect(note.status).toBe(201);
  },
);

const SIZES = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
] as const;

describe('search in the browser', () => {
  it('"/" focuses the jump box; a case reference opens the case', async () => {
    const page = await suite.newPage({ width: 1280, height: 800 });
    await signIn(page, suite.server, 'alice@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/inbox`);
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('jump-q');
    // The slash was a shortcut, not typed.
    expect(await page.locator('#jump-q').inputValue()).toBe('');
    await page.keyboard.type(cases.export!);
    await Promise.all([page.waitForURL(new RegExp(`/cases/${cases.export}$`)), page.keyboard.press('Enter')]);
    await page.locator('#case-header').waitFor();

    // In a field, "/" is just a character.
    await page.locator('#jump-q').fill('');
    await page.locator('#jump-q').focus();
    await page.keyboard.type('a/b');
    expect(await page.locator('#jump-q').inputValue()).toBe('a/b');
    expect(suite.problems()).toEqual([]);
  });

  for (const size of SIZES) {
    it(`results follow typing, hits marked (${size.width}×${size.height})`, async () => {
      const page = await suite.newPage(size);
      await signIn(page, suite.server, 'alice@casebook.test', PASSWORD);
      await page.goto(`${suite.server.url}/search`);
      await page.locator('#search-q').pressSequentially('invoice charged', { delay: 20 });
      const hits = page.locator('#search-hits .search-hit');
      await expect.poll(() => hits.count(), { timeout: 30_000 }).toBe(1);
      await page.waitForURL(/\/search\?q=invoice\+charged$/);
      expect(await hits.first().locator('mark').allTextContents()).toEqual(expect.arrayContaining(['invoice', 'charged']));
      // The internal note matched too: staff see it as such.
      await page.locator('#search-q').fill('');
      await page.locator('#search-q').pressSequentially('14 customers', { delay: 20 });
      await page.locator('.search-snippet-note').waitFor();
      await page.locator('#search-q').fill('');
      await page.locator('#search-q').pressSequentially('invoice', { delay: 20 });
      await expect.poll(() => hits.count(), { timeout: 30_000 }).toBe(2);
      await expectAccessible(page, `search-agent-${size.width}`);
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(size.width);

      const customer = await suite.newPage(size);
      await signIn(customer, suite.server, 'chloe@example.com', PASSWORD);
      await customer.goto(`${suite.server.url}/search?q=invoice`);
      expect(await customer.locator('#search-hits .search-hit').count()).toBe(1);
      await customer.locator('#search-q').fill('14 customers');
      await customer.locator('#search-results .empty').waitFor();
      await expectAccessible(customer, `search-portal-${size.width}`);
      expect(suite.problems()).toEqual([]);
    });
  }

  it('Back and Forward: the search box shows the search whose results are shown', async () => {
    const page = await suite.newPage({ width: 1280, height: 800 });
    await signIn(page, suite.server, 'alice@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/search`);
    const box = page.locator('#search-q');
    const hits = page.locator('#search-hits .search-hit');
    await box.fill('refund');
    await page.waitForURL(/\/search\?q=refund$/);
    await box.fill('export');
    await page.waitForURL(/\/search\?q=export$/);
    await hits.getByText('Export of invoices fails').waitFor();
    await page.goBack();
    await page.waitForURL(/\/search\?q=refund$/);
    await hits.getByText('Refund for a double charge').waitFor();
    // Before, the box was empty (as the page was first drawn) over the refund's results.
    expect(await box.inputValue()).toBe('refund');
    await page.goForward();
    await page.waitForURL(/\/search\?q=export$/);
    await hits.getByText('Export of invoices fails').waitFor();
    expect(await box.inputValue()).toBe('export');
    expect(suite.problems()).toEqual([]);
  });

  it('works as plain forms without JavaScript', async () => {
    const page = await suite.newPage({ javaScriptEnabled: false, width: 390, height: 844 });
    await signIn(page, suite.server, 'alice@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/inbox`);
    await page.locator('#jump-q').fill('refund');
    await Promise.all([page.waitForURL(/\/search\?q=refund$/), page.locator('#jump-q').press('Enter')]);
    expect(await page.locator('#search-hits .search-hit').count()).toBe(1);
    await page.locator('#search-q').fill(`${cases.login}`);
    await Promise.all([page.waitForURL(new RegExp(`/cases/${cases.login}$`)), page.getByRole('button', { name: 'Search', exact: true }).last().click()]);
    await page.goto(`${suite.server.url}/search?q=${encodeURIComponent('refund created:>nonsense')}`);
    await page.locator('#search-error').waitFor();
    await screenshot(page, 'search-no-javascript-390');
  });
});
