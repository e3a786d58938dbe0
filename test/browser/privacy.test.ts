/**
 * Privacy on the console in Chromium: the audit log page (a filter narrows it) and erasing a
 * customer from their page — a wrong typed confirmation is refused beside the field and
 * erases nothing, the right one erases and says so. axe-core on each page, screenshots in
 * test-results/screenshots/.
 */
import { describe, expect, it } from 'vitest';
import { expectAccessible, signIn, useBrowserSuite } from './support.js';

const PASSWORD = 'browser privacy password';

const suite = useBrowserSuite(
  [{ email: 'adam@casebook.test', name: 'Adam Admin', role: 'admin', password: PASSWORD }],
  async (server) => {
    const created = await server.api('POST', '/api/v1/cases', { customer: { email: 'pat.erase@example.com', name: 'Pat Erase' }, subject: 'Erase me please', description: 'All my data must go.' });
    expect(created.status).toBe(201);
    const template = await server.api('PUT', '/api/v1/templates/case-resolved/customer', { subject: 'Solved: {{case.subject}}', body: 'Hello {{customer.firstName}}, it is solved.' });
    expect(template.status).toBe(200);
  },
);

describe('privacy on the console', () => {
  it('shows the audit log, filtered', async () => {
    const page = await suite.newPage();
    await signIn(page, suite.server, 'adam@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/manage/audit`);
    expect(await page.locator('#audit-table').textContent()).toContain('template case-resolved/customer');
    await page.getByLabel('What').selectOption('template');
    await Promise.all([page.waitForURL(/entity=template/), page.locator('#audit-filter').click()]);
    const rows = page.locator('#audit-table tbody tr');
    expect(await rows.count()).toBe(1);
    await page.locator('#audit-table summary', { hasText: 'after' }).click();
    expect(await page.locator('#audit-table').textContent()).toContain('it is solved');
    await expectAccessible(page, 'privacy-audit-log');
  });

  it('erases a customer only after the typed confirmation', async () => {
    const page = await suite.newPage();
    await signIn(page, suite.server, 'adam@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/manage/team/customers?q=pat.erase`);
    await Promise.all([page.waitForURL(/\/manage\/team\/customers\/\d+$/), page.getByRole('link', { name: 'Pat Erase' }).click()]);
    expect(await page.locator('#export-customer').isVisible()).toBe(true);

    await page.locator('#erase-confirm').fill('someone@else.example');
    await page.locator('#erase-customer').click();
    expect(await page.locator('#erase-confirm-error').textContent()).toContain('type the customer’s email address exactly');
    expect(await page.locator('h1').textContent()).toContain('Pat Erase');
    await expectAccessible(page, 'privacy-erase-refused');

    await page.locator('#erase-confirm').fill('pat.erase@example.com');
    await Promise.all([page.waitForURL(/done=erased/), page.locator('#erase-customer').click()]);
    expect(await page.locator('#notice').textContent()).toContain('Erased');
    expect(await page.locator('h1').textContent()).toContain('Erased customer');
    expect(await page.locator('#erased-note').isVisible()).toBe(true);
    expect(await page.locator('body').textContent()).not.toContain('pat.erase@example.com');
    await expectAccessible(page, 'privacy-erased');
    expect(suite.problems()).toEqual([]);
  });
});
