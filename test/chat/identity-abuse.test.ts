/**
 * Chat identity and abuse (docs/chat.md "Identity" and "Limits"): a visitor who only typed an
 * address is marked "e-mail not verified" on the case page, the inbox and the API, and sees
 * nothing of that customer's other cases nor their stored name (a macro's {{customer.name}}); signed identities may expire (`exp`, signed with the
 * e-mail; old signatures without it still work); transcripts are limited per recipient address
 * (unverified visitors: once per chat, and per address over all chats) and per site, in
 * sliding windows kept in the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIdentity } from '../../src/chat/identity.js';
import { createSite, siteSecret, type ChatSite } from '../../src/chat/sites.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn } from '../support/pages.js';
import { chatCaller } from './support.js';

const HOST = 'https://shop.example';
const HOUR = 3_600_000;
let h: Harness;
let site: ChatSite;
let other: ChatSite;
let agent: TestActor;

const call = chatCaller(() => h);

function startOn(on: ChatSite, body: Record<string, unknown>) {
  return call('POST', `/chat/api/sites/${on.id}/sessions`, { body: { host: HOST, ...body } });
}

/** A chat with one message (so it is a case); returns the visitor's token and the case ref. */
async function chat(email: string, o: { on?: ChatSite; signed?: boolean; text?: string } = {}): Promise<{ token: string; ref: string }> {
  const on = o.on ?? site;
  const res = await startOn(on, o.signed ? { email, signature: signIdentity(siteSecret(h.services, on), email) } : { email, name: 'Visitor' });
  expect(res.status).toBe(201);
  const { token } = (await res.json()) as { token: string };
  const sent = await call('POST', '/chat/api/messages', { token, body: { body: o.text ?? 'Hello there' } });
  expect(sent.status).toBe(201);
  return { token, ref: ((await sent.json()) as { case: string }).case };
}

beforeAll(async () => {
  h = createHarness({ services: { channelsKey: parseChannelsKey('55'.repeat(32)), chat: { transcriptsPerSite: { count: 6, windowMs: HOUR } } } });
  standardQueues(h);
  agent = h.agent({ name: 'Alice', queues: ['general'] });
  site = await createSite(h.services, { name: 'Shop', origins: HOST, greeting: '', calendar: '', queue: 'general' });
  other = await createSite(h.services, { name: 'Outlet', origins: HOST, greeting: '', calendar: '', queue: 'general' });
});
afterAll(() => h.close());

describe('an e-mail address the visitor only typed', () => {
  it('is marked "e-mail not verified" on the case page, in the inbox row and in the API; a signed one is not', async () => {
    const known = h.customer({ email: 'rosa@example.com', name: 'Rosa Real' });
    const mine = await h.api('POST', '/api/v1/cases', { token: h.tokenFor(known), body: { subject: 'Invoice 4471 for the Berlin flat', description: 'Private details' } });
    expect(mine.status).toBe(201);
    const secretRef = ((await mine.json()) as { id: string }).id;

    const fake = await chat('rosa@example.com', { text: 'What are my open orders?' });
    const real = await chat('sam@example.com', { signed: true });
    const view = async (ref: string) => (await (await h.api('GET', `/api/v1/cases/${ref}`, { token: ADMIN_TOKEN })).json()) as { chat: unknown; customer: { email: string } };
    expect((await view(fake.ref)).chat).toEqual({ site: site.id, state: 'open', visitorEmail: 'rosa@example.com', emailVerified: false });
    expect((await view(fake.ref)).customer.email).toBe('rosa@example.com');
    expect((await view(real.ref)).chat).toMatchObject({ visitorEmail: 'sam@example.com', emailVerified: true });
    expect((await view(secretRef)).chat).toBeNull();

    const page = signedIn(h, h.agent({ role: 'manager', name: 'Maria' }));
    const inbox = await (await page.get('/inbox?view=all')).text();
    const row = (ref: string) => new RegExp(`<tr[^>]*>(?:(?!</tr>).)*id="row-${ref}"(?:(?!</tr>).)*</tr>`, 's').exec(inbox)![0];
    expect(row(fake.ref)).toContain('e-mail not verified');
    expect(row(real.ref)).not.toContain('e-mail not verified');

    const fakePage = await (await page.get(`/cases/${fake.ref}`)).text();
    expect(fakePage).toContain('e-mail not verified');
    expect(fakePage).toContain('id="chat-unverified"');
    expect(fakePage).toContain('these cases may be someone else’s');
    expect(fakePage).not.toContain('id="chat-reply-warning"'); // replies go to the chat while it is open
    const realPage = await (await page.get(`/cases/${real.ref}`)).text();
    expect(realPage).toContain('verified by the site');
    expect(realPage).not.toContain('e-mail not verified');

    // A macro's {{customer.*}} in a reply the unverified visitor reads live is what they gave, not the stored customer's name.
    const admin = h.tokenFor(h.agent({ role: 'admin', name: 'Ada' }));
    const greet = await h.api('POST', '/api/v1/macros', { token: admin, body: { name: 'Greet', body: 'Hi {{customer.firstName}} ({{customer.name}}), Ada here.', shared: true } });
    expect(greet.status).toBe(201);
    const macroId = ((await greet.json()) as { id: number }).id;
    expect((await h.api('POST', `/api/v1/cases/${fake.ref}/macros/${macroId}/apply`, { token: admin, body: {} })).status).toBe(200);
    const seen = (await (await call('GET', '/chat/api/messages?after=0', { token: fake.token })).json()) as { lines: { author: string; body: string }[] };
    expect(seen.lines.at(-1)).toMatchObject({ author: 'agent', body: 'Hi Visitor (Visitor), Ada here.' });
    expect(JSON.stringify(seen)).not.toContain('Rosa');

    // Once the chat ended, replies are mailed to the typed address: the agent is warned above the composer.
    expect((await call('POST', '/chat/api/end', { token: fake.token })).status).toBe(200);
    const ended = await (await page.get(`/cases/${fake.ref}`)).text();
    expect(ended).toMatch(/id="chat-reply-warning"[^>]*>Before you reply: your reply goes by e-mail to rosa@example.com/);
    expect(ended.indexOf('id="chat-reply-warning"')).toBeLessThan(ended.indexOf('id="composer'));
    await call('POST', '/chat/api/end', { token: real.token });
    expect(await (await page.get(`/cases/${real.ref}`)).text()).not.toContain('chat-reply-warning');

    // The visitor sees their own chat only: nothing of the customer's other case.
    for (const path of ['/chat/api/session', '/chat/api/messages?after=0']) {
      const text = await (await call('GET', path, { token: fake.token })).text();
      expect(text).not.toContain(secretRef);
      expect(text).not.toContain('Berlin');
    }
  });
});

describe('signed identities with an expiry', () => {
  it('accept `exp` signed with the e-mail until that second; an altered or dropped `exp` is refused; old signatures without it still work', async () => {
    const secret = siteSecret(h.services, site);
    const exp = Math.floor(h.clock.now() / 1000) + 600;
    const signed = signIdentity(secret, 'ivy@example.com', exp);
    const ok = await startOn(site, { email: 'ivy@example.com', signature: signed, exp });
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { session: { verified: boolean } }).session.verified).toBe(true);
    // The expiry is part of what is signed.
    expect((await startOn(site, { email: 'ivy@example.com', signature: signed, exp: exp + 3600 })).status).toBe(403);
    expect((await startOn(site, { email: 'ivy@example.com', signature: signed })).status).toBe(403);
    // The signature without `exp` (the original form) is still good.
    expect((await startOn(site, { email: 'ivy@example.com', signature: signIdentity(secret, 'ivy@example.com') })).status).toBe(201);

    h.clock.advance(600_000);
    const late = await startOn(site, { email: 'ivy@example.com', signature: signed, exp });
    expect(late.status).toBe(403);
    expect((await late.json()) as { code: string; detail: string }).toMatchObject({ code: 'CHAT_SESSION_INVALID', detail: expect.stringMatching(/expired/) });
    // The form still works for that visitor.
    expect((await startOn(site, { email: 'ivy@example.com', name: 'Ivy' })).status).toBe(201);
  });
});

describe('transcripts', () => {
  it('go once per chat to an unverified visitor, at most 3 a day to one typed address over all chats, and on for signed visitors', async () => {
    const first = await chat('target@example.com');
    expect((await call('POST', '/chat/api/transcript', { token: first.token })).status).toBe(202);
    const again = await call('POST', '/chat/api/transcript', { token: first.token });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { detail: string }).detail).toMatch(/already sent to target@example.com/);

    for (let i = 0; i < 2; i++) {
      h.clock.advance(HOUR);
      const next = await chat('target@example.com', { on: other });
      expect((await call('POST', '/chat/api/transcript', { token: next.token })).status).toBe(202);
    }
    h.clock.advance(HOUR);
    const fourth = await chat('target@example.com');
    const refused = await call('POST', '/chat/api/transcript', { token: fourth.token });
    expect(refused.status).toBe(429);
    // The window slides: the first request leaves it 24 h after it was made (21 h from now).
    expect(Number(refused.headers.get('Retry-After'))).toBe(21 * 3600);
    // A signed visitor of that address is not held back by what others typed.
    const owner = await chat('target@example.com', { signed: true });
    expect((await call('POST', '/chat/api/transcript', { token: owner.token })).status).toBe(202);

    h.clock.advance(21 * HOUR);
    expect((await call('POST', '/chat/api/transcript', { token: fourth.token })).status).toBe(202);
    await h.services.outbox.drain();
  });

  it('are limited per site, all its visitors together, in a sliding window kept in the database', async () => {
    h.clock.advance(2 * HOUR);
    const transcripts = async () => (await h.get<{ n: number }>('SELECT count(*) AS n FROM chat_transcripts'))!.n;
    const before = await transcripts();
    for (let i = 0; i < 6; i++) {
      const c = await chat(`guest${i}@example.com`, { on: other });
      expect((await call('POST', '/chat/api/transcript', { token: c.token })).status).toBe(202);
      h.clock.advance(60_000);
    }
    const seventh = await chat('guest6@example.com', { on: other });
    const refused = await call('POST', '/chat/api/transcript', { token: seventh.token });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/chat transcripts on this website/);
    // Another site has its own window.
    const elsewhere = await chat('guest6@example.com');
    expect((await call('POST', '/chat/api/transcript', { token: elsewhere.token })).status).toBe(202);
    // Counted in chat_transcripts (a restart keeps them): one row per transcript that went out.
    expect(await transcripts()).toBe(before + 7);
    h.clock.advance(HOUR - 5 * 60_000);
    expect((await call('POST', '/chat/api/transcript', { token: seventh.token })).status).toBe(202);
    await h.services.outbox.drain();
  });
});
