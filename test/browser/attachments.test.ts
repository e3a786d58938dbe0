/**
 * Files in Chromium: with JavaScript off, a customer's new request and an agent's reply carry
 * files as plain multipart form posts (CSRF token from the form field, Origin from the
 * browser), and the customer downloads the agent's file; with JavaScript on, htmx sends the
 * composer as multipart too (the pages with files checked with axe-core).
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectAccessible, screenshot, signIn, useBrowserSuite } from './support.js';

const PASSWORD = 'browser test password';
const suite = useBrowserSuite([
  { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', password: PASSWORD, queues: ['general', 'billing', 'technical'], skills: ['refunds'] },
  { email: 'chloe@example.com', name: 'Chloe Carter', role: 'customer', password: PASSWORD },
]);

const LOG = Buffer.from('2026-03-02 10:00 ERROR printer jammed on page 2\n');
const PDF = Buffer.from('%PDF-1.4\n% the refund confirmation\n%%EOF\n');

describe('attachments in the browser', () => {
  it('without JavaScript: a request with a file, a reply with a file, the customer downloads it', async () => {
    const customer = await suite.newPage({ javaScriptEnabled: false });
    await signIn(customer, suite.server, 'chloe@example.com', PASSWORD);
    await customer.goto(`${suite.server.url}/portal/new`);
    await customer.getByLabel('Subject').fill('Printer jams');
    await customer.getByLabel('Describe the problem').fill('The printer jams on page 2 every time.');
    await customer.getByLabel('Attach files').setInputFiles([{ name: 'printer.log', mimeType: 'text/plain', buffer: LOG }]);
    await Promise.all([customer.waitForURL(/\/cases\/C-\d+/), customer.getByRole('button', { name: 'Send request' }).click()]);
    const ref = /\/cases\/(C-\d+)/.exec(customer.url())![1]!;
    await customer.locator('#case-timeline').getByRole('link', { name: 'printer.log' }).waitFor();

    const agent = await suite.newPage({ javaScriptEnabled: false });
    await signIn(agent, suite.server, 'alice@casebook.test', PASSWORD);
    await agent.goto(`${suite.server.url}/cases/${ref}`);
    await agent.locator('#case-timeline').getByRole('link', { name: 'printer.log' }).waitFor();
    await agent.getByLabel('Message').fill('Here is the confirmation.');
    await agent.getByLabel(/^Attach files/).setInputFiles([{ name: 'Bestätigung.pdf', mimeType: 'application/pdf', buffer: PDF }]);
    await Promise.all([agent.waitForURL(new RegExp(`/cases/${ref}$`)), agent.getByRole('button', { name: 'Send', exact: true }).click()]);
    await agent.locator('#case-timeline').getByRole('link', { name: 'Bestätigung.pdf' }).waitFor();
    await screenshot(agent, '70-agent-case-with-files-no-javascript');

    await customer.goto(`${suite.server.url}/cases/${ref}`);
    const link = customer.locator('#case-timeline').getByRole('link', { name: 'Bestätigung.pdf' });
    await link.waitFor();
    const [download] = await Promise.all([customer.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('Bestätigung.pdf');
    expect(fs.readFileSync((await download.path())!)).toEqual(PDF);
  });

  it('with JavaScript: htmx posts the composer as multipart, the file shows in the timeline without a reload', async () => {
    const created = await suite.server.api('POST', '/api/v1/cases', { customer: { email: 'chloe@example.com' }, subject: 'Export', description: 'The export is empty.' });
    expect(created.status).toBe(201);
    const ref = ((await created.json()) as { id: string }).id;
    const agent = await suite.newPage();
    await signIn(agent, suite.server, 'alice@casebook.test', PASSWORD);
    await agent.goto(`${suite.server.url}/cases/${ref}`);
    await agent.getByLabel('Message').fill('The export, done by hand.');
    await agent.getByLabel(/^Attach files/).setInputFiles([
      { name: 'export.csv', mimeType: 'text/csv', buffer: Buffer.from('id,amount\n1,49\n') },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('two files at once') },
    ]);
    await agent.getByRole('button', { name: 'Send', exact: true }).click();
    await agent.locator('#flash').getByText('Reply sent with 2 files.').waitFor();
    await agent.locator('#case-timeline').getByRole('link', { name: 'export.csv' }).waitFor();
    await agent.locator('#case-timeline').getByRole('link', { name: 'notes.txt' }).waitFor();
    // The form is fresh again: no file left selected.
    expect(await agent.getByLabel(/^Attach files/).evaluate((input) => (input as HTMLInputElement).files?.length ?? -1)).toBe(0);
    await expectAccessible(agent, '71-agent-reply-with-files-htmx');
    const customer = await suite.newPage();
    await signIn(customer, suite.server, 'chloe@example.com', PASSWORD);
    await customer.goto(`${suite.server.url}/cases/${ref}`);
    await customer.locator('#case-timeline').getByRole('link', { name: 'export.csv' }).waitFor();
    await expectAccessible(customer, '72-portal-case-with-files');
    expect(suite.problems()).toEqual([]);
  });
});
