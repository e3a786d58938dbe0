/**
 * In Chromium, against the real server mailing through a real SMTP sink: a customer who has
 * no password asks for a sign-in link on the sign-in page (htmx, and again without
 * JavaScript), opens the mailed link, presses its button and lands on the page they wanted;
 * the link is dead afterwards. Pages checked with axe-core and saved as screenshots.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtp, type Inbox } from '../support/smtp.js';
import { expectAccessible, sharedChromium, startServer, watchPage, type Server } from './support.js';

let smtp: Inbox;
let server: Server;
let browser: Browser;
const problems: string[][] = [];

beforeAll(async () => {
  smtp = await startSmtp();
  server = await startServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: 'Casebook <casebook@example.com>' });
  browser = await sharedChromium();
  for (const email of ['chloe@example.com', 'noscript@example.com']) {
    const res = await server.api('POST', '/api/v1/users', { email, name: 'Chloe Carter', role: 'customer' });
    expect(res.status, await res.clone().text()).toBe(201);
  }
});

const contexts: BrowserContext[] = [];

afterAll(async () => {
  for (const context of contexts) await context.close();
  await server?.stop();
  await smtp?.close();
});

async function newPage(javaScriptEnabled = true): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, javaScriptEnabled });
  contexts.push(context);
  const page = await context.newPage();
  problems.push(watchPage(page).problems);
  return page;
}

/** Waits for the SMTP sink to receive a mail for the address (the server sends it in the background). */
async function mailFor(address: string, count: number): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const mails = smtp.messages.filter((m) => m.to.includes(address));
    if (mails.length >= count) return mails[count - 1]!.mail.text ?? '';
    if (Date.now() > deadline) throw new Error(`no mail ${count} for ${address}; server said:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function linkIn(text: string): string {
  const match = /(http:\/\/127\.0\.0\.1:\d+\/login\/link\?\S+)/.exec(text);
  if (!match) throw new Error(`no sign-in link in:\n${text}`);
  return match[1]!;
}

describe('signing in with a mailed link', () => {
  it('asks on the sign-in page, opens the link, presses the button, lands on the page it wanted; the link then is dead', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/portal/new`);
    await page.waitForURL(/\/login\?next=%2Fportal%2Fnew$/);
    await page.getByLabel('Email address').fill('chloe@example.com');
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click(); // no password needed
    await page.locator('#login-notice').getByText('If we know this address, a link is on its way.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/login'); // htmx swapped the form in place
    await expectAccessible(page, 'sign-in-link-01-asked');

    const link = linkIn(await mailFor('chloe@example.com', 1));
    expect(new URL(link).searchParams.get('next')).toBe('/portal/new');
    await page.goto(link);
    await page.getByText('Sign in as').waitFor();
    await expectAccessible(page, 'sign-in-link-02-confirm');
    await Promise.all([page.waitForURL(/\/portal\/new$/), page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.getByLabel('Subject').waitFor();

    const again = await newPage();
    const res = await again.goto(link);
    expect(res?.status()).toBe(404);
    await again.getByText('expired or was already used').waitFor();
    expect(problems.flat()).toEqual([]);
  });

  it('works without JavaScript too', async () => {
    const page = await newPage(false);
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Email address').fill('noscript@example.com');
    await Promise.all([page.waitForURL(/\/login\/link$/), page.getByRole('button', { name: 'Email me a sign-in link' }).click()]);
    await page.locator('#login-notice').waitFor();
    await page.goto(linkIn(await mailFor('noscript@example.com', 1)));
    await Promise.all([page.waitForURL(/\/portal$/), page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.getByRole('heading', { name: /requests/i }).first().waitFor();
    expect(problems.flat()).toEqual([]);
  });
});
