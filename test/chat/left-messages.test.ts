/**
 * Messages left in the chat window when nobody is available (docs/chat.md "Nobody available")
 * as an attacker would use them: the typed address is anyone's, and the acknowledgement quotes
 * the message's start in its subject. Before, it was mailed to that address at once (only a
 * limit of 3 an hour per address slowed it down): now the case is "e-mail not verified" like a
 * chat with a typed address, and its automatic mail is held until an agent confirms the address
 * (the acknowledgement is then sent); a left message the host site signed is not held.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timeline } from '../../src/cases/case-read.js';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { signIdentity } from '../../src/chat/identity.js';
import { createSite, siteSecret, type ChatSite } from '../../src/chat/sites.js';
import { createMailer } from '../../src/notifications/mailer.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';
import { startSmtp, type Inbox } from '../support/smtp.js';
import { chatCaller } from './support.js';

const HOST = 'https://shop.example';
const LURE = 'Your account is locked: call +1 555 0100.';
let h: Harness;
let smtp: Inbox;
let site: ChatSite;
let alice: TestActor;
let desk: PageClient;
const call = chatCaller(() => h);

function leave(email: string, extra: Record<string, unknown> = {}) {
  return call('POST', `/chat/api/sites/${site.id}/offline`, { body: { host: HOST, name: 'Support Team', email, message: LURE, ...extra } });
}

/** A left message's case: its ref and id. */
async function left(email: string, extra: Record<string, unknown> = {}) {
  const res = await leave(email, extra);
  expect(res.status).toBe(201);
  const ref = ((await res.json()) as { case: string }).case;
  return { ref, id: parseCaseRef(ref)! };
}

async function settle() {
  await h.services.outbox.drain();
  await h.services.outbox.idle();
}

const mailsTo = (address: string) => smtp.messages.filter((m) => m.to.includes(address));
const entries = async (id: number, type: string) => (await timeline(h.services, id)).filter((e) => e.type === type);
const chatOf = async (ref: string) => ((await (await h.api('GET', `/api/v1/cases/${ref}`, { token: h.tokenFor(alice) })).json()) as { chat: unknown }).chat;

beforeAll(async () => {
  smtp = await startSmtp();
  h = createHarness({ start: '2026-03-02T09:00:00Z', services: { mailer: createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <casebook@localhost>'), channelsKey: parseChannelsKey('46'.repeat(32)) } });
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general'], capacity: 50 });
  await h.settled();
  site = await createSite(h.services, { name: 'Shop', origins: HOST, greeting: '', calendar: '', queue: 'general' });
  desk = signedIn(h, alice);
  // The desk acknowledges every left message (docs/rules.md `event.via`).
  const routing = h.services.definitions.ruleset('routing').definition;
  const acknowledge = {
    name: 'Acknowledge left messages',
    conditions: { all: [{ fact: 'event', path: '$.via', operator: 'equal', value: 'chat-offline' }] },
    event: { type: 'notify', params: { to: 'customer', template: 'case-received' } },
  };
  await h.services.store.write((q) => h.services.definitions.createVersion(q, 'ruleset', 'routing', { ...routing, rules: [...routing.rules, acknowledge] }, { state: 'published', now: h.clock.now() }));
  await h.services.definitions.refresh();
});
afterAll(async () => {
  h.close();
  await smtp.close();
});

describe('a message left with a typed address', () => {
  it('is "e-mail not verified"; its acknowledgement is held until an agent confirms the address, then sent; later mail is not held', async () => {
    const v = await left('target@example.com');
    await settle();
    expect(mailsTo('target@example.com')).toHaveLength(0);
    expect(await chatOf(v.ref)).toEqual({ site: site.id, state: 'ended', visitorEmail: 'target@example.com', emailVerified: false });
    expect((await entries(v.id, 'email.held')).map((e) => e.data)).toEqual([expect.objectContaining({ kind: 'notification', template: 'case-received', to: ['target@example.com'] })]);
    const listed = await h.api('GET', `/api/v1/cases/${v.ref}/held-mail`, { token: h.tokenFor(alice) });
    expect(((await listed.json()) as { items: unknown[] }).items).toEqual([expect.objectContaining({ template: 'case-received', to: 'target@example.com', current: true })]);

    // Marked in the inbox row and on the case page, with the held mail and the confirmation.
    const inbox = await (await signedIn(h, h.agent({ role: 'manager', name: 'Maria' })).get('/inbox?view=all')).text();
    expect(new RegExp(`<tr[^>]*>(?:(?!</tr>).)*id="row-${v.ref}"(?:(?!</tr>).)*</tr>`, 's').exec(inbox)![0]).toContain('e-mail not verified');
    const page = await (await desk.get(`/cases/${v.ref}`)).text();
    expect(page).toContain('e-mail not verified');
    expect(page).toContain('A mail is held: not sent to target@example.com until you confirm that address.');
    expect(page).toContain('<li>“Acknowledgement”, held <time datetime="2026-03-02');
    // The composer asks before a public reply to it, and sends nothing meanwhile.
    const ask = await desk.post(`/cases/${v.ref}/messages`, { body: 'Did you write to us?', visibility: 'public', then: '' });
    expect(ask.status).toBe(200);
    expect(await ask.text()).toContain('This reply will be e-mailed to target@example.com, an address the chat visitor typed and did not verify');
    await settle();
    expect(mailsTo('target@example.com')).toHaveLength(0);

    expect((await desk.post(`/cases/${v.ref}/chat/held-mail`, {})).status).toBe(303);
    await settle();
    const mails = mailsTo('target@example.com');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.mail.subject).toContain('Message from the chat: Your account is locked');
    expect(await chatOf(v.ref)).toMatchObject({ emailVerified: true });
    const after = await (await desk.get(`/cases/${v.ref}`)).text();
    expect(after).not.toContain('e-mail not verified');
    expect(after).toContain('Alice confirmed target@example.com: 1 held mail sent');
    // Confirmed: a verified case like any other (no question, nothing held).
    expect((await desk.post(`/cases/${v.ref}/messages`, { body: 'Did you write to us?', visibility: 'public', then: '' })).status).toBe(303);
    await settle();
    expect((await h.api('POST', `/api/v1/cases/${v.ref}/transitions`, { token: h.tokenFor(alice), body: { transition: 'resolve', solution: 'Nobody locked it.' } })).status).toBe(200);
    await settle();
    expect(mailsTo('target@example.com').map((m) => m.mail.subject)).toEqual([expect.stringContaining('Message from the chat'), expect.stringContaining('Message from the chat'), expect.stringContaining('Resolved')]);
    expect(await entries(v.id, 'email.held')).toHaveLength(1);
  });

  it('signed by the host site is verified: nothing held; a bad signature is refused and stores nothing', async () => {
    const v = await left('member@example.com', { signature: signIdentity(siteSecret(h.services, site), 'member@example.com') });
    await settle();
    expect(await chatOf(v.ref)).toEqual({ site: site.id, state: 'ended', visitorEmail: 'member@example.com', emailVerified: true });
    expect(mailsTo('member@example.com')).toHaveLength(1);
    expect(await entries(v.id, 'email.held')).toHaveLength(0);
    const forged = await leave('ceo@example.com', { signature: 'ab'.repeat(32) });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { code: string }).code).toBe('CHAT_SESSION_INVALID');
    expect(await h.get("SELECT count(*) AS n FROM customers WHERE email = 'ceo@example.com'")).toEqual({ n: 0 });
  });
});

describe('messages left for one address', () => {
  it('are at most 3 an hour (the limit is the address’s, not the client’s); other addresses are not affected', async () => {
    for (let i = 0; i < 3; i++) expect((await leave('victim@example.com')).status).toBe(201);
    const refused = await leave('VICTIM@Example.com '); // the same address, written otherwise
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/^Too many messages left for this e-mail address: at most 3/);
    expect((await leave('someone.else@example.com')).status).toBe(201);
    h.clock.advance(3_600_000);
    expect((await leave('victim@example.com')).status).toBe(201);
  });
});
