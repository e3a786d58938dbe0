/**
 * A case whose subject, description, customer name and messages hold script tags and
 * attribute payloads renders them as inert text on every page (and in the live
 * fragments): nothing runs, no element is injected, the CSP never has to step in.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { screenshot, signIn, useBrowserSuite } from './support.js';

const PASSWORD = 'browser test password';
const NAME = `Mallory <script>window.__xss='name'</script>"><img src=x onerror="window.__xss='name-img'">`;
const SUBJECT = `<script>window.__xss='subject'</script> Help "><b onmouseover=alert(1)>me`;
const DESCRIPTION = `Text "><img src=x onerror="window.__xss='description'"> <svg onload="window.__xss='svg'"></svg> ' onfocus='window.__xss=1' autofocus x='`;
const CUSTOMER_REPLY = `<iframe src="javascript:window.__xss='iframe'"></iframe> reply`;
const AGENT_REPLY = `</textarea><script>window.__xss='agent'</script><a href="javascript:window.__xss='href'">click</a>`;

const suite = useBrowserSuite([
  { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', password: PASSWORD, queues: ['general', 'billing', 'technical'] },
  { email: 'mallory@example.com', name: NAME, role: 'customer', password: PASSWORD },
]);
const newPage = () => suite.newPage();

async function expectInert(page: Page, where: string, texts: string[]): Promise<void> {
  const state = await page.evaluate(() => ({
    xss: (window as unknown as { __xss?: unknown }).__xss ?? null,
    injected: document.querySelectorAll('main img, main svg, main iframe, main script, main b, main a[href^="javascript"]').length,
    handlers: [...document.querySelectorAll('*')].filter((el) => [...el.attributes].some((a) => a.name.startsWith('on'))).length,
    text: document.body.innerText,
  }));
  expect(state.xss, where).toBeNull();
  expect(state.injected, where).toBe(0);
  expect(state.handlers, where).toBe(0);
  for (const text of texts) expect(state.text, `${where} shows ${text}`).toContain(text);
}

describe('hostile text in the browser', () => {
  it('is inert on every page and fragment', async () => {
    const customer = await newPage();
    await signIn(customer, suite.server, 'mallory@example.com', PASSWORD);
    await expectInert(customer, 'portal (no cases)', [NAME]);

    await customer.goto(`${suite.server.url}/portal/new`);
    await customer.getByLabel('Subject').fill(SUBJECT);
    await customer.getByLabel('Describe the problem').fill(DESCRIPTION);
    await customer.locator('#suggestions').getByText('No known solution matches yet').waitFor();
    await Promise.all([customer.waitForURL(/\/cases\/C-\d+\?created=1$/), customer.getByRole('button', { name: 'Send request' }).click()]);
    const ref = (await customer.locator('#created-ref').textContent())!;
    await customer.getByLabel('Your message').fill(CUSTOMER_REPLY);
    await customer.getByRole('button', { name: 'Send reply' }).click();
    await customer.locator('#flash').getByText('Reply sent.').waitFor();
    await expectInert(customer, 'portal case after htmx reply', [SUBJECT, DESCRIPTION, CUSTOMER_REPLY]);

    const agent = await newPage();
    await signIn(agent, suite.server, 'alice@casebook.test', PASSWORD);
    await agent.goto(`${suite.server.url}/inbox`);
    await agent.locator(`#row-${ref}`).waitFor();
    await expectInert(agent, 'inbox', [SUBJECT, NAME]);
    await agent.goto(`${suite.server.url}/cases/${ref}`);
    await expectInert(agent, 'workspace case', [SUBJECT, DESCRIPTION, CUSTOMER_REPLY, NAME]);
    await agent.getByLabel('Message').fill(AGENT_REPLY);
    await agent.getByRole('button', { name: 'Send', exact: true }).click();
    await agent.locator('#flash').getByText('Reply sent.').waitFor();
    await expectInert(agent, 'workspace case after htmx reply', [AGENT_REPLY]);
    await screenshot(agent, '10-escaping-workspace-case');

    // The customer's page receives the agent's reply through the live poll (out-of-band fragment).
    await customer.locator('#case-timeline').getByText('click').waitFor();
    await expectInert(customer, 'portal case after live update', [AGENT_REPLY]);
    await screenshot(customer, '11-escaping-portal-case');
    await customer.goto(`${suite.server.url}/portal`);
    await expectInert(customer, 'portal list', [SUBJECT]);

    expect(suite.problems()).toEqual([]);
  }, 120_000);
});
