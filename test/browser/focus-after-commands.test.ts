/**
 * Where the keyboard focus is after a command on the case page, with htmx (the page is swapped
 * in place): on the control used when it is still there; otherwise on the nearest thing that
 * survived — the disclosure it was in (which comes back closed), the composer's own Send, the
 * Actions heading when the transition used is not offered any more — never on <body>, which
 * would send a keyboard or screen-reader user back to the top of the page. The result is
 * announced by the status message. Customers' portal the same.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible, signIn, useBrowserSuite, type Server } from './support.js';

const PASSWORD = 'browser test password';
const refs: string[] = [];

const suite = useBrowserSuite(
  [
    { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', password: PASSWORD, queues: ['general'] },
    { email: 'chloe@example.com', name: 'Chloe Carter', role: 'customer', password: PASSWORD },
  ],
  async (server: Server) => {
    for (const subject of ['Workspace rename', 'Export settings']) {
      const res = await server.api('POST', '/api/v1/cases', { customer: { email: 'chloe@example.com' }, subject, description: 'How does this work?' });
      expect(res.status).toBe(201);
      refs.push(((await res.json()) as { id: string }).id);
    }
  },
);

const focused = (page: Page) =>
  page.evaluate(() => {
    const a = document.activeElement;
    return a === null || a === document.body ? 'body' : `${a.tagName.toLowerCase()}${a.id ? `#${a.id}` : ''}: ${(a.textContent ?? '').trim()}`;
  });

/** Presses Enter on a control and waits for the status message the command answers with, and for htmx to settle. */
async function press(page: Page, selector: string, flash: string) {
  await page.locator(selector).focus();
  await page.keyboard.press('Enter');
  await page.locator('#flash').getByText(flash).waitFor();
  await settled(page);
}

/**
 * Waits until htmx has no request, swap or settle in progress. The status message is there from
 * the swap; the focus moves when htmx settles it (after its settle delay), and the command also
 * sets off a refresh of the inbox counts, swapped and settled in turn.
 */
const settled = (page: Page) => page.waitForFunction(() => document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling') === null);

describe('the focus after a command with htmx', () => {
  it('stays with the agent: the control used, its disclosure, the composer, the Actions heading', async () => {
    const page = await suite.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, suite.server, 'alice@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/cases/${refs[0]}`);

    // A reply: Send is still there.
    await page.locator('#composer-body').fill('We are looking into it.');
    await press(page, '#composer-submit', 'Reply sent.');
    expect(await focused(page)).toMatch(/^button#composer-submit/);

    // Edit case…: its form comes back inside a closed disclosure, so the focus is on the disclosure.
    await page.locator('summary', { hasText: 'Edit case' }).click();
    await page.locator('#edit-subject').fill('Workspace rename (team plan)');
    await press(page, '#edit-submit', 'Case updated');
    expect(await focused(page)).toBe('summary: Edit case…');

    // "Send and wait on customer": that button is gone once the case waits; the composer's Send is next.
    await page.locator('#composer-body').fill('Could you send us a screenshot?');
    await press(page, '#composer-then-waitOnCustomer', 'Pending customer');
    expect(await focused(page)).toMatch(/^button#composer-submit/);

    // Resolve…: the transition is not offered on a resolved case; the Actions heading takes the focus.
    await page.locator('summary', { hasText: 'Resolve' }).click();
    await page.locator('#transition-resolve-solution').fill('Rename it under Settings → Workspace.');
    await press(page, '#transition-resolve-submit', 'Resolved');
    expect(await focused(page)).toBe('h2#actions-heading: Actions');
    // Tab goes on to what the case offers now.
    await page.keyboard.press('Tab');
    expect(await focused(page)).not.toBe('body');
    await expectAccessible(page, '95-focus-after-resolve');
  });

  it('in the portal: marking a request solved leaves the focus in its panel', async () => {
    const page = await suite.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, suite.server, 'chloe@example.com', PASSWORD);
    await page.goto(`${suite.server.url}/cases/${refs[1]}`);
    const solved = page.locator('#case-actions button', { hasText: 'Mark as solved' });
    await solved.focus();
    await page.keyboard.press('Enter');
    await page.locator('#case-actions').getByText('How did we do?').waitFor();
    await settled(page);
    expect(await focused(page)).toBe('h2#actions-heading: How did we do?');
    expect(suite.problems()).toEqual([]);
  });
});
