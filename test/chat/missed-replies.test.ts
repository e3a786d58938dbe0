/**
 * Replies the visitor never saw (docs/chat.md *The end*): an agent's public reply in an open chat
 * is a chat line and is not mailed, so an answer written after the visitor left (tab closed) was
 * never delivered, and nothing was mailed when the chat ended. Now the window acknowledges what
 * it has (a poll's `after`, `POST /chat/api/seen`, `seen` with *End chat*) and, when the chat
 * ends (the visitor, the agent, inactivity, the case closed), the agents' replies after that are
 * mailed in one "Replies you may have missed" mail with their files, threaded on the case.
 * Automatic mail to an address the visitor only typed (that one, and the resolved mail with its
 * rating links) is held until an agent confirms the address, then sent; before, the resolved
 * mail went straight to whoever's address was typed.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timeline } from '../../src/cases/case-read.js';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import { signIdentity } from '../../src/chat/identity.js';
import { createSite, siteSecret, type ChatSite } from '../../src/chat/sites.js';
import { runChatSweep } from '../../src/chat/sweep.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { createMailer } from '../../src/notifications/mailer.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';
import { startSmtp, type Inbox } from '../support/smtp.js';
import { chatCaller, OWN } from './support.js';

const HOST = 'https://shop.example';
let h: Harness;
let smtp: Inbox;
let site: ChatSite;
let alice: TestActor;
let desk: PageClient;

const call = chatCaller(() => h);

/** A chat with one visitor message; the visitor's token, the case ref and the message's seq. */
async function chat(email: string, o: { signed?: boolean; name?: string; body?: string } = {}) {
  const identity = o.signed ? { signature: signIdentity(siteSecret(h.services, site), email) } : { name: o.name ?? 'Visitor' };
  const started = await call('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, email, ...identity } });
  expect(started.status).toBe(201);
  const { token } = (await started.json()) as { token: string };
  const sent = await call('POST', '/chat/api/messages', { token, body: { body: o.body ?? 'Where is my parcel?' } });
  expect(sent.status).toBe(201);
  const { case: ref, seq } = (await sent.json()) as { case: string; seq: number };
  return { token, ref, id: parseCaseRef(ref)!, seq };
}

/** An agent's reply through the API (multipart, with files): the chat line's seq. */
async function reply(ref: string, body: string, o: { files?: { name: string; content: string }[]; internal?: boolean } = {}) {
  const form = new FormData();
  form.append('body', body);
  form.append('public', o.internal ? 'false' : 'true');
  for (const f of o.files ?? []) form.append('files', new File([f.content], f.name, { type: 'application/pdf' }));
  const res = await h.app.request(`${OWN}/api/v1/cases/${ref}/messages`, { method: 'POST', headers: { Authorization: `Bearer ${h.tokenFor(alice)}` }, body: form });
  expect(res.status).toBe(201);
}

async function lastSeq(token: string): Promise<number> {
  const { session } = (await (await call('GET', '/chat/api/session', { token })).json()) as { session: { lastSeq: number } };
  return session.lastSeq;
}

async function settle() {
  await h.services.outbox.drain();
  await h.services.outbox.idle();
}

const mailsTo = (address: string) => smtp.messages.filter((m) => m.to.includes(address));
const entries = async (id: number, type: string) => (await timeline(h.services, id)).filter((e) => e.type === type);

beforeAll(async () => {
  smtp = await startSmtp();
  h = createHarness({ start: '2026-03-02T09:00:00Z', services: { mailer: createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <casebook@localhost>'), channelsKey: parseChannelsKey('77'.repeat(32)) } });
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general'], capacity: 50 });
  await h.settled();
  site = await createSite(h.services, { name: 'Shop', origins: HOST, greeting: '', calendar: '', queue: 'general' });
  desk = signedIn(h, alice);
});
afterAll(async () => {
  h.close();
  await smtp.close();
});

describe('replies the visitor never saw', () => {
  it('are mailed in one mail when the chat ends by inactivity: the unseen public replies with their files, never a note or a seen reply', async () => {
    const v = await chat('signed@example.com', { signed: true });
    await reply(v.ref, 'Let me check the tracking.');
    // The window showed that one and says so; then the visitor closed the tab.
    expect((await call('POST', '/chat/api/seen', { token: v.token, body: { seq: await lastSeq(v.token) } })).status).toBe(204);
    h.clock.advance(5 * 60_000);
    await reply(v.ref, 'It arrives tomorrow, tracking 123.');
    await reply(v.ref, 'Checked with the depot.', { internal: true });
    h.clock.advance(60_000);
    await reply(v.ref, 'Here is the delivery note.', { files: [{ name: 'note.pdf', content: '%PDF-note' }] });
    await settle();
    expect(mailsTo('signed@example.com')).toHaveLength(0); // delivered in the live chat, as before

    h.clock.advance(16 * 60_000);
    expect((await runChatSweep(h.services)).ended).toBe(1);
    await settle();
    const mails = mailsTo('signed@example.com');
    expect(mails).toHaveLength(1);
    const { mail } = mails[0]!;
    expect(mail.subject).toBe(`[${v.ref}] Replies you may have missed: Chat: Where is my parcel?`);
    expect(mail.text).toContain('Alice, 2026-03-02 09:05 UTC:\nIt arrives tomorrow, tracking 123.\n');
    expect(mail.text).toContain('Alice, 2026-03-02 09:06 UTC:\nHere is the delivery note.\n[file: note.pdf]');
    expect(mail.text).not.toContain('Let me check the tracking.');
    expect(mail.text).not.toContain('depot');
    expect(mail.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([['note.pdf', '%PDF-note']]);
    // Threaded on the case: our Message-ID, recorded, so the customer's answer finds the case.
    const sent = await entries(v.id, 'email.sent');
    expect(sent.at(-1)!.data).toMatchObject({ kind: 'missed-replies', delivered: true, to: ['signed@example.com'], attachments: ['note.pdf'] });
    expect(mail.messageId).toBe(`<${String(sent.at(-1)!.data.messageId)}>`);
    expect(await h.get("SELECT case_id FROM email_messages WHERE message_id = ? AND direction = 'out'", String(sent.at(-1)!.data.messageId))).toEqual({ case_id: v.id });
    const page = await (await desk.get(`/cases/${v.ref}`)).text();
    expect(page).toContain('“Replies you may have missed” mailed to signed@example.com with 1 attachment: 2 chat replies the visitor did not see');
  });

  it('go where a staff reply’s mail goes: to the customer with the addresses copied on the case', async () => {
    const v = await chat('carol@example.com', { signed: true });
    // The customer writes about the case by mail too, copying a colleague: copied on the case from now on.
    const raw = ['From: Carol <carol@example.com>', 'To: support@localhost', 'Cc: Dan <dan@example.com>', `Subject: Re: [${v.ref}] Chat: Where is my parcel?`, 'Message-ID: <carol-1@example.com>', 'Content-Type: text/plain; charset=UTF-8', '', 'Adding Dan.', ''].join('\r\n');
    const posted = await h.app.request('/api/v1/inbound/email', { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'message/rfc822' }, body: raw });
    expect(await posted.json()).toMatchObject({ result: 'appended', case: v.ref });
    await reply(v.ref, 'Dan can collect it.');
    expect((await call('POST', '/chat/api/end', { token: v.token, body: { seen: v.seq } })).status).toBe(200);
    await settle();
    const mails = smtp.messages.filter((m) => m.mail.subject?.includes('Replies you may have missed') && m.to.includes('carol@example.com'));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to.sort()).toEqual(['carol@example.com', 'dan@example.com']);
    expect(mails[0]!.mail.text).toContain('Dan can collect it.');
    expect((await entries(v.id, 'email.sent')).at(-1)!.data).toMatchObject({ kind: 'missed-replies', to: ['carol@example.com'], cc: ['dan@example.com'], delivered: true });
    expect(await (await desk.get(`/cases/${v.ref}`)).text()).toContain('“Replies you may have missed” mailed to carol@example.com, copied: dan@example.com: 1 chat reply the visitor did not see');
  });

  it('mails nothing when the window had every reply (a poll’s `after`, or `seen` with End chat), also when the agent or a closed case ends it', async () => {
    const polled = await chat('polly@example.com', { signed: true });
    await reply(polled.ref, 'Answer one.');
    expect((await call('GET', `/chat/api/messages?after=${await lastSeq(polled.token)}`, { token: polled.token })).status).toBe(200);
    expect((await desk.post(`/cases/${polled.ref}/chat/end`, {})).status).toBe(303);

    const ended = await chat('enda@example.com', { signed: true });
    await reply(ended.ref, 'Answer two.');
    expect((await call('POST', '/chat/api/end', { token: ended.token, body: { seen: await lastSeq(ended.token) } })).status).toBe(200);

    // Closing the case ends the chat too: the reply after the last acknowledgement is mailed.
    const closed = await chat('clo@example.com', { signed: true });
    await reply(closed.ref, 'Answer three.');
    for (const transition of ['resolve', 'close']) {
      const res = await h.api('POST', `/api/v1/cases/${closed.ref}/transitions`, { token: h.tokenFor(alice), body: { transition, ...(transition === 'resolve' ? { solution: 'Reset it.' } : {}) } });
      expect(res.status).toBe(200);
    }
    await settle();
    expect(mailsTo('polly@example.com')).toHaveLength(0);
    expect(mailsTo('enda@example.com')).toHaveLength(0);
    const missed = mailsTo('clo@example.com').filter((m) => m.mail.subject!.includes('Replies you may have missed'));
    expect(missed).toHaveLength(1);
    expect(missed[0]!.mail.text).toContain('Answer three.');
    // A bad acknowledgement is refused, not stored.
    expect((await call('POST', '/chat/api/seen', { token: closed.token, body: { seq: 'all' } })).status).toBe(422);
  });

  it('ends once when End is pressed twice at once, by the visitor and the agent together: one last line, one chat.ended, one mail of the missed replies', async () => {
    const twice = await chat('twice@example.com', { signed: true });
    await reply(twice.ref, 'Answer four.');
    const answers = await Promise.all([
      call('POST', '/chat/api/end', { token: twice.token, body: { seen: twice.seq } }),
      call('POST', '/chat/api/end', { token: twice.token, body: { seen: twice.seq } }),
      desk.post(`/cases/${twice.ref}/chat/end`, {}),
      desk.post(`/cases/${twice.ref}/chat/end`, {}),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 303, 303]);
    // Pressed again later (the window's answer was lost): the same.
    expect((await call('POST', '/chat/api/end', { token: twice.token })).status).toBe(200);
    expect((await desk.post(`/cases/${twice.ref}/chat/end`, {})).status).toBe(303);
    await settle();
    const { lines } = (await (await call('GET', '/chat/api/session', { token: twice.token })).json()) as { lines: { author: string; body: string }[] };
    expect(lines.map((l) => l.author)).toEqual(['visitor', 'agent', 'system']);
    expect(await entries(twice.id, 'chat.ended')).toHaveLength(1);
    expect(mailsTo('twice@example.com').filter((m) => m.mail.subject!.includes('Replies you may have missed'))).toHaveLength(1);
  });
});

describe('automatic mail to an address the visitor only typed', () => {
  it('the resolved mail is held (the visitor sees the resolution in the chat) until an agent confirms the address, then sent', async () => {
    const v = await chat('victim@example.com', { name: 'Mallory' });
    const resolved = await h.api('POST', `/api/v1/cases/${v.ref}/transitions`, { token: h.tokenFor(alice), body: { transition: 'resolve', solution: 'Restart the router, code 1234' } });
    expect(resolved.status).toBe(200);
    await settle();
    expect(mailsTo('victim@example.com')).toHaveLength(0);
    const { lines } = (await (await call('GET', '/chat/api/session', { token: v.token })).json()) as { lines: { author: string; body: string }[] };
    expect(lines.at(-1)).toMatchObject({ author: 'system', body: 'This request is resolved.\nSolution: Restart the router, code 1234\nWrite here if you still need help.' });
    const held = await entries(v.id, 'email.held');
    expect(held.map((e) => e.data)).toEqual([expect.objectContaining({ kind: 'notification', template: 'case-resolved', to: ['victim@example.com'] })]);
    const page = await (await desk.get(`/cases/${v.ref}`)).text();
    expect(page).toContain('A mail is held: not sent to victim@example.com until you confirm that address.');
    expect(page).toContain('<li>“Resolved”, held <time datetime="2026-03-02');
    expect(page).toContain('Mail “Resolved” to victim@example.com held until an agent confirms the address');

    expect((await desk.post(`/cases/${v.ref}/chat/held-mail`, {})).status).toBe(303);
    await settle();
    const mails = mailsTo('victim@example.com');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.mail.text).toContain('Restart the router, code 1234');
    const after = await (await desk.get(`/cases/${v.ref}`)).text();
    expect(after).not.toContain('id="chat-held-mail"');
    expect(after).toContain('Alice confirmed victim@example.com: 1 held mail sent');
    // Confirming again sends nothing more.
    await desk.post(`/cases/${v.ref}/chat/held-mail`, {});
    await settle();
    expect(mailsTo('victim@example.com')).toHaveLength(1);
  });

  it('a held "Resolved" mail is not sent once the visitor reopened the case by writing again; the panel and the API say so before, the timeline after', async () => {
    const v = await chat('reopener@example.com', { name: 'Rita' });
    expect((await h.api('POST', `/api/v1/cases/${v.ref}/transitions`, { token: h.tokenFor(alice), body: { transition: 'resolve', solution: 'Reset the modem.' } })).status).toBe(200);
    await settle();
    expect((await entries(v.id, 'email.held')).map((e) => e.data.template)).toEqual(['case-resolved']);
    const listed = async () => ((await (await h.api('GET', `/api/v1/cases/${v.ref}/held-mail`, { token: h.tokenFor(alice) })).json()) as { items: { kind: string; template?: string; current: boolean }[] }).items;
    expect(await listed()).toEqual([expect.objectContaining({ template: 'case-resolved', current: true })]);
    const reopened = await call('POST', '/chat/api/messages', { token: v.token, body: { body: 'That did not help.' } });
    expect(reopened.status).toBe(201);
    await settle();
    expect((await h.api('GET', `/api/v1/cases/${v.ref}`, { token: h.tokenFor(alice) }).then((r) => r.json())) as { open: boolean }).toMatchObject({ open: true });

    // Before the confirmation: the resolved mail is listed as one that will not be sent, and the
    // button offers only to confirm the address (before, it offered "Yes, e-mail it").
    expect(await listed()).toEqual([expect.objectContaining({ template: 'case-resolved', current: false })]);
    let page = await (await desk.get(`/cases/${v.ref}`)).text();
    expect(page).toContain('Nothing held is left to send to reopener@example.com: the case has moved on since that mail was held.');
    expect(page).toMatch(/<li class="muted">“Resolved”, held <time datetime="2026-03-02T[^"]+">\d\d:\d\d UTC<\/time> — will not be sent: the case has moved on<\/li>/);
    expect(page).toContain('Confirm reopener@example.com (nothing is e-mailed)');
    expect(page).not.toContain('Yes, e-mail');

    // The agent's next answer is missed too (the visitor leaves): held beside it, and current.
    await reply(v.ref, 'Try the other cable.');
    expect((await call('POST', '/chat/api/end', { token: v.token, body: { seen: (await reopened.json() as { seq: number }).seq } })).status).toBe(200);
    await settle();
    expect(await listed()).toEqual([expect.objectContaining({ template: 'case-resolved', current: false }), expect.objectContaining({ kind: 'missed-replies', current: true })]);
    page = await (await desk.get(`/cases/${v.ref}`)).text();
    expect(page).toContain('A mail is held: not sent to reopener@example.com until you confirm that address.');
    expect(page).toContain('Yes, e-mail the 1 current message to reopener@example.com');

    expect(await (await h.api('POST', `/api/v1/cases/${v.ref}/held-mail/release`, { token: h.tokenFor(alice) })).json()).toEqual({ released: 1 });
    await settle();
    expect(mailsTo('reopener@example.com').map((m) => m.mail.subject)).toEqual([`[${v.ref}] Replies you may have missed: Chat: Where is my parcel?`]);
    expect(await listed()).toEqual([]);
    expect(await (await desk.get(`/cases/${v.ref}`)).text()).toContain('Alice confirmed reopener@example.com: 1 held mail sent; 1 not sent: the case has moved on since');
  });

  it('the missed replies are held too, and sent once confirmed; a signed visitor’s resolved mail is not held', async () => {
    const v = await chat('typed@example.com', { name: 'Tim' });
    await reply(v.ref, 'Your refund is approved.');
    expect((await call('POST', '/chat/api/end', { token: v.token, body: { seen: v.seq } })).status).toBe(200);
    await settle();
    expect(mailsTo('typed@example.com')).toHaveLength(0);
    expect((await entries(v.id, 'email.held')).map((e) => e.data.kind)).toEqual(['missed-replies']);
    expect(await (await desk.get(`/cases/${v.ref}`)).text()).toContain('Replies you may have missed (the chat replies the visitor did not see), held');
    // An integration confirms through the API, as the page's button does.
    const listed = await h.api('GET', `/api/v1/cases/${v.ref}/held-mail`, { token: h.tokenFor(alice) });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({ items: [{ id: expect.any(Number), at: expect.stringMatching(/^2026-03-02T/), kind: 'missed-replies', to: 'typed@example.com', current: true }] });
    const customerToken = h.tokenFor(h.customer({ email: 'someone@example.com', name: 'Someone' }));
    expect((await h.api('POST', `/api/v1/cases/${v.ref}/held-mail/release`, { token: customerToken })).status).toBe(403);
    const release = await h.api('POST', `/api/v1/cases/${v.ref}/held-mail/release`, { token: h.tokenFor(alice) });
    expect(await release.json()).toEqual({ released: 1 });
    await settle();
    expect(await (await h.api('GET', `/api/v1/cases/${v.ref}/held-mail`, { token: h.tokenFor(alice) })).json()).toEqual({ items: [] });
    const mails = mailsTo('typed@example.com');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.mail.subject).toContain('Replies you may have missed');
    expect(mails[0]!.mail.text).toContain('Your refund is approved.');

    const signed = await chat('sig@example.com', { signed: true });
    await h.api('POST', `/api/v1/cases/${signed.ref}/transitions`, { token: h.tokenFor(alice), body: { transition: 'resolve', solution: 'Done.' } });
    await settle();
    expect(mailsTo('sig@example.com').map((m) => m.mail.text)).toEqual([expect.stringContaining('Done.')]);
  });

  const heldList = async (ref: string) =>
    ((await (await h.api('GET', `/api/v1/cases/${ref}/held-mail`, { token: h.tokenFor(alice) })).json()) as { items: { template?: string; current: boolean }[] }).items.map((m) => [m.template, m.current]);

  it('a held "Known solution offered" is not sent once the customer answered the offer or the case was resolved', async () => {
    h.clock.advance(60 * 60_000); // past the chats per client address of the tests before
    const now = h.clock.now();
    const [problem] = await h.services.store.write((q) =>
      q.db.insert(q.tables.problems).values({ title: 'Voucher code rejected', symptoms: 'voucher code rejected, voucher invalid at checkout', synonyms: '', solution: 'Vouchers work only on full-price items.', createdAt: now, updatedAt: now }).returning({ id: q.tables.problems.id }),
    );
    try {
      // Answered ("No, I still need help"): the offer mail would ask a question already answered.
      const answered = await chat('offer@example.com', { name: 'Olga', body: 'My voucher code was rejected at checkout' });
      await settle();
      expect(await heldList(answered.ref)).toEqual([['solution-offered', true]]);
      const { customerId } = (await h.get<{ customerId: number }>('SELECT customer_id AS "customerId" FROM cases WHERE id = ?', answered.id))!;
      const declined = await h.api('POST', `/api/v1/cases/${answered.ref}/offered-solution`, { token: h.tokenFor({ type: 'customer', id: customerId }), body: { answer: 'notSolved' } });
      expect(declined.status).toBe(200);
      expect(await heldList(answered.ref)).toEqual([['solution-offered', false]]);
      expect(await (await h.api('POST', `/api/v1/cases/${answered.ref}/held-mail/release`, { token: h.tokenFor(alice) })).json()).toEqual({ released: 0 });

      // Resolved by the agent: the "Resolved" mail goes, the offer does not.
      const resolved = await chat('offer2@example.com', { name: 'Otto', body: 'The voucher code is invalid at checkout' });
      expect((await h.api('POST', `/api/v1/cases/${resolved.ref}/transitions`, { token: h.tokenFor(alice), body: { transition: 'resolve', solution: 'Applied the discount by hand.' } })).status).toBe(200);
      await settle();
      expect(await heldList(resolved.ref)).toEqual([['solution-offered', false], ['case-resolved', true]]);
      expect(await (await h.api('POST', `/api/v1/cases/${resolved.ref}/held-mail/release`, { token: h.tokenFor(alice) })).json()).toEqual({ released: 1 });
      await settle();
      expect(mailsTo('offer@example.com')).toEqual([]);
      expect(mailsTo('offer2@example.com').map((m) => m.mail.text)).toEqual([expect.stringContaining('Applied the discount by hand.')]);
    } finally {
      await h.services.store.write((q) => q.db.update(q.tables.problems).set({ active: false }).where(eq(q.tables.problems.id, problem!.id)));
    }
  });

  it('a held acknowledgement is not sent once staff replied publicly or the case was resolved', async () => {
    h.clock.advance(60 * 60_000); // past the chats per client address of the tests before
    const routing = h.services.definitions.ruleset('routing').definition;
    const publish = async (definition: typeof routing) => {
      await h.services.store.write((q) => h.services.definitions.createVersion(q, 'ruleset', 'routing', definition, { state: 'published', now: h.clock.now() }));
      await h.services.definitions.refresh();
    };
    const acknowledge = {
      name: 'Acknowledge order questions',
      conditions: { all: [{ fact: 'event', path: '$.type', operator: 'equal', value: 'case.created' }, { fact: 'case', path: '$.subject', operator: 'equal', value: 'Chat: Is my order confirmed?' }] },
      event: { type: 'notify', params: { to: 'customer', template: 'case-received' } },
    };
    await publish({ ...routing, rules: [...routing.rules, acknowledge] });
    try {
      const replied = await chat('ack@example.com', { name: 'Anna', body: 'Is my order confirmed?' });
      await settle();
      expect(await heldList(replied.ref)).toEqual([['case-received', true]]);
      // An internal note is no answer to the customer; a public reply is.
      await reply(replied.ref, 'Checking the warehouse.', { internal: true });
      expect(await heldList(replied.ref)).toEqual([['case-received', true]]);
      await reply(replied.ref, 'Yes, it ships today.');
      expect(await heldList(replied.ref)).toEqual([['case-received', false]]);

      const resolved = await chat('ack2@example.com', { name: 'Arno', body: 'Is my order confirmed?' });
      await settle();
      expect(await heldList(resolved.ref)).toEqual([['case-received', true]]);
      expect((await h.api('POST', `/api/v1/cases/${resolved.ref}/transitions`, { token: h.tokenFor(alice), body: { transition: 'resolve', solution: 'Shipped.' } })).status).toBe(200);
      await settle();
      expect(await heldList(resolved.ref)).toEqual([['case-received', false], ['case-resolved', true]]);

      for (const v of [replied, resolved]) await h.api('POST', `/api/v1/cases/${v.ref}/held-mail/release`, { token: h.tokenFor(alice) });
      await settle();
      expect(mailsTo('ack@example.com')).toEqual([]);
      expect(mailsTo('ack2@example.com').map((m) => m.mail.subject)).toEqual([expect.stringContaining('Resolved')]);
    } finally {
      await publish(routing);
    }
  });
});
