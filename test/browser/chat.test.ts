/**
 * Live chat in Chromium: a shop's page on one port loads the widget from Casebook on
 * another; an admin registers the site on /manage/channels; a visitor chats in one browser
 * context while an agent, signed in in another, sees the chat arrive in the inbox and live
 * on the case page and answers from the composer; the visitor's network
 * drops mid-chat and comes back with nothing lost or doubled; the chat ends, the transcript
 * arrives over SMTP, the visitor rates it; a chat kept in the browser resumes only for the
 * shop user it belongs to. Screenshots at 1280×800 and 390×844.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VISITOR_STREAMS } from '../../src/http/chat/visitor.js';
import { ADMIN_TOKEN } from '../support/harness.js';
import { startSmtp, type Inbox } from '../support/smtp.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { advanceClockUntil, holdRequests, screenshot, signIn, useBrowserSuite } from './support.js';

const PASSWORD = 'browser chat password';
// LOG_LEVEL info: the server logs each request it answered, with its time (what a failed endChat shows).
const env: Record<string, string> = { CHANNELS_KEY: 'ef'.repeat(32), LOG_LEVEL: 'info' };
let smtp: Inbox;
let shop: http.Server;
let shopUrl = '';
let siteId = '';

beforeAll(async () => {
  smtp = await startSmtp();
  env.SMTP_URL = `smtp://127.0.0.1:${smtp.port}`;
  shop = http.createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const casebook = decodeURIComponent(query.get('cb') ?? '');
    // A signed-in user of the shop (the test's plain values need no escaping): the shop's server signs their address.
    const user = query.get('email') ? ` data-user-email="${query.get('email')}" data-user-name="${query.get('name')}" data-user-signature="${query.get('sig')}"` : '';
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Shop</title><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>The Shop</h1><p>Our products.</p><script src="${casebook}/chat/widget.js" data-site="${siteId}"${user} async></script></body></html>`);
  });
  await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
  shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => shop.close(() => resolve()));
  await smtp.close();
});

// Alice takes every chat of the file. Not every test ends its chat, and a test that fails ends
// none: with the default limit of 3 live chats, the chats earlier tests left open held her places
// and a later test's visitor found nobody available (no "Start chat": CI saw one failure take
// the last test with it). Her limit is above all the chats the file starts, so each test finds her
// free whatever the tests before it left open, and so is her capacity (every chat's case stays open
// and hers); the limits themselves are test/chat/chat-assignment.test.ts's.
const suite = useBrowserSuite(
  [
    { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', password: PASSWORD, queues: ['general'], chatLimit: 20, capacity: 50 },
    { email: 'adam@casebook.test', name: 'Adam Admin', role: 'admin', password: PASSWORD },
  ],
  undefined,
  { env },
);

/** A page of the file's (suite.newPage), its requests to the chat's API watched (watchChatRequests). */
async function newPage(options: { width: number; height: number }): Promise<Page> {
  const page = await suite.newPage(options);
  await watchChatRequests(page);
  return page;
}

async function lineTexts(frame: FrameLocator): Promise<{ seqs: number[]; texts: string[] }> {
  const items = frame.locator('#chat-lines > li');
  return { seqs: (await items.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))))), texts: await items.allTextContents() };
}

/**
 * The page's requests to the chat's API, as they went: sent, answered (status) or failed (why),
 * with the time of each; and, in each of its frames (the chat window's too), the presses and
 * clicks as the page got them (which element, where), and its errors.
 */
const chatRequests = new WeakMap<Page, string[]>();
const PRESSED = '[chat test] ';
async function watchChatRequests(page: Page): Promise<void> {
  const seen: string[] = [];
  chatRequests.set(page, seen);
  const at = () => new Date().toISOString().slice(11, 23);
  const what = (r: { method(): string; url(): string }) => `${r.method()} ${new URL(r.url()).pathname}${new URL(r.url()).search}`;
  page.on('request', (r) => void (r.url().includes('/chat/api/') && seen.push(`${at()} sent ${what(r)}`)));
  page.on('response', (r) => void (r.url().includes('/chat/api/') && seen.push(`${at()} ${r.status()} ${what(r.request())}`)));
  page.on('requestfailed', (r) => void (r.url().includes('/chat/api/') && seen.push(`${at()} failed ${what(r)}: ${r.failure()?.errorText ?? ''}`)));
  page.on('console', (m) => void (m.text().startsWith(PRESSED) && seen.push(`${at()} ${m.text().slice(PRESSED.length)}`)));
  page.on('pageerror', (error) => void seen.push(`${at()} page error: ${error.message}`));
  await page.addInitScript((prefix) => {
    for (const type of ['pointerdown', 'click']) {
      document.addEventListener(
        type,
        (e) => {
          const target = e.target as Element | null;
          const { clientX, clientY } = e as MouseEvent;
          console.debug(`${prefix}${type} on ${target?.id ? `#${target.id}` : (target?.tagName ?? '?')} at ${Math.round(clientX)},${Math.round(clientY)} in ${location.pathname}`);
        },
        true,
      );
    }
  }, PRESSED);
}

/** The server's output as short lines: its answers to the chat's API (time, route, status, ms), anything logged above info as it came. */
function serverLines(output: string): string[] {
  return output
    .trim()
    .split('\n')
    .flatMap((line) => {
      let entry: { level?: string; time?: string; method?: string; route?: string; status?: number; ms?: number; msg?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return [line];
      }
      if (entry.msg !== 'request' || entry.level !== 'info') return [line];
      return entry.route?.startsWith('/chat/api/') ? [`${entry.time?.slice(11, 23)} ${entry.method} ${entry.route} ${entry.status} ${entry.ms} ms`] : [];
    });
}

/**
 * Presses "End chat", waits for the server's answer to it, then for the window to say so. The
 * window waits up to 10 s for each answer and asks up to three times (END_WAIT_MS, END_ATTEMPTS
 * in public/chat-frame.js): inside a full run on two cores an end once took longer than a plain
 * wait's 30 s. A refused end fails here with its status, not as a text that never came. One
 * that got no answer at all (a full run, once in many) fails with what there is to know: the
 * window's requests to the chat's API, presses and clicks as they went, what it says, its End
 * chat button's state, the server's last lines (each request it answered, with its time) and
 * its event loop's lag. (A CI run showed the end never sent: the server was answering.)
 */
async function endChat(page: Page, frame: FrameLocator): Promise<void> {
  const answered = page.waitForResponse((r) => r.url().endsWith('/chat/api/end') && r.request().method() === 'POST', { timeout: 60_000 });
  await frame.getByRole('button', { name: 'End chat' }).click();
  const response = await answered.catch(async (error: Error) => {
    const says = await frame.locator('#chat-status, .error, [role="alert"]').allTextContents().catch(() => []);
    const button = await frame
      .locator('#chat-end')
      .evaluate((b) => ({ ariaDisabled: b.getAttribute('aria-disabled'), box: b.getBoundingClientRect().toJSON() as unknown }))
      .catch((failed: Error) => failed.message);
    const requests = chatRequests.get(page) ?? ['(not watched: watchChatRequests)'];
    const server = serverLines(suite.server.output()).slice(-25);
    // Whether the server's event loop stood still (a write blocked on a lock would hold every answer).
    const lag = await fetch(`${suite.server.url}/metrics`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(5_000) })
      .then(async (res) => (await res.text()).split('\n').filter((line) => /^nodejs_eventloop_lag_(max|p99)_seconds|^casebook_sqlite/.test(line)))
      .catch((failed: Error) => [`/metrics gave no answer: ${failed.message}`]);
    throw new Error(
      `${error.message}\nthe window's requests to the chat's API (UTC):\n  ${requests.slice(-30).join('\n  ')}\nthe window says: ${JSON.stringify(says)}\nits End chat button: ${JSON.stringify(button)}\nthe server's last lines (the chat's API, warnings):\n  ${server.join('\n  ')}\nthe server's metrics:\n  ${lag.join('\n  ')}`,
    );
  });
  expect(response.status()).toBe(200);
  await frame.getByText('The chat has ended.').waitFor();
}

/** A visitor on the shop's page whose chat streams "a proxy" cuts: after three failed attempts the window polls. The page's clock stands still and moves only when the test says. */
async function visitorBehindProxy(name: string, email: string) {
  const page = await newPage({ width: 390, height: 844 });
  await page.clock.install();
  await page.clock.pauseAt(Date.now() + 1000);
  const counts = { streams: 0, polls: 0 };
  page.on('request', (r) => {
    if (r.url().endsWith('/chat/api/stream')) counts.streams++;
    if (r.url().includes('/chat/api/messages?after=')) counts.polls++;
  });
  await page.context().route('**/chat/api/stream', (route) => route.abort());
  await page.goto(`${shopUrl}/?cb=${encodeURIComponent(suite.server.url)}`);
  await page.getByRole('button', { name: 'Chat with us' }).click();
  const frame = page.frameLocator('iframe[data-casebook-chat="window"]');
  await frame.getByLabel('Your name').fill(name);
  await frame.getByLabel('Your e-mail').fill(email);
  await frame.getByRole('button', { name: 'Start chat' }).click();
  // Three failed attempts (1 s, then 2 s apart), then polling. The page schedules each retry
  // once it has seen the attempt fail, a moment after the request went out: its clock is moved
  // on in steps until the next request comes (advanceClockUntil).
  const advanceUntil = (done: () => boolean): Promise<number> => advanceClockUntil(page, done, { stepMs: 100, intervalMs: 50, timeoutMs: 30_000 });
  await expect.poll(() => counts.streams).toBe(1);
  expect(await advanceUntil(() => counts.streams === 2)).toBeGreaterThanOrEqual(1000);
  expect(await advanceUntil(() => counts.streams === 3)).toBeGreaterThanOrEqual(2000);
  await advanceUntil(() => counts.polls > 0);
  expect(counts.streams).toBe(3);
  await frame.getByText('checking for new messages every few seconds').waitFor();
  return { page, frame, counts, advanceUntil };
}

/** The visitor sends a line; the case it went to. */
async function visitorSays(page: Page, frame: FrameLocator, text: string): Promise<string> {
  await frame.getByLabel('Your message').fill(text);
  const sent = page.waitForResponse((r) => r.url().endsWith('/chat/api/messages') && r.request().method() === 'POST');
  await frame.getByRole('button', { name: 'Send' }).click();
  const caseRef = ((await (await sent).json()) as { case: string }).case;
  // The line as the server numbered it (data-seq): while the stream's copy and the one on its way
  // (li.pending) are both there for a moment, a locator for either would match two.
  await frame.locator('#chat-lines li[data-seq]', { hasText: text }).waitFor();
  return caseRef;
}

describe('live chat', () => {
  it('a visitor on another origin chats with a signed-in agent, through a reconnect, and gets the transcript', async () => {
    // The admin registers the shop.
    const admin = await newPage({ width: 1280, height: 800 });
    await signIn(admin, suite.server, 'adam@casebook.test', PASSWORD);
    await admin.goto(`${suite.server.url}/manage/channels`);
    await admin.getByText('Add a chat site').click();
    await admin.getByLabel('Name').fill('The Shop');
    await admin.getByLabel(/Websites allowed/).fill(shopUrl);
    await admin.getByLabel('Greeting').fill('Hello! Ask us anything.');
    await admin.getByLabel('Chats go to the queue').selectOption('general');
    await Promise.all([admin.waitForURL(/\/manage\/channels\/chat-sites\/site_/), admin.getByRole('button', { name: 'Add chat site' }).click()]);
    siteId = admin.url().split('/').pop()!;
    expect(await admin.locator('#chat-snippet').textContent()).toContain(`data-site="${siteId}"`);
    await screenshot(admin, 'chat-01-console-site');

    // The agent is at the desk (the workspace open: the chat counts only agents signed in now, and keeps this page for the next tests).
    const agent = await newPage({ width: 1280, height: 800 });
    await signIn(agent, suite.server, 'alice@casebook.test', PASSWORD);
    await agent.goto(`${suite.server.url}/inbox`);

    // The visitor, on the shop's page (another port: another origin).
    const visitor = await newPage({ width: 1280, height: 800 });
    await visitor.goto(`${shopUrl}/?cb=${encodeURIComponent(suite.server.url)}`);
    await visitor.getByRole('button', { name: 'Chat with us' }).click();
    const frame = visitor.frameLocator('iframe[data-casebook-chat="window"]');
    await frame.getByLabel('Your name').fill('Vera Visitor');
    await frame.getByLabel('Your e-mail').fill('vera@example.com');
    await frame.getByRole('button', { name: 'Start chat' }).click();
    await frame.getByLabel('Your message').fill('Hi, my parcel has not arrived.');
    await frame.getByRole('button', { name: 'Send' }).click();
    await frame.locator('#chat-lines li[data-seq]', { hasText: 'my parcel has not arrived' }).waitFor();
    expect(await visitor.context().cookies(shopUrl)).toEqual([]);

    // The agent sees it arrive in the inbox and opens it.
    await agent.getByRole('cell', { name: /Chat: Hi, my parcel has not arrived/ }).waitFor();
    const row = agent.locator('tr', { hasText: 'Chat: Hi, my parcel' }).getByRole('link');
    await Promise.all([agent.waitForURL(/\/cases\/C-\d+$/), row.click()]);
    const panel = agent.locator('#chat-panel');
    await panel.getByText('my parcel has not arrived').waitFor();

    // Live both ways: the visitor's line reaches the agent, the agent's reply the visitor; and
    // each side sees the other typing, also right after sending a line: typed key by key, as a
    // person does (a signal held back by the 3 s throttle goes out when its window ends).
    await frame.getByLabel('Your message').fill('It was due yesterday');
    await frame.getByRole('button', { name: 'Send' }).click();
    await panel.getByText('It was due yesterday').waitFor();
    await frame.getByLabel('Your message').pressSequentially('Is it lost', { delay: 50 });
    await panel.getByText('Vera Visitor is typing…').waitFor();
    // The window acknowledges an agent's line once it has shown it: replies it never showed are mailed when the chat ends.
    const acknowledged = visitor.waitForRequest((r) => r.url().endsWith('/chat/api/seen') && r.method() === 'POST');
    await agent.getByLabel('Message').fill('Sorry about that! Let me check the tracking.');
    await agent.getByRole('button', { name: 'Send', exact: true }).click();
    await frame.locator('#chat-lines li', { hasText: 'Let me check the tracking' }).waitFor();
    expect(JSON.parse((await acknowledged).postData() ?? '{}')).toEqual({ seq: 4 });
    await agent.getByLabel('Message').pressSequentially('One moment', { delay: 50 });
    await frame.getByText('Alice Archer is typing…').waitFor();
    await screenshot(agent, 'chat-02-agent-case-page');
    await screenshot(visitor, 'chat-03-visitor-1280');

    // The visitor's network drops; the agent writes meanwhile; it comes back.
    await visitor.context().setOffline(true);
    await agent.getByLabel('Message').fill('It is at the depot and arrives tomorrow.');
    await agent.getByRole('button', { name: 'Send', exact: true }).click();
    await panel.getByText('arrives tomorrow').waitFor();
    await new Promise((r) => setTimeout(r, 1500)); // a real outage, long enough for the stream to drop
    await visitor.context().setOffline(false);
    await frame.locator('#chat-lines li', { hasText: 'arrives tomorrow' }).waitFor();
    await frame.getByLabel('Your message').fill('Great, thank you!');
    await frame.getByRole('button', { name: 'Send' }).click();
    await panel.getByText('Great, thank you!').waitFor();
    const seen = await lineTexts(frame);
    expect(seen.seqs).toEqual([1, 2, 3, 4, 5, 6]); // greeting, 2 from the visitor, 2 from the agent, the visitor's thanks: each once
    expect(seen.texts.filter((t) => t.includes('arrives tomorrow'))).toHaveLength(1);

    await visitor.setViewportSize({ width: 390, height: 844 });
    await screenshot(visitor, 'chat-04-visitor-390');

    // The end, while the visitor was typing: the agent's panel no longer says they type. Then transcript by mail, and a rating.
    await frame.getByLabel('Your message').pressSequentially('Oh, and', { delay: 50 });
    await agent.locator('#chat-typing').getByText('Vera Visitor is typing…').waitFor();
    await endChat(visitor, frame);
    await agent.locator('#chat-panel').getByText('Chat (ended)').waitFor();
    expect(await agent.locator('#chat-typing').textContent()).toBe('');
    await frame.getByRole('button', { name: 'Email me the transcript' }).click();
    await frame.getByText('The transcript is on its way to vera@example.com.').waitFor();
    for (let i = 0; i < 100 && !smtp.messages.some((m) => m.to.includes('vera@example.com')); i++) await new Promise((r) => setTimeout(r, 100));
    const mail = smtp.messages.find((m) => m.to.includes('vera@example.com'))!.mail;
    expect(mail.subject).toMatch(/^\[C-\d+\] Transcript of your chat$/);
    expect(mail.text).toContain('It is at the depot and arrives tomorrow.');
    expect(mail.text).toContain('Vera Visitor ended the chat.');
    await frame.getByLabel('Anything to add? (optional)').fill('Quick and kind.');
    await frame.getByRole('button', { name: 'Good', exact: true }).click();
    await frame.getByText('Thank you for your feedback!').waitFor();
    await screenshot(visitor, 'chat-05-visitor-ended-390');
    await agent.locator('#chat-panel').getByText('Chat (ended)').waitFor();
    expect(suite.problems()).toEqual([]);
  });

  it('a line on its way leaves the box at once: what the visitor types meanwhile is kept, and lines sent meanwhile arrive once each, in order', async () => {
    const visitor = await newPage({ width: 390, height: 844 });
    await visitor.goto(`${shopUrl}/?cb=${encodeURIComponent(suite.server.url)}`);
    await visitor.getByRole('button', { name: 'Chat with us' }).click();
    const frame = visitor.frameLocator('iframe[data-casebook-chat="window"]');
    await frame.getByLabel('Your name').fill('Sam Slow');
    await frame.getByLabel('Your e-mail').fill('sam@example.com');
    await frame.getByRole('button', { name: 'Start chat' }).click();
    // A slow network: the first line's answer is held until the test lets it go.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const posted: string[] = [];
    await visitor.route('**/chat/api/messages', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      posted.push((JSON.parse(route.request().postData() ?? '{}') as { body: string }).body);
      if (posted.length === 1) await released;
      await route.continue();
    });
    const input = frame.getByLabel('Your message');
    await input.fill('Where is my order?');
    const box = (await frame.getByRole('button', { name: 'Send' }).boundingBox())!;
    await visitor.mouse.click(box.x + box.width / 2, box.y + box.height / 2, { delay: 150 });
    await expect.poll(() => posted.length).toBe(1);
    // On its way: shown as sending, the box empty and the visitor's own.
    await frame.locator('#chat-lines li.pending', { hasText: 'Where is my order?' }).getByText('Sending…').waitFor();
    expect(await input.inputValue()).toBe('');
    // The next line, typed at a person's pace and sent with Enter while the first is still on its way, then a third typed and not sent.
    await input.pressSequentially('It is order 5521.', { delay: 20 });
    await input.press('Enter');
    await frame.locator('#chat-lines li.pending', { hasText: 'It is order 5521.' }).waitFor();
    await input.pressSequentially('And the address changed', { delay: 20 });
    expect(posted).toEqual(['Where is my order?']); // one at a time: the second waits for the first's answer
    release();
    await frame.locator('#chat-lines li[data-seq]', { hasText: 'It is order 5521.' }).waitFor();
    await expect.poll(() => frame.locator('#chat-lines li.pending').count()).toBe(0);
    expect(await input.inputValue()).toBe('And the address changed');
    expect(posted).toEqual(['Where is my order?', 'It is order 5521.']);
    const shown = await lineTexts(frame);
    expect(shown.texts.slice(1)).toEqual(['YouWhere is my order?', 'YouIt is order 5521.']);
    expect(shown.seqs).toEqual([1, 2, 3]);

    // The connection drops before the next line reached the server: the line goes back into the box with the error; sent again, it is written once.
    let drop: 'before' | 'after' | null = 'before';
    await visitor.unroute('**/chat/api/messages');
    await visitor.route('**/chat/api/messages', async (route) => {
      if (route.request().method() !== 'POST' || drop === null) return route.continue();
      const when = drop;
      drop = null;
      if (when === 'after') await route.fetch();
      await route.abort('connectionreset');
    });
    await input.press('Enter');
    await frame.getByText('The connection dropped: your message may not have been sent.').waitFor();
    expect(await input.inputValue()).toBe('And the address changed');
    expect(await frame.locator('#chat-lines li.pending').count()).toBe(0);
    await frame.getByRole('button', { name: 'Send' }).click({ delay: 150 });
    await expect.poll(() => input.inputValue()).toBe('');
    await frame.locator('#chat-lines li[data-seq]', { hasText: 'And the address changed' }).waitFor();
    await expect.poll(() => frame.locator('#chat-lines li.pending').count()).toBe(0);
    expect((await lineTexts(frame)).seqs).toEqual([1, 2, 3, 4]);
    // It drops after the line reached the server: whether the stream brings the line before or
    // after the failed answer, the line shows once, and it leaves the box with the error (it was sent).
    drop = 'after';
    await input.fill('Flat 2, not flat 3.');
    await input.press('Enter');
    await frame.locator('#chat-lines li[data-seq]', { hasText: 'Flat 2, not flat 3.' }).waitFor();
    await expect.poll(() => input.inputValue()).toBe('');
    await expect.poll(() => frame.locator('#chat-send .error').textContent()).toBe('');
    await expect.poll(() => frame.locator('#chat-lines li.pending').count()).toBe(0);
    expect((await lineTexts(frame)).seqs).toEqual([1, 2, 3, 4, 5]);
    // The chat ends.
    await endChat(visitor, frame);
    expect(suite.problems()).toEqual([]);
  });

  it('a chat kept in the browser resumes only for its own user: the shop’s next signed-in user, or the browser once signed out, gets a new chat', async () => {
    const admin = await newPage({ width: 1280, height: 800 });
    await signIn(admin, suite.server, 'adam@casebook.test', PASSWORD);
    await admin.goto(`${suite.server.url}/manage/channels/chat-sites/${siteId}`);
    const secret = (await admin.locator('#chat-secret').textContent())!.trim();
    const page = await newPage({ width: 390, height: 844 }); // one browser, one computer: the shop's users take turns
    const open = async (user?: { email: string; name: string }) => {
      const identity = user ? `&email=${encodeURIComponent(user.email)}&name=${encodeURIComponent(user.name)}&sig=${createHmac('sha256', secret).update(user.email).digest('hex')}` : '';
      await page.goto(`${shopUrl}/?cb=${encodeURIComponent(suite.server.url)}${identity}`);
      await page.getByRole('button', { name: 'Chat with us' }).click();
      return page.frameLocator('iframe[data-casebook-chat="window"]');
    };
    const lines = (frame: FrameLocator) => frame.locator('#chat-lines > li').allTextContents();
    const ann = { email: 'ann.signed@example.com', name: 'Ann Signed' };

    let frame = await open(ann);
    await frame.getByLabel('Your message').fill('My card number ends in 4242.');
    await frame.getByRole('button', { name: 'Send' }).click();
    await frame.locator('#chat-lines li[data-seq]', { hasText: 'ends in 4242' }).waitFor();
    // Ended, here and below: an ended chat resumes as well as an open one.
    await endChat(page, frame);
    // Ann comes back to the shop: her chat is there.
    frame = await open(ann);
    await frame.locator('#chat-lines li', { hasText: 'ends in 4242' }).waitFor();

    // Ann signs out and Ben signs in on the same computer: a chat of his own, none of Ann's lines.
    frame = await open({ email: 'ben.signed@example.com', name: 'Ben Signed' });
    await frame.locator('#chat-lines li', { hasText: 'Hello! Ask us anything.' }).waitFor();
    expect((await lines(frame)).join('\n')).not.toContain('4242');
    await frame.getByLabel('Your message').fill('Ben here.');
    await frame.getByRole('button', { name: 'Send' }).click();
    await frame.locator('#chat-lines li[data-seq]', { hasText: 'Ben here.' }).waitFor();
    await endChat(page, frame);

    // Ben signs out: nobody is signed in, so his verified chat is not resumed either.
    frame = await open();
    await frame.getByLabel('Your name').waitFor();
    expect(await lines(frame)).toEqual([]);
    expect(suite.problems()).toEqual([]);
  });

  it('a file the agent sends is a button on the reply’s line, and clicking it downloads the file', async () => {
    const visitor = await newPage({ width: 390, height: 844 });
    await visitor.goto(`${shopUrl}/?cb=${encodeURIComponent(suite.server.url)}`);
    await visitor.getByRole('button', { name: 'Chat with us' }).click();
    const frame = visitor.frameLocator('iframe[data-casebook-chat="window"]');
    await frame.getByLabel('Your name').fill('Fay File');
    await frame.getByLabel('Your e-mail').fill('fay@example.com');
    await frame.getByRole('button', { name: 'Start chat' }).click();
    const caseRef = await visitorSays(visitor, frame, 'Could you send me the manual?');
    const form = new FormData();
    form.append('body', 'Here it is.');
    form.append('public', 'true');
    form.append('files', new File(['%PDF-1.4 manual'], 'Manual ü.pdf', { type: 'application/pdf' }));
    const sent = await fetch(`${suite.server.url}/api/v1/cases/${caseRef}/messages`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}` }, body: form });
    expect(sent.status).toBe(201);
    const button = frame.getByRole('button', { name: 'Manual ü.pdf (15 B)' });
    await button.waitFor();
    const [download] = await Promise.all([visitor.waitForEvent('download'), button.click()]);
    expect(download.suggestedFilename()).toBe('Manual ü.pdf');
    const chunks: Buffer[] = [];
    for await (const chunk of (await download.createReadStream())!) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('%PDF-1.4 manual');
    await screenshot(visitor, 'chat-06-visitor-file-390');
    expect(suite.problems()).toEqual([]);
  });

  it('acknowledges a reply only once the page is visible: one that arrives in a background tab is not seen until the visitor comes back', async () => {
    const visitor = await newPage({ width: 390, height: 844 });
    await visitor.clock.install();
    await visitor.clock.pauseAt(Date.now() + 1000); // the window's timers (its acknowledgements) run only when the test says
    const acks: unknown[] = [];
    visitor.on('request', (r) => {
      if (r.url().endsWith('/chat/api/seen') && r.method() === 'POST') acks.push(JSON.parse(r.postData() ?? '{}'));
    });
    await visitor.goto(`${shopUrl}/?cb=${encodeURIComponent(suite.server.url)}`);
    await visitor.getByRole('button', { name: 'Chat with us' }).click();
    const frame = visitor.frameLocator('iframe[data-casebook-chat="window"]');
    await frame.getByLabel('Your name').fill('Hal Hidden');
    await frame.getByLabel('Your e-mail').fill('hal@example.com');
    await frame.getByRole('button', { name: 'Start chat' }).click();
    const caseRef = await visitorSays(visitor, frame, 'Where is my refund?');
    // The visitor switches to another tab (as the browser reports it to the window).
    const setVisibility = (state: 'hidden' | 'visible') =>
      frame.locator('body').evaluate((_, v) => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => v });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
    await setVisibility('hidden');
    expect((await suite.server.api('POST', `/api/v1/cases/${caseRef}/messages`, { body: 'Refunded this morning.', public: true })).status).toBe(201);
    await frame.locator('#chat-lines li', { hasText: 'Refunded this morning.' }).waitFor();
    await visitor.clock.runFor(3000);
    expect(acks).toEqual([]); // delivered to a background tab: not seen
    const seq = Number(await frame.locator('#chat-lines li', { hasText: 'Refunded this morning.' }).getAttribute('data-seq'));
    // Back on the tab: what it shows is acknowledged.
    await setVisibility('visible');
    await visitor.clock.runFor(1000);
    await expect.poll(() => acks).toEqual([{ seq }]);
    // The visitor folds the window away on a visible tab: a reply then is not seen either, until it is unfolded.
    await frame.getByRole('button', { name: /close/i }).click();
    await visitor.locator('iframe[data-casebook-chat="window"]').waitFor({ state: 'hidden' });
    expect((await suite.server.api('POST', `/api/v1/cases/${caseRef}/messages`, { body: 'Anything else?', public: true })).status).toBe(201);
    await frame.locator('#chat-lines li', { hasText: 'Anything else?' }).waitFor({ state: 'attached' });
    await visitor.clock.runFor(3000);
    expect(acks).toEqual([{ seq }]);
    const next = Number(await frame.locator('#chat-lines li', { hasText: 'Anything else?' }).getAttribute('data-seq'));
    await visitor.getByRole('button', { name: 'Chat with us' }).click();
    await visitor.clock.runFor(1000);
    await expect.poll(() => acks).toEqual([{ seq }, { seq: next }]);
    expect(suite.problems()).toEqual([]);
  });

  it('a window folded away before it had loaded takes no reply for seen, and the shop’s console has no error from the widget', async () => {
    const visitor = await newPage({ width: 1280, height: 800 });
    await visitor.clock.install();
    await visitor.clock.pauseAt(Date.now() + 1000); // the window's acknowledgements run only when the test says
    const acks: unknown[] = [];
    visitor.on('request', (r) => {
      if (r.url().endsWith('/chat/api/seen') && r.method() === 'POST') acks.push(JSON.parse(r.postData() ?? '{}'));
    });
    const errors: string[] = [];
    visitor.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const shop = `${shopUrl}/?cb=${encodeURIComponent(suite.server.url)}`;
    await visitor.goto(shop);
    await visitor.getByRole('button', { name: 'Chat with us' }).click();
    const frame = visitor.frameLocator('iframe[data-casebook-chat="window"]');
    await frame.getByLabel('Your name').fill('Flo Folded');
    await frame.getByLabel('Your e-mail').fill('flo@example.com');
    await frame.getByRole('button', { name: 'Start chat' }).click();
    const caseRef = await visitorSays(visitor, frame, 'Is the blue one in stock?');
    // The shop's next page: the visitor opens the chat and folds it away again before the window has loaded.
    const held = await holdRequests(visitor, '**/chat/frame/**');
    await visitor.goto(shop);
    await visitor.getByRole('button', { name: 'Chat with us' }).click();
    await expect.poll(held.asked).toBe(1);
    await visitor.getByRole('button', { name: 'Chat with us' }).click();
    held.release();
    await frame.locator('#chat-lines li', { hasText: 'Is the blue one in stock?' }).waitFor({ state: 'attached' });
    expect((await suite.server.api('POST', `/api/v1/cases/${caseRef}/messages`, { body: 'Yes, two left.', public: true })).status).toBe(201);
    await frame.locator('#chat-lines li', { hasText: 'Yes, two left.' }).waitFor({ state: 'attached' });
    await visitor.clock.runFor(3000);
    expect(acks).toEqual([]); // folded away: not seen
    const seq = Number(await frame.locator('#chat-lines li', { hasText: 'Yes, two left.' }).getAttribute('data-seq'));
    await visitor.getByRole('button', { name: 'Chat with us' }).click();
    await visitor.clock.runFor(1000);
    await expect.poll(() => acks).toEqual([{ seq }]);
    expect(errors).toEqual([]);
    expect(suite.problems()).toEqual([]);
  });

  it('falls back to polling when streaming keeps failing, and streams again later (on the page’s own clock)', async () => {
    const { page, frame, counts, advanceUntil } = await visitorBehindProxy('Pia Proxy', 'pia@example.com');
    const caseRef = await visitorSays(page, frame, 'Anyone there?');

    // In a background tab a polled reply is not acknowledged by the next poll's `after` either
    // (the server takes it as one): it stays at the last line shown until the tab is visible again.
    const afters: number[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/chat/api/messages?after=')) afters.push(Number(new URL(r.url()).searchParams.get('after')));
    });
    const shown = Number(await frame.locator('#chat-lines li').last().getAttribute('data-seq'));
    await frame.locator('body').evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    expect((await suite.server.api('POST', `/api/v1/cases/${caseRef}/messages`, { body: 'Looking into it.', public: true })).status).toBe(201);
    await advanceUntil(() => afters.length > 0); // the poll that brings it
    await frame.locator('#chat-lines li', { hasText: 'Looking into it.' }).waitFor();
    // Its answer, the line in it, scheduled the next poll: 3 s on.
    const polled = afters.length;
    await page.clock.runFor(3000);
    await expect.poll(() => afters.length).toBeGreaterThan(polled);
    expect(afters.every((a) => a === shown)).toBe(true);
    await frame.locator('body').evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    const again = afters.length;
    await advanceUntil(() => afters.length > again); // the poll under way when it became visible may answer first
    expect(afters.at(-1)).toBe(shown + 1);

    // The proxy is gone; 15 s later (polling meanwhile) the window streams again and stops polling.
    await page.context().unroute('**/chat/api/stream');
    await page.clock.runFor(15_000);
    await expect.poll(() => counts.streams).toBe(4);
    await frame.getByText('Connected.', { exact: true }).waitFor();
    const pollsBefore = counts.polls;
    // With the page's clock standing still no poll runs: the agent's answer can only come by the stream.
    expect((await suite.server.api('POST', `/api/v1/cases/${caseRef}/messages`, { body: 'Yes, here!', public: true })).status).toBe(201);
    await frame.locator('#chat-lines li', { hasText: 'Yes, here!' }).waitFor();
    expect(counts.polls).toBe(pollsBefore);
    expect(suite.problems()).toEqual([]);
  });
  it('connects again when its stream falls silent without closing (cut by a proxy or a NAT): the reply sent meanwhile arrives', async () => {
    // Casebook behind a TCP proxy that can silence a connection: its sockets stay open and say nothing.
    const proxy = await startTcpProxy(Number(new URL(suite.server.url).port));
    try {
      const visitor = await newPage({ width: 390, height: 844 });
      await visitor.clock.install();
      await visitor.clock.pauseAt(Date.now() + 1000); // the window's timers run only when the test says
      let streams = 0;
      const streamUrls: string[] = [];
      const answers: number[] = [];
      visitor.on('request', (r) => {
        if (new URL(r.url()).pathname !== '/chat/api/stream') return;
        streams++;
        streamUrls.push(r.url());
      });
      visitor.on('response', (r) => {
        if (new URL(r.url()).pathname === '/chat/api/stream') answers.push(r.status());
      });
      const session = visitor.waitForResponse((r) => /\/chat\/api\/sites\/[^/]+\/sessions$/.test(r.url()) && r.request().method() === 'POST');
      await visitor.goto(`${shopUrl}/?cb=${encodeURIComponent(proxy.url)}`);
      await visitor.getByRole('button', { name: 'Chat with us' }).click();
      const frame = visitor.frameLocator('iframe[data-casebook-chat="window"]');
      await frame.getByLabel('Your name').fill('Sid Silent');
      await frame.getByLabel('Your e-mail').fill('sid@example.com');
      await frame.getByRole('button', { name: 'Start chat' }).click();
      const { token } = (await (await session).json()) as { token: string };
      const caseRef = await visitorSays(visitor, frame, 'Has my order shipped?');
      // The chat's other windows (its other tabs) hold every other place it may stream in.
      await expect.poll(() => answers).toEqual([200]);
      const others = await Promise.all(
        Array.from({ length: VISITOR_STREAMS - 1 }, () => fetch(`${suite.server.url}/chat/api/stream`, { headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } })),
      );
      expect(others.map((r) => r.status)).toEqual(Array<number>(VISITOR_STREAMS - 1).fill(200));
      // A first reply comes by the stream (no poll runs while the window streams): it is live.
      expect((await suite.server.api('POST', `/api/v1/cases/${caseRef}/messages`, { body: 'One moment, please.', public: true })).status).toBe(201);
      await frame.locator('#chat-lines li', { hasText: 'One moment, please.' }).waitFor();
      expect(streams).toBe(1);

      expect(proxy.silence('/chat/api/stream')).toBe(1);
      expect((await suite.server.api('POST', `/api/v1/cases/${caseRef}/messages`, { body: 'It left the warehouse today.', public: true })).status).toBe(201);
      // Two heartbeats (20 s each) and 5 s more may pass in silence: the window still waits on its stream.
      await visitor.clock.runFor(44_000);
      expect(await frame.locator('#chat-lines li', { hasText: 'It left the warehouse today.' }).count()).toBe(0);
      expect(streams).toBe(1);
      // Then it drops the stream and connects again (a second later), from the last line it shows,
      // naming the stream it gave up on: the server closes that one, whose place the new one takes
      // (before, the silent stream held it for minutes, and with every place taken the window was
      // refused, 429, and fell back to polling).
      await advanceClockUntil(visitor, () => streams === 2, { stepMs: 500, intervalMs: 50, timeoutMs: 15_000 });
      await frame.locator('#chat-lines li', { hasText: 'It left the warehouse today.' }).waitFor();
      expect(new URL(streamUrls[1]!).searchParams.get('replaces')).toMatch(/^[\w-]{12}$/);
      expect(answers).toEqual([200, 200]);
      for (const other of others) await other.body!.cancel();
      expect(await frame.locator('#chat-lines li').allTextContents()).toEqual(['The ShopHello! Ask us anything.', 'YouHas my order shipped?', 'admin tokenOne moment, please.', 'admin tokenIt left the warehouse today.']);
      expect(suite.problems()).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
  it('stays ended when a poll sent before the end is answered after it (a late answer once brought "Connected" back)', async () => {
    const { page, frame, counts, advanceUntil } = await visitorBehindProxy('Nell Late', 'nell@example.com');
    const caseRef = await visitorSays(page, frame, 'Is my order on its way?');
    expect((await suite.server.api('POST', `/api/v1/cases/${caseRef}/messages`, { body: 'It left the warehouse today.', public: true })).status).toBe(201);
    // The next poll is answered at once (the chat still open, the agent's line in it) but the
    // answer reaches the page only after the visitor has ended the chat: a slow network.
    const held: { release?: () => Promise<void> } = {};
    await page.context().route('**/chat/api/messages?after=*', async (route) => {
      const response = await route.fetch();
      held.release = () => route.fulfill({ response });
    });
    await advanceUntil(() => held.release !== undefined);
    const polls = counts.polls;
    await frame.getByRole('button', { name: 'End chat' }).click();
    await frame.getByText('The chat has ended.').waitFor();
    await held.release!();
    await frame.locator('#chat-lines li', { hasText: 'It left the warehouse today.' }).waitFor(); // the late answer was read
    await page.clock.runFor(30_000);
    expect(await frame.locator('#chat-status').textContent()).toBe('The chat has ended.');
    expect(await frame.getByRole('button', { name: 'Email me the transcript' }).isVisible()).toBe(true);
    expect(counts.polls).toBe(polls); // and nothing more is asked
    expect(suite.problems()).toEqual([]);
  });
});

export type { Page };
