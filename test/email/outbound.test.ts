/**
 * Outbound mail: public staff replies (and customer notifications) leave through the outbox
 * to a real SMTP sink, threaded, with the signed Reply-To, escaped HTML and the customer
 * projection only; the delivery log on the staff timeline. Real SQLite, real HTTP.
 */
import { eq } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { makeReplyAddress } from '../../src/channels/email/reply-address.js';
import { startSmtpReceiver, type SmtpReceiver } from '../../src/channels/email/smtp-receiver.js';
import { loadConfig } from '../../src/config.js';
import { addMessage } from '../../src/cases/add-message.js';
import { customerTimeline } from '../../src/cases/case-read.js';
import { createCallCase } from '../../src/cases/create-call-case.js';
import { caseRef, parseCaseRef } from '../../src/cases/case-ref.js';
import { createMailer } from '../../src/notifications/mailer.js';
import { builtinOutboxHandlers } from '../../src/compose.js';
import { drainOutbox } from '../../src/outbox/drain.js';
import { MAX_ATTEMPTS, retryDelayMs } from '../../src/outbox/outbox.js';
import type { Harness, TestActor } from '../support/harness.js';
import { freePort } from '../support/free-port.js';
import { startSmtp, type Inbox } from '../support/smtp.js';
import { EMAIL_SECRET, emailHarness, eventsOf, fixture, postMail, signedIn } from './support.js';

let h: Harness;
let inbox: Inbox | null = null;
let receiver: SmtpReceiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
  h?.close();
  await inbox?.close();
  inbox = null;
});

async function withSmtp(): Promise<Inbox> {
  inbox = await startSmtp();
  h = emailHarness({}, { mailer: createMailer(`smtp://127.0.0.1:${inbox.port}`, 'Casebook <casebook@example.com>') });
  return inbox;
}

async function newEmailCase(): Promise<{ ref: string; id: number }> {
  const posted = await postMail(h, fixture('new-request.eml'));
  expect(posted.body.result).toBe('created');
  return { ref: posted.body.case!, id: parseCaseRef(posted.body.case!)! };
}

async function flush(): Promise<void> {
  await h.services.outbox.idle();
  await h.services.outbox.drain();
}

function events(id: number, type: string) {
  return eventsOf(h, id, type);
}

async function caseRow(id: number) {
  const [row] = await h.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, id)));
  return row!;
}

const outboxItems = () => h.query((q) => q.db.select().from(q.tables.outbox).orderBy(q.tables.outbox.id));

async function staffReply(agent: TestActor, ref: string, body: string, isPublic = true): Promise<void> {
  const res = await h.api('POST', `/api/v1/cases/${ref}/messages`, { token: h.tokenFor(agent), body: { body, public: isPublic } });
  expect(res.status).toBe(201);
}

async function sentIds(id: number): Promise<string[]> {
  const rows = await h.query((q) => q.db.select().from(q.tables.emailMessages).where(eq(q.tables.emailMessages.caseId, id)).orderBy(q.tables.emailMessages.at));
  return rows.filter((r) => r.direction === 'out').map((r) => r.messageId);
}

describe('a public staff reply', () => {
  it('is mailed once to the customer with the CCs copied, threaded, with the signed Reply-To and escaped HTML', async () => {
    const smtp = await withSmtp();
    const agent = h.agent({ role: 'manager', name: 'Alice Agent' });
    const { ref, id } = await newEmailCase();
    await flush();
    expect(smtp.messages).toHaveLength(1); // the acknowledgement
    const ack = smtp.messages[0]!.mail;
    // The acknowledgement continues the customer's thread and carries our own Message-ID.
    expect(ack.inReplyTo).toBe('<CAF=new-request-1@mail.gmail.com>');
    expect(ack.replyTo?.value[0]?.address).toBe(makeReplyAddress('support@example.com', EMAIL_SECRET, id));
    // It answers the customer's mail (RFC 3834 auto-replied); no automatic answer to it, please.
    expect(ack.headers.get('auto-submitted')).toBe('auto-replied');
    expect(ack.headers.get('x-auto-response-suppress')).toBe('All');
    expect(await sentIds(id)).toEqual([ack.messageId!.slice(1, -1)]);

    await staffReply(agent, ref, 'Hello Chloe,\n\nwe refunded one charge <script>alert(1)</script> & "more".\nIt takes 3 days.');
    await flush();
    expect(smtp.messages).toHaveLength(2);
    const { to, mail } = smtp.messages[1]!;
    expect(to.sort()).toEqual(['bob@example.com', 'chloe@example.com']);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((a) => a.address) : []).toEqual(['chloe@example.com']);
    expect(mail.cc && !Array.isArray(mail.cc) ? mail.cc.value.map((a) => a.address) : []).toEqual(['bob@example.com']);
    expect(mail.subject).toBe(`Re: [${ref}] Invoice 2026-03 charged twice`);
    expect(mail.replyTo?.value[0]?.address).toBe(makeReplyAddress('support@example.com', EMAIL_SECRET, id));
    expect(mail.inReplyTo).toBe(ack.messageId);
    expect(mail.references).toEqual(['<CAF=new-request-1@mail.gmail.com>', ack.messageId]);
    expect(mail.headers.get('auto-submitted')).toBeUndefined();
    expect(mail.text).toContain('we refunded one charge <script>alert(1)</script> & "more".\nIt takes 3 days.');
    expect(mail.text).toContain('Alice Agent, support');
    const html = String(mail.html);
    expect(html).toContain('<p dir="auto">Hello Chloe,</p>');
    expect(html).toContain('we refunded one charge &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;more&quot;.<br>\nIt takes 3 days.</p>');
    expect(html).not.toContain('<script>');
    // Recorded as sent, staff-only, and never again.
    const ids = await sentIds(id);
    expect(ids).toHaveLength(2);
    expect(ids).toContain(mail.messageId!.slice(1, -1));
    const sent = await events(id, 'email.sent');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.data).toMatchObject({ kind: 'reply', to: ['chloe@example.com'], cc: ['bob@example.com'], delivered: true, messageId: mail.messageId!.slice(1, -1) });
    const c = await caseRow(id);
    expect((await customerTimeline(h.services, c)).map((e) => e.type)).not.toContain('email.sent');
    await flush();
    expect(smtp.messages).toHaveLength(2);
  });

  it('carries the customer projection only: internal notes and the case internals never leave', async () => {
    const smtp = await withSmtp();
    const agent = h.agent({ role: 'manager' });
    const { ref, id } = await newEmailCase();
    await flush();
    await staffReply(agent, ref, 'Internal: customer is on the VIP list, refund anyway', false);
    await flush();
    expect(smtp.messages).toHaveLength(1);
    expect(await events(id, 'email.sent')).toHaveLength(0);
    await staffReply(agent, ref, 'We are on it.');
    await flush();
    expect(smtp.messages).toHaveLength(2);
    const c = await caseRow(id);
    for (const { mail } of smtp.messages) {
      const all = `${mail.subject}\n${mail.text}\n${String(mail.html)}`;
      expect(all).not.toContain('VIP list');
      expect(all).not.toContain(c.queueId);
      expect(all).not.toMatch(/priority|tier/i);
    }
  });

  it('threads the customer’s answer back to the case by In-Reply-To alone', async () => {
    const smtp = await withSmtp();
    const agent = h.agent({ role: 'manager' });
    const { ref, id } = await newEmailCase();
    await flush();
    await staffReply(agent, ref, 'Which card did you use?');
    await flush();
    const ours = smtp.messages[1]!.mail.messageId!;
    // No [C-…] in the subject and no signed address: only the header says which case.
    const answer = [
      'From: Chloe Martin <chloe@example.com>',
      'To: support@example.com',
      'Subject: my card',
      'Message-ID: <answer-1@mail.example.com>',
      `In-Reply-To: ${ours}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'The Visa ending in 4242.',
      '',
    ].join('\r\n');
    const posted = await postMail(h, answer);
    expect(posted.body).toMatchObject({ result: 'appended', case: ref });
    const replied = await events(id, 'customer.replied');
    expect(replied.at(-1)!.data.body).toBe('The Visa ending in 4242.');
    // The next reply continues from the customer's answer.
    await staffReply(agent, ref, 'Thanks, refunded.');
    await flush();
    const next = smtp.messages.at(-1)!.mail;
    expect(next.inReplyTo).toBe('<answer-1@mail.example.com>');
    expect(next.references).toContain(ours);
  });

  it('references only mail of the customer’s side of the thread: never a stranger’s mail filed for review, a bounce or an agent’s forward', async () => {
    const smtp = await withSmtp();
    const agent = h.agent({ role: 'manager', email: 'alice@staff.example' });
    const { ref, id } = await newEmailCase();
    await flush();
    const ack = smtp.messages[0]!.mail.messageId!;
    // A stranger names the case (an internal note for review), and a bounce comes back.
    const stranger = fixture('spoofed-subject.eml', { REF: ref });
    expect((await postMail(h, stranger)).body).toMatchObject({ result: 'appended', reason: 'review' });
    expect((await postMail(h, fixture('bounce-dsn.eml', { REF: ref }))).body).toMatchObject({ result: 'appended', reason: 'bounce' });
    await staffReply(agent, ref, 'We are on it.');
    await flush();
    const reply = smtp.messages.at(-1)!.mail;
    expect(reply.inReplyTo).toBe(ack);
    expect(reply.references).toEqual(['<CAF=new-request-1@mail.gmail.com>', ack]);
    // The customer answers: their mail is part of the thread, and the next reply continues from it.
    const answer = ['From: Chloe Martin <chloe@example.com>', 'To: support@example.com', `Subject: Re: [${ref}] Invoice`, 'Message-ID: <answer-2@mail.example.com>', '', 'Thanks.', ''].join('\r\n');
    expect((await postMail(h, answer)).body).toMatchObject({ result: 'appended', reason: null });
    await staffReply(agent, ref, 'Refunded.');
    await flush();
    const next = smtp.messages.at(-1)!.mail;
    expect(next.inReplyTo).toBe('<answer-2@mail.example.com>');
    const all = smtp.messages.map(({ mail }) => [mail.inReplyTo ?? '', ...[mail.references ?? []].flat()].join(' ')).join(' ');
    expect(all).not.toMatch(/evil\.example|mx\.example\.com/);
    expect((await eventsOf(h, id, 'staff.noted')).map((e) => e.data.messageId)).toHaveLength(1);

    // A case an agent forwarded: the agent's mail to the support address is not the customer's.
    const forward = [
      'From: Alice <alice@staff.example>',
      'To: support@example.com',
      'Subject: Fwd: Broken export',
      'Message-ID: <fwd-1@staff.example>',
      '',
      'Please help this customer.',
      '',
      '---------- Forwarded message ---------',
      'From: Omar Diaz <omar@example.net>',
      'Date: Mon, 2 Mar 2026 at 10:00',
      'Subject: Broken export',
      'To: Alice <alice@staff.example>',
      '',
      'The export is broken.',
      '',
    ].join('\r\n');
    const forwarded = await postMail(h, forward);
    expect(forwarded.body).toMatchObject({ result: 'created', reason: 'forwarded' });
    await flush();
    const ackOfForward = smtp.messages.at(-1)!;
    expect(ackOfForward.to).toEqual(['omar@example.net']);
    expect(ackOfForward.mail.inReplyTo).toBeUndefined();
    expect(ackOfForward.mail.references ?? []).toEqual([]);
  });

  it('is retried after an SMTP failure, with each outcome in the delivery log, and delivered exactly once', async () => {
    const smtp = await withSmtp();
    const agent = h.agent({ role: 'manager' });
    const { ref, id } = await newEmailCase();
    await flush();
    smtp.refuse(1);
    await staffReply(agent, ref, 'Your refund is on its way.');
    await flush();
    expect(smtp.messages).toHaveLength(1);
    const failed = await events(id, 'email.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data).toMatchObject({ kind: 'reply', to: ['chloe@example.com'], attempt: 1, retry: true });
    expect(String(failed[0]!.data.error)).toContain('451');
    h.clock.advance(retryDelayMs(1));
    await flush();
    expect(smtp.messages).toHaveLength(2);
    expect((await events(id, 'email.sent'))[0]!.data).toMatchObject({ delivered: true, attempts: 2 });
    // The staff timeline shows the log.
    const page = await (await signedIn(h, agent).get(`/cases/${ref}`)).text();
    expect(page).toContain('sending failed (attempt 1), will retry');
    expect(page).toContain('Reply mailed to chloe@example.com, copied: bob@example.com (after 2 attempts)');
    h.clock.advance(retryDelayMs(5));
    await flush();
    expect(smtp.messages).toHaveLength(2);
  });

  it('is not sent without SMTP_URL, and the timeline says so', async () => {
    h = emailHarness();
    const agent = h.agent({ role: 'manager' });
    const { ref, id } = await newEmailCase();
    await staffReply(agent, ref, 'Hello');
    await flush();
    expect((await events(id, 'email.sent'))[0]!.data).toMatchObject({ delivered: false, reason: 'SMTP_URL is not set' });
    expect(await sentIds(id)).toEqual([]);
    const page = await (await signedIn(h, agent).get(`/cases/${ref}`)).text();
    expect(page).toContain('Reply not mailed: SMTP_URL is not set');
  });
});

describe('the case page', () => {
  it('mails a public reply posted with the form, and neither an internal note nor the customer’s own portal reply', async () => {
    const smtp = await withSmtp();
    const agent = h.agent({ role: 'manager' });
    const { ref, id } = await newEmailCase();
    await flush();
    const desk = signedIn(h, agent);
    expect((await desk.post(`/cases/${ref}/messages`, { body: 'Hello <Chloe>', visibility: 'public' })).status).toBe(303);
    expect((await desk.post(`/cases/${ref}/messages`, { body: 'Secret note', visibility: 'internal' }, { htmx: true })).status).toBe(200);
    const c = await caseRow(id);
    const portal = signedIn(h, { type: 'customer', id: c.customerId });
    expect((await portal.post(`/cases/${ref}/messages`, { body: 'Thanks!' })).status).toBe(303);
    await flush();
    expect(smtp.messages).toHaveLength(2);
    expect(smtp.messages[1]!.mail.text).toContain('Hello <Chloe>');
    expect(String(smtp.messages[1]!.mail.html)).toContain('Hello &lt;Chloe&gt;');
    expect(smtp.messages.map((m) => m.mail.text).join('\n')).not.toMatch(/Secret note|Thanks!/);
    const page = await (await desk.get(`/cases/${ref}`)).text();
    expect(page).toContain('Reply mailed to chloe@example.com, copied: bob@example.com');
  });
});

describe('mail about a case from another channel', () => {
  it('a portal case’s staff reply reaches the customer too, and a bounce of it is found by its Message-ID', async () => {
    const smtp = await withSmtp();
    const agent = h.agent({ role: 'manager' });
    const customer = h.customer({ email: 'dana@example.com', name: 'Dana' });
    const created = await h.api('POST', '/api/v1/cases', { token: h.tokenFor(customer), body: { subject: 'Cannot export <b>CSV</b>', description: 'The CSV export is empty.' } });
    expect(created.status).toBe(201);
    const ref = ((await created.json()) as { id: string }).id;
    const id = parseCaseRef(ref)!;
    await flush();
    const before = smtp.messages.length;
    await staffReply(agent, ref, 'Fixed in 2.3.');
    await flush();
    expect(smtp.messages).toHaveLength(before + 1);
    const reply = smtp.messages.at(-1)!;
    expect(reply.to).toEqual(['dana@example.com']);
    expect(reply.mail.subject).toBe(`Re: [${ref}] Cannot export <b>CSV</b>`);
    // A subject that already starts with "Re:" (or "AW:", or the reference) does not get them twice.
    await h.services.store.write((q) => q.db.update(q.tables.cases).set({ subject: 'AW: Re: [C-7] Cannot export' }).where(eq(q.tables.cases.id, id)));
    await staffReply(agent, ref, 'One more thing.');
    await flush();
    expect(smtp.messages.at(-1)!.mail.subject).toBe(`Re: [${ref}] Cannot export`);
    // Notifications to the customer get the same escaped HTML rendering.
    for (const { mail } of smtp.messages.slice(0, before)) {
      expect(String(mail.html)).not.toContain('<b>');
      if (mail.text?.includes('<b>CSV</b>')) expect(String(mail.html)).toContain('&lt;b&gt;CSV&lt;/b&gt;');
    }
    // The DSN names the case only by our Message-ID (no reference in its subject, no In-Reply-To).
    const bounce = fixture('bounce-dsn.eml', { REF: 'C-999999' })
      .toString('latin1')
      .replace('In-Reply-To: <CAF=new-request-1@mail.gmail.com>\r\n', '')
      .replace('In-Reply-To: <CAF=new-request-1@mail.gmail.com>\n', '')
      .replace('<outbound-unknown-1@casebook.example.com>', reply.mail.messageId!);
    expect((await postMail(h, bounce)).body).toEqual({ result: 'appended', case: ref, reason: 'bounce' });
    expect(await events(id, 'email.bounced')).toHaveLength(1);
  });
});

describe('bounces of our mail', () => {
  it('go to the support address (the envelope sender), come back through the SMTP receiver and are filed on the case: no new case, no answer', async () => {
    // The usual set-up: replies From a no-reply address, customers write to the support address Casebook reads.
    const config = loadConfig({ SUPPORT_ADDRESS: 'support@example.com', MAIL_FROM: 'Example Support <noreply@example.com>' }, '/srv');
    inbox = await startSmtp();
    h = emailHarness({ fromAddress: 'noreply@example.com' }, { mailer: createMailer(`smtp://127.0.0.1:${inbox.port}`, config.mailFrom, { returnPath: config.mailReturnPath }) });
    receiver = await startSmtpReceiver(h.services, { port: 0, host: '127.0.0.1' });
    const agent = h.agent({ role: 'manager' });
    const { ref, id } = await newEmailCase();
    await flush();
    await staffReply(agent, ref, 'Please try again with the new invoice.');
    await flush();
    const reply = inbox.messages.find((m) => m.mail.text?.includes('new invoice'))!;
    // The From header stays MAIL_FROM; the envelope sender (the Return-Path) is the support address.
    expect(reply.mail.from?.value[0]?.address).toBe('noreply@example.com');
    expect(reply.from).toBe('support@example.com');
    const sentBefore = inbox.messages.length;

    // The recipient's server bounces it, as MTAs do: to the envelope sender, from the null sender, naming our Message-ID.
    const dsn = fixture('bounce-dsn.eml', { REF: 'C-999999' })
      .toString('latin1')
      .replace(/In-Reply-To: <CAF=new-request-1@mail.gmail.com>\r?\n/, '')
      .replace('<outbound-unknown-1@casebook.example.com>', reply.mail.messageId!);
    const mta = nodemailer.createTransport({ host: '127.0.0.1', port: receiver.port, secure: false, ignoreTLS: true });
    const info = await mta.sendMail({ envelope: { from: '', to: [reply.from] }, raw: dsn });
    expect(info.accepted).toEqual(['support@example.com']);

    expect(await events(id, 'email.bounced')).toHaveLength(1);
    expect(await h.query((q) => q.db.select().from(q.tables.cases))).toHaveLength(1);
    await flush();
    expect(inbox.messages).toHaveLength(sentBefore);
  });
});

describe('a bounce of mail to the customer', () => {
  /** A bounce of `messageId` (sent to chloe@example.com, subject tagged `[ref]`) for `recipients` (`Action: failed`, else `action`). */
  function dsn(messageId: string, recipients: string[], action = 'failed', ref = 'C-999999'): Buffer {
    const text = fixture('bounce-dsn.eml', { REF: ref })
      .toString('latin1')
      .replace(/In-Reply-To: <CAF=new-request-1@mail.gmail.com>\r?\n/, '')
      .replace('<outbound-unknown-1@casebook.example.com>', messageId)
      .replace(/Message-Id: <[^>]+>/, `Message-Id: <dsn-${Math.random().toString(36).slice(2)}@mx.example.com>`);
    const block = (address: string) => `Final-Recipient: rfc822; ${address}\r\nAction: ${action}\r\nStatus: ${action === 'failed' ? '5.1.1' : '4.4.1'}\r\n`;
    return Buffer.from(text.replace(/Final-Recipient: rfc822; chloe@example.com\r?\nAction: failed\r?\nStatus: 5.1.1\r?\n/, recipients.map(block).join('\r\n')), 'latin1');
  }

  async function transition(agent: TestActor, ref: string, name: string, fields: Record<string, string> = {}): Promise<void> {
    const res = await h.api('POST', `/api/v1/cases/${ref}/transitions`, { token: h.tokenFor(agent), body: { transition: name, ...fields } });
    expect(res.status).toBe(200);
  }

  /** A new mail case, assigned to `agent` (which opens it). */
  async function openEmailCase(agent: TestActor): Promise<{ ref: string; id: number }> {
    const { ref, id } = await newEmailCase();
    await flush();
    const res = await h.api('POST', `/api/v1/cases/${ref}/assignment`, { token: h.tokenFor(agent), body: { assignee: agent.id } });
    expect(res.status).toBe(200);
    expect((await caseRow(id)).status).toBe('open');
    return { ref, id };
  }

  /** A mail case put to wait on its customer with a question mailed to them (and a copy to `cc`); its Message-ID. */
  async function waitingOnCustomer(agent: TestActor): Promise<{ ref: string; id: number; question: string }> {
    const { ref, id } = await openEmailCase(agent);
    await staffReply(agent, ref, 'Which card was charged twice?');
    await transition(agent, ref, 'waitOnCustomer');
    await flush();
    expect((await caseRow(id)).status).toBe('pending');
    const question = inbox!.messages.find((m) => m.mail.text?.includes('Which card'))!.mail.messageId!;
    return { ref, id, question };
  }

  it('takes a case waiting on the customer back to its agent: the customer never got the question', async () => {
    await withSmtp();
    const agent = h.agent({ role: 'manager', queues: ['general', 'billing', 'technical'] });
    const { id, question } = await waitingOnCustomer(agent);
    expect((await postMail(h, dsn(question, ['chloe@example.com']))).body).toMatchObject({ result: 'appended', reason: 'bounce' });
    const row = await caseRow(id);
    expect(row.status).toBe('open');
    expect((await events(id, 'case.transitioned')).at(-1)!.data).toMatchObject({ transition: 'mailBounced', from: 'pending', to: 'open', on: 'email.bounced' });
    // The resolution clock runs again: it stood still while the case waited on the customer.
    const timers = await h.query((q) => q.db.select().from(q.tables.slaTimers).where(eq(q.tables.slaTimers.caseId, id)));
    expect(timers.find((t) => t.metric === 'resolution')?.state).toBe('running');
  });

  it('takes a resolved case back to its agent when the solution never reached the customer', async () => {
    await withSmtp();
    const agent = h.agent({ role: 'manager', queues: ['general', 'billing', 'technical'] });
    const { ref, id } = await openEmailCase(agent);
    await transition(agent, ref, 'resolve', { solution: 'Refunded the second charge.' });
    await flush();
    const solution = inbox!.messages.find((m) => m.mail.text?.includes('Refunded the second charge'))!.mail.messageId!;
    expect((await caseRow(id)).status).toBe('resolved');
    await postMail(h, dsn(solution, ['chloe@example.com']));
    expect((await caseRow(id)).status).toBe('open');
  });

  it('moves nothing for a "bounce" that names the case only by its reference, not by one of our Message-IDs: anyone can write one', async () => {
    await withSmtp();
    const agent = h.agent({ role: 'manager', queues: ['general', 'billing', 'technical'] });
    const { ref, id } = await waitingOnCustomer(agent);
    expect((await postMail(h, dsn('<made-up.1@casebook.example.com>', ['chloe@example.com'], 'failed', ref))).body).toMatchObject({ result: 'appended', case: ref, reason: 'bounce' });
    expect((await caseRow(id)).status).toBe('pending');
    expect(await events(id, 'email.bounced')).toHaveLength(1);
  });

  it('moves nothing for a "bounce" returning a Message-ID pieced together from what anyone can learn: the case reference, the mail\'s number, the time it was sent', async () => {
    await withSmtp();
    const agent = h.agent({ role: 'manager', queues: ['general', 'billing', 'technical'] });
    const { ref, id, question } = await waitingOnCustomer(agent);
    // Our Message-IDs were `casebook.<case>.<outbox item number>.<its time, base 36>@<domain>`: a
    // customer sees the numbering and the clock in their own mail, and a forger could try a
    // hundred guesses of the rest in every "bounce". The part only Casebook can make (a keyed
    // tag) is what proves the bounce returns a mail Casebook sent.
    const [local, domain] = question.replace(/^<|>$/g, '').split('@');
    const guessed = `<${local!.split('.').slice(0, 4).join('.')}@${domain}>`;
    expect(guessed.startsWith(`<casebook.${ref.toLowerCase()}.`)).toBe(true);
    // Not one of ours, and it names no case otherwise: set aside as a bounce about nothing we know.
    expect((await postMail(h, dsn(guessed, ['chloe@example.com']))).body).toMatchObject({ result: 'ignored', reason: 'bounce' });
    expect((await caseRow(id)).status).toBe('pending');
    // The real one moves it.
    await postMail(h, dsn(question, ['chloe@example.com']));
    expect((await caseRow(id)).status).toBe('open');
  });

  it('leaves the case waiting when only a copy bounced, or when the report says delivery is only delayed; the bounce is told on the timeline either way', async () => {
    await withSmtp();
    const agent = h.agent({ role: 'manager', queues: ['general', 'billing', 'technical'] });
    const { id, question } = await waitingOnCustomer(agent);
    await postMail(h, dsn(question, ['bob@example.com']));
    await postMail(h, dsn(question, ['chloe@example.com'], 'delayed'));
    expect((await caseRow(id)).status).toBe('pending');
    expect((await events(id, 'email.bounced')).map((e) => e.data)).toEqual([
      expect.objectContaining({ recipients: ['bob@example.com'] }),
      expect.objectContaining({ action: 'delayed', recipients: ['chloe@example.com'] }),
    ]);
    expect((await events(id, 'case.transitioned')).map((e) => (e.data as { transition: string }).transition)).not.toContain('mailBounced');
  });
});

describe('a customer known only by phone', () => {
  it('is not mailed at the stand-in address under phone.invalid: the timeline says why, and the reply after their address is added reaches them', async () => {
    const smtp = await withSmtp();
    const agent = h.agent({ role: 'manager', name: 'Alice' });
    await h.settled();
    const created = await createCallCase(
      h.services,
      { customer: { email: 'caller-442079460001@phone.invalid', name: 'Walter', phone: '+442079460001' }, subject: 'Printer', notes: 'The printer is broken.', call: { channel: 'phone', durationSeconds: 300 } },
      { ...agent, name: 'Alice' },
    );
    const ref = caseRef(created.case.id);
    await staffReply(agent, ref, 'We ordered the part.');
    await flush();
    // Handed to a mail server, the stand-in would be taken and bounced later, and the timeline would say "mailed".
    expect(smtp.messages.map((m) => m.to)).toEqual([]);
    const [notMailed] = await events(created.case.id, 'email.sent');
    expect(notMailed!.data).toEqual({ kind: 'reply', reply: expect.any(Number), delivered: false, reason: 'the customer has no e-mail address (known only by phone): add it to their profile' });
    expect(await sentIds(created.case.id)).toEqual([]);
    const page = await (await signedIn(h, agent).get(`/cases/${ref}`)).text();
    expect(page).toContain('Reply not mailed: the customer has no e-mail address (known only by phone): add it to their profile');

    const patched = await h.api('PATCH', `/api/v1/customers/${created.case.customerId}`, { token: h.tokenFor(agent), body: { email: 'walter@example.com' } });
    expect(patched.status).toBe(200);
    await staffReply(agent, ref, 'The part arrived.');
    await flush();
    expect(smtp.messages.map((m) => m.to)).toEqual([['walter@example.com']]);
    expect((await events(created.case.id, 'email.sent')).at(-1)!.data).toMatchObject({ to: ['walter@example.com'], delivered: true });
  });
});

describe('delivery failures', () => {
  it('never hold up the command that replied, are logged with the SMTP error, and wait for a mail server that is down for 3 days before giving up', async () => {
    // Nothing listens on port 1: every attempt fails to connect.
    h = emailHarness({}, { mailer: createMailer('smtp://127.0.0.1:1', 'Casebook <casebook@example.com>') });
    const agent = h.agent({ role: 'manager' });
    const customer = h.customer({ email: 'erin@example.com', name: 'Erin' });
    const created = await h.api('POST', '/api/v1/cases', { token: h.tokenFor(customer), body: { subject: 'Login loop', description: 'It keeps asking.' } });
    const id = parseCaseRef(((await created.json()) as { id: string }).id)!;
    await h.services.outbox.idle();
    await h.services.outbox.drain();
    const queued = h.clock.now();
    await addMessage(h.services, id, { body: 'Clear your cookies.' }, agent);
    // Settling the command's own follow-up work leaves the mail to the background.
    await drainOutbox(h.services, builtinOutboxHandlers(), { caseId: id });
    expect((await outboxItems()).filter((i) => i.type === 'email.reply' && i.attempts > 0)).toHaveLength(0);
    const reply = async () => (await outboxItems()).find((i) => i.type === 'email.reply')!;
    let attempts = 0;
    while ((await reply()).failedAt === null && attempts < 200) {
      await h.services.outbox.drain();
      attempts = (await reply()).attempts;
      h.clock.advance(retryDelayMs(attempts));
    }
    // Back-off 30 s, 1, 2 … 32 min (7 waits: attempt 8 starts at 63.5 min), then hourly: attempts 9 … 78 start
    // by 63.5 min + 70 h = 71 h 03.5 min; the 79th would start at 72 h 03.5 min, past the 72 h: 78 gives up.
    expect(attempts).toBe(78);
    const item = await reply();
    expect(item.failedAt! - queued).toBe(30_000 * (2 ** 7 - 1) + 70 * 3_600_000);
    // The log names the first MAX_ATTEMPTS failures and the last, not each hourly attempt between.
    const failed = (await events(id, 'email.failed')).filter((e) => e.data.kind === 'reply');
    expect(failed.map((e) => [e.data.attempt, e.data.retry])).toEqual([...Array.from({ length: MAX_ATTEMPTS }, (_, i) => [i + 1, true]), [78, false]]);
    expect(String(failed[0]!.data.error)).toMatch(/ECONNREFUSED|connect/i);
    expect(await events(id, 'email.sent')).toHaveLength(0);
    const page = await (await signedIn(h, agent).get(`/cases/${caseRef(id)}`)).text();
    expect(page).toContain(`sending failed (attempt ${MAX_ATTEMPTS}), will retry`);
    expect(page).toContain('sending failed (attempt 78), gave up');
  });

  it('a mail server down for 5 hours gets the mail once it is back: nothing lost, nothing twice', async () => {
    const port = await freePort();
    h = emailHarness({}, { mailer: createMailer(`smtp://127.0.0.1:${port}`, 'Casebook <casebook@example.com>') });
    const agent = h.agent({ role: 'manager' });
    const customer = h.customer({ email: 'erin@example.com', name: 'Erin' });
    const created = await h.api('POST', '/api/v1/cases', { token: h.tokenFor(customer), body: { subject: 'Login loop', description: 'It keeps asking.' } });
    const id = parseCaseRef(((await created.json()) as { id: string }).id)!;
    await h.services.outbox.idle();
    await h.services.outbox.drain();
    const start = h.clock.now();
    await addMessage(h.services, id, { body: 'Clear your cookies.' }, agent);
    const reply = async () => (await outboxItems()).find((i) => i.type === 'email.reply')!;
    while (h.clock.now() - start < 5 * 3_600_000) {
      await h.services.outbox.drain();
      h.clock.advance(retryDelayMs((await reply()).attempts));
    }
    // Attempts at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5, 63.5 min, then hourly: the 11th at 243.5 min, the 12th due at 303.5 min (past 5 h).
    expect((await reply()).attempts).toBe(11);
    expect((await reply()).failedAt).toBeNull();
    inbox = await startSmtp(port);
    await h.services.outbox.drain();
    expect(inbox.messages.map((m) => [m.to, m.mail.text?.includes('Clear your cookies.')])).toEqual([[['erin@example.com'], true]]);
    expect((await events(id, 'email.sent')).map((e) => e.data)).toEqual([expect.objectContaining({ delivered: true, attempts: 12 })]);
    expect((await events(id, 'email.failed')).map((e) => e.data.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    h.clock.advance(3_600_000);
    await h.services.outbox.drain();
    expect(inbox.messages).toHaveLength(1);
  });

  it('a mail the server refuses (5xx) is given up after MAX_ATTEMPTS, as before', async () => {
    const smtp = await withSmtp();
    const agent = h.agent({ role: 'manager' });
    const { ref, id } = await newEmailCase();
    await flush();
    smtp.refuse(MAX_ATTEMPTS, 550);
    await staffReply(agent, ref, 'Your refund is on its way.');
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      await flush();
      h.clock.advance(retryDelayMs(attempt));
    }
    await flush();
    const failed = (await events(id, 'email.failed')).filter((e) => e.data.kind === 'reply');
    expect(failed.map((e) => e.data.retry)).toEqual([...Array<boolean>(MAX_ATTEMPTS - 1).fill(true), false]);
    expect(String(failed[0]!.data.error)).toContain('550');
    expect(smtp.messages).toHaveLength(1); // the acknowledgement only
  });
});

describe('a customer’s own reply', () => {
  it('is not mailed back to them (portal or mail)', async () => {
    const smtp = await withSmtp();
    const { ref, id } = await newEmailCase();
    await flush();
    const c = await caseRow(id);
    await addMessage(h.services, id, { body: 'Any news?' }, { type: 'customer', id: c.customerId, role: 'customer', name: 'Chloe Martin' });
    const res = await h.api('POST', `/api/v1/cases/${ref}/messages`, { token: h.tokenFor({ type: 'customer', id: c.customerId }), body: { body: 'Hello?' } });
    expect(res.status).toBe(201);
    await flush();
    expect(smtp.messages).toHaveLength(1);
    expect(await events(id, 'email.sent')).toHaveLength(0);
  });
});
