/**
 * The Team and Reports pages of the manager console in Chromium: a manager creates a queue
 * with a hostile name (a validation error first), edits a staff member, adds a problem,
 * marks a customer churned, then reads the dashboard (charts, a drill-down) and the stored
 * SLA escalation reports. axe-core on every page (no serious or critical violations), no
 * CSP violation, hostile text inert, screenshots in test-results/screenshots/.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { expectAccessible as accessible, signIn, useBrowserSuite, type Server } from './support.js';

const PASSWORD = 'browser test password';
const HOSTILE = `Returns <script>window.__xss='queue'</script><img src=x onerror="window.__xss='img'">`;
let page: Page;

async function expectAccessible(name: string): Promise<void> {
  await accessible(page, name);
  expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss ?? null), name).toBeNull();
}

async function api(server: Server, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await server.api(method, path, body);
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return (await res.json()) as Record<string, unknown>;
}

const suite = useBrowserSuite(
  [
    { email: 'maria@casebook.test', name: 'Maria Manager', role: 'manager', password: PASSWORD },
    { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', password: PASSWORD, queues: ['general', 'billing'] },
    { email: 'chloe@example.com', name: 'Chloe <b>Carter</b>', role: 'customer', password: PASSWORD },
  ],
  async (server) => {
    // A little history: two cases answered and resolved, one still open, and a stored report.
    for (const subject of ['Invoice question', 'Display name', 'Export settings']) {
      const created = await api(server, 'POST', '/api/v1/cases', { customer: { email: 'chloe@example.com' }, subject, description: `${subject}: how does it work?` });
      if (subject === 'Export settings') continue;
      await api(server, 'POST', `/api/v1/cases/${String(created.id)}/messages`, { body: 'Here is how.', public: true });
      await api(server, 'POST', `/api/v1/cases/${String(created.id)}/transitions`, { transition: 'resolve', solution: 'Explained.' });
    }
    const now = Date.now();
    await api(server, 'POST', '/api/v1/reports', { from: new Date(now - 86_400_000).toISOString(), to: new Date(now).toISOString() });
  },
);

beforeAll(async () => {
  page = await suite.newPage({ width: 1440 });
});

describe('team and reports in the browser', () => {
  it('team: queues, staff, problem library, customers', async () => {
    await signIn(page, suite.server, 'maria@casebook.test', PASSWORD);
    await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Team' }).click();
    await page.waitForURL(/\/manage\/team$/);
    await page.getByRole('heading', { name: 'Team', exact: true }).waitFor();
    await expectAccessible('30-manage-team');

    await page.getByRole('link', { name: 'New queue' }).click();
    await page.waitForURL(/\/manage\/team\/queues\/new$/);
    await page.getByLabel('Id').fill('Returns!');
    await page.getByLabel('Name').fill(HOSTILE);
    await page.getByRole('button', { name: 'Create queue' }).click();
    await page.locator('#queue-id-error').waitFor();
    expect(await page.locator('#queue-id-error').textContent()).toContain('lower-case letters');
    await expectAccessible('31-manage-queue-error');
    await page.getByLabel('Id').fill('returns');
    await Promise.all([page.waitForURL(/\/manage\/team\/queues\/returns\?done=queue-created$/), page.getByRole('button', { name: 'Create queue' }).click()]);
    await page.getByText('Queue created.').waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Queue: ${HOSTILE}`);
    await expectAccessible('32-manage-queue');

    await page.goto(`${suite.server.url}/manage/team`);
    await page.getByRole('link', { name: 'Alice Archer' }).click();
    await page.waitForURL(/\/manage\/team\/staff\/\d+$/);
    await page.getByLabel('Capacity (open cases at once)').fill('4');
    await page.getByLabel('Skills').fill('refunds, vat');
    await page.getByLabel(/^Returns/).check();
    await Promise.all([page.waitForURL(/done=staff-saved/), page.getByRole('button', { name: 'Save' }).click()]);
    await page.getByText('Saved.').waitFor();
    expect(await page.getByLabel('Skills').inputValue()).toBe('refunds, vat');
    await expectAccessible('33-manage-staff');

    await page.goto(`${suite.server.url}/manage/team/problems/new`);
    await page.getByLabel('Title').fill('Invoice is missing');
    await page.getByLabel('Symptoms').fill('no invoice, invoice missing, cannot find invoice');
    await page.getByLabel('Solution').fill('Invoices are under Billing → Documents.');
    await Promise.all([page.waitForURL(/done=problem-created/), page.getByRole('button', { name: 'Add to the library' }).click()]);
    await page.goto(`${suite.server.url}/manage/team/problems`);
    await page.getByRole('link', { name: 'Invoice is missing' }).waitFor();
    await expectAccessible('34-manage-problems');

    await page.goto(`${suite.server.url}/manage/team/customers`);
    await page.getByLabel('Name, email or organization').fill('chlo');
    await page.locator('#customers-table').getByRole('link', { name: 'Chloe <b>Carter</b>' }).waitFor();
    await expectAccessible('35-manage-customers');
    await page.locator('#customers-table').getByRole('link', { name: 'Chloe <b>Carter</b>' }).click();
    await page.waitForURL(/\/manage\/team\/customers\/\d+$/);
    await page.getByLabel('Note (optional)').fill('Moved to a competitor');
    await Promise.all([page.waitForURL(/done=churned/), page.getByRole('button', { name: 'Mark as churned' }).click()]);
    await page.getByText('Marked as churned.').waitFor();
    await page.locator('#churn-history').getByText('Moved to a competitor').waitFor();
    await expectAccessible('36-manage-customer');
  });

  it('reports: dashboard, charts, a drill-down, stored SLA reports', async () => {
    await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Reports' }).click();
    await page.waitForURL(/\/manage\/reports$/);
    await page.locator('#svg-backlog').waitFor();
    expect(await page.locator('svg[role="img"]').count()).toBe(5);
    // Chloe joined today, inside the period: churn is measured over the customers at its start.
    expect(await page.locator('#kpi-churn .kpi-value').textContent()).toBe('–');
    expect(await page.locator('#kpi-processing').getByRole('link').textContent()).toBe('2 resolved cases');
    await page.locator('details.chart-data').first().locator('summary').click();
    // By agent: the replies came through the admin token (no agent recorded), on cases assigned to Alice.
    await page.locator('#agents-table').scrollIntoViewIfNeeded();
    expect(await page.locator('#agents-table tbody th').allTextContents()).toEqual(['Alice Archer', 'No agent']);
    expect(await page.locator('#agent-none td').first().textContent()).toBe('2');
    expect(await page.locator('#agents-table tbody tr').first().locator('td').allTextContents()).toEqual(['0', '–', '–', '–', '–', '4', '0', '100.0 %']);
    await expectAccessible('40-manage-reports');

    // The period form through htmx: the URL follows, the dashboard is replaced.
    await page.getByLabel('Queue').selectOption('billing');
    await Promise.all([page.waitForURL(/queue=billing/), page.getByRole('button', { name: 'Show' }).click()]);
    await page.getByText(/queue Billing\./).waitFor();
    expect(await page.locator('#kpi-processing').getByRole('link').textContent()).toBe('1 resolved case');

    await page.locator('#kpi-processing').getByRole('link').click();
    await page.waitForURL(/\/manage\/reports\/drill\?/);
    await page.getByRole('link', { name: /^C-\d+$/ }).first().waitFor();
    expect(await page.locator('#drill-table tbody tr').count()).toBe(1);
    await expectAccessible('41-manage-reports-drill');

    await page.goto(`${suite.server.url}/manage/reports/sla`);
    await page.getByRole('link', { name: /^Report \d+$/ }).first().click();
    await page.waitForURL(/\/manage\/reports\/sla\/\d+$/);
    await page.locator('#report-totals').waitFor();
    await expectAccessible('42-manage-sla-report');
    await page.goto(`${suite.server.url}/manage/reports/sla`);
    await expectAccessible('43-manage-sla-reports');
    expect(suite.problems()).toEqual([]);
  });
});
