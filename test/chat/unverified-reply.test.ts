/**
 * A public reply that would be MAILED to an address a chat visitor only typed (the chat ended,
 * the site did not sign the address) waits for the agent's confirmation, on every staff path of
 * the console: the composer (plain forms and htmx; with a note before it, one prompt names both
 * reasons and confirming sends), the macro picker's "Send with macro", and bulk "apply macro"
 * (such cases are listed as failed with the reason and can be confirmed). The API sends as it
 * always did (docs/chat.md "Unverified visitors").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMessage } from '../../src/cases/add-message.js';
import { timeline } from '../../src/cases/case-read.js';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import { signIdentity } from '../../src/chat/identity.js';
import { createSite, siteSecret, type ChatSite } from '../../src/chat/sites.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { createMacro } from '../../src/macros/edit-macro.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';
import { chatCaller } from './support.js';

const HOST = 'https://shop.example';
let h: Harness;
let site: ChatSite;
let alice: TestActor;
let desk: PageClient;

const call = chatCaller(() => h);

/** A chat with one message (so it is a case), ended unless `open`; its case ref. */
async function chat(email: string, o: { signed?: boolean; open?: boolean } = {}): Promise<string> {
  const started = await call('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, email, ...(o.signed ? { signature: signIdentity(siteSecret(h.services, site), email) } : { name: 'Visitor' }) } });
  expect(started.status).toBe(201);
  const { token } = (await started.json()) as { token: string };
  const sent = await call('POST', '/chat/api/messages', { token, body: { body: 'Where is my order?' } });
  expect(sent.status).toBe(201);
  if (!o.open) expect((await call('POST', '/chat/api/end', { token })).status).toBe(200);
  return ((await sent.json()) as { case: string }).case;
}

const idOf = (ref: string) => parseCaseRef(ref)!;
const replies = async (ref: string) => (await timeline(h.services, idOf(ref))).filter((e) => e.type === 'staff.replied').map((e) => e.data.body);
const composerOf = (html: string) => html.slice(html.indexOf('<form id="composer"'), html.indexOf('</form>', html.indexOf('<form id="composer"')) + 7);

beforeAll(async () => {
  h = createHarness({ services: { channelsKey: parseChannelsKey('66'.repeat(32)) } });
  standardQueues(h);
  alice = h.agent({ name: 'Alice Archer', queues: ['general'], capacity: 50 });
  site = await createSite(h.services, { name: 'Shop', origins: HOST, greeting: '', calendar: '', queue: 'general' });
  desk = signedIn(h, alice);
});
afterAll(() => h.close());

describe('the composer', () => {
  it('asks before mailing a reply to a typed address, sends nothing until confirmed, and sends once confirmed', async () => {
    const ref = await chat('rosa@example.com');
    const ask = await desk.post(`/cases/${ref}/messages`, { body: 'Your order ships Monday.', visibility: 'public', then: '' });
    expect(ask.status).toBe(200);
    const composer = composerOf(await ask.text());
    expect(composer).toContain('This reply will be e-mailed to rosa@example.com, an address the chat visitor typed and did not verify');
    expect(composer).toContain('<input type="hidden" name="confirmedUnverified" value="1"/>');
    expect(composer).not.toContain('name="confirmed"');
    expect(composer).toContain('id="composer-confirm-submit" name="then" value="">Yes, e-mail it to rosa@example.com</button>');
    expect(composer).toContain('>Your order ships Monday.</textarea>');
    expect(await replies(ref)).toEqual([]);

    const sent = await desk.post(`/cases/${ref}/messages`, { body: 'Your order ships Monday.', visibility: 'public', then: '', confirmedUnverified: '1' });
    expect(sent.status).toBe(303);
    expect(await replies(ref)).toEqual(['Your order ships Monday.']);
    // Every reply mailed there is asked about, not only the first; a note never is.
    expect((await desk.post(`/cases/${ref}/messages`, { body: 'And one more thing.', visibility: 'public', then: '' })).status).toBe(200);
    expect((await desk.post(`/cases/${ref}/messages`, { body: 'Checked the warehouse.', visibility: 'internal', then: '' })).status).toBe(303);
  });

  it('does not ask while the chat is open (the reply goes to the chat) nor for a visitor the site signed', async () => {
    const open = await chat('otto@example.com', { open: true });
    expect((await desk.post(`/cases/${open}/messages`, { body: 'Hi Otto', visibility: 'public', then: '' })).status).toBe(303);
    const signed = await chat('sam@example.com', { signed: true });
    expect((await desk.post(`/cases/${signed}/messages`, { body: 'Hi Sam', visibility: 'public', then: '' })).status).toBe(303);
    expect(await replies(open)).toEqual(['Hi Otto']);
    expect(await replies(signed)).toEqual(['Hi Sam']);
  });

  it('holds back a reply written for the live chat that ended meanwhile (it would be e-mailed), once, with the latest view', async () => {
    const email = 'signed@example.com';
    const started = await call('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, email, signature: signIdentity(siteSecret(h.services, site), email) } });
    const { token } = (await started.json()) as { token: string };
    const ref = ((await (await call('POST', '/chat/api/messages', { token, body: { body: 'Is it in stock?' } })).json()) as { case: string }).case;
    const composer = composerOf(await (await desk.get(`/cases/${ref}`)).text());
    expect(composer).toContain('name="chatOpen" value="1"');
    const seen = /name="seen" id="composer-seen" value="(\d+)"/.exec(composer)![1]!;
    // The visitor leaves while Alice writes; her page's live poll keeps `seen` current.
    expect((await call('POST', '/chat/api/end', { token })).status).toBe(200);
    const latest = String((await timeline(h.services, idOf(ref))).at(-1)!.id);
    expect(Number(latest)).toBeGreaterThan(Number(seen));
    const held = await desk.post(`/cases/${ref}/messages`, { body: 'Yes, 4 left.', visibility: 'public', then: '', seen: latest, chatOpen: '1' }, { htmx: true });
    expect(held.status).toBe(200);
    const html = await held.text();
    expect(html).toContain(`The live chat ended before you sent this: your reply will be e-mailed to ${email} instead.`);
    expect(html).toContain('Send anyway');
    expect(composerOf(html)).not.toContain('name="chatOpen"');
    expect(await replies(ref)).toEqual([]);
    // Send anyway: mailed, as a reply after a chat.
    expect((await desk.post(`/cases/${ref}/messages`, { body: 'Yes, 4 left.', visibility: 'public', then: '', seen: latest, chatOpen: '1', confirmedStale: '1' })).status).toBe(303);
    expect(await replies(ref)).toEqual(['Yes, 4 left.']);
    // While the chat is open nothing is asked.
    const open = await chat('open-again@example.com', { signed: true, open: true });
    expect((await desk.post(`/cases/${open}/messages`, { body: 'Hello!', visibility: 'public', then: '', chatOpen: '1' })).status).toBe(303);
    expect(await replies(open)).toEqual(['Hello!']);
  });

  it('after a note asks once for both reasons; confirming that prompt sends (plain form and htmx)', async () => {
    const ref = await chat('nina@example.com');
    await addMessage(h.services, idOf(ref), { body: 'Maybe not the real Nina.', public: false }, alice);
    const ask = await desk.post(`/cases/${ref}/messages`, { body: 'Refund issued.', visibility: 'public', then: 'waitOnCustomer' }, { htmx: true });
    expect(ask.status).toBe(200);
    expect(ask.headers.get('HX-Retarget')).toBe('#composer');
    const html = await ask.text();
    expect(html).toMatch(/<ul id="composer-confirm-reasons"><li>Your last entry was an internal note.<\/li><li>This reply will be e-mailed to nina@example.com/);
    expect(html).toContain('<input type="hidden" name="confirmed" value="1"/><input type="hidden" name="confirmedUnverified" value="1"/>');
    expect(html).toContain('Yes, e-mail it to nina@example.com and wait on customer</button>');
    expect(html.match(/id="composer-confirm"/g)).toHaveLength(1);
    expect(await replies(ref)).toEqual([]);
    // What the prompt posts: both answers at once, and the reply goes out.
    const sent = await desk.post(`/cases/${ref}/messages`, { body: 'Refund issued.', visibility: 'public', then: 'waitOnCustomer', confirmed: '1', confirmedUnverified: '1' });
    expect(sent.status).toBe(303);
    expect(await replies(ref)).toEqual(['Refund issued.']);
  });
});

describe('macros and bulk', () => {
  it('the macro picker asks before "Send with macro" mails the reply; confirmed, the reply and its changes go together', async () => {
    const ref = await chat('mo@example.com');
    const macro = await createMacro(h.services, { name: 'Shipped', body: 'It shipped today.', actions: { priority: 'high' } }, alice);
    const form = { appliedMacro: String(macro.id), macroVersion: String(macro.version), body: 'It shipped today.', visibility: 'public' };
    const ask = await desk.post(`/cases/${ref}/macros/apply`, form);
    expect(ask.status).toBe(200);
    const html = await ask.text();
    expect(html).toMatch(/id="macro-confirm"[^>]*><p><strong>This reply will be e-mailed to mo@example.com, an address the chat visitor typed and did not verify/);
    expect(html).toContain('Yes, e-mail it to mo@example.com with the macro');
    expect(await replies(ref)).toEqual([]);
    expect((await timeline(h.services, idOf(ref))).some((e) => e.type === 'macro.applied')).toBe(false);

    const sent = await desk.post(`/cases/${ref}/macros/apply`, { ...form, confirmedUnverified: '1' });
    expect(sent.status).toBe(303);
    expect(await replies(ref)).toEqual(['It shipped today.']);
    // As a note nothing is mailed: no question.
    expect((await desk.post(`/cases/${ref}/macros/apply`, { ...form, visibility: 'internal' })).status).toBe(303);
  });

  it('bulk "apply macro" lists such cases as failed with the reason, and applies it to them alone once confirmed', async () => {
    const typed = await chat('tia@example.com');
    const signed = await chat('ugo@example.com', { signed: true });
    const macro = await createMacro(h.services, { name: 'Ack', body: 'Thanks, we are on it.', actions: { tags: { add: ['acked'], remove: [] } } }, alice);
    const first = await desk.post('/inbox/bulk', [['action', 'macro'], ['macro', String(macro.id)], ['cases', typed], ['cases', signed]], { htmx: true });
    const summary = await first.text();
    expect(summary).toContain('<strong>1 changed, 1 failed</strong>');
    expect(summary).toContain(`<strong>${typed}</strong> — not sent: the reply would be e-mailed to tia@example.com, an address the chat visitor typed and did not verify`);
    expect(summary).toContain(`<input type="hidden" name="heldCases" value="${typed}"/>`);
    expect(summary).toContain(`Apply “Ack” to ${typed} anyway (e-mail the reply)`);
    expect(await replies(typed)).toEqual([]);
    expect(await replies(signed)).toEqual(['Thanks, we are on it.']);

    // The confirm button posts the held cases (the ticked ones stay ticked and are not applied to again).
    const confirmed = await desk.post('/inbox/bulk', [['action', 'confirm-macro'], ['heldMacro', String(macro.id)], ['heldCases', typed], ['cases', typed], ['cases', signed]], { htmx: true });
    expect(await confirmed.text()).toContain('<strong>1 changed</strong>.');
    expect(await replies(typed)).toEqual(['Thanks, we are on it.']);
    expect(await replies(signed)).toEqual(['Thanks, we are on it.']);
  });
});

describe('the API', () => {
  it('sends a public reply as before: integrations read chat.emailVerified and chat.state in the case view', async () => {
    const ref = await chat('api@example.com');
    const view = (await (await h.api('GET', `/api/v1/cases/${ref}`, { token: ADMIN_TOKEN })).json()) as { chat: { state: string; emailVerified: boolean } };
    expect(view.chat).toMatchObject({ state: 'ended', emailVerified: false });
    const res = await h.api('POST', `/api/v1/cases/${ref}/messages`, { token: h.tokenFor(alice), body: { body: 'From the integration.', public: true } });
    expect(res.status).toBe(201);
    expect(await replies(ref)).toEqual(['From the integration.']);
  });
});
