/**
 * A customer writing a reply while their session ends (a new password set on their phone ends
 * every other session; so does idling for 12 hours): pressing Send loses nothing. With htmx the
 * page stays, the text in its form, and says so; without JavaScript the sign-in page shows the
 * text back. Signing in again leads back to the case.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { expectAccessible, useBrowserSuite } from './support.js';

const PASSWORD = 'browser test password';
const suite = useBrowserSuite([{ email: 'chloe@example.com', name: 'Chloe Carter', role: 'customer', password: PASSWORD }]);

let password = PASSWORD;

async function signInAs(page: Page, next = ''): Promise<void> {
  await page.goto(`${suite.server.url}/login${next}`);
  await page.getByLabel('Email address').fill('chloe@example.com');
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** On a second device (a phone), the customer sets a new password: every other session ends. */
async function newPasswordOnPhone(): Promise<void> {
  const phone = await suite.newPage({ width: 390, height: 844 });
  await signInAs(phone);
  await phone.goto(`${suite.server.url}/profile`);
  await phone.getByLabel('Current password').fill(password);
  password = `${password} again`;
  await phone.getByLabel('New password').fill(password);
  await phone.locator('#password-save').click();
  await phone.getByText('Password changed. Your other sessions were signed out, and sign-in links mailed earlier no longer work.').first().waitFor();
}

describe('a reply sent after the session ended', () => {
  it('with htmx: the page stays with the text in the form; signing in again leads back to the case', async () => {
    const desk = await suite.newPage({ width: 390, height: 844 });
    await signInAs(desk);
    await desk.goto(`${suite.server.url}/portal/new`);
    await desk.getByLabel('Subject').fill('Export is empty');
    await desk.getByLabel('Describe the problem').fill('The CSV export has only headers.');
    await Promise.all([desk.waitForURL(/\/cases\/C-\d+/), desk.getByRole('button', { name: 'Send request' }).click()]);
    const ref = /\/cases\/(C-\d+)/.exec(desk.url())![1]!;

    const reply = 'It is still empty today.\nI tried two browsers.';
    await desk.getByLabel('Your message').fill(reply);
    await newPasswordOnPhone();
    // The page's live poll notices (within its 5 s) and says so, without leaving the page.
    const alert = desk.locator('#session-ended');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Sign in again to go on; copy anything you are writing first.');
    expect(await desk.getByLabel('Your message').inputValue()).toBe(reply);
    await desk.getByRole('button', { name: 'Send reply' }).click();
    await alert.getByText('Nothing was sent: what you wrote is still in the form.').waitFor();
    expect(new URL(desk.url()).pathname).toBe(`/cases/${ref}`);
    expect(await desk.getByLabel('Your message').inputValue()).toBe(reply);
    await expectAccessible(desk, 'session-ended-htmx');

    await Promise.all([desk.waitForURL(/\/login\?next=/), alert.getByRole('link', { name: 'Sign in again' }).click()]);
    await desk.getByLabel('Email address').fill('chloe@example.com');
    await desk.getByLabel('Password').fill(password);
    // Back on the page the form was on.
    await Promise.all([desk.waitForURL(new RegExp(`/cases/${ref}\\b`)), desk.getByRole('button', { name: 'Sign in' }).click()]);
    await desk.getByLabel('Your message').fill(reply);
    await desk.getByRole('button', { name: 'Send reply' }).click();
    await desk.locator('#case-page').getByText('I tried two browsers.').waitFor();
  });

  it('without JavaScript: the sign-in page shows what was written, and leads back to the case', async () => {
    const desk = await suite.newPage({ javaScriptEnabled: false });
    const created = await suite.server.api('POST', '/api/v1/cases', { customer: { email: 'chloe@example.com' }, subject: 'Invoice address', description: 'The invoice shows our old address.' });
    const ref = ((await created.json()) as { id: string }).id;
    await signInAs(desk);
    await desk.goto(`${suite.server.url}/cases/${ref}`);
    await desk.getByLabel('Your message').fill('Written without JavaScript.');
    await newPasswordOnPhone();
    await Promise.all([desk.waitForLoadState(), desk.getByRole('button', { name: 'Send reply' }).click()]);
    await desk.getByRole('heading', { name: 'Your session has ended' }).waitFor();
    expect(await desk.locator('textarea.kept-text').inputValue()).toBe('Written without JavaScript.');
    await desk.getByLabel('Email address').fill('chloe@example.com');
    await desk.getByLabel('Password').fill(password);
    await Promise.all([desk.waitForURL(new RegExp(`/cases/${ref}$`)), desk.getByRole('button', { name: 'Sign in' }).click()]);
    expect(suite.problems()).toEqual([]);
  });
});
