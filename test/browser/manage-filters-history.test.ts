/**
 * The manager console's filter forms on Back and Forward in Chromium: the fields show what the
 * address asks for, under the list the address shows (`data-url-fields`, public/app.js), for the
 * forms sent by htmx (the reports' period, the mail log, the customers) and for the plain GET
 * forms (the problem library, the audit log). Before, the page put back showed its fields as they
 * were when it was left: the later filter over the earlier filter's list.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { holdRequests, signIn, useBrowserSuite, type Server } from './support.js';

const PASSWORD = 'browser test password';

async function api(server: Server, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await server.api(method, path, body);
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return (await res.json()) as Record<string, unknown>;
}

const suite = useBrowserSuite(
  [
    { email: 'maria@casebook.test', name: 'Maria Manager', role: 'manager', password: PASSWORD },
    { email: 'adam@casebook.test', name: 'Adam Admin', role: 'admin', password: PASSWORD },
    { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', password: PASSWORD, queues: ['general', 'billing'] },
    { email: 'chloe@example.com', name: 'Chloe Carter', role: 'customer', password: PASSWORD },
  ],
  async (server) => {
    const created = await api(server, 'POST', '/api/v1/cases', { customer: { email: 'chloe@example.com' }, subject: 'Invoice question', description: 'Where is my invoice?' });
    await api(server, 'POST', `/api/v1/cases/${String(created.id)}/transitions`, { transition: 'resolve', solution: 'Explained.' });
  },
);

async function managerPage(email = 'maria@casebook.test'): Promise<Page> {
  const page = await suite.newPage({ width: 1280, height: 900 });
  page.setDefaultTimeout(15_000);
  await signIn(page, suite.server, email, PASSWORD);
  return page;
}

/** The values of the named fields, as the page shows them now. */
function fields(page: Page, ids: string[]): Promise<Record<string, string | boolean>> {
  return page.evaluate(
    (list) =>
      Object.fromEntries(
        list.map((id) => {
          const field = document.getElementById(id) as HTMLInputElement | HTMLSelectElement;
          return [id, field instanceof HTMLInputElement && field.type === 'checkbox' ? field.checked : field.value];
        }),
      ),
    ids,
  );
}

describe('console filters on Back and Forward', () => {
  it('reports: the period form shows the period whose numbers are shown', async () => {
    const page = await managerPage();
    await page.goto(`${suite.server.url}/manage/reports`);
    await page.locator('#kpi-processing').waitFor();
    const ids = ['period-from', 'period-to', 'period-queue', 'period-tz'];
    const bare = await fields(page, ids);
    expect(bare['period-queue']).toBe('');

    await page.getByLabel('Queue').selectOption('billing');
    await Promise.all([page.waitForURL(/queue=billing/), page.locator('#period-apply').click()]);
    await page.getByText(/queue Billing\./).waitFor();
    const billing = await fields(page, ids);

    await page.getByLabel('Queue').selectOption('general');
    await page.getByLabel('From').fill('2026-01-01');
    await Promise.all([page.waitForURL(/queue=general/), page.locator('#period-apply').click()]);
    await page.getByText(/^2026-01-01 to .*queue General\./).waitFor();

    await page.goBack();
    await page.waitForURL(/queue=billing/);
    await page.getByText(/queue Billing\./).waitFor();
    // Before: General and 2026-01-01 over Billing's numbers.
    await expect.poll(() => fields(page, ids)).toEqual(billing);

    await page.goBack();
    await page.waitForURL(/\/manage\/reports$/);
    await page.getByText(/all queues\./).waitFor();
    await expect.poll(() => fields(page, ids)).toEqual(bare);

    await page.goForward();
    await page.waitForURL(/queue=billing/);
    await expect.poll(() => fields(page, ids)).toEqual(billing);

    // A queue chosen but not shown, then a drill-down opened: Back shows Billing's numbers under Billing.
    await page.getByLabel('Queue').selectOption('general');
    await Promise.all([page.waitForURL(/\/manage\/reports\/drill\?/), page.locator('#kpi-processing').getByRole('link').click()]);
    await page.goBack();
    await page.waitForURL(/queue=billing/);
    await page.getByText(/queue Billing\./).waitFor();
    await expect.poll(() => fields(page, ids)).toEqual(billing);
    expect(suite.problems()).toEqual([]);
  });

  it('mail log: the filters show what the listed mail was filtered by', async () => {
    const page = await managerPage('adam@casebook.test');
    await page.goto(`${suite.server.url}/manage/channels`);
    const ids = ['mail-log-outcome', 'mail-log-via'];
    await Promise.all([page.waitForURL(/outcome=ignored/), page.locator('#mail-log-outcome').selectOption('ignored')]);
    await Promise.all([page.waitForURL(/via=smtp/), page.locator('#mail-log-via').selectOption('smtp')]);

    await page.goBack();
    await page.waitForURL((url) => url.searchParams.get('via') === '');
    await expect.poll(() => fields(page, ids)).toEqual({ 'mail-log-outcome': 'ignored', 'mail-log-via': '' });
    await page.goBack();
    await page.waitForURL(/\/manage\/channels$/);
    await expect.poll(() => fields(page, ids)).toEqual({ 'mail-log-outcome': '', 'mail-log-via': '' });
    await page.goForward();
    await page.waitForURL(/outcome=ignored/);
    await expect.poll(() => fields(page, ids)).toEqual({ 'mail-log-outcome': 'ignored', 'mail-log-via': '' });
    expect(suite.problems()).toEqual([]);
  });

  it('customers: the search box and Churned only follow the address', async () => {
    const page = await managerPage();
    await page.goto(`${suite.server.url}/manage/team/customers`);
    const ids = ['customer-search', 'customer-churned'];
    await Promise.all([page.waitForURL(/q=chlo/), page.getByLabel('Name, email or organization').fill('chlo')]);
    await page.locator('#customers-table').getByText('Chloe Carter').waitFor();
    await Promise.all([page.waitForURL(/churned=1/), page.locator('#customer-churned').check()]);

    await page.goBack();
    await page.waitForURL((url) => url.searchParams.get('q') === 'chlo' && !url.searchParams.has('churned'));
    // Before: Churned only still ticked over every customer matching "chlo".
    await expect.poll(() => fields(page, ids)).toEqual({ 'customer-search': 'chlo', 'customer-churned': false });
    await page.goForward();
    await page.waitForURL(/churned=1/);
    await expect.poll(() => fields(page, ids)).toEqual({ 'customer-search': 'chlo', 'customer-churned': true });
    expect(suite.problems()).toEqual([]);
  });

  it('problem library and audit log (plain forms): the page put back shows its own filters', async () => {
    const page = await managerPage();
    await page.goto(`${suite.server.url}/manage/team/problems?q=invoice`);
    await page.getByLabel('Search titles, symptoms and synonyms').fill('printer');
    await Promise.all([page.waitForURL(/q=printer/), page.locator('#problem-search-button').click()]);
    await page.goBack();
    await page.waitForURL(/q=invoice/);
    await expect.poll(() => fields(page, ['problem-search'])).toEqual({ 'problem-search': 'invoice' });

    await page.goto(`${suite.server.url}/manage/audit?entity=staff`);
    await page.locator('#audit-entity').selectOption('queue');
    await page.locator('#audit-actor').fill('system');
    await Promise.all([page.waitForURL(/entity=queue/), page.locator('#audit-filter').click()]);
    await page.goBack();
    await page.waitForURL(/entity=staff/);
    await expect.poll(() => fields(page, ['audit-entity', 'audit-actor'])).toEqual({ 'audit-entity': 'staff', 'audit-actor': '' });
    await page.goForward();
    await page.waitForURL(/entity=queue/);
    await expect.poll(() => fields(page, ['audit-entity', 'audit-actor'])).toEqual({ 'audit-entity': 'queue', 'audit-actor': 'system' });
    expect(suite.problems()).toEqual([]);
  });
});

describe('a console form drawn again by its own answer', () => {
  it('reports: a queue and a date changed while Show’s answer is on its way stay as changed', async () => {
    const page = await managerPage();
    await page.goto(`${suite.server.url}/manage/reports`);
    await page.locator('#kpi-processing').waitFor();
    const { release } = await holdRequests(page, /\/manage\/reports\?/);
    await page.getByLabel('Queue').selectOption('billing');
    const sent = page.waitForRequest(/\/manage\/reports\?.*queue=billing/);
    await page.locator('#period-apply').click({ delay: 150 });
    await sent;
    // The manager goes on: another queue and a first day, not shown yet.
    await page.getByLabel('Queue').selectOption('general');
    await page.getByLabel('From').fill('2026-01-01');
    release();
    await page.getByText(/queue Billing\./).waitFor();
    // Before, the form came back as sent: Billing and the 30 days' first day, the changes gone unseen.
    expect(await fields(page, ['period-queue', 'period-from'])).toEqual({ 'period-queue': 'general', 'period-from': '2026-01-01' });
    await page.unroute(/\/manage\/reports\?/);
    await Promise.all([page.waitForURL(/queue=general/), page.locator('#period-apply').click()]);
    await page.getByText(/^2026-01-01 to .*queue General\./).waitFor();
    expect(suite.problems()).toEqual([]);
  });
});
