/**
 * In Chromium: a customer's request matches a known problem; the portal case page offers
 * its solution; "This solved it" resolves the case in place (htmx), and "No, I still need
 * help" on another request keeps it open. Both pages pass axe-core.
 */
import { describe, expect, it } from 'vitest';
import { expectAccessible, signIn, useBrowserSuite } from './support.js';

const PASSWORD = 'browser test password';
const suite = useBrowserSuite([
  { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', password: PASSWORD, queues: ['general', 'billing'], skills: ['refunds'] },
  { email: 'chloe@example.com', name: 'Chloe Carter', role: 'customer', password: PASSWORD },
]);

async function request(subject: string, description: string) {
  const customer = await suite.newPage();
  await signIn(customer, suite.server, 'chloe@example.com', PASSWORD);
  await customer.goto(`${suite.server.url}/portal/new`);
  await customer.getByLabel('Subject').fill(subject);
  await customer.getByLabel('Describe the problem').fill(description);
  await Promise.all([customer.waitForURL(/\/cases\/C-\d+\?created=1$/), customer.getByRole('button', { name: 'Send request' }).click()]);
  return customer;
}

describe('offered solution in the browser', () => {
  it('"This solved it" resolves the case where it stands', async () => {
    const customer = await request('Charged twice', 'My card was charged twice for the March invoice.');
    const offer = customer.locator('#solution-offer');
    await offer.getByText('pending authorisation').waitFor();
    await expectAccessible(customer, '20-portal-solution-offered');
    await offer.getByRole('button', { name: 'This solved it' }).click();
    await customer.locator('#flash').getByText('your request is resolved').waitFor();
    await customer.locator('#case-header').getByText('Solved').waitFor();
    await customer.locator('#solution-offer').getByText('You told us this solved it.').waitFor();
    expect(await customer.getByRole('button', { name: 'This solved it' }).count()).toBe(0);
    await expectAccessible(customer, '21-portal-solution-accepted');
    expect(suite.problems()).toEqual([]);
  });

  it('"No, I still need help" keeps the case open', async () => {
    const customer = await request('Charged twice again', 'There is a double charge on my card.');
    await customer.locator('#solution-offer').getByRole('button', { name: 'No, I still need help' }).click();
    await customer.locator('#solution-offer').getByText('You told us you still need help').waitFor();
    await customer.locator('#case-header').getByText('In progress').waitFor();
    expect(suite.problems()).toEqual([]);
  });
});
