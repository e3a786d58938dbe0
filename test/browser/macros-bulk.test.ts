/**
 * Macros, bulk actions and saved views in Chromium, at 1280×800 and 390×844: an agent writes
 * a macro, types `#` in a case's reply box, picks the macro from the list with the keyboard,
 * sees the reply inserted where the cursor was and what sending will change, and sends; in
 * the inbox they select every case, set a status (one case cannot take it: the summary says
 * why) and save the filters as a view. Without JavaScript the same forms work. axe-core on
 * every screen, no CSP violation, screenshots under test-results/screenshots/.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible, holdRequests, screenshot, signIn, useBrowserSuite, type Server } from './support.js';

const PASSWORD = 'browser test password';
const refs: string[] = [];
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

async function user(server: Server, body: Record<string, unknown>): Promise<void> {
  const res = await server.api('POST', '/api/v1/users', { password: PASSWORD, ...body });
  expect(res.status, await res.clone().text()).toBe(201);
}

const suite = useBrowserSuite([], async (server) => {
  await user(server, { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', queues: ['general'], capacity: 20 });
  await user(server, { email: 'mia@casebook.test', name: 'Mia Moss', role: 'manager', queues: [] });
  for (const subject of ['Workspace rename', 'Profile picture', 'Export settings', 'Notification emails']) {
    const res = await server.api('POST', '/api/v1/cases', { customer: { email: 'chloe@example.com', name: 'Chloe Martin' }, subject, description: 'How does this work?' });
    expect(res.status).toBe(201);
    refs.push(((await res.json()) as { id: string }).id);
  }
  // A shared macro (the admin token keeps shared ones only).
  const shared = await server.api('POST', '/api/v1/macros', { name: 'Thanks for waiting', body: 'Thank you for your patience, {{customer.firstName}}.', shared: true });
  expect(shared.status, await shared.clone().text()).toBe(201);
});

async function agentPage(size: { width: number; height: number }, javaScriptEnabled = true): Promise<Page> {
  const page = await suite.newPage({ ...size, javaScriptEnabled });
  page.setDefaultTimeout(10_000);
  await signIn(page, suite.server, 'alice@casebook.test', PASSWORD);
  return page;
}

describe('macros in the browser', () => {
  it('writes a macro, picks it with # in the reply box, and sends with it', async () => {
    const page = await agentPage(DESKTOP);
    await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Macros' }).click();
    await page.waitForURL(/\/macros$/);
    await page.locator('#new-macro').click();
    await page.getByLabel('Name').fill('Waiting on you');
    const body = page.getByLabel('Reply', { exact: true });
    await body.fill('Hi {{customer.age}}');
    await page.locator('#macro-preview').getByText('unknown variable {{customer.age}}').waitFor();
    await body.fill('Hi {{customer.firstName}}, could you send us a screenshot?\n— {{agent.firstName}}');
    await page.getByLabel('Status').selectOption({ label: 'Wait on customer' });
    await page.getByLabel('Add tags').fill('needs-info');
    await expect.poll(() => page.locator('#macro-preview-text').textContent()).toBe('Hi Chloe, could you send us a screenshot?\n— Alice');
    await page.locator('#macro-preview-changes').getByText('Status: Wait on customer').waitFor();
    await expectAccessible(page, '70-macro-editor-1280');
    await Promise.all([page.waitForURL(/done=created/), page.locator('#macro-save').click()]);

    await page.goto(`${suite.server.url}/cases/${refs[0]}`);
    const reply = page.locator('#composer-body');
    const list = page.getByRole('listbox', { name: 'Macros' });
    await reply.click();
    // "#" inside a word is text; at the start of a word it opens the list; Escape closes it.
    await page.keyboard.type('Order#12 #zz');
    await list.getByText('No macro matches “zz”').waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => list.count()).toBe(0);
    await reply.fill('');
    await page.keyboard.type('Thanks for the details. #wai');
    await list.getByRole('option', { name: 'Waiting on you' }).waitFor();
    expect(await reply.getAttribute('aria-activedescendant')).toBe('macro-suggest-0');
    await page.keyboard.press('ArrowDown');
    expect(await reply.getAttribute('aria-activedescendant')).toBe('macro-suggest-1');
    await page.keyboard.press('ArrowUp');
    await screenshot(page, '71-macro-hash-picker-1280');
    await page.keyboard.press('Enter');
    await expect.poll(() => reply.inputValue()).toBe('Thanks for the details. Hi Chloe, could you send us a screenshot?\n— Alice');
    await page.locator('#macro-changes').getByText('Status: Open → Pending customer').waitFor();
    await page.locator('#macro-changes').getByText('Tags: +needs-info').waitFor();
    await expect(list.count()).resolves.toBe(0);
    await expectAccessible(page, '72-macro-inserted-1280');

    await page.locator('#macro-send').click();
    await page.locator('#flash').getByText('Reply sent with “Waiting on you”: Status: Open → Pending customer; Tags: +needs-info.').waitFor();
    await page.getByRole('list', { name: 'Case status' }).getByText('Pending customer').waitFor();
    await page.locator('#case-timeline').getByText('Thanks for the details. Hi Chloe').waitFor();
    expect(suite.problems()).toEqual([]);
  });

  it('on a phone: the picker and the inserted macro fit the screen', async () => {
    const page = await agentPage(PHONE);
    await page.goto(`${suite.server.url}/cases/${refs[1]}`);
    await page.getByLabel('Macro to insert').selectOption({ label: 'Thanks for waiting' });
    await page.locator('#macro-insert').click();
    await expect.poll(() => page.locator('#composer-body').inputValue()).toBe('Thank you for your patience, Chloe.');
    await page.locator('#macro-inserted').getByText('It changes nothing else on this case.').waitFor();
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(wide).toBeLessThanOrEqual(0);
    await expectAccessible(page, '73-macro-inserted-390');
    expect(suite.problems()).toEqual([]);
  });

  it('without JavaScript, Insert adds the reply and Send with macro sends it', async () => {
    const page = await agentPage(DESKTOP, false);
    await page.goto(`${suite.server.url}/cases/${refs[1]}`);
    await page.locator('#composer-body').fill('First line.');
    await page.getByLabel('Macro to insert').selectOption({ label: 'Thanks for waiting' });
    await Promise.all([page.waitForURL(/\/macros\/preview$/), page.locator('#macro-insert').click()]);
    expect(await page.locator('#composer-body').inputValue()).toBe('First line.\n\nThank you for your patience, Chloe.');
    await Promise.all([page.waitForURL(new RegExp(`/cases/${refs[1]}$`)), page.locator('#macro-send').click()]);
    await page.locator('#case-timeline').getByText('First line.').waitFor();
  });
});

describe('bulk actions and saved views in the browser', () => {
  it('selects every case, sets a status (one is already so), saves the filters as a view', async () => {
    const page = await agentPage(DESKTOP);
    await page.goto(`${suite.server.url}/inbox?view=mine`);
    const all = page.getByLabel('Select every case on this page');
    await all.check();
    await page.locator('#bulk-count').getByText(`(${refs.length} selected)`).waitFor();
    await page.getByLabel('Set status').selectOption({ label: 'Wait on customer' });
    await screenshot(page, '74-inbox-bulk-selected-1280');
    await page.locator('#bulk-set-status').click();
    // The first case waits on the customer already (the macro above): nothing to do, not a failure.
    const summary = page.locator('#bulk-summary');
    await summary.getByText(`${refs.length - 1} changed, 1 already so`).waitFor();
    expect(await summary.textContent()).not.toContain('failed');
    // The ticks are cleared; the list refreshed (every case now waits on the customer).
    await expect.poll(() => page.locator('#bulk-count').textContent()).toBe('');
    await expectAccessible(page, '75-inbox-bulk-summary-1280');

    await page.getByLabel('Status', { exact: true }).selectOption({ label: 'Pending customer' });
    await page.waitForURL(/status=pending/);
    await page.locator('summary', { hasText: 'Save as a view' }).click();
    await page.getByLabel('Name of the view').fill('Waiting on customers');
    await Promise.all([page.waitForURL(/\/inbox\?view=mine&status=pending$/), page.locator('#save-view-submit').click()]);
    const view = page.getByRole('navigation', { name: 'Saved views' }).getByRole('link', { name: /Waiting on customers/ });
    await expect.poll(() => view.textContent()).toBe(`Waiting on customers${refs.length} cases`);
    expect(await view.getAttribute('aria-current')).toBe('page');
    await expectAccessible(page, '76-inbox-saved-view-1280');
    expect(suite.problems()).toEqual([]);
  });

  it('on a phone: one card per case with its checkbox, the action bar fits', async () => {
    const page = await agentPage(PHONE);
    await page.goto(`${suite.server.url}/inbox?view=mine`);
    await page.getByLabel(`Select ${refs[2]}`).check();
    await page.locator('#bulk-count').getByText('(1 selected)').waitFor();
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(wide).toBeLessThanOrEqual(0);
    await expectAccessible(page, '77-inbox-bulk-390');
    await page.getByLabel('Add tag').fill('vip');
    await page.locator('#bulk-add-tag').click();
    await page.locator('#bulk-summary').getByText('1 changed.').waitFor();
    await screenshot(page, '78-inbox-bulk-done-390');
    expect(suite.problems()).toEqual([]);
  });

  it('cases ticked while a bulk action is on its way stay ticked for the next one; the cases it was sent for are cleared', async () => {
    const page = await agentPage(DESKTOP);
    await page.goto(`${suite.server.url}/inbox?view=mine`);
    // The bulk answer is held until the agent has ticked the next cases.
    const { release } = await holdRequests(page, '**/inbox/bulk');
    await page.getByLabel(`Select ${refs[0]}`).check();
    await page.getByLabel(`Select ${refs[1]}`).check();
    await page.locator('#bulk-count').getByText('(2 selected)').waitFor();
    await page.getByLabel('Add tag').fill('batch-one');
    const sent = page.waitForRequest((r) => r.url().endsWith('/inbox/bulk'));
    await page.locator('#bulk-add-tag').click();
    await sent;
    // Meanwhile: the next action's cases. One of the sent cases is unticked and ticked again: it is the agent's choice now.
    await page.getByLabel(`Select ${refs[2]}`).check();
    await page.getByLabel(`Select ${refs[1]}`).uncheck();
    await page.getByLabel(`Select ${refs[1]}`).check();
    await page.locator('#bulk-count').getByText('(3 selected)').waitFor();
    release();
    await page.locator('#bulk-summary').getByText('2 changed.').waitFor();
    await page.locator('#bulk-count').getByText('(2 selected)').waitFor();
    expect(await page.getByLabel(`Select ${refs[0]}`).isChecked()).toBe(false);
    expect(await page.getByLabel(`Select ${refs[1]}`).isChecked()).toBe(true);
    expect(await page.getByLabel(`Select ${refs[2]}`).isChecked()).toBe(true);
    // A failed action (no tag typed) clears nothing.
    await page.unroute('**/inbox/bulk');
    await page.getByLabel('Add tag').fill('');
    await page.locator('#bulk-add-tag').click();
    await page.locator('#bulk-summary').getByRole('alert').waitFor();
    // The refusal swaps in a new action bar, whose count the page fills in once htmx has settled
    // it (htmx:load): read at once, inside a full run, it was still empty.
    await expect.poll(() => page.locator('#bulk-count').textContent()).toBe('(2 selected)');
    expect(await page.getByLabel(`Select ${refs[1]}`).isChecked()).toBe(true);
    expect(suite.problems()).toEqual([]);
  });

  it('without JavaScript, the ticked cases and the chosen action go as a plain form', async () => {
    const page = await agentPage(DESKTOP, false);
    await page.goto(`${suite.server.url}/inbox?view=mine`);
    await page.getByLabel(`Select ${refs[3]}`).check();
    await page.getByLabel('Add tag').fill('no-js');
    await Promise.all([page.waitForURL(/\/inbox\/bulk$/), page.locator('#bulk-add-tag').click()]);
    await page.locator('#bulk-summary').getByText('1 changed.').waitFor();
    await page.goto(`${suite.server.url}/cases/${refs[3]}`);
    await page.locator('#case-header').getByText('#no-js').waitFor();
  });

  it('Back and Forward over the filters: the filters shown are the list’s, and the next filter keeps them', async () => {
    for (const subject of ['Site down at checkout', 'Payments fail for everyone']) {
      const res = await suite.server.api('POST', '/api/v1/cases', { customer: { email: 'chloe@example.com', name: 'Chloe Martin' }, subject, description: 'Nothing works.', priority: 'urgent' });
      expect(res.status).toBe(201);
    }
    const page = await suite.newPage(DESKTOP);
    page.setDefaultTimeout(10_000);
    await signIn(page, suite.server, 'mia@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/inbox?view=all`);
    const rows = page.locator('#inbox-results tbody tr');
    const everyCase = await rows.count();
    expect(everyCase).toBeGreaterThan(2);
    await Promise.all([page.waitForURL(/priority=urgent/), page.getByLabel('Priority', { exact: true }).selectOption('urgent')]);
    await expect.poll(() => rows.count()).toBe(2);
    await Promise.all([page.waitForURL(/limit=50/), page.getByLabel('Per page').selectOption('50')]);
    await page.getByLabel('Tag', { exact: true }).fill('vip');
    await Promise.all([page.waitForURL(/tag=vip/), page.getByLabel('Tag', { exact: true }).press('Enter')]);
    await expect.poll(() => rows.count()).toBe(0);

    await page.goBack();
    await page.waitForURL((u) => !u.search.includes('tag=vip') && u.search.includes('limit=50'));
    await expect.poll(() => rows.count()).toBe(2);
    expect(await page.getByLabel('Tag', { exact: true }).inputValue()).toBe('');
    await page.goBack();
    await page.waitForURL((u) => !u.search.includes('limit=50') && u.search.includes('priority=urgent'));
    expect(await page.getByLabel('Per page').inputValue()).toBe('25');
    await page.goBack();
    await page.waitForURL((u) => !u.search.includes('priority'));
    await expect.poll(() => rows.count()).toBe(everyCase);
    expect(await page.getByLabel('Priority', { exact: true }).inputValue()).toBe('');
    await page.goForward();
    await page.waitForURL(/priority=urgent/);
    await expect.poll(() => rows.count()).toBe(2);
    // Before, the form still read "Any priority" over the urgent cases alone.
    expect(await page.getByLabel('Priority', { exact: true }).inputValue()).toBe('urgent');
    expect(await page.getByLabel('Per page').inputValue()).toBe('25');
    // The next filter chosen keeps the priority the list has (before, it went unseen).
    await Promise.all([page.waitForURL(/queue=general/), page.getByLabel('Queue', { exact: true }).selectOption('general')]);
    expect(new URL(page.url()).searchParams.get('priority')).toBe('urgent');
    expect(suite.problems()).toEqual([]);
  });

  it('a case or a sidebar view pressed as the live poll redraws the list opens (the press held ~150 ms); the list is redrawn once the press ends', async () => {
    const page = await suite.newPage(DESKTOP);
    page.setDefaultTimeout(10_000);
    await signIn(page, suite.server, 'mia@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/inbox?view=all`);
    const rows = page.locator('#inbox-results tbody tr');
    const listOrCounts = /\/inbox(\?.*stamp=|\/counts\?)/;
    // Presses the mouse at `target`, lets the poll's answer (held until then) come, and returns with the mouse still down.
    const pressWhileThePollAnswers = async (subject: string, target: Locator) => {
      // The sidebar's counts ask on the same event: held too, or their answer redraws the sidebar before the press.
      const { release, asked: polls } = await holdRequests(page, listOrCounts);
      // A new urgent case comes in: the list the poll brings is another one (a new first row).
      const res = await suite.server.api('POST', '/api/v1/cases', { customer: { email: 'pat@example.com', name: 'Pat Parker' }, subject, description: 'Nothing works.', priority: 'urgent' });
      expect(res.status).toBe(201);
      await page.evaluate(() => document.body.dispatchEvent(new Event('case-updated')));
      await expect.poll(() => polls()).toBeGreaterThan(0);
      await target.scrollIntoViewIfNeeded();
      const box = (await target.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      const answered = page.evaluate(
        () =>
          new Promise<void>((resolve) =>
            document.addEventListener('htmx:beforeSwap', (e) => {
              if ((e as CustomEvent<{ target: Element }>).detail.target.id === 'inbox-results') resolve();
            }),
          ),
      );
      release();
      await answered;
      await page.unroute(listOrCounts);
    };

    // A press beside the list: the list waits for the release, then shows the new case.
    const before = await rows.count();
    await pressWhileThePollAnswers('Checkout broken again', page.locator('h1'));
    expect(await rows.count()).toBe(before);
    await page.mouse.up();
    await rows.filter({ hasText: 'Checkout broken again' }).waitFor();
    expect(await rows.count()).toBe(before + 1);

    // A press on a case's link opens that case. Before, the list was drawn again under the mouse: the release opened nothing.
    await pressWhileThePollAnswers('Checkout broken once more', page.locator(`#row-${refs[2]}`));
    await page.mouse.up();
    await page.waitForURL(new RegExp(`/cases/${refs[2]}$`));

    // A view in the sidebar, whose counts come with the list: it opens too.
    await page.goto(`${suite.server.url}/inbox?view=all`);
    await pressWhileThePollAnswers('Checkout broken for the third time', page.locator('#inbox-counts a[href="/inbox?view=mine"]'));
    await page.mouse.up();
    await page.waitForURL(/\/inbox\?view=mine$/);
    expect(suite.problems()).toEqual([]);
  });

  it('a live poll that answers after a change of filters leaves the filters a view is saved with alone', async () => {
    const page = await suite.newPage(DESKTOP);
    page.setDefaultTimeout(10_000);
    await signIn(page, suite.server, 'mia@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/inbox?view=all`);
    // The list's poll (with the filters of the list then: all open cases) is on its way, and slow.
    const { release, asked: polls } = await holdRequests(page, /\/inbox\?.*stamp=/);
    const res = await suite.server.api('POST', '/api/v1/cases', { customer: { email: 'pat@example.com', name: 'Pat Parker' }, subject: 'Invoice PDF is blank', description: 'Blank.', priority: 'low' });
    expect(res.status).toBe(201);
    await page.evaluate(() => document.body.dispatchEvent(new Event('case-updated')));
    await expect.poll(() => polls()).toBeGreaterThan(0);
    // Meanwhile the agent narrows the list to the urgent cases.
    await Promise.all([page.waitForURL(/priority=urgent/), page.getByLabel('Priority', { exact: true }).selectOption('urgent')]);
    await page.locator('#save-view-filters input[name="priority"]').waitFor({ state: 'attached' });
    const stale = page.waitForResponse(/\/inbox\?.*stamp=/);
    release();
    await stale;
    await page.unroute(/\/inbox\?.*stamp=/);
    // Before, the old list's answer put its filters in the forms beside the list: the view below was saved without the priority.
    await page.locator('summary', { hasText: 'Save as a view' }).click();
    await page.getByLabel('Name of the view').fill('Urgent, everyone');
    await Promise.all([page.waitForURL(/\/inbox\?view=all&priority=urgent$/), page.locator('#save-view-submit').click()]);
    expect(await page.locator('#inbox-results tbody tr').filter({ hasText: 'Invoice PDF is blank' }).count()).toBe(0);
    expect(suite.problems()).toEqual([]);
  });
});
