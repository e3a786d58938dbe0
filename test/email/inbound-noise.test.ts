/**
 * The email channel tried from outside: out-of-office replies in many languages (and customers
 * whose subjects merely start with "Vacation"), read receipts, a null envelope sender over
 * Casebook's own SMTP receiver, mail from Casebook's own MAIL_FROM, a mail to 5,000 people,
 * an agent forwarding a customer's mail, and an HTML-only Outlook reply — no case storms, no
 * loops, nothing lost.
 */
import { eq } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import { MAX_CONTACTS } from '../../src/channels/email/mail-log.js';
import { ACK_LIMIT } from '../../src/channels/email/open-mail-case.js';
import { receiveEmail } from '../../src/channels/email/receive-email.js';
import { startSmtpReceiver, type SmtpReceiver } from '../../src/channels/email/smtp-receiver.js';
import { createMailer } from '../../src/notifications/mailer.js';
import type { Harness, TestActor } from '../support/harness.js';
import { startSmtp } from '../support/smtp.js';
import { emailHarness, eventsOf, fixture, postMail, signedIn } from './support.js';

let h: Harness;
let receiver: SmtpReceiver;
let manager: TestActor;
let n = 0;

beforeAll(async () => {
  h = emailHarness({ fromAddress: 'notifications@example.com', ratePerSender: { count: 0, windowMs: 1 } });
  manager = h.agent({ name: 'Agent Ada', email: 'ada@example.com', role: 'manager' });
  receiver = await startSmtpReceiver(h.services, { port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await receiver?.close();
  h?.close();
});

function mail(headers: Record<string, string>, body = 'Hello, my order has not arrived.', contentType = 'text/plain; charset=utf-8'): Buffer {
  const all: Record<string, string> = { From: 'Chloe Martin <chloe@example.com>', To: 'support@example.com', Subject: 'Where is my order?', 'Message-ID': `<noise-${++n}@example.com>`, 'MIME-Version': '1.0', 'Content-Type': contentType, ...headers };
  return Buffer.from(`${Object.entries(all).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}\r\n`);
}

async function caseOf(ref: string) {
  return (await h.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, parseCaseRef(ref)!))))[0]!;
}

function entries(ref: string, type: string) {
  return eventsOf(h, parseCaseRef(ref)!, type);
}

describe('auto-replies and receipts', () => {
  it('out-of-office subjects in many languages are ignored; a customer whose subject only starts with such a word gets a case', async () => {
    const auto = [
      'Automatische Antwort: Where is my order?',
      'Respuesta automática: Where is my order?',
      'Risposta automatica: Where is my order?',
      'Automatisch antwoord: Where is my order?',
      'Resposta automática: Where is my order?',
      'Autosvar: Where is my order?',
      'Automaattinen vastaus: Where is my order?',
      'Odpowiedź automatyczna: Where is my order?',
      '自动回复: Where is my order?',
      '自動応答: Where is my order?',
      'Автоматический ответ: Where is my order?',
      // Outlook in Simplified Chinese and Korean, and a few more languages.
      '自动答复: Where is my order?',
      '자동 회신: Where is my order?',
      'Автоматична відповідь: Where is my order?',
      'Αυτόματη απάντηση: Where is my order?',
      'Trả lời tự động: Where is my order?',
      'Balasan otomatis: Where is my order?',
      'תשובה אוטומטית: Where is my order?',
      'رد تلقائي: Where is my order?',
      'Fuera de la oficina',
      'Vacation',
      'Abwesend: Ihre Anfrage',
      'Out of Office: Re: [C-1001] Where is my order?',
    ];
    for (const subject of auto) {
      expect((await postMail(h, mail({ Subject: subject, From: `ooo${++n}@example.org` }))).body, subject).toMatchObject({ result: 'ignored', reason: 'auto-reply' });
    }
    const genuine = ['Vacation rental refund', 'Absence of an invoice for March', 'I am away next week, can you hold my parcel?', 'Holiday booking was charged twice', 'Away mode does not switch off'];
    for (const subject of genuine) {
      const posted = await postMail(h, mail({ Subject: subject, From: `customer${++n}@example.org` }));
      expect(posted.body, subject).toMatchObject({ result: 'created', reason: null });
      expect((await caseOf(posted.body.case!)).subject).toBe(subject);
    }
  });

  it('a read receipt (a disposition notification) threaded to a case adds nothing to it', async () => {
    const ref = (await postMail(h, mail({ Subject: 'Receipt test', From: 'rita@example.com', 'Message-ID': '<receipt-original@example.com>' }))).body.case!;
    await h.services.outbox.idle();
    await h.services.outbox.drain();
    const before = (await h.query((q) => q.db.select().from(q.tables.caseEvents).where(eq(q.tables.caseEvents.caseId, parseCaseRef(ref)!)).orderBy(q.tables.caseEvents.id))).length;
    const receipt = mail(
      { From: 'Rita <rita@example.com>', Subject: `Read: [${ref}] Receipt test`, 'In-Reply-To': '<receipt-original@example.com>' },
      `--r\r\nContent-Type: text/plain\r\n\r\nYour message was displayed.\r\n--r\r\nContent-Type: message/disposition-notification\r\n\r\nReporting-UA: mail.example.com\r\nFinal-Recipient: rfc822;rita@example.com\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n--r--`,
      'multipart/report; report-type=disposition-notification; boundary="r"',
    );
    expect((await postMail(h, receipt)).body).toMatchObject({ result: 'ignored', reason: 'auto-reply' });
    await h.services.outbox.idle();
    await h.services.outbox.drain();
    expect(await h.query((q) => q.db.select().from(q.tables.caseEvents).where(eq(q.tables.caseEvents.caseId, parseCaseRef(ref)!)).orderBy(q.tables.caseEvents.id))).toHaveLength(before);
  });

  it('mail with a null return path is noise: a Return-Path: <> header, or MAIL FROM:<> at the SMTP receiver', async () => {
    expect((await postMail(h, mail({ 'Return-Path': '<>', From: 'robot@example.org', Subject: 'Your ticket #881 was received' }))).body).toMatchObject({ result: 'ignored', reason: 'auto-reply' });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: receiver.port, secure: false, ignoreTLS: true });
    const nullSender = await transport.sendMail({ envelope: { from: '', to: ['support@example.com'] }, raw: mail({ From: 'helpdesk@vendor.example', Subject: 'Ticket 5512 received' }) });
    expect(nullSender.response).toContain('Accepted (auto-reply)');
    // The same kind of mail from a real envelope sender is a customer's request.
    const real = await transport.sendMail({ envelope: { from: 'helpdesk@vendor.example', to: ['support@example.com'] }, raw: mail({ From: 'helpdesk@vendor.example', Subject: 'Ticket 5513 received' }) });
    expect(real.response).toMatch(/Queued as C-\d+/);
    transport.close();
    const log = await h.query((q) => q.db.select().from(q.tables.inboundMail).where(eq(q.tables.inboundMail.via, 'smtp')).orderBy(q.tables.inboundMail.id));
    expect(log.map((r) => [r.subject, r.outcome, r.reason])).toEqual([
      ['Ticket 5512 received', 'ignored', 'auto-reply'],
      ['Ticket 5513 received', 'created', null],
    ]);
  });

  it('mail from Casebook’s own MAIL_FROM address is a loop, never a case', async () => {
    const posted = await postMail(h, mail({ From: 'Example Support <Notifications@Example.com>', Subject: '[C-1001] We received your request' }));
    expect(posted.body).toMatchObject({ result: 'ignored', reason: 'loop' });
  });
});

async function acknowledgements(ref: string) {
  const rows = await h.query((q) => q.db.select().from(q.tables.outbox).where(eq(q.tables.outbox.caseId, parseCaseRef(ref)!)));
  return rows.filter((o) => o.type === 'notification.send' && o.payload.template === 'case-received');
}

async function customerOf(ref: string) {
  const c = await caseOf(ref);
  return (await h.query((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.id, c.customerId))))[0]!;
}

describe('a mail sent for someone else: Reply-To', () => {
  it('a web form’s mail opens the case for the one Reply-To address, acknowledged to them; the timeline keeps the From; replies from the form count as theirs', async () => {
    const form = { From: 'Shop Web Form <noreply@shop.example>', 'Reply-To': 'Real Customer <real.customer@example.com>', Subject: 'Contact form: refund', 'Message-ID': '<form-1@shop.example>' };
    const posted = await postMail(h, mail(form));
    expect(posted.body).toMatchObject({ result: 'created' });
    const ref = posted.body.case!;
    expect(await customerOf(ref)).toMatchObject({ email: 'real.customer@example.com', name: 'Real Customer' });
    expect((await entries(ref, 'email.received'))[0]!.data).toMatchObject({ from: 'real.customer@example.com', sentBy: 'noreply@shop.example' });
    expect(await acknowledgements(ref)).toHaveLength(1);
    // The form's address is no contact of the case: replies go to the customer alone.
    expect(await h.query((q) => q.db.select().from(q.tables.caseEmailContacts).where(eq(q.tables.caseEmailContacts.caseId, parseCaseRef(ref)!)))).toEqual([]);
    const page = await (await signedIn(h, manager).get(`/cases/${ref}`)).text();
    expect(page).toContain('Received by email from real.customer@example.com (Reply-To of a mail sent by noreply@shop.example)');

    // A further mail from the form about the case, for the same customer, is theirs; one for someone else is for review.
    const again = await postMail(h, mail({ ...form, 'Message-ID': '<form-2@shop.example>', 'In-Reply-To': '<form-1@shop.example>', Subject: `Re: [${ref}] Contact form: refund` }, 'Any news?'));
    expect(again.body).toMatchObject({ result: 'appended', case: ref, reason: null });
    expect((await entries(ref, 'customer.replied'))[0]!.data).toMatchObject({ body: 'Any news?', sentBy: 'noreply@shop.example' });
    const other = await postMail(h, mail({ ...form, 'Reply-To': 'someone.else@example.com', 'Message-ID': '<form-3@shop.example>', 'In-Reply-To': '<form-1@shop.example>' }, 'Me too'));
    expect(other.body).toMatchObject({ result: 'appended', case: ref, reason: 'review' });

    // No name in Reply-To: the From's name.
    const unnamed = await postMail(h, mail({ ...form, 'Reply-To': 'quiet.customer@example.com', 'Message-ID': '<form-4@shop.example>' }));
    expect(await customerOf(unnamed.body.case!)).toMatchObject({ email: 'quiet.customer@example.com', name: 'Shop Web Form' });
  });

  /** The addresses copied on a case (its replies go to them). */
  async function contactsOf(ref: string): Promise<string[]> {
    const rows = await h.query((q) => q.db.select().from(q.tables.caseEmailContacts).where(eq(q.tables.caseEmailContacts.caseId, parseCaseRef(ref)!)));
    return rows.map((r) => r.address).sort();
  }

  it('a stranger’s mail naming someone else in Reply-To neither posts on that person’s case by its [C-…] alone nor copies anyone on their cases', async () => {
    // The victim's own case, opened from their own address.
    const own = await postMail(h, mail({ From: 'Vera Victim <vera@example.com>', Subject: 'My invoice is wrong', 'Message-ID': '<vera-1@example.com>' }));
    const ref = own.body.case!;
    // An attacker mails from a domain of their own (its SPF and DKIM pass at the MTA), naming the
    // victim in Reply-To, the case only by its reference, and copying an address of theirs.
    const spoof = { From: 'Mallory <mallory@evil.example>', 'Reply-To': 'vera@example.com', Cc: 'mallory.inbox@evil.example', Subject: `Re: [${ref}] My invoice is wrong` };
    const posted = await postMail(h, mail({ ...spoof, 'Message-ID': '<spoof-1@evil.example>' }, 'Please send the invoice to my new address.'));
    // Not the customer's words: a note for review, as a stranger's mail is; nobody copied on the case.
    expect(posted.body).toMatchObject({ result: 'appended', case: ref, reason: 'review' });
    expect(await entries(ref, 'customer.replied')).toHaveLength(0);
    expect(await contactsOf(ref)).toEqual([]);

    // A new request in the victim's name (Reply-To, as a web form's) copies none of the recipients the stranger chose:
    // the replies go to the victim alone, never to the attacker's inbox.
    const opened = await postMail(h, mail({ ...spoof, Subject: 'Change my account e-mail', 'Message-ID': '<spoof-2@evil.example>' }));
    expect(opened.body).toMatchObject({ result: 'created' });
    expect(await customerOf(opened.body.case!)).toMatchObject({ email: 'vera@example.com' });
    expect(await contactsOf(opened.body.case!)).toEqual([]);
    // …nor does a further one threaded to that case by its headers.
    const further = await postMail(h, mail({ ...spoof, Subject: `Re: [${opened.body.case}] Change my account e-mail`, 'In-Reply-To': '<spoof-2@evil.example>', 'Message-ID': '<spoof-3@evil.example>' }, 'Any news?'));
    expect(further.body).toMatchObject({ result: 'appended', case: opened.body.case, reason: null });
    expect(await contactsOf(opened.body.case!)).toEqual([]);

    // The customer's own mail still copies whom they copy.
    const copied = await postMail(h, mail({ From: 'vera@example.com', Cc: 'vera.colleague@example.com', Subject: `Re: [${ref}] My invoice is wrong`, 'Message-ID': '<vera-2@example.com>' }, 'Adding my colleague.'));
    expect(copied.body).toMatchObject({ result: 'appended', case: ref, reason: null });
    expect(await contactsOf(ref)).toEqual(['vera.colleague@example.com']);
  });

  it('Reply-To is not used when it names our own address, the From itself or several addresses; mail from our own address stays a loop', async () => {
    for (const [replyTo, id] of [['support@example.com', 'own'], ['noreply@shop.example', 'same'], ['a@example.com, b@example.com', 'several']]) {
      const posted = await postMail(h, mail({ From: 'Shop <noreply@shop.example>', 'Reply-To': replyTo!, 'Message-ID': `<reply-to-${id}@shop.example>` }));
      expect(posted.body, replyTo).toMatchObject({ result: 'created' });
      expect((await customerOf(posted.body.case!)).email, replyTo).toBe('noreply@shop.example');
    }
    const loop = await postMail(h, mail({ From: 'support@example.com', 'Reply-To': 'real.customer@example.com' }));
    expect(loop.body).toMatchObject({ result: 'ignored', reason: 'loop' });
  });
});

describe('list mail and newsletters', () => {
  it('a mail with List-Id or List-Unsubscribe (no Precedence) opens its case but is not acknowledged, and the timeline says why', async () => {
    const lists: Record<string, string>[] = [{ 'List-Id': 'Shop news <news.shop.example>' }, { 'List-Unsubscribe': '<https://shop.example/unsubscribe?u=1>' }];
    for (const header of lists) {
      const posted = await postMail(h, mail({ From: 'news@shop.example', Subject: 'Our spring offers', ...header }));
      expect(posted.body).toMatchObject({ result: 'created' });
      const ref = posted.body.case!;
      expect(await acknowledgements(ref)).toEqual([]);
      expect((await entries(ref, 'email.received'))[0]!.data).toMatchObject({ acknowledged: false });
      const page = await (await signedIn(h, manager).get(`/cases/${ref}`)).text();
      expect(page).toContain('not acknowledged: the mail came through a mailing list or is a newsletter');
    }
  });
});

describe('mail through a Google Group or a Mailman list (Precedence: list)', () => {
  /** The headers a Google Workspace group adds to every mail it delivers to its members. */
  const googleGroup = (address: string) => ({
    Precedence: 'list',
    'Mailing-list': `list ${address}; contact ${address.replace('@', '+owners@')}`,
    'List-ID': `<${address.replace('@', '.')}>`,
    'X-Google-Group-Id': '175645748590',
    'List-Post': `<https://groups.google.com/a/${address.split('@')[1]}/group/${address.split('@')[0]}/post>, <mailto:${address}>`,
  });

  it('is a person’s mail: its case opens and replies thread, unacknowledged as list mail; Precedence bulk and junk stay noise', async () => {
    // Copied to the customer's own team group, which the support address is a member of.
    const group = { 'X-Original-Sender': 'chloe@customer.example', ...googleGroup('team@customer.example') };
    const posted = await postMail(h, mail({ From: 'Chloe <chloe@customer.example>', Subject: 'Order 7781 is late', 'Message-ID': '<group-1@customer.example>', ...group }));
    expect(posted.body).toMatchObject({ result: 'created', reason: null });
    const ref = posted.body.case!;
    expect((await entries(ref, 'email.received'))[0]!.data).toMatchObject({ acknowledged: false, ackSkipped: expect.stringContaining('mailing list') });
    expect(await acknowledgements(ref)).toEqual([]);
    // Mailman 2 marks it so without a List-Id header of its own here: still list mail, unacknowledged.
    const mailman = await postMail(h, mail({ From: 'dev@customer.example', Subject: 'Build fails', 'Message-ID': '<mailman-1@customer.example>', Precedence: 'list' }));
    expect(mailman.body).toMatchObject({ result: 'created' });
    expect(await acknowledgements(mailman.body.case!)).toEqual([]);
    // The customer's reply through the group goes on in the case.
    const reply = await postMail(h, mail({ From: 'Chloe <chloe@customer.example>', Subject: `Re: [${ref}] Order 7781 is late`, 'Message-ID': '<group-2@customer.example>', 'In-Reply-To': '<group-1@customer.example>', ...group }, 'Any news?'));
    expect(reply.body).toMatchObject({ result: 'appended', case: ref, reason: null });
    for (const value of ['bulk', 'junk', 'BULK']) {
      expect((await postMail(h, mail({ From: 'news@shop.example', Precedence: value, 'Message-ID': `<${value}-1@shop.example>` }))).body, value).toMatchObject({ result: 'ignored', reason: 'auto-reply' });
    }
  });

  it('the support address as a Google Workspace group: a customer’s mail is acknowledged, and a From the group rewrote (strict DMARC) is read back from X-Original-From', async () => {
    const ours = googleGroup('support@example.com');
    const direct = await postMail(h, mail({ From: 'Ann Lee <ann@customer.example>', Subject: 'Invoice missing', 'Message-ID': '<own-group-1@customer.example>', ...ours }));
    expect(direct.body).toMatchObject({ result: 'created', reason: null });
    expect(await acknowledgements(direct.body.case!)).toHaveLength(1);
    // A sender at a domain with p=reject: the group writes its own address in From, the sender in X-Original-From and Reply-To.
    const munged = await postMail(
      h,
      mail({
        From: "'Jo Yamada' via Support <support@example.com>",
        'X-Original-From': '=?UTF-8?Q?Jo_Yamada_=E5=B1=B1=E7=94=B0?= <jo@strict-dmarc.example>',
        'Reply-To': 'Jo Yamada <jo@strict-dmarc.example>',
        Subject: 'Cannot sign in',
        'Message-ID': '<own-group-2@strict-dmarc.example>',
        ...ours,
      }),
    );
    expect(munged.body).toMatchObject({ result: 'created', reason: null });
    expect(await customerOf(munged.body.case!)).toMatchObject({ email: 'jo@strict-dmarc.example', name: 'Jo Yamada 山田' });
    expect(await acknowledgements(munged.body.case!)).toHaveLength(1);
    expect((await entries(munged.body.case!, 'email.received'))[0]!.data).toMatchObject({ from: 'jo@strict-dmarc.example' });
    // Without our group's marks a From of ours is our own mail back, whatever X-Original-From says; so is a group of ours naming us.
    expect((await postMail(h, mail({ From: 'Support <support@example.com>', 'X-Original-From': 'mallory@evil.example' }))).body).toMatchObject({ result: 'ignored', reason: 'loop' });
    expect((await postMail(h, mail({ From: 'Support <support@example.com>', 'X-Original-From': 'Notifications@example.com', ...ours }))).body).toMatchObject({ result: 'ignored', reason: 'loop' });
  });

  it('an X-Original-From the sender wrote themselves beside the group’s is not read back: nobody sends through our group as another customer', async () => {
    const ours = googleGroup('support@example.com');
    // Mallory owns a strict-DMARC domain, so the group rewrites her From and writes her in X-Original-From and Reply-To;
    // the X-Original-From she wrote herself, naming a customer, comes along above the group's.
    h.customer({ email: 'ceo@bigcustomer.example', name: 'Big Customer CEO' });
    const forged = Buffer.from(
      mail({
        From: "'Mallory' via Support <support@example.com>",
        'X-Original-From': 'Big Customer CEO <ceo@bigcustomer.example>',
        Subject: 'Please change our bank details',
        'Message-ID': `<forged-${++n}@mallory-strict.example>`,
        ...ours,
      })
        .toString('utf8')
        .replace('List-Post:', 'X-Original-From: Mallory <mallory@mallory-strict.example>\r\nReply-To: Mallory <mallory@mallory-strict.example>\r\nList-Post:'),
      'utf8',
    );
    const before = await h.query((q) => q.db.select().from(q.tables.cases));
    expect((await postMail(h, forged)).body).toMatchObject({ result: 'ignored', reason: 'loop' });
    // No case for the customer she named, and no acknowledgement mailed to them.
    expect(await h.query((q) => q.db.select().from(q.tables.cases))).toHaveLength(before.length);
    const mailed = await h.query((q) => q.db.select().from(q.tables.outbox));
    expect(mailed.filter((o) => JSON.stringify(o.payload).includes('ceo@bigcustomer.example'))).toEqual([]);
  });

  it('an auto-responder’s mail through a group keeps its marks under the group’s own Precedence: list (every line counts): no case, no acknowledgement to ping-pong with', async () => {
    const ours = googleGroup('support@example.com');
    // A vacation responder at a strict-DMARC domain answering our acknowledgement through our group: the group's Precedence: list above its own.
    const through = (marks: string, extra: Record<string, string>) => {
      const raw = mail({ Subject: 'Re: Where is my order?', 'Message-ID': `<responder-${++n}@strict-dmarc.example>`, ...extra, ...ours }).toString('utf8');
      return Buffer.from(raw.replace('Precedence: list\r\n', `Precedence: list\r\n${marks}`), 'utf8');
    };
    const rewritten = { From: "'Jo Away' via Support <support@example.com>", 'X-Original-From': 'Jo Away <away@strict-dmarc.example>', 'Reply-To': 'away@strict-dmarc.example' };
    for (const marks of ['Precedence: bulk\r\n', 'Precedence: junk\r\n', 'Auto-Submitted: no\r\nAuto-Submitted: auto-replied\r\n']) {
      expect((await postMail(h, through(marks, rewritten))).body, marks).toMatchObject({ result: 'ignored', reason: 'auto-reply' });
      // Through someone else's list too: noise, not a case.
      expect((await postMail(h, through(marks, { From: `bot${++n}@vendor.example`, 'List-ID': '<news.vendor.example>' }))).body, marks).toMatchObject({ result: 'ignored', reason: 'auto-reply' });
    }
    // A person's mail through the group is still a case, acknowledged.
    const person = await postMail(h, through('', { ...rewritten, 'X-Original-From': 'Jo Here <here@strict-dmarc.example>' }));
    expect(person.body).toMatchObject({ result: 'created', reason: null });
    expect(await acknowledgements(person.body.case!)).toHaveLength(1);
  });
});

describe('senders that must get no automatic mail', () => {
  it('X-Auto-Response-Suppress (anything but None) or X-Loop: the case opens, unacknowledged, and the timeline says why; X-Loop naming our address is our own mail back', async () => {
    const quiet: [Record<string, string>, string][] = [
      [{ 'X-Auto-Response-Suppress': 'All' }, 'the sender asked for no automatic replies (X-Auto-Response-Suppress)'],
      [{ 'X-Auto-Response-Suppress': 'DR, OOF, AutoReply' }, 'the sender asked for no automatic replies (X-Auto-Response-Suppress)'],
      [{ 'X-Auto-Response-Suppress': 'OOF' }, 'the sender asked for no automatic replies (X-Auto-Response-Suppress)'],
      [{ 'X-Loop': 'helpdesk@vendor.example' }, 'the mail was sent by an automated system (X-Loop)'],
    ];
    for (const [header, why] of quiet) {
      const posted = await postMail(h, mail({ From: `sender${++n}@vendor.example`, Subject: 'Ticket 77 update', ...header }));
      expect(posted.body, JSON.stringify(header)).toMatchObject({ result: 'created' });
      expect(await acknowledgements(posted.body.case!), JSON.stringify(header)).toEqual([]);
      expect((await entries(posted.body.case!, 'email.received'))[0]!.data).toMatchObject({ acknowledged: false, ackSkipped: expect.stringContaining(why) });
    }
    // `None` asks for nothing: acknowledged as usual.
    const none = await postMail(h, mail({ From: `sender${++n}@vendor.example`, 'X-Auto-Response-Suppress': 'None' }));
    expect(await acknowledgements(none.body.case!)).toHaveLength(1);
    // Casebook marks its automatic mail X-Loop: <support address>: back from anyone, it is a loop.
    expect((await postMail(h, mail({ From: `sender${++n}@vendor.example`, 'X-Loop': 'Support@Example.com' }))).body).toMatchObject({ result: 'ignored', reason: 'loop' });
  });

  it('a loop with another helpdesk or an auto-responder over real SMTP stops after one acknowledgement; Casebook’s own automatic mail says it is one', async () => {
    // Mailboxes that answer every mail they get with a new mail (no case reference, no threading headers), each marked its own way.
    const responders: Record<string, Record<string, string>> = {
      'suppress@helpdesk.example': { 'X-Auto-Response-Suppress': 'All' },
      'suppress-oof@helpdesk.example': { 'X-Auto-Response-Suppress': 'OOF, AutoReply' },
      'loop@helpdesk.example': { 'X-Loop': 'loop@helpdesk.example' },
      'list@helpdesk.example': { 'List-Id': '<tickets.helpdesk.example>' },
      'bulk@helpdesk.example': { Precedence: 'bulk' },
      'auto@helpdesk.example': { 'Auto-Submitted': 'auto-replied' },
    };
    let transport: ReturnType<typeof nodemailer.createTransport> | null = null;
    const answering: Promise<unknown>[] = [];
    let answers = 0;
    const mailbox = await startSmtp(0, ({ to }) => {
      for (const address of to) {
        const headers = responders[address];
        if (!headers) continue;
        answers++;
        answering.push(transport!.sendMail({ from: address, to: 'support@example.com', subject: 'Thank you for your message', text: 'We received your message and will answer soon.', headers }));
      }
    });
    const own = emailHarness({}, { mailer: createMailer(`smtp://127.0.0.1:${mailbox.port}`, 'Casebook <notifications@example.com>') });
    const inbound = await startSmtpReceiver(own.services, { port: 0, host: '127.0.0.1' });
    transport = nodemailer.createTransport({ host: '127.0.0.1', port: inbound.port, secure: false, ignoreTLS: true });
    try {
      for (const address of Object.keys(responders)) await transport.sendMail({ from: address, to: 'support@example.com', subject: 'My order is late', text: 'Where is order 7781?' });
      // Until nothing moves: Casebook's mail out, the mailboxes' answers in.
      for (let round = 0; round < 20; round++) {
        await own.services.outbox.idle();
        await own.services.outbox.drain();
        if (answering.length === 0) break;
        await Promise.all(answering.splice(0));
      }
      // One acknowledgement to each, answered once; the answer opens a case (or is ignored as an auto-reply) and gets nothing back.
      for (const address of Object.keys(responders)) expect(mailbox.messages.filter((m) => m.to.includes(address)), address).toHaveLength(1);
      expect(answers).toBe(Object.keys(responders).length);
      const log = await own.query((q) => q.db.select().from(q.tables.inboundMail).orderBy(q.tables.inboundMail.id));
      const answered = log.filter((r) => r.subject === 'Thank you for your message').map((r) => [r.fromAddress, r.outcome, r.reason]);
      expect(answered.sort()).toEqual(
        [
          ['auto@helpdesk.example', 'ignored', 'auto-reply'],
          ['bulk@helpdesk.example', 'ignored', 'auto-reply'],
          ['list@helpdesk.example', 'created', null],
          ['loop@helpdesk.example', 'created', null],
          ['suppress-oof@helpdesk.example', 'created', null],
          ['suppress@helpdesk.example', 'created', null],
        ].sort(),
      );
      // The acknowledgement answers a mail (RFC 3834 auto-replied), asks for no automatic answer and names our address in X-Loop.
      const ack = mailbox.messages[0]!.mail.headers;
      expect([ack.get('auto-submitted'), ack.get('x-auto-response-suppress'), ack.get('x-loop')]).toEqual(['auto-replied', 'All', 'support@example.com']);
    } finally {
      transport.close();
      await inbound.close();
      own.close();
      await mailbox.close();
    }
  });

  it('a known problem’s solution goes out in the acknowledgement, not in a second mail; list mail gets neither, the portal still offers it', async () => {
    const sink = await startSmtp();
    const own = emailHarness({}, { mailer: createMailer(`smtp://127.0.0.1:${sink.port}`, 'Casebook <notifications@example.com>') });
    try {
      const now = own.clock.now();
      await own.services.store.write((q) =>
        q.db.insert(q.tables.problems).values({ title: 'Charged twice', symptoms: 'charged twice, double charge', synonyms: 'billed 2 times', solution: 'Wait 3 business days.', createdAt: now, updatedAt: now }),
      );
      const plain = await postMail(own, mail({ From: 'billy@example.org', Subject: 'Billed 2 times' }, 'I was billed 2 times.'));
      const list = await postMail(own, mail({ From: 'list@example.org', Subject: 'Billed 2 times', 'List-Id': '<billing.example.org>' }, 'I was billed 2 times.'));
      await own.services.outbox.idle();
      await own.services.outbox.drain();
      const to = (address: string) => sink.messages.filter((m) => m.to.includes(address));
      expect(to('billy@example.org')).toHaveLength(1);
      expect(to('billy@example.org')[0]!.mail.text).toContain('Wait 3 business days.');
      expect(to('list@example.org')).toEqual([]);
      for (const ref of [plain.body.case!, list.body.case!]) expect(await eventsOf(own, parseCaseRef(ref)!, 'case.solutionOffered'), ref).toHaveLength(1);
    } finally {
      own.close();
      await sink.close();
    }
  });
});

describe('a mail storm: one sender, 50 mails in a minute, over SMTP', () => {
  it('opens at most EMAIL_RATE_LIMIT cases (20 an hour), acknowledges only the first 3, logs the rest as rate-limited', async () => {
    const sink = await startSmtp();
    const storm = emailHarness({}, { mailer: createMailer(`smtp://127.0.0.1:${sink.port}`, 'Casebook <notifications@example.com>') });
    const smtp = await startSmtpReceiver(storm.services, { port: 0, host: '127.0.0.1' });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });
    try {
      for (let i = 0; i < 50; i++) {
        storm.clock.advance(1_000);
        await transport.sendMail({ envelope: { from: 'robot@vendor.example', to: ['support@example.com'] }, raw: mail({ From: 'robot@vendor.example', Subject: `Ticket ${i} opened` }) });
      }
      await storm.services.outbox.idle();
      await storm.services.outbox.drain();
      const log = await storm.query((q) => q.db.select().from(q.tables.inboundMail).orderBy(q.tables.inboundMail.id));
      expect(log.filter((r) => r.outcome === 'created')).toHaveLength(20);
      expect(log.filter((r) => r.reason === 'rate-limited')).toHaveLength(30);
      expect(sink.messages.filter((m) => m.to.includes('robot@vendor.example'))).toHaveLength(ACK_LIMIT);
      const last = (await storm.query((q) => q.db.select().from(q.tables.caseEvents).orderBy(q.tables.caseEvents.id))).filter((e) => e.type === 'email.received').at(-1)!;
      expect(last.data).toMatchObject({ acknowledged: false });
      // An hour later the sender is acknowledged again.
      storm.clock.advance(3_600_000);
      await receiveEmail(storm.services, mail({ From: 'robot@vendor.example', Subject: 'Ticket 51 opened' }), { via: 'http' });
      await storm.services.outbox.idle();
      await storm.services.outbox.drain();
      expect(sink.messages.filter((m) => m.to.includes('robot@vendor.example'))).toHaveLength(ACK_LIMIT + 1);
    } finally {
      transport.close();
      await smtp.close();
      storm.close();
      await sink.close();
    }
  });
});

describe('a very long single-line body', () => {
  it('(a log pasted into one line, 1,000,000 characters) opens its case at once: the description is cut, the full text kept', async () => {
    const line = 'ERROR 0x80070005 access denied; '.repeat(31_250);
    const started = performance.now();
    const posted = await postMail(h, mail({ From: `logger${++n}@example.org`, Subject: 'Our log' }, line));
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(posted.body).toMatchObject({ result: 'created' });
    const c = await caseOf(posted.body.case!);
    expect(c.description.length).toBeLessThanOrEqual(20_000);
    expect(c.description).toMatch(/^ERROR 0x80070005 access denied;.*\[… shortened; the full text is kept with the mail\]$/s);
    expect(((await entries(posted.body.case!, 'email.received'))[0]!.data as { original: string }).original).toHaveLength(200_000);
  });
});

describe('a mail to 5,000 people', () => {
  it('becomes one case; the first 50 addresses are copied on it, the rest stay in the mail and the timeline says so', async () => {
    const many = Array.from({ length: 5000 }, (_, i) => `reader${i}@list.example`);
    const posted = await postMail(h, mail({ From: 'sender@list.example', To: `support@example.com, ${many.join(', ')}`, Subject: 'To everyone' }));
    expect(posted.body).toMatchObject({ result: 'created' });
    const id = parseCaseRef(posted.body.case!)!;
    const contacts = await h.query((q) => q.db.select().from(q.tables.caseEmailContacts).where(eq(q.tables.caseEmailContacts.caseId, id)));
    expect(contacts).toHaveLength(MAX_CONTACTS);
    const received = (await entries(posted.body.case!, 'email.received'))[0]!.data as Record<string, unknown>;
    expect(received).toMatchObject({ contactsLeftOut: 5000 - MAX_CONTACTS, toCount: 5001 });
    expect(received.to).toHaveLength(500);
    const page = await (await signedIn(h, manager).get(`/cases/${posted.body.case}`)).text();
    expect(page).toContain(`${5000 - MAX_CONTACTS} more recipients not copied on replies`);
  });
});

describe('an agent forwards a customer’s mail', () => {
  it('opens the case for the customer who wrote it (Gmail’s inline forward), not for the agent, and acknowledges it to the customer', async () => {
    const posted = await postMail(h, fixture('forwarded.eml').toString('latin1').replace('Omar Diaz <omar@example.net>', 'Agent Ada <ada@example.com>').replace('forwarded-8@', 'forwarded-agent-1@'));
    expect(posted.body).toMatchObject({ result: 'created', reason: 'forwarded' });
    const c = await caseOf(posted.body.case!);
    expect(c.subject).toBe('Order 5531 never arrived');
    expect(c.description).toContain('The parcel for order 5531 never arrived.');
    expect((await h.query((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.id, c.customerId))))[0]).toMatchObject({ email: 'lena@example.net', name: 'Lena Diaz' });
    expect((await entries(posted.body.case!, 'email.received'))[0]!.data).toMatchObject({ from: 'lena@example.net', forwardedBy: 'ada@example.com' });
    // No contact is made of the agent's recipients; the acknowledgement goes to the customer.
    expect(await h.query((q) => q.db.select().from(q.tables.caseEmailContacts).where(eq(q.tables.caseEmailContacts.caseId, c.id)))).toEqual([]);
    expect((await h.query((q) => q.db.select().from(q.tables.outbox).where(eq(q.tables.outbox.caseId, c.id)).orderBy(q.tables.outbox.id))).filter((o) => o.type === 'notification.send').map((o) => o.payload)).toEqual([
      expect.objectContaining({ to: 'customer', template: 'case-received' }),
    ]);
    expect((await h.query((q) => q.db.select().from(q.tables.inboundMail).where(eq(q.tables.inboundMail.caseId, c.id))))[0]).toMatchObject({ fromAddress: 'ada@example.com', outcome: 'created', reason: 'forwarded' });
  });

  it('forwarded as an attachment (Outlook), the attached mail’s sender is the customer', async () => {
    const attached = 'From: "Ng, Tom" <tom.ng@example.org>\r\nTo: ada@example.com\r\nSubject: Login fails since Monday\r\nMessage-ID: <orig-77@example.org>\r\n\r\nI cannot log in since Monday.\r\n';
    const body = `--f\r\nContent-Type: text/plain\r\n\r\nPlease look after Tom.\r\n--f\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename="Login fails since Monday.eml"\r\n\r\n${attached}--f--`;
    const posted = await postMail(h, mail({ From: 'ada@example.com', Subject: 'FW: Login fails since Monday' }, body, 'multipart/mixed; boundary="f"'));
    expect(posted.body).toMatchObject({ result: 'created', reason: 'forwarded' });
    const c = await caseOf(posted.body.case!);
    expect(c.subject).toBe('Login fails since Monday');
    expect((await h.query((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.id, c.customerId))))[0]).toMatchObject({ email: 'tom.ng@example.org', name: 'Ng, Tom' });
  });

  it('forwarded as an attachment: the sender’s encoded name is decoded, and the description is the agent’s words and the forwarded mail', async () => {
    // A harness of its own, with a mail server: the acknowledgement's greeting is checked.
    const smtp = await startSmtp();
    const own = emailHarness({}, { mailer: createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <notifications@example.com>') });
    try {
      own.agent({ name: 'Agent Ada', email: 'ada@example.com' });
      const attached =
        'From: =?UTF-8?Q?S=C3=B8ren_Kierkeg=C3=A5rd?= <soren@kunde.example>\r\nTo: ada@example.com\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n' +
        'Subject: =?UTF-8?Q?Login_geht_nicht_=E2=80=93_seit_Montag?=\r\nMessage-ID: <orig-soren@kunde.example>\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nI cannot log in since Monday. Gr=C3=BC=C3=9Fe\r\n';
      const body = `--f\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--f\r\nContent-Type: message/rfc822\r\n\r\n${attached}--f--`;
      const posted = await postMail(own, mail({ From: 'Agent Ada <ada@example.com>', Subject: 'Fwd: Login' }, body, 'multipart/mixed; boundary="f"'));
      expect(posted.body).toMatchObject({ result: 'created', reason: 'forwarded' });
      const id = parseCaseRef(posted.body.case!)!;
      const [c] = await own.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, id)));
      expect((await own.query((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.id, c!.customerId))))[0]).toMatchObject({ email: 'soren@kunde.example', name: 'Søren Kierkegård' });
      expect(c!.description).toBe(
        'See attached.\n\n---------- Forwarded message ---------\nFrom: Søren Kierkegård <soren@kunde.example>\nDate: Mon, 02 Mar 2026 10:00:00 GMT\n' +
          'Subject: Login geht nicht – seit Montag\nTo: ada@example.com\n\nI cannot log in since Monday. Grüße',
      );
      // The attached mail is kept as a file with a name that says what it is.
      expect((await eventsOf(own, id, 'email.received'))[0]!.data.attachments).toEqual([{ filename: 'Login geht nicht – seit Montag.eml', contentType: 'message/rfc822', size: expect.any(Number) }]);
      await own.services.outbox.idle();
      await own.services.outbox.drain();
      expect(smtp.messages.map((m) => m.to)).toEqual([['soren@kunde.example']]);
      expect(smtp.messages[0]!.mail.text).toMatch(/^Hello Søren Kierkegård,/);
    } finally {
      own.close();
      await smtp.close();
    }
  });

  it('an agent’s own mail that forwards nothing, or forwards Casebook’s own mail, is still ignored', async () => {
    expect((await postMail(h, mail({ From: 'ada@example.com', Subject: 'Lunch?' }))).body).toMatchObject({ result: 'ignored', reason: 'staff-sender' });
    const ownForward = 'FYI\r\n\r\n---------- Forwarded message ---------\r\nFrom: Example Support <notifications@example.com>\r\nSubject: [C-1001] We received your request\r\n\r\nThanks.';
    expect((await postMail(h, mail({ From: 'ada@example.com', Subject: 'Fwd: [C-1001] We received your request' }, ownForward))).body).toMatchObject({ result: 'ignored', reason: 'staff-sender' });
  });
});

describe('an HTML-only reply from Outlook', () => {
  it('lands on the case without the quoted history and the rule above it; the full text is kept', async () => {
    const ref = (await postMail(h, mail({ From: 'Pia <pia@example.com>', Subject: 'Printer offline', 'Message-ID': '<pia-1@example.com>' }, 'My printer is offline.'))).body.case!;
    const html =
      '<html><body><p>It works again, thank you!</p><p>Kind regards<br>Pia</p><hr style="display:inline-block;width:98%" tabindex="-1">' +
      '<div id="divRplyFwdMsg" dir="ltr"><b>From:</b> Casebook &lt;notifications@example.com&gt;<br><b>Sent:</b> Monday, March 2, 2026 10:00 AM<br>' +
      `<b>To:</b> Pia &lt;pia@example.com&gt;<br><b>Subject:</b> [${ref}] We received your request</div><div>We received your request.</div></body></html>`;
    const posted = await postMail(h, mail({ From: 'Pia <pia@example.com>', Subject: 'RE: Printer offline', 'In-Reply-To': '<pia-1@example.com>' }, html, 'text/html; charset=utf-8'));
    expect(posted.body).toMatchObject({ result: 'appended', case: ref });
    const reply = (await entries(ref, 'customer.replied'))[0]!.data as { body: string; original: string };
    expect(reply.body).toBe('It works again, thank you!\n\nKind regards\nPia');
    expect(reply.original).toContain('We received your request.');
  });

  it('in Japanese (差出人/送信日時), sent over SMTP: the quoted history is cut too', async () => {
    const ref = (await postMail(h, mail({ From: 'Kenji <kenji@example.jp>', Subject: 'Printer offline', 'Message-ID': '<kenji-1@example.jp>' }, 'My printer is offline.'))).body.case!;
    const html =
      '<html><body><p>承知しました。ありがとうございます。</p><div style="border-top:solid #E1E1E1 1.0pt"><p><b>差出人:</b> Casebook &lt;notifications@example.com&gt;<br>' +
      `<b>送信日時:</b> 2026年3月2日 10:00<br><b>宛先:</b> Kenji<br><b>件名:</b> [${ref}] We received your request</p></div><p>We received your request.</p></body></html>`;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: receiver.port, secure: false, ignoreTLS: true });
    const sent = await transport.sendMail({ from: 'Kenji <kenji@example.jp>', to: 'support@example.com', subject: 'RE: Printer offline', inReplyTo: '<kenji-1@example.jp>', html });
    transport.close();
    expect(sent.response).toContain(`Queued as ${ref}`);
    const reply = (await entries(ref, 'customer.replied'))[0]!.data as { body: string; original: string };
    expect(reply.body).toBe('承知しました。ありがとうございます。');
    expect(reply.original).toContain('We received your request.');
  });
});
