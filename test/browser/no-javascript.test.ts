/**
 * Every page works as plain links and forms: the same support flow in Chromium with
 * JavaScript switched off (no htmx), so each form is a real browser form post, checked by
 * the CSRF token and the Origin header the browser sends.
 */
import { describe, expect, it } from 'vitest';
import { screenshot, signIn, useBrowserSuite } from './support.js';

const PASSWORD = 'browser test password';
const suite = useBrowserSuite([
  { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', password: PASSWORD, queues: ['general', 'billing'], skills: ['refunds'] },
  { email: 'chloe@example.com', name: 'Chloe Carter', role: 'customer', password: PASSWORD },
]);
const newPage = () => suite.newPage({ javaScriptEnabled: false });

describe('without JavaScript', () => {
  it('request → reply → resolve → rating, all as plain form posts', async () => {
    const customer = await newPage();
    await signIn(customer, suite.server, 'chloe@example.com', PASSWORD);
    await customer.goto(`${suite.server.url}/portal/new`);
    await customer.getByLabel('Subject').fill('Charged twice this month');
    await customer.getByLabel('Describe the problem').fill('My card was charged twice for the March invoice.');
    await Promise.all([customer.waitForURL(/\/cases\/C-\d+/), customer.getByRole('button', { name: 'Send request' }).click()]);
    const ref = /\/cases\/(C-\d+)/.exec(customer.url())![1]!;

    const agent = await newPage();
    await signIn(agent, suite.server, 'alice@casebook.test', PASSWORD);
    await agent.goto(`${suite.server.url}/inbox`);
    await Promise.all([agent.waitForURL(new RegExp(`/cases/${ref}`)), agent.getByRole('link', { name: ref }).click()]);
    await agent.getByLabel('Message').fill('The duplicate is a pending authorisation.');
    await Promise.all([agent.waitForURL(new RegExp(`/cases/${ref}`)), agent.getByRole('button', { name: 'Send', exact: true }).click()]);
    await agent.getByText('The duplicate is a pending authorisation.').first().waitFor();

    await agent.locator('summary', { hasText: 'Resolve' }).click();
    await agent.getByLabel('Solution (the customer sees it)').fill('Released the pending authorisation.');
    await Promise.all([agent.waitForURL(new RegExp(`/cases/${ref}`)), agent.locator('#transition-resolve-submit').click()]);
    await agent.locator('#case-header').getByText('Resolved').waitFor();

    await customer.goto(`${suite.server.url}/cases/${ref}`);
    await customer.getByText('The duplicate is a pending authorisation.').first().waitFor();
    await customer.getByLabel('Yes, I am satisfied').check();
    await Promise.all([customer.waitForURL(new RegExp(`/cases/${ref}`)), customer.getByRole('button', { name: 'Send rating' }).click()]);
    await screenshot(customer, '50-no-javascript-rated');

    const rating = await suite.server.api('GET', `/api/v1/cases/${ref}/events`);
    const events = (await rating.json()) as { type: string }[];
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['staff.replied', 'case.transitioned', 'case.rated']));

    // Signing out is a form post too.
    await Promise.all([customer.waitForURL(/\/login/), customer.getByRole('button', { name: 'Sign out' }).click()]);
  });
});
