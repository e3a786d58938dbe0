/**
 * The chat window's races in Chromium, between the stream and the answers to what the window
 * sends, the network held by the test (`page.route`) until the other side has happened:
 * the visitor's own line comes by the stream before the answer to its POST (shown once, never
 * also as "Sending…"), or the answer is lost after the line was written (it does not go back into
 * the box); "End chat" pressed twice, or while a line is on its way (one end, after the line), or
 * with nothing answering: the line on its way (the end goes after 10 s), then its own request
 * dropped and unanswered (asked again until the chat ends);
 * "Answer me by e-mail" (the offer to a visitor who waited) while a line is on its way (the same);
 * the agent ends the chat while the visitor types (the text is kept for the next chat); a line on
 * its way cancelled as the shop's page is left (still a line on its way for the next page).
 * A server of its own: the chats started here count against the per-address limit of new chats
 * (10 in 10 minutes) apart from test/browser/chat.test.ts's.
 */
import http from 'node:http';
import Database from 'better-sqlite3';
import type { AddressInfo } from 'node:net';
import type { FrameLocator, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceClockUntil, signIn, useBrowserSuite } from './support.js';

const PASSWORD = 'browser chat races password';
let shop: http.Server;
let shopUrl = '';
let siteId = '';

beforeAll(async () => {
  shop = http.createServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Shop</title><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>The Shop</h1><p>Our products.</p><script src="${q.get('cb') ?? ''}/chat/widget.js" data-site="${siteId}" async></script></body></html>`);
  });
  await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
  shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => shop.close(() => resolve()));
});

const suite = useBrowserSuite(
  [
    // Above every chat the file starts: those a test leaves open (a failed one's) never fill her places for the next (test/browser/chat.test.ts).
    { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', password: PASSWORD, queues: ['general'], chatLimit: 20 },
    { email: 'adam@casebook.test', name: 'Adam Admin', role: 'admin', password: PASSWORD },
  ],
  undefined,
  // The chat sweep every second: the offer to a visitor who waited comes at once once due.
  { env: { CHANNELS_KEY: 'ab'.repeat(32), CHAT_SWEEP_CRON: '* * * * * *' } },
);

async function lineTexts(frame: FrameLocator): Promise<{ seqs: number[]; texts: string[] }> {
  const items = frame.locator('#chat-lines > li');
  return { seqs: await items.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq')))), texts: await items.allTextContents() };
}

let agent: Page | null = null;
/** The shop's chat site (added on the console once), and Alice at the desk (the inbox open: she counts as there). */
async function siteAndAgent(): Promise<void> {
  if (agent) return;
  const admin = await suite.newPage({ width: 1280, height: 800 });
  await signIn(admin, suite.server, 'adam@casebook.test', PASSWORD);
  await admin.goto(`${suite.server.url}/manage/channels`);
  await admin.getByText('Add a chat site').click();
  await admin.getByLabel('Name').fill('The Shop');
  await admin.getByLabel(/Websites allowed/).fill(shopUrl);
  await admin.getByLabel('Chats go to the queue').selectOption('general');
  await Promise.all([admin.waitForURL(/\/manage\/channels\/chat-sites\/site_/), admin.getByRole('button', { name: 'Add chat site' }).click()]);
  siteId = admin.url().split('/').pop()!;
  agent = await suite.newPage({ width: 1280, height: 800 });
  await signIn(agent, suite.server, 'alice@casebook.test', PASSWORD);
  await agent.goto(`${suite.server.url}/inbox`);
}

/** A visitor on the shop's page (a phone) who started a chat with the form; `clock`: the page's clock stands still and moves only when the test says. */
async function visitorInChat(name: string, email: string, options: { clock?: boolean } = {}): Promise<{ page: Page; frame: FrameLocator }> {
  await siteAndAgent();
  const page = await suite.newPage({ width: 390, height: 844 });
  if (options.clock) {
    await page.clock.install();
    await page.clock.pauseAt(Date.now() + 1000);
  }
  await page.goto(`${shopUrl}/?cb=${encodeURIComponent(suite.server.url)}`);
  await page.getByRole('button', { name: 'Chat with us' }).click();
  const frame = page.frameLocator('iframe[data-casebook-chat="window"]');
  await frame.getByLabel('Your name').fill(name);
  await frame.getByLabel('Your e-mail').fill(email);
  await frame.getByRole('button', { name: 'Start chat' }).click();
  await frame.getByLabel('Your message').waitFor();
  return { page, frame };
}

describe('live chat: races between the stream and the window’s requests', () => {
  it('the visitor’s own line shows once when the stream brings it before the answer to its POST, and an answer lost after that does not put it back in the box', async () => {
    const { page: visitor, frame } = await visitorInChat('Rita Race', 'rita@example.com');
    // The answer to the POST is held until the stream has brought the line it wrote.
    let streamed!: () => void;
    const streamCopy = new Promise<void>((resolve) => (streamed = resolve));
    await visitor.route('**/chat/api/messages', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const response = await route.fetch();
      await streamCopy;
      await route.fulfill({ response });
    });
    const input = frame.getByLabel('Your message');
    const mine = (text: string) => frame.locator('#chat-lines > li', { hasText: text });
    await input.fill('Is the red one in stock?');
    await input.press('Enter');
    await frame.locator('#chat-lines li[data-seq]', { hasText: 'Is the red one in stock?' }).waitFor();
    // The answer is still held: the line is there once, not also as "Sending…".
    expect(await mine('Is the red one in stock?').count()).toBe(1);
    expect(await frame.locator('#chat-lines li.pending').count()).toBe(0);
    const answered = visitor.waitForResponse((r) => r.url().endsWith('/chat/api/messages') && r.request().method() === 'POST');
    streamed();
    await answered;
    expect(await mine('Is the red one in stock?').count()).toBe(1);

    // The next line reaches the server and comes by the stream, then its answer is lost: it was sent, so it does not go back into the box.
    let streamedAgain!: () => void;
    const copyAgain = new Promise<void>((resolve) => (streamedAgain = resolve));
    await visitor.unroute('**/chat/api/messages');
    const failed = visitor.waitForEvent('requestfailed', (r) => r.url().endsWith('/chat/api/messages'));
    await visitor.route('**/chat/api/messages', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      await route.fetch();
      await copyAgain;
      await route.abort('connectionreset');
    });
    await input.fill('And in size 42?');
    await input.press('Enter');
    await frame.locator('#chat-lines li[data-seq]', { hasText: 'And in size 42?' }).waitFor();
    await input.pressSequentially('Thanks', { delay: 20 });
    streamedAgain();
    await failed;
    // Sent now, "Thanks" goes as it is (before, the lost answer put the line back into the box with "may not have been sent", ahead of it).
    await input.press('Enter');
    await frame.locator('#chat-lines li[data-seq]', { hasText: 'Thanks' }).waitFor();
    expect(await input.inputValue()).toBe('');
    expect(await frame.locator('#chat-send .error').textContent()).toBe('');
    expect(await mine('And in size 42?').count()).toBe(1);
    expect((await lineTexts(frame)).seqs).toEqual([1, 2, 3]); // no greeting on this site: the visitor's lines are 1 to 3
    await visitor.unroute('**/chat/api/messages');
    await frame.getByRole('button', { name: 'End chat' }).click();
    await frame.getByText('The chat has ended.').waitFor();
    expect(suite.problems()).toEqual([]);
  });

  it('“End chat” ends once: pressed again while its answer is on its way it sends nothing more, and a line on its way is written before the end', async () => {
    const { page: visitor, frame } = await visitorInChat('Erik Ender', 'erik@example.com');
    const ends: string[] = [];
    let releaseEnd!: () => void;
    const endHeld = new Promise<void>((resolve) => (releaseEnd = resolve));
    await visitor.route('**/chat/api/end', async (route) => {
      ends.push(route.request().postData() ?? '');
      await endHeld;
      await route.continue();
    });
    // A line on its way (its answer held at the network) when the visitor presses End.
    const { posted, release: releaseLine } = await holdLines(visitor);
    const input = frame.getByLabel('Your message');
    await input.fill('Please cancel order 7781.');
    await input.press('Enter');
    await expect.poll(() => posted.length).toBe(1);
    // Pressed at a person's pace, then again (the mouse, not a locator: the button says it is busy with aria-disabled).
    const box = (await frame.getByRole('button', { name: 'End chat' }).boundingBox())!;
    const press = () => visitor.mouse.click(box.x + box.width / 2, box.y + box.height / 2, { delay: 150 });
    await press();
    await press();
    expect(ends).toEqual([]); // the line first: sent at once, the end overtook it and the line was refused
    releaseLine();
    await expect.poll(() => ends.length).toBe(1);
    await visitor.mouse.dblclick(box.x + box.width / 2, box.y + box.height / 2);
    await press();
    releaseEnd();
    await frame.getByText('The chat has ended.').waitFor();
    // The line was written (it has its number), before the end; the end's own line may or may not have come by the stream before the answer.
    const shown = await lineTexts(frame);
    expect(shown.texts.slice(0, 1)).toEqual(['YouPlease cancel order 7781.']);
    expect(shown.seqs.slice(0, 1)).toEqual([1]);
    expect(shown.texts.filter((t) => t.includes('ended the chat'))).toHaveLength(shown.seqs.length - 1);
    expect(ends).toHaveLength(1);
    expect(await frame.locator('#chat-after').count()).toBe(1);
    expect(await frame.locator('#chat-unsent').count()).toBe(0);
    expect(suite.problems()).toEqual([]);
  });

  it('“End chat” ends when nothing answers: after 10 s without an answer for the line on its way, then asked again while its own request drops and goes unanswered; the line, refused after the end, is kept as not sent', async () => {
    const { page: visitor, frame } = await visitorInChat('Dora Dropped', 'dora@example.com', { clock: true });
    // A connection gone silent: the line's answer does not come until the test says.
    let lineRoute: Route | null = null;
    await visitor.route('**/chat/api/messages', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      lineRoute = route;
    });
    // The end's first request is lost before it reaches the server; the second's answer never comes; the third gets through.
    const ends: string[] = [];
    await visitor.route('**/chat/api/end', async (route) => {
      ends.push(route.request().postData() ?? '');
      if (ends.length === 1) return route.abort('connectionreset');
      if (ends.length === 2) return; // held for good: only the window can give up on it
      await route.continue();
    });
    // The window's clock moved on in steps until the next request comes (advanceClockUntil).
    let waited = 0;
    const advanceUntil = async (done: () => boolean) => {
      waited += await advanceClockUntil(visitor, done, { stepMs: 250, intervalMs: 20, timeoutMs: 20_000 });
    };
    await frame.getByLabel('Your message').fill('Still there?');
    await frame.getByLabel('Your message').press('Enter');
    await expect.poll(() => lineRoute !== null).toBe(true);
    await frame.getByRole('button', { name: 'End chat' }).click();
    await advanceUntil(() => ends.length === 1);
    expect(waited).toBeGreaterThanOrEqual(10_000); // the line's answer was waited for first
    await advanceUntil(() => ends.length === 2);
    await advanceUntil(() => ends.length === 3);
    await frame.getByText('The chat has ended.').waitFor();
    expect(await frame.locator('#chat-send').count()).toBe(0);
    // The line reaches the server after the end: refused, and kept for the next chat instead of lost.
    await lineRoute!.continue();
    await frame.locator('#chat-unsent', { hasText: 'Still there?' }).waitFor();
    expect(await frame.locator('#chat-lines li.pending').count()).toBe(0);
    // Ended once, by the visitor (its last line may or may not have come by the stream before the answer).
    const db = new Database(suite.server.dbPath, { readonly: true });
    try {
      expect(db.prepare(`SELECT s.state, s.ended_by AS endedBy, (SELECT count(*) FROM chat_messages m WHERE m.session_id = s.id AND m.body LIKE '%ended the chat.') AS endLines FROM chat_sessions s WHERE s.email = ?`).all('dora@example.com')).toEqual([
        { state: 'ended', endedBy: 'visitor', endLines: 1 },
      ]);
    } finally {
      db.close();
    }
    expect(ends.map((e) => JSON.parse(e) as unknown)).toEqual([{ seen: 0 }, { seen: 0 }, { seen: 0 }]);
    expect(suite.problems()).toEqual([]);
  });

  it('“Answer me by e-mail” waits for a line on its way, as End chat does: the line is written before the end, not refused and lost', async () => {
    const { page: visitor, frame } = await visitorInChat('Owen Offered', 'owen@example.com');
    const input = frame.getByLabel('Your message');
    await input.fill('Where is my parcel?');
    await input.press('Enter');
    await frame.locator('#chat-lines li[data-seq]', { hasText: 'Where is my parcel?' }).waitFor();
    // Nobody answers: the line was written CHAT_WAIT_OFFER_MINUTES (5) ago, as far as the server
    // knows, and its chat sweep (every second here) writes the offer, which comes by the stream.
    const db = new Database(suite.server.dbPath);
    try {
      db.prepare(`UPDATE chat_messages SET at = at - 6 * 60000 WHERE session_id IN (SELECT id FROM chat_sessions WHERE email = ?)`).run('owen@example.com');
    } finally {
      db.close();
    }
    const offer = frame.getByRole('button', { name: 'Answer me by e-mail' });
    await offer.waitFor({ timeout: 20_000 });
    const ends: string[] = [];
    await visitor.route('**/chat/api/end', async (route) => {
      ends.push(route.request().postData() ?? '');
      await route.continue();
    });
    const { posted, release: releaseLine } = await holdLines(visitor);
    await input.fill('It is order 5521.');
    await input.press('Enter');
    await expect.poll(() => posted.length).toBe(1);
    await offer.click({ delay: 150 });
    expect(ends).toEqual([]); // the line first: before, the end went at once, overtook it, and the line was refused
    releaseLine();
    await frame.getByText('The chat has ended.').waitFor();
    expect(ends).toHaveLength(1);
    expect(JSON.parse(ends[0]!)).toMatchObject({ answerBy: 'email' });
    const shown = await lineTexts(frame);
    expect(shown.texts.filter((t) => t.startsWith('You'))).toEqual(['YouWhere is my parcel?', 'YouIt is order 5521.']);
    expect(await frame.locator('#chat-unsent').count()).toBe(0);
    expect(suite.problems()).toEqual([]);
  });

  it('what the visitor was typing when the agent ended the chat is kept, and the next chat starts with it', async () => {
    const { page: visitor, frame } = await visitorInChat('Kim Keeper', 'kim@example.com');
    const sent = visitor.waitForResponse((r) => r.url().endsWith('/chat/api/messages') && r.request().method() === 'POST');
    await frame.getByLabel('Your message').fill('My order number is');
    await frame.getByRole('button', { name: 'Send' }).click();
    const ref = ((await (await sent).json()) as { case: string }).case;
    await frame.getByLabel('Your message').pressSequentially('4471, the blue', { delay: 20 });
    const desk = agent!;
    await desk.goto(`${suite.server.url}/cases/${ref}`);
    await desk.locator('#chat-end').click();
    await desk.locator('#chat-panel').getByText('Chat (ended)').waitFor();
    await frame.getByText('The chat has ended.').waitFor();
    await frame.locator('#chat-unsent').getByText('4471, the blue').waitFor();
    await frame.getByRole('button', { name: 'Start a new chat' }).click();
    await frame.getByLabel('Your name').fill('Kim Keeper');
    await frame.getByLabel('Your e-mail').fill('kim@example.com');
    await frame.getByRole('button', { name: 'Start chat' }).click();
    await expect.poll(() => frame.getByLabel('Your message').inputValue()).toBe('4471, the blue');
    expect(suite.problems()).toEqual([]);
  });

  it('a poll of the chat before, answered after the visitor started a new chat, leaves the new chat alone (it brought the old lines in and ended it)', async () => {
    await siteAndAgent();
    const page = await suite.newPage({ width: 390, height: 844 });
    // Streaming is cut (a proxy): after three attempts the window polls.
    await page.context().route('**/chat/api/stream', (route) => route.abort());
    let holdNext = false;
    let releasePoll!: () => void;
    const pollReleased = new Promise<void>((resolve) => (releasePoll = resolve));
    let held = 0;
    await page.route('**/chat/api/messages?after=*', async (route) => {
      if (!holdNext) return route.continue();
      holdNext = false;
      held++;
      await pollReleased;
      await route.continue();
    });
    await page.goto(`${shopUrl}/?cb=${encodeURIComponent(suite.server.url)}`);
    await page.getByRole('button', { name: 'Chat with us' }).click();
    const frame = page.frameLocator('iframe[data-casebook-chat="window"]');
    await frame.getByLabel('Your name').fill('Paula Poll');
    await frame.getByLabel('Your e-mail').fill('paula@example.com');
    await frame.getByRole('button', { name: 'Start chat' }).click();
    await frame.getByLabel('Your message').fill('The old question.');
    await frame.getByRole('button', { name: 'Send' }).click();
    await frame.locator('#chat-lines li[data-seq]', { hasText: 'The old question.' }).waitFor({ timeout: 20_000 });
    await frame.getByText('checking for new messages every few seconds').waitFor({ timeout: 20_000 });
    // The next poll goes out and its answer is held; meanwhile the visitor ends the chat and starts another.
    holdNext = true;
    await expect.poll(() => held, { timeout: 10_000 }).toBe(1);
    await frame.getByRole('button', { name: 'End chat' }).click();
    await frame.getByRole('button', { name: 'Start a new chat' }).click();
    await frame.getByLabel('Your name').fill('Paula Poll');
    await frame.getByLabel('Your e-mail').fill('paula@example.com');
    const started = page.waitForResponse((r) => r.url().includes('/sessions') && r.status() === 201);
    await frame.getByRole('button', { name: 'Start chat' }).click();
    await started;
    await frame.getByLabel('Your message').waitFor();
    // The old chat's poll answers now, with its lines and "ended".
    const oldAnswer = page.waitForResponse((r) => r.url().includes('/chat/api/messages?after='));
    releasePoll();
    await oldAnswer;
    // The new chat goes on: its box, no line of the old chat, not ended.
    await frame.getByLabel('Your message').fill('The new question.');
    await frame.getByRole('button', { name: 'Send' }).click();
    await frame.locator('#chat-lines li[data-seq]', { hasText: 'The new question.' }).waitFor({ timeout: 20_000 });
    const texts = await frame.locator('#chat-lines > li').allTextContents();
    expect(texts.join('\n')).not.toContain('The old question.');
    expect(await frame.locator('#chat-after').count()).toBe(0);
    await frame.getByRole('button', { name: 'End chat' }).click();
    await frame.getByText('The chat has ended.').waitFor();
    expect(suite.problems()).toEqual([]);
  });

  it('lines on their way and the text in the box survive the shop’s next page: the chat resumes with them, each line written once', async () => {
    const { page, frame } = await visitorInChat('Nina Navigator', 'nina@example.com');
    const input = frame.getByLabel('Your message');
    await input.fill('First line.');
    await input.press('Enter');
    await frame.locator('#chat-lines li[data-seq]', { hasText: 'First line.' }).waitFor();
    // A slow network: one line reaches the server but its answer does not come back; the next does not get there at all.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const posted: string[] = [];
    let hold = true;
    await page.route('**/chat/api/messages', async (route) => {
      if (route.request().method() !== 'POST' || !hold) return route.continue();
      posted.push((JSON.parse(route.request().postData() ?? '{}') as { body: string }).body);
      if (posted.length === 1) await route.fetch();
      await released;
      await route.abort().catch(() => {});
    });
    await input.fill('Arrived, answer lost.');
    await input.press('Enter');
    await input.fill('Never arrived.');
    await input.press('Enter');
    await input.pressSequentially('Half a thought', { delay: 20 });
    await expect.poll(() => posted).toEqual(['Arrived, answer lost.']);
    // The visitor clicks on to the shop's next page: the window goes with what was on its way.
    hold = false;
    await page.goto(`${shopUrl}/?cb=${encodeURIComponent(suite.server.url)}&page=2`);
    release();
    await page.getByRole('button', { name: 'Chat with us' }).click();
    const again = page.frameLocator('iframe[data-casebook-chat="window"]');
    await again.locator('#chat-lines li[data-seq]', { hasText: 'Never arrived.' }).waitFor();
    await expect.poll(() => again.locator('#chat-lines li.pending').count()).toBe(0);
    expect(await again.getByLabel('Your message').inputValue()).toBe('Half a thought');
    const shown = await lineTexts(again);
    expect(shown.texts).toEqual(['YouFirst line.', 'YouArrived, answer lost.', 'YouNever arrived.']);
    expect(shown.seqs).toEqual([1, 2, 3]);
    await again.getByRole('button', { name: 'End chat' }).click();
    await again.getByText('The chat has ended.').waitFor();
    expect(suite.problems()).toEqual([]);
  });

  it('a line whose request the browser cancels as the shop’s page is left stays on its way: the next page sends it once, and the box keeps only what was typed', async () => {
    const { page, frame } = await visitorInChat('Lea Leaving', 'lea@example.com');
    const input = frame.getByLabel('Your message');
    let cancel!: () => Promise<void>;
    const posted: string[] = [];
    await page.route('**/chat/api/messages', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      posted.push((JSON.parse(route.request().postData() ?? '{}') as { body: string }).body);
      if (posted.length > 1) return route.continue();
      cancel = () => route.abort('aborted'); // held until the page is left
    });
    await input.fill('Left mid-way.');
    await input.press('Enter');
    await input.pressSequentially('And more', { delay: 20 });
    await expect.poll(() => posted).toEqual(['Left mid-way.']);
    // The visitor clicks on to the shop's next page: the window hears that it is being left, then
    // (a moment the leaving page may still see) that its request was cancelled.
    const failed = page.waitForEvent('requestfailed', (r) => r.url().endsWith('/chat/api/messages'));
    await frame.locator('body').evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false })));
    await cancel();
    await failed;
    await frame.locator('body').evaluate(() => new Promise((resolve) => setTimeout(resolve, 0))); // the page's own answer to the failure has run
    await page.goto(`${shopUrl}/?cb=${encodeURIComponent(suite.server.url)}&page=2`);
    await page.getByRole('button', { name: 'Chat with us' }).click();
    const again = page.frameLocator('iframe[data-casebook-chat="window"]');
    await again.locator('#chat-lines li[data-seq]', { hasText: 'Left mid-way.' }).waitFor();
    await expect.poll(() => again.locator('#chat-lines li.pending').count()).toBe(0);
    expect(await again.getByLabel('Your message').inputValue()).toBe('And more');
    expect(posted).toEqual(['Left mid-way.', 'Left mid-way.']);
    expect((await lineTexts(again)).texts).toEqual(['YouLeft mid-way.']);
    await again.getByRole('button', { name: 'End chat' }).click();
    await again.getByText('The chat has ended.').waitFor();
    expect(suite.problems()).toEqual([]);
  });
});

/** Holds the visitor's lines (their POSTs) at the network until `release`; `posted` has their bodies as sent. */
async function holdLines(visitor: Page): Promise<{ posted: string[]; release: () => void }> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const posted: string[] = [];
  await visitor.route('**/chat/api/messages', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    posted.push(route.request().postData() ?? '');
    await held;
    await route.continue();
  });
  return { posted, release };
}
