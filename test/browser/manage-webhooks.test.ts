/**
 * The webhooks console in Chromium: an admin adds a webhook (the signing secret shown once),
 * a case created over the API is delivered to a real receiver and shows in the delivery log,
 * replay sends it again; managers get no Webhooks link. The API tokens console beside it: an
 * admin issues a token (shown once), it works as scoped, and is revoked. axe-core on every page,
 * screenshots in test-results/screenshots/.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../integrations/receiver.js';
import { expectAccessible, signIn, useBrowserSuite } from './support.js';

const PASSWORD = 'browser webhooks password';
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

const suite = useBrowserSuite(
  [
    { email: 'adam@casebook.test', name: 'Adam Admin', role: 'admin', password: PASSWORD },
    { email: 'maria@casebook.test', name: 'Maria Manager', role: 'manager', password: PASSWORD },
  ],
  undefined,
  { env: { WEBHOOKS_ALLOW_PRIVATE: 'true' } },
);

describe('the webhooks console in the browser', () => {
  it('an admin adds a webhook, sees its secret once, its deliveries and replays one', async () => {
    const page = await suite.newPage({ width: 1440 });
    await signIn(page, suite.server, 'adam@casebook.test', PASSWORD);
    await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL(/\/manage\/webhooks$/);
    await expectAccessible(page, '70-manage-webhooks-empty');

    // A private address is refused with the reason on the form (this server allows them: use a bad scheme).
    await page.getByLabel('Endpoint URL').fill('ftp://example.com/hook');
    await page.getByRole('checkbox', { name: /case\.created/ }).check();
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await expect(page.locator('#webhook-url-error').textContent()).resolves.toContain('http or https');

    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('Description').fill('CRM sync');
    await page.getByRole('checkbox', { name: /case\.created/ }).check();
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const secret = (await page.locator('#secret-value').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    await expectAccessible(page, '71-manage-webhook-secret');
    const detailUrl = page.url();

    const res = await suite.server.api('POST', '/api/v1/cases', { customer: { email: 'pat@example.com', name: 'Pat' }, subject: 'Webhook please', description: 'Deliver me' });
    expect(res.status).toBe(201);
    const deadline = Date.now() + 10_000;
    while (receiver.received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(receiver.received).toHaveLength(1);
    const hit = receiver.received[0]!;
    expect(new Webhook(secret).verify(hit.body, hit.headers as Record<string, string>)).toMatchObject({ type: 'case.created' });

    await page.goto(detailUrl.replace(/\?.*$/, '').replace(/\/manage\/webhooks$/, '/manage/webhooks/1'));
    await expect(page.locator('#secret-value').count()).resolves.toBe(0); // never shown again
    await page.locator('#deliveries').getByText('succeeded').waitFor();
    await expect(page.locator('#deliveries').textContent()).resolves.toContain('200');
    await page.getByRole('button', { name: 'Replay' }).first().click();
    await page.locator('#notice').getByText('Replay queued').waitFor();
    const again = Date.now() + 10_000;
    while (receiver.received.length < 2 && Date.now() < again) await new Promise((r) => setTimeout(r, 50));
    expect(receiver.received[1]!.headers['webhook-id']).toBe(hit.headers['webhook-id']);
    await page.reload();
    await expectAccessible(page, '72-manage-webhook-deliveries');
  });

  it('managers get no Webhooks link and no page', async () => {
    const page = await suite.newPage();
    await signIn(page, suite.server, 'maria@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/manage`);
    await expect(page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Webhooks' }).count()).resolves.toBe(0);
    const res = await page.goto(`${suite.server.url}/manage/webhooks`);
    expect(res?.status()).toBe(403);
  });
});

describe('the API tokens console in the browser', () => {
  it('an admin issues a token (shown once), it works, and revokes it', async () => {
    const page = await suite.newPage({ width: 1440 });
    await signIn(page, suite.server, 'adam@casebook.test', PASSWORD);
    await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'API tokens' }).click();
    await page.waitForURL(/\/manage\/tokens$/);
    await page.getByLabel('Account e-mail (required)').fill('maria@casebook.test');
    await page.getByLabel('Name (required)').fill('Billing system');
    await page.getByRole('checkbox', { name: /churn/ }).check();
    await page.getByRole('button', { name: 'Issue token' }).click();
    const token = (await page.locator('#token-value').textContent())!;
    expect(token).toMatch(/^cb_/);
    await expectAccessible(page, '73-manage-token-issued');
    expect((await fetch(`${suite.server.url}/api/v1/cases`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(403); // scoped: churn only

    // Shown once: the list has its prefix, never the token.
    await page.goto(`${suite.server.url}/manage/tokens`);
    const row = page.locator('#tokens tr', { hasText: 'Billing system' });
    await expect(row.textContent()).resolves.toContain(`${token.slice(0, 10)}…`);
    expect(await page.content()).not.toContain(token);
    await row.getByRole('button', { name: /^Revoke Billing system/ }).click();
    await page.locator('#notice').getByText('Token revoked').waitFor();
    await expect(page.locator('#tokens tr', { hasText: 'Billing system' }).textContent()).resolves.toContain('revoked');
    await expectAccessible(page, '74-manage-tokens');
    expect((await fetch(`${suite.server.url}/api/v1/cases`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
  });
});
