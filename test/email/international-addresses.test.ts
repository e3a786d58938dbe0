/**
 * Customers at internationalized domains (`info@xn--bcher-kva.de`, `info@bücher.de`) and with
 * SMTPUTF8 local parts (`zoë@kunde.example`): one customer whichever form a mail, a form or the
 * API uses (lower case, the domain in its ASCII form); and a From address that cannot be a
 * customer's is refused with a reason (550 over SMTP), never dropped silently.
 */
import { eq } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import { startSmtpReceiver, type SmtpReceiver } from '../../src/channels/email/smtp-receiver.js';
import { createMailer } from '../../src/notifications/mailer.js';
import { canonicalEmail } from '../../src/text/email-address.js';
import { ADMIN_TOKEN, type Harness } from '../support/harness.js';
import { startSmtp, type Inbox } from '../support/smtp.js';
import { emailHarness, eventsOf, postMail } from './support.js';

let h: Harness;
let receiver: SmtpReceiver | null = null;
let inbox: Inbox | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
  await inbox?.close();
  inbox = null;
  h?.close();
});

const mailLog = () => h.query((q) => q.db.select().from(q.tables.inboundMail).orderBy(q.tables.inboundMail.id));
const customers = () => h.query((q) => q.db.select().from(q.tables.customers).orderBy(q.tables.customers.id));
async function customerOf(ref: string) {
  const [c] = await h.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, parseCaseRef(ref)!)));
  return (await h.query((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.id, c!.customerId))))[0]!;
}

/** A plain-text mail, its headers as given (raw UTF-8 where they hold it, as SMTPUTF8 mail does). */
function mail(from: string, subject: string, id: string, body = 'Meine Bestellung fehlt.'): Buffer {
  return Buffer.from(`From: ${from}\r\nTo: support@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${body}\r\n`, 'utf8');
}

describe('a customer at an internationalized domain', () => {
  it('mailing from the ASCII (punycode) form gets a case, stored in that form', async () => {
    h = emailHarness();
    const { body } = await postMail(h, mail('Hans <info@xn--bcher-kva.de>', 'Bestellung', 'idn-1@xn--bcher-kva.de'));
    expect(body).toMatchObject({ result: 'created', reason: null });
    expect(await customerOf(body.case!)).toMatchObject({ email: 'info@xn--bcher-kva.de', name: 'Hans' });
    expect((await mailLog())[0]).toMatchObject({ fromAddress: 'info@xn--bcher-kva.de', outcome: 'created' });
  });

  it('mailing from the Unicode form is the same customer', async () => {
    h = emailHarness();
    const first = await postMail(h, mail('Hans <info@xn--bcher-kva.de>', 'Bestellung', 'idn-1@xn--bcher-kva.de'));
    const second = await postMail(h, mail('Hans <Info@BÜCHER.de>', 'Noch eine Frage', 'idn-2@bücher.de'));
    expect(second.body).toMatchObject({ result: 'created' });
    expect((await customerOf(second.body.case!)).id).toBe((await customerOf(first.body.case!)).id);
    expect(await customers()).toHaveLength(1);
  });

  it('created through the API in either form, replies by mail in the other as the customer', async () => {
    h = emailHarness();
    const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'User@München.example', name: 'User' }, subject: 'Zugang', description: 'Ich komme nicht rein.' } });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; customer: { email: string } };
    expect(created.customer.email).toBe('user@xn--mnchen-3ya.example');
    const reply = await postMail(h, mail('User <user@xn--mnchen-3ya.example>', `Re: [${created.id}] Zugang`, 'idn-reply@xn--mnchen-3ya.example', 'Immer noch nicht.'));
    expect(reply.body).toEqual({ result: 'appended', case: created.id, reason: null });
    const replies = await eventsOf(h, parseCaseRef(created.id)!, 'customer.replied');
    expect(replies.map((e) => [e.actorType, e.data.body])).toEqual([['customer', 'Immer noch nicht.']]);
    expect(await eventsOf(h, parseCaseRef(created.id)!, 'staff.noted')).toHaveLength(0);
    // The API finds the same customer for the ASCII form: no second customer.
    const again = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'USER@xn--MNCHEN-3YA.example' }, subject: 'Noch was', description: 'Und noch was.' } });
    expect(again.status).toBe(201);
    expect(await customers()).toHaveLength(1);
  });

  it('gets portal access by either form of the address', async () => {
    h = emailHarness();
    await postMail(h, mail('Hans <info@xn--bcher-kva.de>', 'Bestellung', 'idn-1@xn--bcher-kva.de'));
    const res = await h.api('POST', '/api/v1/users/password-links', { token: ADMIN_TOKEN, body: { email: 'Info@Bücher.de' } });
    expect(res.status).toBe(201);
  });
});

describe('a contact kept before addresses had one form (the Unicode domain mailparser gave)', () => {
  it('still posts as the customer, and is copied once', async () => {
    inbox = await startSmtp();
    h = emailHarness({}, { mailer: createMailer(`smtp://127.0.0.1:${inbox.port}`, 'Casebook <support@example.com>') });
    const agent = h.agent({ role: 'manager' });
    const { body } = await postMail(h, mail('Hans <info@xn--bcher-kva.de>', 'Bestellung', 'legacy-1@xn--bcher-kva.de'));
    const id = parseCaseRef(body.case!)!;
    await h.services.store.write((q) => q.db.insert(q.tables.caseEmailContacts).values({ caseId: id, address: 'eva@bücher.de', name: 'Eva', addedAt: h.clock.now() }));
    const reply = await postMail(h, mail('Eva <eva@xn--bcher-kva.de>', `Re: [${body.case}] Bestellung`, 'legacy-2@xn--bcher-kva.de', 'Ich auch.'));
    expect(reply.body).toMatchObject({ result: 'appended', reason: null });
    // Her reply copied her again in the one form: she is mailed once all the same.
    await h.api('POST', `/api/v1/cases/${body.case}/messages`, { token: h.tokenFor(agent), body: { body: 'Unterwegs.', public: true } });
    await h.services.outbox.idle();
    await h.services.outbox.drain();
    // (The test server hands the envelope's domains over in Unicode.)
    expect(inbox.messages.at(-1)!.to.map(canonicalEmail).sort()).toEqual(['eva@xn--bcher-kva.de', 'info@xn--bcher-kva.de']);
  });
});

describe('an SMTPUTF8 address (zoë@kunde.example)', () => {
  it('gets a case over HTTP, and the acknowledgement is mailed to it', async () => {
    inbox = await startSmtp();
    h = emailHarness({}, { mailer: createMailer(`smtp://127.0.0.1:${inbox.port}`, 'Casebook <support@example.com>') });
    const { body } = await postMail(h, mail('Zoë Martin <Zoë@kunde.example>', 'Passwort', 'zoe-1@kunde.example'));
    expect(body).toMatchObject({ result: 'created', reason: null });
    expect(await customerOf(body.case!)).toMatchObject({ email: 'zoë@kunde.example', name: 'Zoë Martin' });
    await h.services.outbox.idle();
    await h.services.outbox.drain();
    expect(inbox.messages.map((m) => m.to)).toEqual([['zoë@kunde.example']]);
  });

  it('gets a case over the SMTP receiver, which advertises SMTPUTF8', async () => {
    h = emailHarness();
    receiver = await startSmtpReceiver(h.services, { port: 0, host: '127.0.0.1' });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: receiver.port, secure: false, ignoreTLS: true });
    const info = await transport.sendMail({ envelope: { from: 'zoë@kunde.example', to: ['support@example.com'] }, raw: mail('Zoë <zoë@kunde.example>', 'Hilfe', 'zoe-2@kunde.example') });
    expect(info.response).toMatch(/Queued as C-\d+/);
    expect((await customers()).map((c) => c.email)).toEqual(['zoë@kunde.example']);
  });
});

describe('a From address that cannot be a customer’s', () => {
  it.each([['"Jo Doe"@example.com'], ['root@localhost'], ['x@[192.0.2.1]']])('%s is ignored as invalid-sender and logged', async (address) => {
    h = emailHarness();
    const { body } = await postMail(h, mail(`Someone <${address}>`, 'Help', `bad-${address.length}@example.net`));
    expect(body).toEqual({ result: 'ignored', case: null, reason: 'invalid-sender' });
    expect((await mailLog()).map((r) => [r.outcome, r.reason])).toEqual([['ignored', 'invalid-sender']]);
    expect(await customers()).toHaveLength(0);
  });

  it('is refused by the SMTP receiver with 550, so the sending server bounces it', async () => {
    h = emailHarness();
    receiver = await startSmtpReceiver(h.services, { port: 0, host: '127.0.0.1' });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: receiver.port, secure: false, ignoreTLS: true });
    const sent = transport.sendMail({ envelope: { from: 'root@mx.example.net', to: ['support@example.com'] }, raw: mail('root@localhost', 'cron', 'cron-1@mx.example.net') });
    await expect(sent).rejects.toMatchObject({ responseCode: 550 });
    expect((await mailLog()).map((r) => r.reason)).toEqual(['invalid-sender']);
  });
});
