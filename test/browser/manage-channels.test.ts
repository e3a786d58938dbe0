/**
 * The channels console in Chromium, against a real Dovecot: an admin adds a mailbox with the
 * form ("Test connection" answers in place and the typed password stays in the field), its
 * mail shows in the log and becomes a case in its default queue; without JavaScript the same
 * form works and never sends the password back. axe-core on every page, no CSP violation, a
 * phone-width page that does not overflow, screenshots in test-results/screenshots/.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type Dovecot } from '../support/dovecot.js';
import { expectAccessible, holdRequests, signIn, useBrowserSuite } from './support.js';

const PASSWORD = 'browser channels password';
const IMAP_PASSWORD = 'imap-browser-Pw-9932';

let dovecot: Dovecot;
beforeAll(async () => {
  dovecot = await startDovecot({ password: IMAP_PASSWORD });
  const client = await dovecot.connect();
  await client.mailboxCreate('Sales').catch(() => undefined);
  await client.logout();
});
afterAll(async () => {
  await dovecot?.stop();
});

const suite = useBrowserSuite(
  [
    { email: 'adam@casebook.test', name: 'Adam Admin', role: 'admin', password: PASSWORD },
    { email: 'maria@casebook.test', name: 'Maria Manager', role: 'manager', password: PASSWORD },
  ],
  undefined,
  { env: { CHANNELS_KEY: 'cd'.repeat(32), SUPPORT_ADDRESS: 'support@example.com' } },
);

async function fillMailbox(page: Page, folder: string): Promise<void> {
  await page.locator('#mailbox-name').fill(`Sales ${folder}`);
  await page.getByLabel('Default queue for new cases').selectOption('billing');
  await page.locator('#mailbox-host').fill('127.0.0.1');
  await page.getByLabel('Connection').selectOption('starttls');
  await page.getByLabel('Port').fill(String(dovecot.port));
  await page.locator('#mailbox-username').fill(dovecot.user);
  await page.locator('#mailbox-password').fill(IMAP_PASSWORD);
  await page.locator('#mailbox-path').fill(folder);
}

describe('the channels console in the browser', () => {
  it('an admin adds a mailbox, tests it in place, and its mail shows in the log', async () => {
    const page = await suite.newPage({ width: 1440 });
    await signIn(page, suite.server, 'adam@casebook.test', PASSWORD);
    await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Channels' }).click();
    await page.waitForURL(/\/manage\/channels$/);
    await page.getByRole('heading', { name: 'How mail gets in' }).waitFor();
    await expectAccessible(page, '60-manage-channels-empty');

    await page.getByRole('link', { name: 'Add mailbox' }).click();
    await page.waitForURL(/\/manage\/channels\/mailboxes\/new$/);
    await fillMailbox(page, 'Sales');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect(page.locator('#mailbox-test').textContent()).resolves.toBeTruthy();
    await page.locator('#mailbox-test', { hasText: 'Connection works.' }).waitFor();
    expect(await page.locator('#mailbox-password').inputValue()).toBe(IMAP_PASSWORD);
    expect(page.url()).toMatch(/\/mailboxes\/new$/);
    await expectAccessible(page, '61-manage-channels-tested');

    await Promise.all([page.waitForURL(/\/manage\/channels\/mailboxes\/\d+\?done=mailbox-created$/), page.getByRole('button', { name: 'Add mailbox' }).click()]);
    await page.locator('#notice', { hasText: 'Mailbox added' }).waitFor();
    expect(await page.content()).not.toContain(IMAP_PASSWORD);
    expect(await page.locator('#mailbox-password').inputValue()).toBe('');

    await dovecot.deliver(['From: Pat <pat@example.com>', 'To: sales@example.com', 'Subject: Volume pricing for 40 seats', 'Message-ID: <browser-channels-1@mail.example.com>', '', 'What would 40 seats cost?', ''].join('\r\n'), 'Sales');
    const deadline = Date.now() + 15_000;
    for (;;) {
      await page.goto(`${suite.server.url}/manage/channels`);
      if ((await page.locator('#mail-log-table', { hasText: 'Volume pricing for 40 seats' }).count()) > 0) break;
      if (Date.now() > deadline) throw new Error(`the mail never reached the log\n${suite.server.output().slice(-2000)}`);
      await page.waitForTimeout(200);
    }
    await page.locator('#mailboxes-table .badge', { hasText: /idle|connected/ }).first().waitFor();
    await page.getByLabel('Outcome').selectOption('ignored');
    await page.locator('#mail-log-results', { hasText: 'No mail matches.' }).waitFor();
    await page.getByLabel('Outcome').selectOption('created');
    await page.locator('#mail-log-results', { hasText: 'Volume pricing for 40 seats' }).waitFor();
    await expectAccessible(page, '62-manage-channels');
    await page.locator('#mail-log-table').getByRole('link').first().click();
    await page.waitForURL(/\/cases\/C-\d+$/);
    await page.locator('#case-why', { hasText: 'whose default queue is billing' }).waitFor();
    expect(suite.problems()).toEqual([]);
  });

  it('works without JavaScript: the test answers with the whole form, never with the password', async () => {
    const page = await suite.newPage({ javaScriptEnabled: false, width: 1280 });
    await signIn(page, suite.server, 'adam@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/manage/channels/mailboxes/new`);
    await fillMailbox(page, 'Nowhere');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.locator('#mailbox-test', { hasText: 'no folder "Nowhere"' }).waitFor();
    expect(await page.locator('#mailbox-password').inputValue()).toBe('');
    expect(await page.content()).not.toContain(IMAP_PASSWORD);
  });

  it('managers read the console on a phone: no form, nothing wider than the screen', async () => {
    const page = await suite.newPage({ width: 390, height: 844 });
    await signIn(page, suite.server, 'maria@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/manage/channels`);
    await page.getByRole('heading', { name: 'Mailboxes' }).waitFor();
    expect(await page.getByRole('link', { name: 'Add mailbox' }).count()).toBe(0);
    const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, screen: window.innerWidth }));
    expect(widths.page).toBeLessThanOrEqual(widths.screen);
    await expectAccessible(page, '63-manage-channels-phone');
    await page.locator('#mailboxes-table a').first().click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    expect(await page.locator('#mailbox-form').count()).toBe(0);
    await expectAccessible(page, '64-manage-mailbox-manager');
  });

  it('Add mailbox pressed at a person’s pace while the status poll answers is not lost', async () => {
    const page = await suite.newPage({ width: 1280, height: 900 });
    await signIn(page, suite.server, 'adam@casebook.test', PASSWORD);
    await page.clock.install();
    await page.goto(`${suite.server.url}/manage/channels`);
    await page.getByRole('heading', { name: 'Mailboxes' }).waitFor();
    // The section's next poll (every 10 s, brought forward) is held until the mouse is down on Add mailbox.
    const { release } = await holdRequests(page, /\/manage\/channels$/);
    const polled = page.waitForRequest((r) => new URL(r.url()).pathname === '/manage/channels' && r.headers()['hx-request'] === 'true');
    await page.clock.runFor(10_000);
    await page.clock.resume();
    await polled;
    const link = page.getByRole('link', { name: 'Add mailbox' });
    const box = (await link.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    const answered = page.evaluate(() => new Promise<void>((resolve) => document.body.addEventListener('htmx:afterRequest', () => resolve(), { once: true })));
    release();
    await answered;
    // Before, the section was drawn anew under the mouse: the release clicked nothing.
    await Promise.all([page.waitForURL(/\/manage\/channels\/mailboxes\/new$/, { timeout: 5_000 }), page.mouse.up()]);
    expect(suite.problems()).toEqual([]);
  });
});
