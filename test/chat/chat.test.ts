/**
 * Live chat end to end through app.request(): sites, sessions, the first message becoming a
 * chat case (routed, assigned, chat SLA in seconds), agent replies as chat lines (not mailed),
 * SSE resume by Last-Event-ID, polling, origin checks, limits, nobody available, ending by
 * inactivity on the injected clock, the transcript over real SMTP, CSAT.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChatSweep } from '../../src/chat/sweep.js';
import { createSite, parseOrigins, siteSecret, type ChatSite } from '../../src/chat/sites.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { signIdentity } from '../../src/chat/identity.js';
import { sendMessage } from '../../src/cases/send-message.js';
import { createMailer } from '../../src/notifications/mailer.js';
import { and, eq } from 'drizzle-orm';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn } from '../support/pages.js';
import { startSmtp, type Inbox } from '../support/smtp.js';
import { chatCaller, OWN } from './support.js';

const KEY = parseChannelsKey('44'.repeat(32));
const HOST = 'https://shop.example';
let h: Harness;
let site: ChatSite;
let agent: TestActor;
let smtp: Inbox;

const call = chatCaller(() => h);

async function start(email = 'vera@example.com', name = 'Vera Visitor'): Promise<string> {
  const res = await call('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, name, email } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

/** Reads an SSE response until `count` message events arrived (or the stream ends). */
async function readEvents(res: Response, count: number): Promise<{ id: string | null; event: string; data: string }[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const events: { id: string | null; event: string; data: string }[] = [];
  while (events.filter((e) => e.event === 'message').length < count) {
    const chunk = await reader.read();
    if (chunk.done) break;
    buffer += decoder.decode(chunk.value, { stream: true });
    const parts = buffer.split('\n\n');
    buffer = parts.pop()!;
    for (const part of parts) {
      const lines = part.split('\n').filter((l) => !l.startsWith(':'));
      if (lines.length === 0) continue;
      const field = (name: string) => lines.find((l) => l.startsWith(`${name}:`))?.slice(name.length + 1).trim() ?? null;
      events.push({ id: field('id'), event: field('event') ?? 'message', data: field('data') ?? '' });
    }
  }
  await reader.cancel();
  return events;
}

async function caseRow(id: number) {
  const [row] = await h.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, id)));
  return row!;
}

async function firstResponseTimer(caseId: number) {
  const [row] = await h.query((q) => {
    const { slaTimers } = q.tables;
    return q.db.select().from(slaTimers).where(and(eq(slaTimers.caseId, caseId), eq(slaTimers.metric, 'firstResponse')));
  });
  return row!;
}

function eventsOf(caseId: number, type: string) {
  return h.query((q) => {
    const { caseEvents } = q.tables;
    return q.db.select().from(caseEvents).where(and(eq(caseEvents.caseId, caseId), eq(caseEvents.type, type))).orderBy(caseEvents.id);
  });
}

function setChatLimit(staffId: number, chatLimit: number) {
  return h.services.store.write((q) => q.db.update(q.tables.staff).set({ chatLimit }).where(eq(q.tables.staff.id, staffId)));
}

beforeAll(async () => {
  smtp = await startSmtp();
  h = createHarness({ services: { mailer: createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <casebook@localhost>'), channelsKey: KEY } });
  standardQueues(h);
  agent = h.agent({ name: 'Alice', queues: ['general'] });
  site = await createSite(h.services, { name: 'Shop', origins: `${HOST}\nhttp://localhost:8080`, greeting: 'Hi! How can we help?', calendar: '', queue: 'general' });
});
afterAll(async () => {
  h.close();
  await smtp.close();
});

describe('live chat', () => {
  it('turns the first message into a chat case, routed and assigned, with chat SLA targets in seconds', async () => {
    const token = await start();
    const sent = await call('POST', '/chat/api/messages', { token, body: { body: 'Hello, where is my order?' } });
    expect(sent.status).toBe(201);
    const { case: ref, seq } = (await sent.json()) as { case: string; seq: number };
    expect(seq).toBe(2); // 1 is the greeting
    const id = Number(ref.slice(2));
    const row = await caseRow(id);
    expect(row).toMatchObject({ channel: 'chat', queueId: 'general', assigneeId: agent.id, subject: 'Chat: Hello, where is my order?' });
    const timer = await firstResponseTimer(id);
    expect(timer.targetMinutes).toBe(1); // standard policy, normal priority: chat firstResponse "1m"
    expect(timer.dueAt! - row.createdAt).toBe(60_000);

    // A second message is a customer reply on the same case.
    await call('POST', '/chat/api/messages', { token, body: { body: 'Order 1234.' } });
    expect(await eventsOf(id, 'customer.replied')).toHaveLength(1);

    // The agent answers from the ordinary composer path: a chat line, and no mail.
    await sendMessage(h.services, id, { body: 'It ships today.', public: true }, agent);
    await h.services.outbox.drain();
    const poll = await call('GET', '/chat/api/messages?after=3', { token });
    const { lines } = (await poll.json()) as { lines: { seq: number; author: string; name: string; body: string }[] };
    expect(lines).toEqual([expect.objectContaining({ seq: 4, author: 'agent', name: 'Alice', body: 'It ships today.' })]);
    const mail = await eventsOf(id, 'email.sent');
    expect(mail.map((m) => m.data.reason)).toEqual(['delivered in the live chat']);
    expect((await firstResponseTimer(id)).state).toBe('fulfilled');
  });

  it('streams lines as SSE with their sequence numbers, and resumes after Last-Event-ID without losing or doubling', async () => {
    const token = await start('sam@example.com', 'Sam');
    await call('POST', '/chat/api/messages', { token, body: { body: 'First' } });
    await call('POST', '/chat/api/messages', { token, body: { body: 'Second' } });
    const first = await call('GET', '/chat/api/stream', { token, headers: { Accept: 'text/event-stream' } });
    expect(first.headers.get('Content-Type')).toContain('text/event-stream');
    const events = await readEvents(first, 3);
    expect(events.filter((e) => e.event === 'message').map((e) => [e.id, JSON.parse(e.data).body])).toEqual([
      ['1', 'Hi! How can we help?'],
      ['2', 'First'],
      ['3', 'Second'],
    ]);
    // Disconnected after 2: line 3 and a new line 4 come, exactly once each.
    await call('POST', '/chat/api/messages', { token, body: { body: 'Third' } });
    const resumed = await call('GET', '/chat/api/stream', { token, headers: { 'Last-Event-ID': '2' } });
    const again = (await readEvents(resumed, 2)).filter((e) => e.event === 'message');
    expect(again.map((e) => e.id)).toEqual(['3', '4']);
    // A live line reaches an open stream.
    const live = await call('GET', '/chat/api/stream', { token, headers: { 'Last-Event-ID': '4' } });
    const pending = readEvents(live, 1);
    await new Promise((r) => setTimeout(r, 20));
    await call('POST', '/chat/api/messages', { token, body: { body: 'Fourth' } });
    expect((await pending).filter((e) => e.event === 'message').map((e) => [e.id, JSON.parse(e.data).body])).toEqual([['5', 'Fourth']]);
  });

  it('takes the chat targets while the chat is live only: a mail after it ended gets the policy’s nextResponse, and so does a later retarget', async () => {
    const token = await start('mila@example.com', 'Mila');
    const { case: ref } = (await (await call('POST', '/chat/api/messages', { token, body: { body: 'Is my order late?' } })).json()) as { case: string };
    const id = Number(ref.slice(2));
    const nextResponse = async () => (await h.get<{ target_minutes: number; state: string }>("SELECT target_minutes, state FROM sla_timers WHERE case_id = ? AND metric = 'nextResponse'", id))!;
    await sendMessage(h.services, id, { body: 'Let me look.', public: true }, agent);
    // A line in the live chat: the chat target (standard, normal: 2m).
    await call('POST', '/chat/api/messages', { token, body: { body: 'Thanks!' } });
    expect(await nextResponse()).toMatchObject({ target_minutes: 2, state: 'running' });
    await sendMessage(h.services, id, { body: 'It ships tomorrow; I will write.', public: true }, agent);
    expect((await call('POST', '/chat/api/end', { token })).status).toBe(200);
    // An hour later the customer answers the mail: the policy's 4h, not 2 minutes.
    h.clock.advance(3_600_000);
    const { customer_id: customerId } = (await h.get<{ customer_id: number }>('SELECT customer_id FROM cases WHERE id = ?', id))!;
    const customer = { type: 'customer' as const, id: customerId, role: 'customer' as const, name: 'Mila' };
    expect((await h.api('POST', `/api/v1/cases/${ref}/messages`, { token: h.tokenFor(customer), body: { body: 'Has it shipped?' } })).status).toBe(201);
    expect(await nextResponse()).toMatchObject({ target_minutes: 240, state: 'running' });
    // A priority change re-targets it by the policy too (high: 2h), not to the chat's 1m30s.
    expect((await h.api('PATCH', `/api/v1/cases/${ref}`, { token: h.tokenFor(agent), body: { priority: 'high' } })).status).toBe(200);
    expect(await nextResponse()).toMatchObject({ target_minutes: 120, state: 'running' });
  });

  it('writes a message sent again after a dropped connection once: the same clientId answers the line it wrote', async () => {
    const token = await start('rhea@example.com', 'Rhea');
    const send = async (body: string, clientId: string) => {
      const res = await call('POST', '/chat/api/messages', { token, body: { body, clientId } });
      return { status: res.status, body: (await res.json()) as { seq?: number; case?: string; code?: string } };
    };
    const first = await send('Ma commande n’est pas arrivée', 'f47ac10b-58cc-4372-a567-0e02b2c3d479');
    expect(first).toMatchObject({ status: 201, body: { seq: 2 } });
    // The answer was lost: the window sends it again, with the same id.
    expect(await send('Ma commande n’est pas arrivée', 'f47ac10b-58cc-4372-a567-0e02b2c3d479')).toEqual(first);
    const reply = await send('Commande 1234', 'second-message-1');
    expect(reply).toMatchObject({ status: 201, body: { seq: 3, case: first.body.case } });
    expect(await send('Commande 1234', 'second-message-1')).toEqual(reply);
    // The same words again as a new message (a new id) are a new line.
    expect(await send('Commande 1234', 'third-message-1')).toMatchObject({ status: 201, body: { seq: 4 } });
    // One id for another text, or an id that is not one, is refused.
    expect((await send('Autre chose', 'second-message-1')).body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await send('Autre chose', 'x y')).status).toBe(422);
    const lines = ((await (await call('GET', '/chat/api/messages?after=0', { token })).json()) as { lines: { body: string }[] }).lines;
    expect(lines.map((l) => l.body)).toEqual(['Hi! How can we help?', 'Ma commande n’est pas arrivée', 'Commande 1234', 'Commande 1234']);
    const id = Number(first.body.case!.slice(2));
    expect(await eventsOf(id, 'customer.replied')).toHaveLength(2);
    expect(await h.all("SELECT id FROM cases WHERE subject LIKE 'Chat: Ma commande%'")).toHaveLength(1);
  });

  it('gives the visitor’s own lines with the window’s id of each (stream, poll, session), so the window replaces its "Sending…" line; not to the agent', async () => {
    const token = await start('ida@example.com', 'Ida');
    const sent = await call('POST', '/chat/api/messages', { token, body: { body: 'Where is my parcel?', clientId: 'ida-message-0001' } });
    const ref = ((await sent.json()) as { case: string }).case;
    expect((await call('POST', '/chat/api/messages', { token, body: { body: 'Without an id' } })).status).toBe(201);
    const ids = (lines: { author: string; clientId?: string }[]) => lines.map((l) => [l.author, l.clientId]);
    const expected = [['system', undefined], ['visitor', 'ida-message-0001'], ['visitor', undefined]];
    const polled = (await (await call('GET', '/chat/api/messages?after=0', { token })).json()) as { lines: { author: string; clientId?: string }[] };
    expect(ids(polled.lines)).toEqual(expected);
    const session = (await (await call('GET', '/chat/api/session', { token })).json()) as { lines: { author: string; clientId?: string }[] };
    expect(ids(session.lines)).toEqual(expected);
    const streamed = await readEvents(await call('GET', '/chat/api/stream', { token }), 3);
    expect(ids(streamed.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data) as { author: string; clientId?: string }))).toEqual(expected);
    // The agent's stream and page have no use for it.
    const page = signedIn(h, agent);
    const desk = await readEvents(await page.get(`/cases/${ref}/chat/stream`), 3);
    expect(desk.filter((e) => e.event === 'message').map((e) => e.data).join('\n')).not.toContain('ida-message-0001');
    expect(await (await page.get(`/cases/${ref}`)).text()).not.toContain('ida-message-0001');
  });

  it('checks origins, tokens, sizes and rates', async () => {
    const token = await start('olga@example.com', 'Olga');
    expect((await call('POST', '/chat/api/messages', { token, body: { body: 'hi' }, headers: { Origin: 'https://evil.example' } })).status).toBe(403);
    expect((await h.app.request(`${OWN}/chat/api/messages`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Sec-Fetch-Site': 'cross-site', 'Content-Type': 'application/json' }, body: '{"body":"x"}' })).status).toBe(403);
    expect((await call('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: 'https://evil.example', name: 'E', email: 'e@example.com' } })).status).toBe(403);
    expect((await call('GET', '/chat/api/messages', { token: 'x'.repeat(43) })).status).toBe(403);
    expect((await call('POST', '/chat/api/messages', { token, body: { body: 'x'.repeat(2001) } })).status).toBe(422);
    const frame = await h.app.request(`${OWN}/chat/frame/${site.id}?host=${encodeURIComponent(HOST)}`, { headers: { Referer: `${HOST}/cart` } });
    expect(frame.status).toBe(200);
    expect(frame.headers.get('Content-Security-Policy')).toContain(`frame-ancestors ${HOST} http://localhost:8080`);
    expect(frame.headers.get('X-Frame-Options')).toBeNull();
    expect(frame.headers.get('Set-Cookie')).toBeNull();
    expect((await h.app.request(`${OWN}/chat/frame/${site.id}?host=${encodeURIComponent(HOST)}`, { headers: { Referer: 'https://evil.example/' } })).status).toBe(403);
    const widget = await h.app.request(`${OWN}/chat/widget.js`);
    expect(widget.status).toBe(200);
    expect(widget.headers.get('Set-Cookie')).toBeNull();
    // The visitor rate: 20 a minute, then 429 until the clock moves on.
    let status = 0;
    for (let i = 0; i < 21 && status !== 429; i++) status = (await call('POST', '/chat/api/messages', { token, body: { body: `m${i}` } })).status;
    expect(status).toBe(429);
    h.clock.advance(60_000);
    expect((await call('POST', '/chat/api/messages', { token, body: { body: 'later' } })).status).toBe(201);
    // A verified identity: the site's HMAC of the e-mail.
    const good = await call('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, email: 'ivy@example.com', name: 'Ivy', signature: signIdentity(siteSecret(h.services, site), 'ivy@example.com') } });
    expect(((await good.json()) as { session: { verified: boolean } }).session.verified).toBe(true);
    const bad = await call('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, email: 'ivy@example.com', signature: signIdentity('wrong', 'ivy@example.com') } });
    expect(bad.status).toBe(403);
  });

  it('counts the chat limit toward capacity and says when nobody is available; a left message is answered by mail', async () => {
    await setChatLimit(agent.id, 1);
    // Alice has open chats already: nobody is free.
    const status = (await (await call('GET', `/chat/api/sites/${site.id}/status?host=${encodeURIComponent(HOST)}`)).json()) as { availability: { open: boolean; reason: string } };
    expect(status.availability).toMatchObject({ open: false, reason: 'no-agent' });
    const token = await start('wait@example.com', 'Wanda');
    const sent = (await (await call('POST', '/chat/api/messages', { token, body: { body: 'Anyone?' } })).json()) as { case: string };
    expect((await caseRow(Number(sent.case.slice(2)))).assigneeId).toBeNull();
    const left = await call('POST', `/chat/api/sites/${site.id}/offline`, { body: { host: HOST, name: 'Otto', email: 'otto@example.com', message: 'Please call me back about my invoice.' } });
    expect(left.status).toBe(201);
    const leftCase = await caseRow(Number(((await left.json()) as { case: string }).case.slice(2)));
    expect(leftCase.channel).toBe('email');
    await setChatLimit(agent.id, 3);
  });

  it('ending the chat and sending its transcript change the case (version up), and the agent page’s live poll re-renders the chat panel', async () => {
    const token = await start('ivy@example.com', 'Ivy');
    const { case: ref } = (await (await call('POST', '/chat/api/messages', { token, body: { body: 'Quick question' } })).json()) as { case: string };
    const id = Number(ref.slice(2));
    const version = async () => (await caseRow(id)).version;
    const page = signedIn(h, agent);
    const html = await (await page.get(`/cases/${ref}`)).text();
    expect(html).toContain('data-stream="/cases/' + ref + '/chat/stream"');
    const stamp = /live\?stamp=([\w-]+)/.exec(html)![1]!;
    const before = await version();

    h.clock.advance(5_000);
    expect((await call('POST', '/chat/api/end', { token })).status).toBe(200);
    expect(await version()).toBe(before + 1);
    expect((await caseRow(id)).updatedAt).toBe(h.clock.now());
    const live = await page.get(`/cases/${ref}/live?stamp=${stamp}`, { htmx: true });
    expect(live.status).toBe(200);
    const fragment = await live.text();
    expect(fragment).toMatch(/<section class="panel chat-panel" id="chat-panel"[^>]*hx-swap-oob="true"/);
    expect(fragment).toContain('Chat (ended)');
    expect(fragment).toContain('Ended by visitor.');
    expect(fragment).not.toContain('id="chat-end"');
    expect(fragment).not.toContain('data-stream=');

    expect((await call('POST', '/chat/api/transcript', { token })).status).toBe(202);
    await h.services.outbox.drain();
    await h.services.outbox.idle();
    expect(await eventsOf(id, 'chat.transcript_sent')).toHaveLength(1);
    expect(await version()).toBe(before + 2);
  });

  it('keeps the site secret sealed with CHANNELS_KEY, bound to its site; without the key no site is added and the reason is clear', async () => {
    h.clock.advance(10 * 60_000); // a new window of the per-address limit of new chats (10 in 10 minutes)
    const secret = siteSecret(h.services, site);
    const raw = (await h.get('SELECT * FROM chat_sites WHERE id = ?', site.id))!;
    expect(raw.secret_sealed).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(JSON.stringify(raw)).not.toContain(secret); // no column holds it (jsonb ones, on PostgreSQL objects, included)
    const admin = signedIn(h, h.agent({ name: 'Ada', role: 'admin' }));
    expect(await (await admin.get(`/manage/channels/chat-sites/${site.id}`)).text()).toContain(`<code id="chat-secret">${secret}</code>`);

    // A sealed secret copied to another site does not open there: its signatures are refused, the form still works.
    const other = await createSite(h.services, { name: 'Other', origins: HOST, queue: 'general' });
    await h.run('UPDATE chat_sites SET secret_sealed = ? WHERE id = ?', raw.secret_sealed, other.id);
    const copied = await call('POST', `/chat/api/sites/${other.id}/sessions`, { body: { host: HOST, email: 'ivy@example.com', signature: signIdentity(secret, 'ivy@example.com') } });
    expect(copied.status).toBe(403);
    expect(await (await admin.get(`/manage/channels/chat-sites/${other.id}`)).text()).toContain('The secret cannot be shown: The stored secret failed its integrity check');
    expect((await admin.post(`/manage/channels/chat-sites/${other.id}/secret`)).status).toBe(303);
    expect(siteSecret(h.services, await createSite(h.services, { name: 'Third', origins: HOST, queue: 'general' }))).not.toBe(secret);

    const key = h.services.channelsKey;
    const services = h.services as { channelsKey: typeof key };
    services.channelsKey = null;
    try {
      const count = async () => (await h.get<{ n: number }>('SELECT count(*) AS n FROM chat_sites'))!.n;
      const before = await count();
      await expect(createSite(h.services, { name: 'Keyless', origins: HOST, queue: 'general' })).rejects.toThrow(
        expect.objectContaining({ code: 'CHANNELS_KEY_MISSING', message: expect.stringContaining('CHANNELS_KEY is not set on the server, so chat site secrets cannot be stored (Casebook never stores them in plain text)') }),
      );
      const refused = await admin.post('/manage/channels/chat-sites', { name: 'Keyless', origins: HOST, queue: 'general', active: 'on' });
      expect(refused.status).toBe(422);
      expect(await refused.text()).toContain('CHANNELS_KEY is not set on the server, so chat site secrets cannot be stored');
      expect(await count()).toBe(before);
      expect(await (await admin.get(`/manage/channels/chat-sites/${site.id}`)).text()).toContain('The secret cannot be shown: CHANNELS_KEY is not set on the server');
      const signed = await call('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, email: 'ivy@example.com', signature: signIdentity(secret, 'ivy@example.com') } });
      expect(signed.status).toBe(403);
      expect(((await signed.json()) as { detail: string }).detail).toContain('give your name and e-mail instead');
      expect((await call('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, email: 'ivy@example.com', name: 'Ivy' } })).status).toBe(201);
    } finally {
      services.channelsKey = key;
    }
  });

  it('quotes a wrong origin as it was typed ("not a url", not "not"), and still reads several per line', async () => {
    expect(parseOrigins('not a url')).toEqual({ origins: [], wrong: ['not a url'] });
    expect(parseOrigins(`${HOST} https://b.example\nhttps://c.example/, ftp:nope\n\n`)).toEqual({ origins: [HOST, 'https://b.example', 'https://c.example'], wrong: ['ftp:nope'] });
    expect(parseOrigins(`${HOST} oops`)).toEqual({ origins: [HOST], wrong: ['oops'] });
    const admin = signedIn(h, h.agent({ name: 'Otto', role: 'admin' }));
    const refused = await admin.post('/manage/channels/chat-sites', { name: 'Typo', origins: 'not a url', queue: 'general', active: 'on' });
    expect(refused.status).toBe(422);
    const html = await refused.text();
    expect(html).toContain('&quot;not a url&quot; is not an origin (write https://shop.example, without a path)');
    expect(html).not.toContain('&quot;not&quot;');
    const two = await (await admin.post('/manage/channels/chat-sites', { name: 'Typo', origins: 'shop\nnot a url', queue: 'general', active: 'on' })).text();
    expect(two).toContain('&quot;shop&quot;, &quot;not a url&quot; are not origins');
  });

  it('ends a chat after inactivity (the chat sweep on the injected clock), mails the transcript and takes the rating', async () => {
    const token = await start('tess@example.com', 'Tess');
    const { case: ref } = (await (await call('POST', '/chat/api/messages', { token, body: { body: 'Is the shop open on Sunday?' } })).json()) as { case: string };
    // Waiting for an agent is not inactivity: an hour in the queue and the chat is still open.
    h.clock.advance(60 * 60_000);
    await runChatSweep(h.services);
    expect(((await (await call('GET', '/chat/api/session', { token })).json()) as { session: { state: string } }).session.state).toBe('open');
    // The agent answers: from now the visitor owes the next line, and their clock runs.
    await sendMessage(h.services, Number(ref.slice(2)), { body: 'Yes, from 10 to 16.', public: true }, agent);
    h.clock.advance(14 * 60_000);
    expect((await runChatSweep(h.services)).ended).toBeGreaterThanOrEqual(0);
    expect(((await (await call('GET', '/chat/api/session', { token })).json()) as { session: { state: string } }).session.state).toBe('open');
    expect((await call('POST', '/chat/api/rating', { token, body: { satisfied: true } })).status).toBe(409); // not over yet
    h.clock.advance(2 * 60_000);
    await runChatSweep(h.services);
    const session = (await (await call('GET', '/chat/api/session', { token })).json()) as { session: { state: string; endedBy: string }; lines: { body: string }[] };
    expect(session.session).toMatchObject({ state: 'ended', endedBy: 'inactivity' });
    expect(session.lines.at(-1)!.body).toMatch(/ended after a while/);
    expect((await call('POST', '/chat/api/messages', { token, body: { body: 'hello?' } })).status).toBe(409);

    expect((await call('POST', '/chat/api/transcript', { token })).status).toBe(202);
    // asking kicks a background drain, which may hold the item while this one finds nothing
    await h.services.outbox.drain();
    await h.services.outbox.idle();
    const mail = smtp.messages.find((m) => m.to.includes('tess@example.com'))!.mail;
    expect(mail.subject).toBe(`[${ref}] Transcript of your chat`);
    expect(mail.text).toContain('Is the shop open on Sunday?');
    expect(mail.text).toContain('Yes, from 10 to 16.');
    expect(mail.text).toContain('The chat ended after a while without messages.');

    expect((await call('POST', '/chat/api/rating', { token, body: { satisfied: false, comment: 'Too slow' } })).status).toBe(200);
    const [rating] = await h.query((q) => q.db.select().from(q.tables.caseRatings).where(eq(q.tables.caseRatings.caseId, Number(ref.slice(2)))));
    expect(rating).toMatchObject({ satisfied: false, comment: 'Too slow' });
  });

  it('offers a visitor waiting for an agent to be answered by e-mail, once per wait; choosing it ends the chat and leaves the case in its queue', async () => {
    const silent = await start('sid@example.com', 'Sid');
    expect((await call('POST', '/chat/api/end', { token: silent, body: { answerBy: 'email' } })).status).toBe(422); // nothing written: nothing to answer
    expect((await call('POST', '/chat/api/end', { token: silent })).status).toBe(200);
    const token = await start('wade@example.com', 'Wade');
    const { case: ref } = (await (await call('POST', '/chat/api/messages', { token, body: { body: 'My order is stuck.' } })).json()) as { case: string };
    const id = Number(ref.slice(2));
    const lines = async () => ((await (await call('GET', '/chat/api/session', { token })).json()) as { lines: { seq: number; author: string; body: string; offer?: string }[] }).lines;
    h.clock.advance(4 * 60_000);
    expect((await runChatSweep(h.services)).offered).toBe(0);
    expect((await call('POST', '/chat/api/messages', { token, body: { body: 'Hello?' } })).status).toBe(201);
    // Five minutes since the first unanswered line (not the last): one offer, with the address it will be answered at.
    h.clock.advance(60_000);
    expect((await runChatSweep(h.services)).offered).toBe(1);
    const offer = (await lines()).at(-1)!;
    expect(offer).toMatchObject({ author: 'system', offer: 'email' });
    expect(offer.body).toContain('wade@example.com');
    h.clock.advance(30 * 60_000);
    expect(await runChatSweep(h.services)).toMatchObject({ offered: 0, ended: 0 });
    // An agent answers; the visitor asks again and waits again: a new offer after five more minutes.
    await sendMessage(h.services, id, { body: 'Looking at it now.', public: true }, agent);
    expect((await call('POST', '/chat/api/messages', { token, body: { body: 'Any news?' } })).status).toBe(201);
    h.clock.advance(5 * 60_000);
    expect((await runChatSweep(h.services)).offered).toBe(1);
    expect((await lines()).filter((l) => l.offer === 'email')).toHaveLength(2);

    expect((await call('POST', '/chat/api/end', { token, body: { answerBy: 'sms' } })).status).toBe(422);
    expect((await call('POST', '/chat/api/end', { token, body: { seen: offer.seq, answerBy: 'email' } })).status).toBe(200);
    expect((await lines()).at(-1)!.body).toBe('Wade ended the chat to be answered by e-mail at wade@example.com. The request stays with our team.');
    const [ended] = await eventsOf(id, 'chat.ended');
    expect(ended!.data).toMatchObject({ by: 'visitor', answerBy: 'email' });
    expect((await caseRow(id)).open).toBe(true);
  });

  it('shows the chat’s times in the agent’s zone, named, on the page and in the stream', async () => {
    const bea = h.agent({ name: 'Bea', queues: ['general'], available: false }); // sees the queue, takes no chat
    await h.run('UPDATE staff SET time_zone = ? WHERE id = ?', 'America/New_York', bea.id);
    const token = await start('ny@example.com', 'Nia');
    const { case: ref } = (await (await call('POST', '/chat/api/messages', { token, body: { body: 'Hello from Brooklyn' } })).json()) as { case: string };
    const at = new Date(h.clock.now()).toISOString();
    const est = `${new Date(h.clock.now() - 5 * 3_600_000).toISOString().slice(11, 16)} EST`; // New York in March: UTC−5
    const page = signedIn(h, bea);
    const html = await (await page.get(`/cases/${ref}`)).text();
    const line = /<li class="chat-line chat-visitor"[^>]*>([\s\S]*?)<\/li>/.exec(html)![1]!;
    expect(line).toContain(`<bdi>Nia</bdi> <time datetime="${at}">${est}</time>`);
    expect(line.replace(/datetime="[^"]*"/, '')).not.toContain(at.slice(11, 16));
    const events = await readEvents(await page.get(`/cases/${ref}/chat/stream`), 2);
    expect(events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data).time)).toEqual([est, est]);
  });

  it('ends an open chat when its customer is erased: nothing left to answer, no live chat on the case page', async () => {
    const token = await start('gone@example.com', 'Gina');
    const { case: ref } = (await (await call('POST', '/chat/api/messages', { token, body: { body: 'Please forget me' } })).json()) as { case: string };
    const id = Number(ref.slice(2));
    const { customer_id: customerId } = (await h.get<{ customer_id: number }>('SELECT customer_id FROM cases WHERE id = ?', id))!;
    const admin = h.agent({ name: 'Ada', role: 'admin' });
    expect((await h.api('POST', `/api/v1/customers/${customerId}/erase`, { token: h.tokenFor(admin) })).status).toBe(200);
    expect(await h.get('SELECT state, ended_by AS "endedBy", ended_at AS "endedAt" FROM chat_sessions WHERE case_id = ?', id)).toEqual({ state: 'ended', endedBy: 'erased', endedAt: h.clock.now() });
    expect((await call('GET', '/chat/api/session', { token })).status).toBe(403);
    const view = (await (await h.api('GET', `/api/v1/cases/${ref}`, { token: h.tokenFor(agent) })).json()) as { chat: { state: string } };
    expect(view.chat.state).toBe('ended');
    const html = await (await signedIn(h, agent).get(`/cases/${ref}`)).text();
    expect(html).toContain('Chat (ended)');
    expect(html).toContain('Ended when the customer’s data was erased');
    expect(html).not.toContain('id="chat-end"');
  });

  it('mails the transcript with its times in the visitor’s zone, named, and the day on a line after midnight there', async () => {
    const token = await start('late@example.com', 'Lena');
    h.clock.set(Date.parse('2026-03-03T04:50:00Z')); // 23:50 in New York (EST, UTC−5)
    await call('POST', '/chat/api/messages', { token, body: { body: 'Still up?' } });
    h.clock.advance(20 * 60_000); // 00:10 on the 3rd there
    expect((await call('POST', '/chat/api/end', { token })).status).toBe(200);
    expect((await call('POST', '/chat/api/transcript', { token, body: { timeZone: 'America/New_York' } })).status).toBe(202);
    await h.services.outbox.drain();
    await h.services.outbox.idle();
    const mail = smtp.messages.find((m) => m.to.includes('late@example.com'))!.mail;
    expect(mail.text).toContain('[23:50 EST] Lena:\nStill up?');
    expect(mail.text).toContain('[2026-03-03 00:10 EST] Casebook:\nLena ended the chat.');
    expect(mail.text).not.toContain('UTC');
  });
});
