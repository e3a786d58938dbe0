/**
 * A customer writing a reply while their session ends (a new password set on their phone ends
 * every other session; so does idling for 12 hours): pressing Send loses nothing. With htmx the
 * page stays, the text in its form, and says so; without JavaScript the sign-in page shows the
 * text back. Signing in again leads back to the case.
 *
 * The same customer signing out and in again in another tab, then sending the reply written in
 * the first: the first page was opened in the old session (its CSRF token is that session's).
 * Nothing is sent and nothing typed is lost; with htmx, sending again sends it.
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

/** In another tab of the same browser: sign out, and in again (a new session, with a new CSRF token). */
async function signOutAndInAgainInAnotherTab(page: Page): Promise<void> {
  const tab = await page.context().newPage();
  await tab.goto(`${suite.server.url}/portal`);
  await Promise.all([tab.waitForURL(/\/login/), tab.getByRole('button', { name: 'Sign out' }).click()]);
  await signInAs(tab);
  await tab.close();
}

async function caseTexts(ref: string): Promise<string> {
  const res = await suite.server.api('GET', `/api/v1/cases/${ref}/events`);
  expect(res.status).toBe(200);
  return res.text();
}

async function newCase(subject: string): Promise<string> {
  const created = await suite.server.api('POST', '/api/v1/cases', { customer: { email: 'chloe@example.com' }, subject, description: 'Something is wrong.' });
  return ((await created.json()) as { id: string }).id;
}

describe('a reply sent from a page opened before signing in again in another tab', () => {
  it('with htmx: nothing is sent, the text stays in the form, and sending again sends it once', async () => {
    const ref = await newCase('Logo upload fails');
    const desk = await suite.newPage();
    await signInAs(desk);
    await desk.goto(`${suite.server.url}/cases/${ref}`);
    const reply = 'The logo is a 40 KB PNG.\nIt fails in Firefox too.';
    await desk.getByLabel('Your message').fill(reply);
    await signOutAndInAgainInAnotherTab(desk);

    await desk.getByRole('button', { name: 'Send reply' }).click({ delay: 150 });
    const alert = desk.locator('#page-out-of-date');
    await alert.getByText('Nothing was sent: what you wrote is still in the form.').waitFor();
    expect(await alert.textContent()).toContain('You are signed in as Chloe Carter.');
    expect(new URL(desk.url()).pathname).toBe(`/cases/${ref}`);
    expect(await desk.getByLabel('Your message').inputValue()).toBe(reply);
    expect(await caseTexts(ref)).not.toContain('It fails in Firefox too.');
    await expectAccessible(desk, 'stale-page-htmx');

    await desk.getByRole('button', { name: 'Send reply' }).click({ delay: 150 });
    await desk.locator('#case-page').getByText('It fails in Firefox too.').waitFor();
    expect((await caseTexts(ref)).split('It fails in Firefox too.').length - 1).toBe(1);
    expect(suite.problems()).toEqual([]);
  });

  it('without JavaScript: a page shows what was written and leads back to the case', async () => {
    const ref = await newCase('Invoice in the wrong currency');
    const desk = await suite.newPage({ javaScriptEnabled: false });
    await signInAs(desk);
    await desk.goto(`${suite.server.url}/cases/${ref}`);
    await desk.getByLabel('Your message').fill('It should be in euros.');
    await signOutAndInAgainInAnotherTab(desk);

    await Promise.all([desk.waitForLoadState(), desk.getByRole('button', { name: 'Send reply' }).click({ delay: 150 })]);
    await desk.getByRole('heading', { name: 'Nothing was sent' }).waitFor();
    expect(await desk.locator('textarea.kept-text').inputValue()).toBe('It should be in euros.');
    expect(await caseTexts(ref)).not.toContain('It should be in euros.');
    await Promise.all([desk.waitForURL(new RegExp(`/cases/${ref}$`)), desk.getByRole('link', { name: 'Back to the page' }).click()]);
    await desk.getByLabel('Your message').fill('It should be in euros.');
    await Promise.all([desk.waitForLoadState(), desk.getByRole('button', { name: 'Send reply' }).click({ delay: 150 })]);
    await desk.locator('#case-page').getByText('It should be in euros.').waitFor();
    expect(suite.problems()).toEqual([]);
  });
});
