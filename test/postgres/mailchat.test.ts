/**
 * The mail pipeline, notifications, chat commands, the phone hook, webhook and IM items on
 * PostgreSQL (docs/postgres.md, "Converted: mailchat"): a harness seeded on SQLite (queues,
 * an agent, a chat site, tokens), moved to a PostgreSQL copy, then driven through HTTP where a
 * route exists and through the outbox's drain — mail received over the API, threaded,
 * duplicated and bounced; the acknowledgement, a staff reply and a mention mailed to a real
 * SMTP server; a chat with its transcript and the idle sweep; a telephony call; a webhook
 * delivery and an IM post — each read back through `services.store`. A command still on
 * `services.db` would write the SQLite file, which the test checks stays as it was.
 */
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMessage } from '../../src/cases/add-message.js';
import { signCall } from '../../src/channels/phone/signature.js';
import { defaultEmailSettings } from '../../src/channels/email/settings.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { runChatSweep } from '../../src/chat/sweep.js';
import { createSite, type ChatSite } from '../../src/chat/sites.js';
import { IM_LANE } from '../../src/im/post-message.js';
import { createMailer } from '../../src/notifications/mailer.js';
import type { OutboxItem } from '../../src/outbox/outbox.js';
import { WEBHOOK_LANE } from '../../src/webhooks/deliveries.js';
import { fixture } from '../email/support.js';
import { startReceiver, type Receiver } from '../integrations/receiver.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { moveToPostgres, type Moved } from '../support/on-postgres.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';
import { startSmtp, type Inbox } from '../support/smtp.js';

const OWN = 'http://localhost';
const HOST = 'https://shop.example';
const PHONE_SECRET = 'phone-hook-secret-for-postgres';

let cluster: PostgresCluster;
let smtp: Inbox;
let receiver: Receiver;
let h: Harness;
let moved: Moved;
let ada: TestActor;
let bo: TestActor;
let site: ChatSite;
let sqliteBefore: Record<string, number>;

type Json = Record<string, unknown>;
const TABLES = ['cases', 'case_events', 'email_messages', 'inbound_mail', 'outbox', 'chat_sessions', 'chat_messages', 'chat_transcripts', 'phone_calls', 'webhook_deliveries'];
const sqliteCounts = () => Object.fromEntries(TABLES.map((t) => [t, (h.db.$client.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
const store = () => h.services.store;
const caseId = (ref: unknown) => Number(String(ref).replace(/^C-/, ''));

const entries = (id: number) =>
  store().query((q) => q.db.select({ type: q.tables.caseEvents.type, data: q.tables.caseEvents.data }).from(q.tables.caseEvents).where(eq(q.tables.caseEvents.caseId, id)).orderBy(asc(q.tables.caseEvents.id)));
const sent = async (id: number) => (await entries(id)).filter((e) => e.type === 'notification.sent' || e.type === 'email.sent').map((e) => e.data);

async function flush(): Promise<void> {
  await h.services.outbox.idle();
  await h.services.outbox.drain();
  await h.services.outbox.idle();
}

function postMail(raw: Buffer | string) {
  return h.app.request('/api/v1/inbound/email', { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'message/rfc822' }, body: typeof raw === 'string' ? raw : new Uint8Array(raw) });
}

function mail(headers: string[], body: string): string {
  return [...headers, 'Content-Type: text/plain; charset=UTF-8', '', body, ''].join('\r\n');
}

function chat(method: string, path: string, o: { token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = { Origin: OWN };
  if (o.token) headers.Authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers['Content-Type'] = 'application/json';
  return h.app.request(`${OWN}${path}`, { method, headers, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) });
}

function call(body: unknown) {
  const raw = JSON.stringify(body);
  const at = Math.floor(h.clock.now() / 1000);
  return h.app.request('/api/v1/channels/phone/calls', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Casebook-Timestamp': String(at), 'X-Casebook-Signature': signCall(PHONE_SECRET, at, raw) },
    body: raw,
  });
}

async function queueItem(type: string, id: number | null, payload: Json): Promise<OutboxItem> {
  const [row] = await store().write((q) =>
    q.db.insert(q.tables.outbox).values({ type, caseId: id, payload, createdAt: h.clock.now(), availableAt: h.clock.now() }).returning(),
  );
  return { id: row!.id, type, caseId: id, payload, attempts: 0, availableAt: row!.availableAt, createdAt: row!.createdAt };
}

beforeAll(async () => {
  [cluster, smtp, receiver] = await Promise.all([startPostgres(), startSmtp(), startReceiver()]);
  h = createHarness({
    services: {
      email: defaultEmailSettings({ supportAddress: 'support@example.com', secret: 'mail-secret-for-postgres-0123456789' }),
      mailer: createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <casebook@example.com>'),
      channelsKey: parseChannelsKey('77'.repeat(32)),
      phone: { webhookSecret: PHONE_SECRET, toleranceSeconds: 300 },
      integrations: { allowPrivateTargets: true },
    },
  });
  standardQueues(h);
  ada = h.agent({ name: 'Ada Agent', queues: ['general', 'billing', 'technical'] });
  bo = h.agent({ name: 'Bo Colleague', queues: ['general', 'billing', 'technical'] });
  site = await createSite(h.services, { name: 'Shop', origins: HOST, greeting: 'Hi! How can we help?', calendar: '', queue: 'general' });
  moved = await moveToPostgres(h.services, h.dbPath, cluster);
  sqliteBefore = sqliteCounts();
}, 60_000);

afterAll(async () => {
  h?.services.outbox.stop();
  await moved?.close();
  h?.close();
  await Promise.all([cluster?.stop(), smtp?.close(), receiver?.close()]);
});

describe('the mail pipeline on PostgreSQL', () => {
  let id: number;
  const original = '<pg-mail-1@mail.example.com>';

  it('opens a case from a mail and mails the acknowledgement with its template values, threaded', async () => {
    const res = await postMail(mail(['From: Fay Field <fay@example.com>', 'To: support@example.com', 'Subject: Invoice question', `Message-ID: ${original}`], 'Why is my invoice higher?'));
    const body = (await res.json()) as Json;
    expect(body).toMatchObject({ result: 'created' });
    expect(res.status).toBe(202);
    id = caseId(body.case);
    await flush();
    const ack = smtp.messages.find((m) => m.mail.inReplyTo === original)!;
    expect(ack.to).toEqual(['fay@example.com']);
    expect(ack.mail.subject).toContain(`[C-${id}]`);
    expect(ack.mail.text).toContain('Fay Field');
    expect(ack.mail.text).toContain('/login/link?token='); // a new customer's one-time sign-in link
    expect(String(ack.mail.replyTo?.text)).toMatch(/^support\+/);
    const [notice] = await sent(id);
    const ackId = ack.mail.messageId!.slice(1, -1);
    expect(notice).toMatchObject({ template: 'case-received', to: 'customer', recipients: ['fay@example.com'], delivered: true, signInLink: true, messageId: ackId });
    const ids = await store().query((q) => q.db.select().from(q.tables.emailMessages).where(eq(q.tables.emailMessages.caseId, id)).orderBy(asc(q.tables.emailMessages.at)));
    expect(ids.map((r) => [r.messageId, r.direction])).toEqual([
      [original.slice(1, -1), 'in'],
      [ackId, 'out'],
    ]);
  });

  it('threads a reply onto the case by In-Reply-To; the same Message-ID again is a duplicate', async () => {
    const ack = smtp.messages.find((m) => m.mail.inReplyTo === original)!;
    const reply = mail(['From: Fay Field <fay@example.com>', 'To: support@example.com', 'Subject: Re: Invoice question', 'Message-ID: <pg-mail-2@mail.example.com>', `In-Reply-To: ${ack.mail.messageId}`], 'It is invoice 42.');
    expect(await (await postMail(reply)).json()).toMatchObject({ result: 'appended', case: `C-${id}` });
    expect(await (await postMail(reply)).json()).toMatchObject({ result: 'ignored', reason: 'duplicate' });
    // By the signed reply address alone, and by the subject tag from the customer.
    const byAddress = mail(['From: fay@example.com', `To: ${String(ack.mail.replyTo?.value[0]?.address)}`, 'Subject: more', 'Message-ID: <pg-mail-3@mail.example.com>'], 'And invoice 43.');
    expect(await (await postMail(byAddress)).json()).toMatchObject({ result: 'appended', case: `C-${id}` });
    const replies = (await entries(id)).filter((e) => e.type === 'customer.replied');
    expect(replies.map((e) => e.data.body)).toEqual(['It is invoice 42.', 'And invoice 43.']);
    const log = await store().query((q) => q.db.select().from(q.tables.inboundMail).where(eq(q.tables.inboundMail.fromAddress, 'fay@example.com')).orderBy(asc(q.tables.inboundMail.id)));
    expect(log.map((l) => [l.outcome, l.reason])).toEqual([
      ['created', null],
      ['appended', null],
      ['ignored', 'duplicate'],
      ['appended', null],
    ]);
  });

  it('ignores staff and looping senders, and records a bounce of our mail on its case', async () => {
    const [staffRow] = await store().query((q) => q.db.select().from(q.tables.staff).where(eq(q.tables.staff.id, ada.id)));
    const fromStaff = mail([`From: ${ada.name} <${staffRow!.email}>`, 'To: support@example.com', 'Subject: hi', 'Message-ID: <pg-staff@x>'], 'me');
    expect(await (await postMail(fromStaff)).json()).toMatchObject({ result: 'ignored', reason: 'staff-sender' });
    const loop = mail(['From: support@example.com', 'To: support@example.com', 'Subject: loop', 'Message-ID: <pg-loop@x>'], 'loop');
    expect(await (await postMail(loop)).json()).toMatchObject({ result: 'ignored', reason: 'loop' });
    const ack = smtp.messages.find((m) => m.mail.inReplyTo === original)!;
    const bounce = fixture('bounce-dsn.eml', { REF: 'C-999999' })
      .toString('latin1')
      .replace(/In-Reply-To: <CAF=new-request-1@mail.gmail.com>\r?\n/, '')
      .replace('<outbound-unknown-1@casebook.example.com>', ack.mail.messageId!);
    expect(await (await postMail(bounce)).json()).toMatchObject({ result: 'appended', case: `C-${id}`, reason: 'bounce' });
    expect((await entries(id)).filter((e) => e.type === 'email.bounced')).toHaveLength(1);
    const unknown = fixture('bounce-dsn.eml', { REF: 'C-999999' }).toString('latin1').replace('Message-Id: <20260302101500.ABC123@mx.example.com>', 'Message-Id: <pg-bounce-2@mx.example.com>');
    expect(await (await postMail(unknown)).json()).toMatchObject({ result: 'ignored', reason: 'bounce' });
  });

  it('mails an agent reply through the outbox (staff-reply template, threaded, CC kept) and a mention to a colleague', async () => {
    await addMessage(h.services, id, { body: 'We refunded the difference.', public: true }, ada);
    await flush();
    const out = smtp.messages.at(-1)!;
    expect(out.to).toEqual(['fay@example.com']);
    expect(out.mail.subject).toBe(`Re: [C-${id}] Invoice question`);
    expect(out.mail.text).toContain('We refunded the difference.');
    expect(out.mail.text).toContain('Ada Agent');
    expect(out.mail.references).toContain(original);
    // In-Reply-To: the newest Message-ID of the customer's side of the thread, received or sent —
    // the customer's last mail, not the bounce's (staff-only mail is never referenced to the customer).
    expect(out.mail.inReplyTo).toBe('<pg-mail-3@mail.example.com>');
    expect(out.mail.references).not.toContain('<20260302101500.ABC123@mx.example.com>');
    const reply = (await sent(id)).find((d) => d.kind === 'reply')!;
    const replyId = out.mail.messageId!.slice(1, -1);
    expect(reply).toMatchObject({ delivered: true, to: ['fay@example.com'], messageId: replyId });
    const [row] = await store().query((q) => q.db.select().from(q.tables.emailMessages).where(and(eq(q.tables.emailMessages.messageId, replyId), eq(q.tables.emailMessages.direction, 'out'))));
    expect(row?.caseId).toBe(id);

    const [note] = await store().write((q) =>
      q.db.insert(q.tables.caseEvents).values({ caseId: id, type: 'staff.noted', at: h.clock.now(), actorType: 'staff', actorId: ada.id, data: { body: 'Bo, can you check the refund?' } }).returning({ id: q.tables.caseEvents.id }),
    );
    await queueItem('notification.mention', id, { staffId: bo.id, note: note!.id, by: 'Ada Agent' });
    await queueItem('notification.mention', id, { staffId: 999_999, note: null, by: 'Ada Agent' });
    await flush();
    const mention = smtp.messages.at(-1)!;
    expect(mention.mail.subject).toBe(`[C-${id}] Ada Agent mentioned you: Invoice question`);
    expect(mention.mail.text).toContain('Bo, can you check the refund?');
    const mentions = (await sent(id)).filter((d) => d.template === 'staff-mentioned');
    expect(mentions).toEqual([
      expect.objectContaining({ staffId: bo.id, delivered: true }),
      expect.objectContaining({ staffId: 999_999, delivered: false, reason: 'no longer an active staff member' }),
    ]);
  });
});

describe('a chat on PostgreSQL', () => {
  it('visitor message, agent line, end, transcript mailed; a second transcript refused; the idle sweep offers mail to a waiting visitor and ends a chat only once the visitor owes an answer', async () => {
    const sessionOf = async (name: string) => (await store().query((q) => q.db.select().from(q.tables.chatSessions).where(eq(q.tables.chatSessions.name, name))))[0]!;
    const { token } = (await (await chat('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, name: 'Vera Visitor', email: 'vera@example.com' } })).json()) as { token: string };
    const first = await chat('POST', '/chat/api/messages', { token, body: { body: 'Where is my parcel?' } });
    expect(first.status).toBe(201);
    const session = await sessionOf('Vera Visitor');
    const id = session!.caseId!;
    expect(session).toMatchObject({ lastSeq: 2, state: 'open' });
    await addMessage(h.services, id, { body: 'It ships today.', public: true }, ada);
    expect((await chat('POST', '/chat/api/end', { token })).status).toBe(200);
    expect((await chat('POST', '/chat/api/messages', { token, body: { body: 'Hello?' } })).status).toBe(409);
    const lines = await store().query((q) => q.db.select().from(q.tables.chatMessages).where(eq(q.tables.chatMessages.sessionId, session.id)).orderBy(asc(q.tables.chatMessages.seq)));
    expect(lines.map((l) => [l.seq, l.author, l.body])).toEqual([
      [1, 'system', 'Hi! How can we help?'],
      [2, 'visitor', 'Where is my parcel?'],
      [3, 'agent', 'It ships today.'],
      [4, 'system', 'Vera Visitor ended the chat.'],
    ]);

    expect((await chat('POST', '/chat/api/transcript', { token })).status).toBe(202);
    expect((await chat('POST', '/chat/api/transcript', { token })).status).toBe(409);
    await flush();
    const transcript = smtp.messages.at(-1)!;
    expect(transcript.to).toEqual(['vera@example.com']);
    expect(transcript.mail.text).toContain('Where is my parcel?');
    expect(transcript.mail.text).toContain('It ships today.');
    const types = (await entries(id)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['case.created', 'chat.started', 'staff.replied', 'chat.ended', 'chat.transcript_sent']));
    // Delivered live in the chat: the reply is not mailed too.
    expect((await sent(id)).find((d) => d.kind === 'reply')).toMatchObject({ delivered: false, reason: 'delivered in the live chat' });

    const idle = (await (await chat('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, name: 'Ian Idle', email: 'ian@example.com' } })).json()) as { token: string };
    expect((await chat('POST', '/chat/api/messages', { token: idle.token, body: { body: 'Anyone there?' } })).status).toBe(201);
    expect((await runChatSweep(h.services)).ended).toBe(0);
    // Waiting for an agent is not inactivity: Ian is offered to be answered by e-mail instead, once.
    h.clock.advance(h.services.chat.settings.inactivityMinutes * 60_000 + 1000);
    expect(await runChatSweep(h.services)).toMatchObject({ ended: 0, offered: 1 });
    expect(await runChatSweep(h.services)).toMatchObject({ ended: 0, offered: 0 });
    const ian = await sessionOf('Ian Idle');
    const last = await store().query((q) => q.db.select().from(q.tables.chatMessages).where(and(eq(q.tables.chatMessages.sessionId, ian.id), eq(q.tables.chatMessages.seq, ian.lastSeq))));
    expect(last[0]!.body).toMatch(/^Nobody has answered yet/);
    // Answered, then quiet: now the inactivity timeout ends it.
    await addMessage(h.services, ian.caseId!, { body: 'Yes, how can I help?', public: true }, ada);
    h.clock.advance(h.services.chat.settings.inactivityMinutes * 60_000 + 1000);
    expect((await runChatSweep(h.services)).ended).toBe(1);
    expect(await sessionOf('Ian Idle')).toMatchObject({ state: 'ended', endedBy: 'inactivity' });
  });
});

describe('the phone hook, webhooks and IM on PostgreSQL', () => {
  it('logs a call through the telephony hook: a new case, the same call replayed, the next call appended, a bad body refused', async () => {
    const hook = { callId: 'pg-call-1', provider: 'acme', from: '+49 30 1234567', callerName: 'Carl Caller', durationSeconds: 95, summary: 'Wants to upgrade.' };
    const created = await call(hook);
    expect(created.status).toBe(201);
    const first = (await created.json()) as Json;
    expect(first).toMatchObject({ result: 'created', replayed: false });
    const again = await call(hook);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ result: 'created', case: first.case, replayed: true });
    expect(await (await call({ ...hook, callId: 'pg-call-2' })).json()).toMatchObject({ result: 'appended', case: first.case, replayed: false });
    expect((await call({ ...hook, callId: 'pg-call-3', from: 'not a number' })).status).toBe(422);
    const calls = await store().query((q) => q.db.select().from(q.tables.phoneCalls).orderBy(asc(q.tables.phoneCalls.callId)));
    expect(calls.map((c) => [c.callId, c.result, c.caseId])).toEqual([
      ['pg-call-1', 'created', caseId(first.case)],
      ['pg-call-2', 'appended', caseId(first.case)],
    ]);
  });

  it('performs a webhook delivery with its payload and an IM post through the drain, lane targets read from the items', async () => {
    const created = await h.api('POST', '/api/v1/webhooks', { token: ADMIN_TOKEN, body: { url: `${receiver.url}/hook`, events: ['case.created'] } });
    expect(created.status).toBe(201);
    receiver.received.length = 0;
    const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'gil@example.com', name: 'Gil' }, subject: 'Webhook me', description: 'Please.' } });
    const id = caseId(((await res.json()) as Json).id);
    await flush();
    await flush();
    const hooks = receiver.received.filter((r) => r.path.endsWith('/hook'));
    expect(hooks).toHaveLength(1);
    const body = JSON.parse(hooks[0]!.body) as { type: string; data: { case: { id: string; subject: string }; customer: { email: string } } };
    expect(body).toMatchObject({ type: 'case.created', data: { case: { id: `C-${id}`, subject: 'Webhook me' }, customer: { email: 'gil@example.com' } } });
    const [delivery] = await store().query((q) => q.db.select().from(q.tables.webhookDeliveries));
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1, eventType: 'case.created' });

    const post = await queueItem('im.post', id, { to: 'slack', url: `${receiver.url}/slack`, template: 'case-resolved' });
    expect(IM_LANE.target!(h.services, post)).toBe(`${receiver.url}/slack`);
    expect(IM_LANE.target!(h.services, { ...post, payload: { to: 'teams' } })).toBe('queue-teams');
    expect(WEBHOOK_LANE.target!(h.services, { ...post, payload: { delivery: 1 } })).toBe('unnamed');
    await flush();
    expect(receiver.received.filter((r) => r.path.endsWith('/slack'))).toHaveLength(1);
    expect((await entries(id)).filter((e) => e.type === 'notification.sent').map((e) => e.data)).toContainEqual(expect.objectContaining({ channel: 'slack', status: 200 }));
    const pending = await store().query((q) => q.db.select().from(q.tables.outbox).where(eq(q.tables.outbox.id, post.id)));
    expect(pending[0]!.doneAt).not.toBeNull();
  });

  it('left the SQLite file as it was', () => {
    expect(sqliteCounts()).toEqual(sqliteBefore);
  });
});
