/**
 * The live chat's other paths in Chromium, the widget on a shop's page on another port (another
 * origin): nobody free and outside the site's hours, the visitor leaves a message on a phone
 * (390×844); and the agent's side: the chat arrives in the open inbox without a reload, the
 * agent answers with a macro picked with `#`, ends the chat from the case page, and the visitor
 * rates it "Not good" in the widget; a reply after that (mailed to the address Vic only typed)
 * is sent once the agent confirms it. Screenshots `chat-desk-*.png`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { expectAccessible, screenshot, signIn, useBrowserSuite, type Server } from './support.js';

const PASSWORD = 'browser chat desk password';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
let shop: http.Server;
let shopUrl = '';

beforeAll(async () => {
  shop = http.createServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Shop</title><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>The Shop</h1><p>Our products.</p><script src="${q.get('cb') ?? ''}/chat/widget.js" data-site="${q.get('site') ?? ''}" async></script></body></html>`);
  });
  await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
  shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => shop.close(() => resolve()));
});

/** A calendar open one hour on a weekday two days from now (UTC): closed whenever the test runs. */
async function publishClosedCalendar(server: Server): Promise<void> {
  const config = ((await (await server.api('GET', '/api/v1/sla-config')).json()) as { config: { calendars: Record<string, unknown> } }).config;
  const day = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][(new Date().getUTCDay() + 2) % 7]!;
  config.calendars.weekly = { timezone: 'UTC', weekly: { [day]: [['09:00', '10:00']] } };
  const res = await server.api('PUT', '/api/v1/sla-config', config);
  expect(res.status, await res.clone().text()).toBe(200);
}

const suite = useBrowserSuite(
  [
    { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', password: PASSWORD, queues: ['general'] },
    { email: 'adam@casebook.test', name: 'Adam Admin', role: 'admin', password: PASSWORD },
  ],
  publishClosedCalendar,
  { env: { CHANNELS_KEY: 'cd'.repeat(32) } },
);

/** Registers a chat site on the console; returns its id. */
async function addSite(admin: Page, name: string, queue: string, calendar = ''): Promise<string> {
  await admin.goto(`${suite.server.url}/manage/channels`);
  await admin.getByText('Add a chat site').click();
  await admin.getByLabel('Name').fill(name);
  await admin.getByLabel(/Websites allowed/).fill(shopUrl);
  await admin.getByLabel('Chats go to the queue').selectOption(queue);
  if (calendar) await admin.getByLabel(/Business hours/).selectOption(calendar);
  await Promise.all([admin.waitForURL(/\/manage\/channels\/chat-sites\/site_/), admin.getByRole('button', { name: 'Add chat site' }).click()]);
  return admin.url().split('/').pop()!;
}

async function openWidget(page: Page, site: string): Promise<FrameLocator> {
  await page.goto(`${shopUrl}/?cb=${encodeURIComponent(suite.server.url)}&site=${site}`);
  await page.getByRole('button', { name: 'Chat with us' }).click();
  return page.frameLocator('iframe[data-casebook-chat="window"]');
}

describe('chat: nobody there', () => {
  it('no agent free, then outside hours: the visitor leaves a message on a phone and it becomes a case', async () => {
    const admin = await suite.newPage(DESKTOP);
    await signIn(admin, suite.server, 'adam@casebook.test', PASSWORD);
    const billing = await addSite(admin, 'Billing desk', 'billing');
    const closed = await addSite(admin, 'Weekday desk', 'general', 'weekly');

    const visitor = await suite.newPage(PHONE);
    let frame = await openWidget(visitor, billing);
    await frame.getByText('Nobody is available to chat right now. Leave a message and we will answer by e-mail.').waitFor();
    // The window is a standards-mode document: its doctype is markup, not text shown above the header.
    const window = visitor.frames().find((f) => f.url().includes('/chat/frame/'))!;
    expect(await window.evaluate(() => [document.compatMode, document.body.innerText.includes('DOCTYPE')])).toEqual(['CSS1Compat', false]);
    await frame.getByRole('button', { name: 'Send message' }).click();
    // Each empty field named, nothing typed lost on a refusal.
    await frame.getByRole('alert').getByText('Your name: required. Your e-mail: a valid e-mail address. Your message: write a message first.').waitFor();
    await frame.getByLabel('Your name').fill('Olga Offline');
    await frame.getByLabel('Your e-mail').fill('olga@example');
    await frame.getByRole('button', { name: 'Send message' }).click();
    await frame.getByRole('alert').getByText('Your e-mail: a valid e-mail address. Your message: write a message first.').waitFor();
    expect(await frame.getByLabel('Your name').inputValue()).toBe('Olga Offline');
    await frame.getByLabel('Your name').fill('Olga Offline');
    await frame.getByLabel('Your e-mail').fill('olga@example.com');
    await frame.getByLabel('Your message').fill('Please call me back about invoice 77.');
    await screenshot(visitor, 'chat-desk-01-offline-390');
    // A slow network: the answer is held; the visitor presses again, at a person's pace, as nothing seems to happen.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let posts = 0;
    await visitor.route('**/chat/api/sites/*/offline', async (route) => {
      posts += 1;
      await released;
      await route.continue();
    });
    const send = frame.getByRole('button', { name: 'Send message' });
    await send.click({ delay: 150 });
    await expect.poll(() => posts).toBe(1);
    await frame.locator('#chat-offline[aria-busy="true"]').waitFor();
    expect(await frame.getByLabel('Your message').evaluate((el) => (el as HTMLTextAreaElement).readOnly)).toBe(true);
    const box = (await send.boundingBox())!;
    await visitor.mouse.click(box.x + box.width / 2, box.y + box.height / 2, { delay: 150 });
    await frame.getByLabel('Your name').press('Enter');
    release();
    const thanks = frame.getByRole('status').filter({ hasText: 'Thank you!' });
    await thanks.waitFor();
    expect(posts).toBe(1); // one message, one case
    await visitor.unroute('**/chat/api/sites/*/offline');
    const ref = /C-\d+/.exec((await thanks.textContent()) ?? '')![0];
    const created = (await (await suite.server.api('GET', `/api/v1/cases/${ref}`)).json()) as { channel: string; subject: string };
    expect(created.channel).toBe('email');

    frame = await openWidget(visitor, closed);
    const hours = frame.getByText(/^We are outside our opening hours \(back .+\)\. Leave a message and we will answer by e-mail\.$/);
    await hours.waitFor();
    expect(await hours.textContent()).toMatch(/\(back \w{3}, [^:]*\d\d:00( [AP]M)? UTC\)/); // "back Thu, Dec 3, 09:00 AM UTC": the day, no seconds, the zone
    await screenshot(visitor, 'chat-desk-02-outside-hours-390');
    const width = await visitor.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(PHONE.width);
    expect(suite.problems()).toEqual([]);
  });
});

describe('chat: the agent’s side', () => {
  it('the agent’s chat stream, fallen silent without closing (cut by a proxy or a NAT), is opened again: the visitor’s typing shows again', async () => {
    const admin = await suite.newPage(DESKTOP);
    await signIn(admin, suite.server, 'adam@casebook.test', PASSWORD);
    const site = await addSite(admin, 'The Quiet Shop', 'general');
    // Alice is at her desk (the workspace open: she can take chats).
    const agent = await suite.newPage(DESKTOP);
    await agent.clock.install();
    let streams = 0;
    const streamUrls: string[] = [];
    agent.on('request', (r) => {
      if (!/\/chat\/stream\?after=\d+(&replaces=[\w-]+)?$/.test(r.url())) return;
      streams++;
      streamUrls.push(r.url());
    });
    await signIn(agent, suite.server, 'alice@casebook.test', PASSWORD);
    await agent.goto(`${suite.server.url}/inbox`);
    const visitor = await suite.newPage(DESKTOP);
    const frame = await openWidget(visitor, site);
    await frame.getByLabel('Your name').fill('Sue Silent');
    await frame.getByLabel('Your e-mail').fill('sue@example.com');
    await frame.getByRole('button', { name: 'Start chat' }).click();
    await frame.getByLabel('Your message').fill('My parcel is late.');
    const sent = visitor.waitForResponse((r) => r.url().endsWith('/chat/api/messages') && r.request().method() === 'POST');
    await frame.getByRole('button', { name: 'Send' }).click();
    const caseRef = ((await (await sent).json()) as { case: string }).case;

    // Alice opens the case page through a TCP proxy that can silence a connection.
    const proxy = await startTcpProxy(Number(new URL(suite.server.url).port));
    try {
      await agent.goto(`${proxy.url}/cases/${caseRef}`);
      const panel = agent.locator('#chat-panel');
      await panel.getByText('My parcel is late.').waitFor();
      await agent.locator('#chat-panel[data-connected="true"]').waitFor();
      // The visitor types; the window's signal (at most one every 3 s) has reached the server.
      const typing = async () => {
        const signalled = visitor.waitForResponse((r) => r.url().endsWith('/chat/api/typing'));
        await frame.getByLabel('Your message').pressSequentially(' still', { delay: 20 });
        expect((await signalled).status()).toBe(204);
      };
      await typing();
      await agent.getByText('Sue Silent is typing…').waitFor();
      expect(streams).toBe(1);

      expect(proxy.silence('/chat/stream')).toBe(1);
      await agent.clock.fastForward(6_000); // "is typing" wears off
      await expect.poll(() => agent.getByText('Sue Silent is typing…').count()).toBe(0);
      // Typing only ever comes by the stream: while it is silent, nothing shows.
      await typing();
      await agent.clock.fastForward(30_000);
      expect(await agent.getByText('Sue Silent is typing…').count()).toBe(0);
      expect(streams).toBe(1);
      // Past two heartbeats (20 s each) and 5 s more in silence, the page opens the stream again.
      await agent.clock.fastForward(10_000);
      await expect.poll(() => streams).toBe(2);
      // Naming the stream it gave up on: the server closes that one and gives its place back
      // (test/chat/agent-stream-access.test.ts).
      expect(new URL(streamUrls[0]!).searchParams.has('replaces')).toBe(false);
      expect(new URL(streamUrls[1]!).searchParams.get('replaces')).toMatch(/^[\w-]{12}$/);
      await expect
        .poll(
          async () => {
            await typing();
            return agent.getByText('Sue Silent is typing…').count();
          },
          { timeout: 15_000 },
        )
        .toBe(1);
      expect(suite.problems()).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('the chat arrives in the open inbox, the agent answers with a macro, ends the chat, the visitor rates it', async () => {
    const macro = await suite.server.api('POST', '/api/v1/macros', { name: 'Parcel tracking', body: 'Hi {{customer.firstName}}, your parcel is on its way: it arrives tomorrow.', shared: true });
    expect(macro.status, await macro.clone().text()).toBe(201);
    const admin = await suite.newPage(DESKTOP);
    await signIn(admin, suite.server, 'adam@casebook.test', PASSWORD);
    const site = await addSite(admin, 'The Shop', 'general');

    const agent = await suite.newPage(DESKTOP);
    await signIn(agent, suite.server, 'alice@casebook.test', PASSWORD);
    await agent.goto(`${suite.server.url}/inbox`);

    const visitor = await suite.newPage(DESKTOP);
    const frame = await openWidget(visitor, site);
    await frame.getByRole('button', { name: 'Start chat' }).click();
    await frame.getByRole('alert').getByText('Your name: required. Your e-mail: a valid e-mail address.').waitFor();
    await frame.getByLabel('Your name').fill('Vic Visitor');
    await frame.getByLabel('Your e-mail').fill('vic@example.com');
    await frame.getByRole('button', { name: 'Start chat' }).click();
    await frame.getByLabel('Your message').fill('Where is my parcel?');
    await frame.getByRole('button', { name: 'Send' }).click();

    // No reload: the inbox's live update brings the new chat.
    const row = agent.locator('tr', { hasText: 'Chat: Where is my parcel?' });
    await row.waitFor();
    await screenshot(agent, 'chat-desk-03-inbox-1280');
    await Promise.all([agent.waitForURL(/\/cases\/C-\d+$/), row.getByRole('link').click()]);
    const panel = agent.locator('#chat-panel');
    await panel.getByText('Where is my parcel?').waitFor();
    await frame.getByLabel('Your message').fill('Order 5521.');
    await frame.getByRole('button', { name: 'Send' }).click();
    await panel.getByText('Order 5521.').waitFor();

    // The composer says where a reply goes on a chat case.
    await agent.getByText('Public reply: the customer sees it in the live chat while it is open, by email once it ended.').waitFor();
    // A macro picked with "#", sent: the visitor gets it as a chat line.
    await agent.locator('#composer-body').click();
    await agent.keyboard.type('#parc');
    await agent.getByRole('listbox', { name: 'Macros' }).getByRole('option', { name: 'Parcel tracking' }).waitFor();
    await agent.keyboard.press('Enter');
    await expect.poll(() => agent.locator('#composer-body').inputValue()).toBe('Hi Vic, your parcel is on its way: it arrives tomorrow.');
    await agent.locator('#macro-send').click();
    await frame.locator('#chat-lines li', { hasText: 'your parcel is on its way' }).waitFor();
    await panel.getByText('your parcel is on its way').waitFor();
    await expectAccessible(agent, 'chat-desk-04-case-page-1280');

    // The agent starts typing, then ends it instead; the visitor sees it end (no one typing any more) and rates it.
    await agent.locator('#composer-body').pressSequentially('One more', { delay: 50 });
    await frame.getByText('Alice Archer is typing…').waitFor();
    await agent.locator('#chat-end').click();
    await panel.getByText('Chat (ended)').waitFor();
    await frame.getByText('The chat has ended.').waitFor();
    expect(await frame.locator('#chat-typing').textContent()).toBe('');
    await agent.locator('#composer-body').fill('');
    await frame.getByLabel('Anything to add? (optional)').fill('Too slow.');
    await frame.getByRole('button', { name: 'Not good', exact: true }).click();
    await frame.getByText('Thank you for your feedback!').waitFor();
    await screenshot(visitor, 'chat-desk-05-rated-1280');
    await agent.reload();
    const timeline = agent.locator('#case-timeline');
    await timeline.getByText('Vic Visitor rated the help: not satisfied').waitFor();
    await timeline.getByText('Too slow.').waitFor();
    await timeline.getByText('Vic Visitor started a live chat on The Shop').waitFor();
    await timeline.getByText(/^Alice Archer ended the live chat after \d messages$/).waitFor();
    const text = await timeline.innerText();
    expect(text).not.toMatch(/chat\.(started|ended)|case\.rated|siteName|hostOrigin|site_/);

    // Ended, and Vic only typed the address: a reply is mailed there, so it waits for a yes.
    await agent.locator('#composer-body').fill('Your parcel was delivered to the neighbour.');
    await agent.locator('#composer-submit').click();
    const confirm = agent.locator('#composer-confirm');
    await confirm.getByText('This reply will be e-mailed to vic@example.com, an address the chat visitor typed and did not verify', { exact: false }).waitFor();
    expect(await timeline.getByText('delivered to the neighbour').count()).toBe(0);
    await confirm.getByRole('button', { name: 'Yes, e-mail it to vic@example.com' }).click();
    await timeline.getByText('Your parcel was delivered to the neighbour.').waitFor();
    expect(await agent.locator('#composer-confirm').count()).toBe(0);
    expect(suite.problems()).toEqual([]);
  });
});
