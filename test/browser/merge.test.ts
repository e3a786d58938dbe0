/**
 * In Chromium: an agent merges a customer's duplicate request into her other one from the case
 * page — "Merge into…", her other open case offered, a confirmation saying what will happen —
 * with htmx and again with JavaScript off (plain form posts, CSRF-checked). The kept case shows
 * the duplicate's words, the duplicate says where it went, and the customer's portal links there.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { expectAccessible, signIn, useBrowserSuite } from './support.js';

const PASSWORD = 'browser test password';
const suite = useBrowserSuite([
  { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', password: PASSWORD, queues: ['general', 'billing', 'technical'], skills: ['refunds'] },
  { email: 'chloe@example.com', name: 'Chloe Carter', role: 'customer', password: PASSWORD },
]);

async function request(customer: Page, subject: string, description: string): Promise<string> {
  await customer.goto(`${suite.server.url}/portal/new`);
  await customer.getByLabel('Subject').fill(subject);
  await customer.getByLabel('Describe the problem').fill(description);
  await Promise.all([customer.waitForURL(/\/cases\/C-\d+/), customer.getByRole('button', { name: 'Send request' }).click()]);
  return /\/cases\/(C-\d+)/.exec(customer.url())![1]!;
}

async function mergeFlow(javaScriptEnabled: boolean, n: number): Promise<void> {
  const customer = await suite.newPage({ javaScriptEnabled });
  await signIn(customer, suite.server, 'chloe@example.com', PASSWORD);
  const kept = await request(customer, `Card charged twice ${n}`, 'Two charges on my card this month.');
  const dup = await request(customer, `Invoice paid twice ${n}`, `The March invoice ${n} shows up twice on my statement.`);

  const agent = await suite.newPage({ javaScriptEnabled });
  await signIn(agent, suite.server, 'alice@casebook.test', PASSWORD);
  await agent.goto(`${suite.server.url}/cases/${dup}`);
  await Promise.all([agent.waitForURL(new RegExp(`/cases/${dup}/merge$`)), agent.locator('#merge-link').click()]);
  await agent.getByLabel(new RegExp(`${kept} · Card charged twice ${n}`)).check();
  await Promise.all([agent.waitForURL(new RegExp(`/cases/${dup}/merge\\?into=${kept}`)), agent.getByRole('button', { name: 'Continue' }).click()]);
  const effects = agent.locator('#merge-effects');
  await effects.getByText(`is closed, marked “Merged into ${kept}”`).waitFor();
  await effects.getByText('Nothing is sent to the customer').waitFor();
  if (javaScriptEnabled) await expectAccessible(agent, '60-merge-confirm');
  await agent.getByLabel('Note (internal, optional)').fill('Same double charge');
  await Promise.all([agent.waitForURL(new RegExp(`/cases/${kept}$`)), agent.getByRole('button', { name: `Merge ${dup} into ${kept}` }).click()]);
  // The kept case: the duplicate's request in its timeline, and a link back.
  await agent.getByText(`The March invoice ${n} shows up twice on my statement.`).first().waitFor();
  await agent.locator('#case-timeline').getByRole('link', { name: dup }).waitFor();
  // The duplicate: closed, pointing to the kept case, no merge offered any more.
  await agent.goto(`${suite.server.url}/cases/${dup}`);
  await agent.locator('#merged-notice').getByRole('link', { name: kept }).waitFor();
  expect(await agent.locator('#merge-link').count()).toBe(0);

  // The customer's portal: the duplicate says where it went, the kept case has her words.
  await customer.goto(`${suite.server.url}/cases/${dup}`);
  await customer.locator('#merged-notice').getByRole('link', { name: kept }).click();
  await customer.waitForURL(new RegExp(`/cases/${kept}$`));
  await customer.getByText(`The March invoice ${n} shows up twice on my statement.`).first().waitFor();
  expect(await customer.getByText('Same double charge').count()).toBe(0);
}

describe('merging a duplicate in the workspace', () => {
  it('with htmx: choose the customer’s other case, read what will happen, merge', async () => {
    await mergeFlow(true, 1);
    expect(suite.problems()).toEqual([]);
  });

  it('without JavaScript: the same as plain form posts', async () => {
    await mergeFlow(false, 2);
    expect(suite.problems()).toEqual([]);
  });
});
