/**
 * End to end in Chromium: a customer asks for help and sees a suggestion while typing;
 * the agent sees the case arrive in the inbox, replies; the customer sees the reply
 * without reloading; the agent resolves with a solution; the customer rates it.
 * Every main page is checked with axe-core and saved as a screenshot.
 */
import { describe, expect, it } from 'vitest';
import { expectAccessible, signIn, useBrowserSuite } from './support.js';

const PASSWORD = 'browser test password';
const suite = useBrowserSuite([
  { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', password: PASSWORD, queues: ['general', 'billing'], skills: ['refunds'] },
  { email: 'chloe@example.com', name: 'Chloe Carter', role: 'customer', password: PASSWORD },
]);
const newPage = () => suite.newPage();

describe('support flow in the browser', () => {
  it('request → suggestion → inbox → reply → customer sees it → resolve → rating', async () => {
    const agent = await newPage();
    const customer = await newPage();

    await customer.goto(`${suite.server.url}/login`);
    await expectAccessible(customer, '01-sign-in');
    await signIn(customer, suite.server, 'chloe@example.com', PASSWORD);
    expect(new URL(customer.url()).pathname).toBe('/portal');

    await signIn(agent, suite.server, 'alice@casebook.test', PASSWORD);
    expect(new URL(agent.url()).pathname).toBe('/inbox');
    await agent.getByText('No open cases here').waitFor();

    // The customer types; matching solutions appear (debounced), then submits anyway.
    await customer.getByRole('link', { name: 'New request' }).first().click();
    await customer.getByLabel('Subject').fill('Charged twice this month');
    await customer.getByLabel('Describe the problem').pressSequentially('My card was charged twice for the March invoice.', { delay: 5 });
    await customer.locator('#suggestions').getByText('Charged twice for one invoice').waitFor();
    await expectAccessible(customer, '02-new-request-with-suggestion');
    await Promise.all([customer.waitForURL(/\/cases\/C-\d+\?created=1$/), customer.getByRole('button', { name: 'Send request' }).click()]);
    const ref = (await customer.locator('#created-ref').textContent())!;
    expect(ref).toMatch(/^C-\d{4,}$/);
    await expectAccessible(customer, '03-portal-case-created');

    // The agent's inbox refreshes by itself; the case is routed to billing and assigned.
    const row = agent.locator(`#row-${ref}`);
    await row.waitFor();
    await expectAccessible(agent, '04-agent-inbox');
    await row.click();
    await agent.waitForURL(new RegExp(`/cases/${ref}$`));
    await agent.getByRole('heading', { name: 'Why is this case here?' }).waitFor();
    await expectAccessible(agent, '05-agent-case');

    // Public reply from the workspace (htmx swap, no reload).
    await agent.getByLabel('Message').fill('Sorry about that! The duplicate is a pending authorisation; it disappears within 3 days.');
    await agent.getByRole('button', { name: 'Send', exact: true }).click();
    await agent.locator('#case-timeline').getByText('The duplicate is a pending authorisation').waitFor();
    await agent.locator('#flash').getByText('Reply sent.').waitFor();

    // The customer's open case page shows the reply without reloading.
    await customer.locator('#case-timeline').getByText('The duplicate is a pending authorisation').waitFor();
    await expectAccessible(customer, '06-portal-case-with-reply');

    // The agent resolves; the workflow asks for the solution.
    await agent.locator('summary', { hasText: 'Resolve' }).click();
    await agent.getByLabel('Solution (the customer sees it)').fill('The second charge was a pending authorisation and has been released.');
    await agent.locator('#transition-resolve-submit').click();
    await agent.locator('#case-header').getByText('Resolved').waitFor();
    await expectAccessible(agent, '07-agent-case-resolved');

    // The customer sees the solution and rates the help.
    const rating = customer.locator('#rating-form');
    await rating.waitFor();
    await customer.locator('.solution').getByText('has been released').waitFor();
    await customer.getByLabel('Yes, I am satisfied').check();
    await customer.getByLabel('Comment (optional)').fill('Quick and clear, thanks!');
    await customer.getByRole('button', { name: 'Send rating' }).click();
    await customer.getByText('You rated this: satisfied').waitFor();
    await expectAccessible(customer, '08-portal-case-rated');

    await customer.goto(`${suite.server.url}/portal`);
    await customer.getByRole('link', { name: ref }).waitFor();
    await expectAccessible(customer, '09-portal-my-requests');

    const events = (await (await suite.server.api('GET', `/api/v1/cases/${ref}/events`)).json()) as { type: string; data: Record<string, unknown> }[];
    expect(events.find((e) => e.type === 'case.rated')?.data).toMatchObject({ satisfied: true, comment: 'Quick and clear, thanks!' });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['case.created', 'staff.replied', 'case.transitioned', 'case.rated']));
    expect(suite.problems()).toEqual([]);
  }, 120_000);

  it('keyboard: a skip link first, visible focus, and the sign-in form reachable by Tab', async () => {
    const page = await newPage();
    await page.goto(`${suite.server.url}/login`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to main content');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).toBe('solid');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Casebook');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).id)).toBe('login-email');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).id)).toBe('login-password');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('login-submit');
    expect(suite.problems()).toEqual([]);
  });
});
