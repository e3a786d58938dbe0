/**
 * The email channel through `POST /api/v1/inbound/email`: real SQLite with the migrations,
 * real HTTP through the app, real-shaped raw mails from test/fixtures/email/.
 */
import fs from 'node:fs';
import { eq } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/auth/api-tokens.js';
import { addMessage } from '../../src/cases/add-message.js';
import { customerTimeline } from '../../src/cases/case-read.js';
import { mergeCase } from '../../src/cases/merge-case.js';
import { makeReplyAddress } from '../../src/channels/email/reply-address.js';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { headersOnly } from '../../src/channels/email/parse-mail.js';
import { createLogger } from '../../src/logger.js';
import { createMailer } from '../../src/notifications/mailer.js';
import { ADMIN_TOKEN, type Harness } from '../support/harness.js';
import { startSmtp, type Inbox } from '../support/smtp.js';
import { acceptCases, EMAIL_SECRET, emailHarness, eventsOf, fixture, postMail, refuseCases, signedIn } from './support.js';

let h: Harness;
const allCases = () => h.query((q) => q.db.select().from(q.tables.cases).orderBy(q.tables.cases.id));
const mailLog = () => h.query((q) => q.db.select().from(q.tables.inboundMail).orderBy(q.tables.inboundMail.id));
const outboxItems = () => h.query((q) => q.db.select().from(q.tables.outbox).orderBy(q.tables.outbox.id));
let inbox: Inbox | null = null;
afterEach(async () => {
  h?.close();
  await inbox?.close();
  inbox = null;
});

async function caseRow(ref: string) {
  return (await h.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, parseCaseRef(ref)!))))[0]!;
}
function events(ref: string, type?: string) {
  return eventsOf(h, parseCaseRef(ref)!, type);
}
/** The customer of the case `ref`. */
async function customerOf(ref: string) {
  const { customerId } = await caseRow(ref);
  return (await h.query((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.id, customerId))))[0]!;
}
async function caseCount(): Promise<number> {
  return (await allCases()).length;
}

/** A second, open request by mail (another Message-ID): its reference and Message-ID. */
async function newRequest2(): Promise<{ ref: string; messageId: string }> {
  const raw = fixture('new-request.eml').toString('latin1').replace('CAF=new-request-1@', 'CAF=new-request-9@');
  const posted = await postMail(h, raw);
  expect(posted.body).toMatchObject({ result: 'created' });
  return { ref: posted.body.case!, messageId: 'CAF=new-request-9@mail.gmail.com' };
}

async function newRequest(): Promise<string> {
  const posted = await postMail(h, fixture('new-request.eml'));
  expect(posted).toMatchObject({ status: 202, body: { result: 'created', reason: null } });
  return posted.body.case!;
}

describe('a new mail', () => {
  it('becomes an email case for a new customer, with CCs, attachments and an acknowledgement carrying the reference', async () => {
    inbox = await startSmtp();
    h = emailHarness({}, { mailer: createMailer(`smtp://127.0.0.1:${inbox.port}`, 'Casebook <support@example.com>') });
    const ref = await newRequest();
    const c = await caseRow(ref);
    expect(c.channel).toBe('email');
    expect(c.subject).toBe('Invoice 2026-03 charged twice');
    expect(c.description).toContain('charged twice for the March invoice (2 × 49,00 €)');
    const customer = (await h.query((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.id, c.customerId))))[0]!;
    expect(customer).toMatchObject({ email: 'chloe@example.com', name: 'Chloe Martin' });
    // Cc kept (the support address itself is not a contact).
    expect((await h.query((q) => q.db.select().from(q.tables.caseEmailContacts).where(eq(q.tables.caseEmailContacts.caseId, c.id)))).map((r) => [r.address, r.name])).toEqual([['bob@example.com', 'Bob Stone']]);
    const received = (await events(ref, 'email.received'))[0]!;
    expect(received.data).toMatchObject({ messageId: 'CAF=new-request-1@mail.gmail.com', from: 'chloe@example.com', cc: ['bob@example.com', 'support@example.com'] });
    expect(received.data.attachments).toEqual([{ filename: 'invoice-2026-03.pdf', contentType: 'application/pdf', size: expect.any(Number) }]);
    expect((await customerTimeline(h.services, await caseRow(ref))).map((e) => e.type)).not.toContain('email.received');
    // The acknowledgement goes through the outbox, with [C-…] in its subject.
    await h.services.outbox.idle();
    await h.services.outbox.drain();
    expect(inbox.messages).toHaveLength(1);
    expect(inbox.messages[0]!.to).toEqual(['chloe@example.com']);
    expect(inbox.messages[0]!.mail.subject).toBe(`[${ref}] We received your request: Invoice 2026-03 charged twice`);
    const log = await mailLog();
    expect(log).toEqual([expect.objectContaining({ messageId: 'CAF=new-request-1@mail.gmail.com', via: 'http', fromAddress: 'chloe@example.com', outcome: 'created', reason: null, caseId: c.id })]);
  });

  it('a mail that cannot be stored is answered 5xx, so the provider posts it again later, and named in the server log; it is filed once it can be', async () => {
    const logs: { level: string; msg: string; [key: string]: unknown }[] = [];
    h = emailHarness({}, { logger: createLogger('debug', (line) => logs.push(JSON.parse(line) as (typeof logs)[number])) });
    await refuseCases(h);
    const raw = fixture('new-request.eml');
    const refused = await postMail(h, raw);
    expect(refused.status).toBeGreaterThanOrEqual(500);
    expect(await allCases()).toEqual([]);
    expect(await mailLog()).toEqual([]);
    // Which mail (not who sent it or what about), as for SMTP, for the operator to follow.
    const failed = logs.filter((l) => l.msg.startsWith('email: inbound HTTP mail failed'));
    expect(failed).toEqual([expect.objectContaining({ level: 'error', messageId: headersOnly(raw).messageId, size: raw.length })]);
    expect(String(failed[0]!.error)).toContain('database or disk is full');
    expect(JSON.stringify(failed[0])).not.toContain('chloe');

    await acceptCases(h);
    expect(await postMail(h, raw)).toMatchObject({ status: 202, body: { result: 'created' } });
    expect(await mailLog()).toEqual([expect.objectContaining({ via: 'http', outcome: 'created' })]);
  });

  it('is processed exactly once: a re-delivery, even a simultaneous one, is ignored as a duplicate', async () => {
    h = emailHarness();
    const raw = fixture('new-request.eml');
    const results = await Promise.all([postMail(h, raw), postMail(h, raw), postMail(h, raw)]);
    expect(results.map((r) => r.body.result).sort()).toEqual(['created', 'ignored', 'ignored']);
    expect(results.filter((r) => r.body.reason === 'duplicate')).toHaveLength(2);
    // The redelivery names the case the mail made, as the first answer did (a provider that retried after a timeout learns where it went).
    const ref = results.find((r) => r.body.result === 'created')!.body.case;
    expect(results.filter((r) => r.body.reason === 'duplicate').map((r) => r.body.case)).toEqual([ref, ref]);
    expect(await postMail(h, raw)).toMatchObject({ status: 202, body: { result: 'ignored', reason: 'duplicate', case: ref } });
    expect(await caseCount()).toBe(1);
    expect((await outboxItems()).filter((o) => o.type === 'notification.send')).toHaveLength(1);
    expect((await mailLog()).map((r) => r.reason)).toEqual([null, 'duplicate', 'duplicate', 'duplicate']);
  });

  it('a different mail that reuses a Message-ID already received (a broken mailer writes one on every mail) is a mail of its own, not a duplicate', async () => {
    h = emailHarness();
    // A scanner that writes the same Message-ID on every mail it sends (as a carrier's notification system did: FreeScout #5591).
    const scan = (id: string, date: string, subject: string, text: string, trace = '') =>
      `${trace}From: Office Scanner <scanner@acme.example>\r\nTo: support@example.com\r\nSubject: ${subject}\r\nDate: ${date}\r\nMessage-ID: <${id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}\r\n`;
    const first = scan('scan@printer.local', 'Mon, 2 Mar 2026 09:00:00 +0100', 'Scanned document', 'Page 1: the signed contract.');
    const second = scan('scan@printer.local', 'Tue, 3 Mar 2026 11:30:00 +0100', 'Scanned document', 'Page 1: the delivery note for order 4711.');
    const one = await postMail(h, first);
    expect(one.body).toMatchObject({ result: 'created' });
    const two = await postMail(h, second);
    expect(two.body).toMatchObject({ result: 'created', reason: null });
    expect(two.body.case).not.toBe(one.body.case);
    expect((await caseRow(two.body.case!)).description).toBe('Page 1: the delivery note for order 4711.');
    // It is kept by an id of its own, derived from what it says; the id it came with is not taken from the first mail.
    const kept = (await events(two.body.case!, 'email.received'))[0]!.data.messageId as string;
    expect(kept).toMatch(/^reused-[0-9a-f]{64}@derived\.casebook$/);
    // Each delivered again — through another hop, with its trace headers — is still a duplicate of itself.
    const hop = 'Received: from mx2.example.com by mail.example.com; Tue, 3 Mar 2026 11:31:00 +0100\r\nDelivered-To: support@example.com\r\n';
    expect(await postMail(h, scan('scan@printer.local', 'Tue, 3 Mar 2026 11:30:00 +0100', 'Scanned document', 'Page 1: the delivery note for order 4711.', hop))).toMatchObject({ body: { result: 'ignored', reason: 'duplicate', case: two.body.case } });
    expect(await postMail(h, first)).toMatchObject({ body: { result: 'ignored', reason: 'duplicate', case: one.body.case } });
    // So is its copy through a mailing list the support address is on: the list rewrote its From, prefixed its subject and added a footer, but kept its Date.
    const listCopy = scan(
      'scan@printer.local',
      'Mon, 2 Mar 2026 09:00:00 +0100',
      '[office] Scanned document',
      'Page 1: the signed contract.\r\n-- \r\nYou received this message because you are subscribed to the office group.',
      'List-Id: <office.acme.example>\r\n',
    ).replace('From: Office Scanner <scanner@acme.example>', "From: 'Office Scanner' via office <office@acme.example>");
    expect(await postMail(h, listCopy)).toMatchObject({ body: { result: 'ignored', reason: 'duplicate', case: one.body.case } });
    // Mail without a Date is told apart by what it says.
    const undated = (text: string) => scan('nodate@printer.local', '', 'Scanned document', text).replace('Date: \r\n', '');
    expect((await postMail(h, undated('Scan A'))).body.result).toBe('created');
    expect((await postMail(h, undated('Scan B'))).body.result).toBe('created');
    expect((await postMail(h, undated('Scan B'))).body).toMatchObject({ result: 'ignored', reason: 'duplicate' });
    // A Date that is no date is compared as written (mailparser would take the time of parsing): delivered again, a duplicate.
    const badDate = scan('baddate@printer.local', 'sometime on Monday', 'Scanned document', 'Scan C');
    expect((await postMail(h, badDate)).body.result).toBe('created');
    expect((await postMail(h, badDate)).body).toMatchObject({ result: 'ignored', reason: 'duplicate' });
    // Two such mails at once: neither is lost.
    const both = await Promise.all([
      postMail(h, scan('same@printer.local', 'Wed, 4 Mar 2026 08:00:00 +0100', 'Scanned document', 'Invoice 1')),
      postMail(h, scan('same@printer.local', 'Wed, 4 Mar 2026 08:05:00 +0100', 'Scanned document', 'Invoice 2')),
    ]);
    expect(both.map((r) => r.body.result)).toEqual(['created', 'created']);
    expect(new Set(both.map((r) => r.body.case)).size).toBe(2);
    expect(await caseCount()).toBe(7);
  });

  it("two senders' broken mailers (each its own fixed Message-ID) writing in the same second: neither mail is lost to the other", async () => {
    h = emailHarness();
    const mail = (from: string, id: string, date: string, subject: string, text: string) =>
      `From: ${from}\r\nTo: support@example.com\r\nSubject: ${subject}\r\nDate: ${date}\r\nMessage-ID: <${id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}\r\n`;
    // Each sender's first mail takes its Message-ID; each one's next is kept by an id of its own.
    expect((await postMail(h, mail('scanner@acme.example', 'scan@printer.local', 'Mon, 2 Mar 2026 09:00:00 +0100', 'Scanned document', 'The contract.'))).body.result).toBe('created');
    expect((await postMail(h, mail('forms@shop.example', 'contact@webform.local', 'Mon, 2 Mar 2026 10:00:00 +0100', 'Contact form', 'Where is my order?'))).body.result).toBe('created');
    // Both written at 11:30:00 (the same moment, in two zones): two mails, two cases.
    const scan = await postMail(h, mail('scanner@acme.example', 'scan@printer.local', 'Tue, 3 Mar 2026 11:30:00 +0100', 'Scanned document', 'The delivery note.'));
    const form = await postMail(h, mail('forms@shop.example', 'contact@webform.local', 'Tue, 3 Mar 2026 10:30:00 +0000', 'Contact form', 'I want to cancel.'));
    expect(scan.body).toMatchObject({ result: 'created', reason: null });
    expect(form.body).toMatchObject({ result: 'created', reason: null });
    expect((await caseRow(form.body.case!)).description).toBe('I want to cancel.');
    expect(await caseCount()).toBe(4);
    // Each delivered again is still a duplicate of itself.
    expect((await postMail(h, mail('forms@shop.example', 'contact@webform.local', 'Tue, 3 Mar 2026 10:30:00 +0000', 'Contact form', 'I want to cancel.'))).body).toMatchObject({
      result: 'ignored',
      reason: 'duplicate',
      case: form.body.case,
    });
  });

  it('without a Message-ID gets one derived from its bytes, so it too is processed once', async () => {
    h = emailHarness();
    const first = await postMail(h, fixture('no-message-id.eml'));
    expect(first.body.result).toBe('created');
    expect(await postMail(h, fixture('no-message-id.eml'))).toMatchObject({ body: { result: 'ignored', reason: 'duplicate' } });
    expect((await mailLog())[0]!.messageId).toMatch(/^sha256-[0-9a-f]{64}@derived\.casebook$/);
  });

  it('never overwrites an existing customer profile with what the From header says', async () => {
    h = emailHarness();
    h.customer({ email: 'chloe@example.com', name: 'Chloé Martin-Dupont', organization: 'ACME' });
    const ref = await newRequest();
    const customer = await customerOf(ref);
    expect(customer).toMatchObject({ name: 'Chloé Martin-Dupont', organization: 'ACME' });
  });

  it('HTML-only mail becomes plain text: no markup, no script, entities decoded', async () => {
    h = emailHarness();
    const { body } = await postMail(h, fixture('html-only.eml'));
    const c = await caseRow(body.case!);
    expect(c.description).toContain('I cannot log in since Monday & the reset link <does not> arrive.');
    expect(c.description).not.toMatch(/<\/?(p|b|i|script|img|style)\b|alert|color: red/);
    const customer = (await h.query((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.id, c.customerId))))[0]!;
    expect(customer.name).toBe('Hanna Berg');
  });

  it('HTML-only mail keeps its tables readable: a row per line, cells separated, layout cells as paragraphs', async () => {
    h = emailHarness();
    const html =
      '<p>My orders:</p><table><tr><th>Order</th><th>Amount</th></tr><tr><td>1042</td><td>99.00</td></tr><tr><td>1043</td><td></td><td>15.50</td></tr></table>' +
      '<table width="600"><tr><td><p>Kind regards,</p><p>Tab</p></td><td width="20">&nbsp;</td><td>ACME GmbH<br>Berlin</td></tr></table>';
    const raw = `From: Tab <tab@example.com>\r\nTo: support@example.com\r\nSubject: Orders\r\nMessage-ID: <tab-1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n`;
    const { body } = await postMail(h, raw);
    expect((await caseRow(body.case!)).description).toBe('My orders:\n\nOrder | Amount\n1042 | 99.00\n1043 | 15.50\n\nKind regards,\n\nTab\n\nACME GmbH\nBerlin');
  });

  it('HTML-only mail: an image is its description, never its cid: or tracking address', async () => {
    h = emailHarness();
    const html =
      '<p>My printer shows this:</p><p><img alt="Error screen" src="cid:shot"></p>' +
      '<p>Regards<br>Dan<br><img width="100" src="cid:image001.png@01DA5C3B.8F1E2A40"><img src="https://track.example/pixel.gif" width="1" height="1"></p>' +
      '<p><a href="https://shop.example/help"><img alt=" Shop\n logo " src="https://shop.example/logo.png"></a></p>';
    const raw = `From: Dan <dan@example.com>\r\nTo: support@example.com\r\nSubject: Printer\r\nMessage-ID: <img-1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n`;
    const { body } = await postMail(h, raw);
    expect((await caseRow(body.case!)).description).toBe('My printer shows this:\n\n[image: Error screen]\n\nRegards\nDan\n\n[image: Shop logo] [https://shop.example/help]');
  });

  it('an HTML part with attachments (no text part) is the mail’s text, not “no text”', async () => {
    h = emailHarness();
    const raw = [
      'From: Ann <ann@example.com>',
      'To: support@example.com',
      'Subject: Scan',
      'Message-ID: <scan-1@example.com>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="m"',
      '',
      '--m',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>The scan is attached.</p><table><tr><td>Invoice</td><td>2026-03</td></tr></table>',
      '--m',
      'Content-Type: application/pdf; name="scan.pdf"',
      'Content-Disposition: attachment; filename="scan.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      'JVBERi0xLjQK',
      '--m--',
      '',
    ].join('\r\n');
    const { body } = await postMail(h, raw);
    expect((await caseRow(body.case!)).description).toBe('The scan is attached.\n\nInvoice | 2026-03');
  });

  it('a forwarded mail keeps the forwarded text (nothing is cut from a new case)', async () => {
    h = emailHarness();
    const { body } = await postMail(h, fixture('forwarded.eml'));
    expect((await caseRow(body.case!)).description).toContain('The parcel for order 5531 never arrived.');
  });

  it.each([
    ['utf-8', 'Grüße aus Köln – Zugang gesperrt', 'Schöne Grüße, Jürgen', 'Grüß.txt'],
    ['iso-8859-1', 'Problème de facturation', 'erronée. Merci, Hélène', 'Prob.txt'],
    ['iso-8859-2', 'Błąd logowania', 'Pozdrawiam, Łukasz', 'Błąd.txt'],
    ['iso-8859-15', 'Rechnung über 100 €', 'über 100 € ist doppelt', 'Rech.txt'],
    ['windows-1252', 'Café “order” problem', 'The café’s order – number 12 – was wrong…', 'Café.txt'],
    ['windows-1251', 'Проблема с заказом', 'заказ не пришёл', 'Проб.txt'],
    ['windows-1250', 'Chyba přihlášení', 'Děkuji, Jiří', 'Chyb.txt'],
    ['gb2312', '无法登录账户', '我无法登录我的账户', '无法登录.txt'],
    ['gbk', '退款问题咨询', '我的退款还没有到账', '退款问题.txt'],
    ['gb18030', '发票错误𠀀', '发票金额错误，请更正。𠀀', '发票错误.txt'],
    ['big5', '無法登入帳戶', '我無法登入我的帳戶', '無法登入.txt'],
    ['shift_jis', 'ログインできません', 'ログインできません。よろしくお願いします。', 'ログイン.txt'],
    ['iso-2022-jp', '請求書について', '請求書の金額が間違っています。', '請求書に.txt'],
  ])('decodes %s: subject, body, sender name and attachment name', async (charset, subject, text, filename) => {
    h = emailHarness();
    const { body } = await postMail(h, fixture(`charset-${charset}.eml`));
    expect(body.result).toBe('created');
    const c = await caseRow(body.case!);
    expect(c.subject).toBe(subject);
    expect(c.description).toContain(text);
    expect((await h.query((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.id, c.customerId))))[0]!.name).toBe(`Kunde ${charset}`);
    expect((await events(body.case!, 'email.received'))[0]!.data.attachments).toEqual([{ filename, contentType: 'text/plain', size: 5 }]);
  });

  it('reads raw 8-bit headers in a legacy character set as mail clients do: the charset the mail names, else windows-1252', async () => {
    h = emailHarness();
    // Shift_JIS bytes of the few characters used, from the JIS X 0208 table (independent of the code under test).
    function sjis(text: string): Buffer {
      const table: Record<string, number[]> = { 請: [0x90, 0xbf], 求: [0x8b, 0x81], 書: [0x8f, 0x91], 田: [0x93, 0x63], 中: [0x92, 0x86] };
      return Buffer.from([...text].flatMap((ch) => table[ch] ?? [ch.charCodeAt(0)]));
    }
    const mails = [
      // A PHP form or an old mailer: the whole mail in Latin-1, headers unencoded; 0x96 is windows-1252's en dash.
      Buffer.concat([
        Buffer.from('From: J\xfcrgen M\xfcller <jm@example.com>\r\nTo: support@example.com\r\nSubject: Gr\xfc\xdfe aus K\xf6ln \x96 Rechnung\r\nMessage-ID: <raw8-1@example.com>\r\n', 'latin1'),
        Buffer.from('Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\nDie Rechnung f\xfcr M\xe4rz.\r\n', 'latin1'),
      ]),
      // A Japanese phone: Shift_JIS headers, named only by the text part; an attachment's name in Shift_JIS too.
      Buffer.concat([
        Buffer.from('From: ', 'latin1'),
        sjis('田中'),
        Buffer.from(' <tanaka@example.com>\r\nTo: support@example.com\r\nSubject: ', 'latin1'),
        sjis('請求書'),
        Buffer.from('\r\nMessage-ID: <raw8-2@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n boundary="sj"\r\n\r\n--sj\r\nContent-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n\r\n', 'latin1'),
        sjis('請求書'),
        Buffer.from('\r\n--sj\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="', 'latin1'),
        sjis('請求書'),
        Buffer.from('.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--sj--\r\n', 'latin1'),
      ]),
      // No charset anywhere: windows-1252; a part's raw name too. Raw UTF-8 headers are read as UTF-8, as before.
      Buffer.from(
        'From: =?utf-8?Q?Ren=C3=A9e?= <renee@example.com>\r\nTo: support@example.com\r\nSubject: Caf\xe9 \x93order\x94\r\nMessage-ID: <raw8-3@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nSee the file.\r\n--b1\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename="\xdcbersicht.txt"\r\n\r\nlines\r\n--b1--\r\n',
        'latin1',
      ),
      Buffer.from('From: Zoë Ångström <zoe@example.com>\r\nTo: support@example.com\r\nSubject: Grüße – 請求書\r\nMessage-ID: <raw8-4@example.com>\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nHello\r\n', 'utf8'),
    ];
    const expected = [
      { subject: 'Grüße aus Köln – Rechnung', name: 'Jürgen Müller', text: 'Die Rechnung für März.', files: [] },
      { subject: '請求書', name: '田中', text: '請求書', files: ['請求書.pdf'] },
      { subject: 'Café “order”', name: 'Renée', text: 'See the file.', files: ['Übersicht.txt'] },
      { subject: 'Grüße – 請求書', name: 'Zoë Ångström', text: 'Hello', files: [] },
    ];
    for (const [i, raw] of mails.entries()) {
      const { body } = await postMail(h, raw);
      expect(body.result).toBe('created');
      const c = await caseRow(body.case!);
      const received = (await events(body.case!, 'email.received'))[0]!;
      expect({ subject: c.subject, name: (await customerOf(body.case!)).name, text: c.description, files: ((received.data.attachments ?? []) as { filename: string }[]).map((a) => a.filename) }).toEqual(expected[i]);
    }
    expect((await mailLog()).map((r) => r.subject)).toEqual(expected.map((e) => e.subject));
    expect(JSON.stringify(await allCases())).not.toContain('\uFFFD');
  });

  it('reads a text part whose bytes are not in the charset it declares: Latin-1 labelled UTF-8 or unlabelled, UTF-8 labelled Latin-1, UTF-8 with Latin-1 pasted in', async () => {
    h = emailHarness();
    const head = (id: string, type: string) => `From: Old Mailer <old@example.com>\r\nTo: support@example.com\r\nSubject: Rechnung ${id}\r\nMessage-ID: <${id}@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: ${type}\r\n`;
    // windows-1252 bytes by hand: ü FC, ß DF, ö F6, ä E4, – 96, “ 93, ” 94, € 80. UTF-8 bytes by hand: ü C3 BC, € E2 82 AC, – E2 80 93, ß C3 9F.
    const latin = 'Gr\xfc\xdfe aus K\xf6ln \x96 die Rechnung \x93M\xe4rz\x94: \x80 12,50';
    const mails = [
      // Declared UTF-8, sent as windows-1252 (8bit).
      `${head('cs-1', 'text/plain; charset=UTF-8')}Content-Transfer-Encoding: 8bit\r\n\r\n${latin}\r\n`,
      // Declared ISO-8859-1, the bytes UTF-8 (quoted-printable, a soft line break inside).
      `${head('cs-2', 'text/plain; charset="ISO-8859-1"; format=flowed')}Content-Transfer-Encoding: quoted-printable\r\n\r\nSehr geehrter Herr M=C3=BCller, die Geb=C3=BChr von =E2=82=AC 5 =E2=80=93 bit=\r\nte pr=C3=BCfen.\r\n`,
      // An HTML-only mail declared windows-1252, its bytes UTF-8 (base64).
      `${head('cs-3', 'text/html; charset=windows-1252')}Content-Transfer-Encoding: base64\r\n\r\n${Buffer.from('<p>Stra\xc3\x9fe 5, M\xc3\xbcnchen</p>', 'latin1').toString('base64')}\r\n`,
      // No charset at all (no Content-Type in the part): Latin-1 bytes; beside it a text file declared UTF-8 with Latin-1 bytes is kept byte for byte.
      `${head('cs-4', 'multipart/mixed; boundary="b"')}\r\n--b\r\n\r\nGr\xfc\xdfe, J\xfcrgen\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment; filename="k.txt"\r\n\r\nK\xf6ln\r\n--b--\r\n`,
      // Mostly UTF-8 (base64, format=flowed), with Latin-1 pasted in: each read as what it is.
      `${head('cs-7', 'text/plain;\r\n charset="utf-8"; format=flowed')}Content-Transfer-Encoding: base64\r\n\r\n${Buffer.from('Herr M\xc3\xbcller \xe2\x80\x93 zitiert: K\xf6ln \x80 5', 'latin1').toString('base64')}\r\n`,
      // Right as declared: left as it is (Latin-1 that is Latin-1, UTF-8 that is UTF-8).
      `${head('cs-5', 'text/plain; charset=iso-8859-1')}\r\nDie Rechnung f\xfcr M\xe4rz.\r\n`,
      `${head('cs-6', 'text/plain; charset=utf-8')}\r\nDie Rechnung f\xc3\xbcr M\xc3\xa4rz.\r\n`,
    ];
    const expected = [
      'Grüße aus Köln – die Rechnung “März”: € 12,50',
      'Sehr geehrter Herr Müller, die Gebühr von € 5 – bitte prüfen.',
      'Straße 5, München',
      'Grüße, Jürgen',
      'Herr Müller – zitiert: Köln € 5',
      'Die Rechnung für März.',
      'Die Rechnung für März.',
    ];
    const texts: string[] = [];
    for (const raw of mails) {
      const { body } = await postMail(h, Buffer.from(raw, 'latin1'));
      expect(body.result).toBe('created');
      texts.push((await caseRow(body.case!)).description);
    }
    expect(texts).toEqual(expected);
    const file = (await h.query((q) => q.db.select().from(q.tables.attachments))).find((f) => f.fileName === 'k.txt')!;
    expect(fs.readFileSync(h.services.attachments.store.pathOf(file.sha256))).toEqual(Buffer.from('K\xf6ln', 'latin1'));
  });

  it('a long subject, name and text are cut between characters, never inside an emoji or an accented letter', async () => {
    h = emailHarness();
    const subject = `${'a'.repeat(199)}😀 tail`;
    const name = `${'N'.repeat(199)}👍🏽 Ng`;
    // The text's cut (before the note that it was shortened) falls inside a flag, then inside e + combining accent.
    const text = `${'x'.repeat(20_000 - 61)}🇩🇪${'y'.repeat(100)}`;
    const mailOf = (id: string, body: string) =>
      Buffer.from(
        `From: =?UTF-8?B?${Buffer.from(name).toString('base64')}?= <long@example.com>\r\nTo: support@example.com\r\nSubject: =?UTF-8?B?${Buffer.from(subject).toString('base64')}?=\r\nMessage-ID: <${id}@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${body}\r\n`,
        'utf8',
      );
    const { body } = await postMail(h, mailOf('long-1', text));
    const c = await caseRow(body.case!);
    expect(c.subject).toBe('a'.repeat(199));
    expect(c.description.startsWith(`${'x'.repeat(20_000 - 61)}\n\n[… shortened`)).toBe(true);
    expect(c.description.length).toBeLessThanOrEqual(20_000);
    expect((await customerOf(body.case!)).name).toBe('N'.repeat(199));
    const accent = await postMail(h, mailOf('long-2', `${'x'.repeat(20_000 - 61)}e\u0301${'y'.repeat(100)}`));
    expect((await caseRow(accent.body.case!)).description.startsWith(`${'x'.repeat(20_000 - 61)}\n\n[…`)).toBe(true);
    // Nothing stored reads back as a replacement character.
    expect(JSON.stringify(await allCases())).not.toContain('\uFFFD');
    expect((await mailLog()).map((r) => r.subject)).toEqual([subject, subject]);
  });

  it('removes control characters from the subject, the sender’s name and the text (terminal escapes whole)', async () => {
    h = emailHarness();
    const raw =
      'From: =?UTF-8?Q?Ctl=07_=1B[1mBold=1B[0m?= <ctl@example.com>\r\nTo: support@example.com\r\nSubject: del\x7fchar bell\x07 esc\x1b[31mred\x1b[0m =?UTF-8?Q?broken=7F?=\r\n' +
      'Message-ID: <ctl-1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nerror: \x1b[31mFAILED\x1b[0m\x00 at\tline 3\x85\r\n';
    const { body } = await postMail(h, raw);
    const c = await caseRow(body.case!);
    expect(c.subject).toBe('delchar bell escred broken');
    expect(c.description).toBe('error: FAILED at\tline 3');
    expect((await customerOf(body.case!)).name).toBe('Ctl Bold');
    expect((await mailLog())[0]!.subject).toBe('delchar bell escred broken');
  });

  it('a NUL or half a surrogate pair in a Message-ID, a threading header, a file name or type, or a bounce’s subject is removed, never a failure for ever (PostgreSQL stores neither)', async () => {
    h = emailHarness({ maxBytes: 4000 });
    const mail = (id: string, extra = '', body = 'Content-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n', from = 'Ann <ann@example.com>') =>
      `From: ${from}\r\nTo: support@example.com\r\nSubject: Help\r\nMessage-ID: <${id}>\r\n${extra}MIME-Version: 1.0\r\n${body}`;
    const withFile = (disposition: string, type = 'application/pdf') =>
      `Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee the file.\r\n--b\r\nContent-Type: ${type}\r\nContent-Disposition: ${disposition}\r\n\r\n%PDF-1.4\r\n--b--\r\n`;
    // An encoded word in UTF-16 cut short: half an emoji (U+D83D alone).
    const half = '=?UTF-16BE?B?2D0AQQ==?=';
    const first = await postMail(h, mail('first@example.com'));
    const ref = first.body.case!;
    const mails: [string, string][] = [
      ['Message-ID', mail('id\0-1@example.com')],
      ['Message-ID', mail(`id-${half}@example.com`)],
      ['In-Reply-To', mail('irt-1@example.com', 'In-Reply-To: <elsewhere\0@example.com>\r\n')],
      ['file name', mail('file-1@example.com', '', withFile('attachment; filename="scan\0.pdf"'))],
      ['file name', mail('file-2@example.com', '', withFile(`attachment; filename="${half}.pdf"`))],
      ['media type', mail('type-1@example.com', '', withFile('attachment; filename="scan.pdf"', 'application/p\0df'))],
      ['bounce', mail('bounce-1@example.com', `References: <first\0@example.com>\r\n`, undefined, 'Mail Delivery System <MAILER-DAEMON@mx.example.com>').replace('Subject: Help', `Subject: ${half} Undelivered [${ref}]`)],
      ['too large', mail('big\0-1@example.com', `X-Padding: ${'p'.repeat(5000)}\r\n`)],
    ];
    for (const [what, raw] of mails) {
      const posted = await postMail(h, raw);
      expect(posted.status, what).toBe(202);
      expect(['created', 'appended', 'ignored'], what).toContain(posted.body.result);
    }
    const stored = JSON.stringify([await mailLog(), await h.query((q) => q.db.select().from(q.tables.caseEvents)), await h.query((q) => q.db.select().from(q.tables.attachments))]);
    expect(stored).not.toContain('\\u0000');
    expect(stored).not.toMatch(/\\ud83d(?!\\ude)/i);
    expect((await mailLog()).map((r) => r.messageId)).toEqual(expect.arrayContaining(['id-1@example.com', 'big-1@example.com']));
    expect((await events(ref, 'email.bounced'))).toHaveLength(1);
  });

  it('an empty mail (no subject, no text) still becomes a case that says so', async () => {
    h = emailHarness();
    const { body } = await postMail(h, fixture('empty-body.eml'));
    expect(body.result).toBe('created');
    expect(await caseRow(body.case!)).toMatchObject({ subject: '(no subject)', description: '(The mail had no text.)' });
  });

  it('malformed MIME gets a clear outcome and a log entry, never a crash', async () => {
    h = emailHarness();
    const posted = await postMail(h, fixture('malformed.eml'));
    expect(posted.status).toBe(202);
    expect(['created', 'ignored']).toContain(posted.body.result);
    const log = await mailLog();
    expect(log).toHaveLength(1);
    expect(log[0]!.outcome).toBe(posted.body.result);
    // Garbage that is not a mail at all.
    const garbage = await postMail(h, Buffer.from([0, 1, 2, 255, 254, 10, 13, 0]));
    expect(garbage).toMatchObject({ status: 202, body: { result: 'ignored' } });
    expect(['malformed', 'no-sender']).toContain(garbage.body.reason);
    expect(await mailLog()).toHaveLength(2);
  });

  it('a mail over the size limit is ignored as too-large and logged with its headers', async () => {
    h = emailHarness({ maxBytes: 4096 });
    const raw = Buffer.concat([fixture('new-request.eml').subarray(0, 400), Buffer.alloc(10_000, 'A')]);
    expect(await postMail(h, raw)).toMatchObject({ status: 202, body: { result: 'ignored', reason: 'too-large', case: null } });
    expect(await mailLog()).toEqual([
      expect.objectContaining({ outcome: 'ignored', reason: 'too-large', messageId: 'CAF=new-request-1@mail.gmail.com', fromAddress: 'chloe@example.com', subject: 'Invoice 2026-03 charged twice' }),
    ]);
    expect(await caseCount()).toBe(0);
  });

  it('the sender of a too-large mail gets one automatic reply a day naming the limit; auto-replies, list mail, the mailer-daemon and our own address none', async () => {
    inbox = await startSmtp();
    h = emailHarness({ maxBytes: 4096 }, { mailer: createMailer(`smtp://127.0.0.1:${inbox.port}`, 'Casebook <support@example.com>') });
    const big = (headers: string, id: string) => Buffer.concat([Buffer.from(`${headers}\r\nTo: support@example.com\r\nSubject: Scans\r\nMessage-ID: <${id}@example.com>\r\n\r\n`), Buffer.alloc(10_000, 'A')]);
    const senders = ['From: Ann <ann@example.com>', 'From: ann@example.com', 'From: robot@example.org\r\nAuto-Submitted: auto-replied', 'From: news@example.org\r\nList-Id: <news.example.org>', 'From: MAILER-DAEMON@example.org', 'From: support@example.com'];
    for (const [i, from] of senders.entries()) expect(await postMail(h, big(from, `big-${i}`))).toMatchObject({ status: 202, body: { result: 'ignored', reason: 'too-large', case: null } });
    await h.services.outbox.idle();
    await h.services.outbox.drain();
    expect(inbox.messages.map((m) => m.to)).toEqual([['ann@example.com']]);
    const notice = inbox.messages[0]!.mail;
    expect(notice.headers.get('auto-submitted')).toBe('auto-replied');
    expect(notice.inReplyTo).toBe('<big-0@example.com>');
    expect(notice.subject).toBe('Your mail was too large to receive: Scans');
    expect(notice.text).toContain('we take mails up to 4 KB');
    expect(notice.text).toContain('share them through a link');
    // Every mail is still logged; a day later the same sender is told again.
    expect((await mailLog()).map((r) => r.reason)).toEqual(senders.map(() => 'too-large'));
    h.clock.advance(24 * 3_600_000 + 1);
    await postMail(h, big('From: ann@example.com', 'big-next-day'));
    await h.services.outbox.idle();
    await h.services.outbox.drain();
    expect(inbox.messages.map((m) => m.to)).toEqual([['ann@example.com'], ['ann@example.com']]);
    expect(await caseCount()).toBe(0);
  });

  it('a 2 MB mail is accepted: the 256 KiB API body limit does not apply to inbound mail', async () => {
    h = emailHarness();
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    const sent = await transport.sendMail({ from: 'ann@example.com', to: 'support@example.com', subject: 'Logs', text: 'Logs attached.', attachments: [{ filename: 'app.log', content: 'x'.repeat(2 * 1024 * 1024) }] });
    expect((sent.message as Buffer).length).toBeGreaterThan(2 * 1024 * 1024);
    expect(await postMail(h, sent.message as Buffer)).toMatchObject({ status: 202, body: { result: 'created' } });
  });

  it('a 25 MB mail is refused by the default limit without being kept whole', async () => {
    h = emailHarness();
    const raw = Buffer.concat([Buffer.from('From: big@example.com\r\nSubject: big\r\nMessage-ID: <big@example.com>\r\n\r\n'), Buffer.alloc(25 * 1024 * 1024 + 10, 'x')]);
    expect(await postMail(h, raw)).toMatchObject({ status: 202, body: { result: 'ignored', reason: 'too-large' } });
    expect((await mailLog())[0]).toMatchObject({ fromAddress: 'big@example.com', reason: 'too-large' });
  });

  it('a mail with 200 attachments records every one of them', async () => {
    h = emailHarness();
    const attachments = Array.from({ length: 200 }, (_, i) => ({ filename: `scan-${i + 1}.txt`, content: `page ${i + 1}`, contentType: 'text/plain' }));
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    const sent = await transport.sendMail({ from: 'Ann <ann@example.com>', to: 'support@example.com', subject: 'Scans', text: 'All pages attached.', attachments, messageId: '<many@example.com>' });
    const { body } = await postMail(h, sent.message as Buffer);
    expect(body.result).toBe('created');
    const recorded = (await events(body.case!, 'email.received'))[0]!.data.attachments as { filename: string }[];
    expect(recorded).toHaveLength(200);
    expect(recorded[199]!.filename).toBe('scan-200.txt');
  });
});

describe('a reply', () => {
  it('threads by In-Reply-To (Gmail): the customer message without the quote, the full original kept', async () => {
    h = emailHarness();
    const ref = await newRequest();
    expect(await postMail(h, fixture('reply-gmail.eml'))).toMatchObject({ status: 202, body: { result: 'appended', case: ref, reason: null } });
    const reply = (await events(ref, 'customer.replied'))[0]!;
    expect(reply.actorType).toBe('customer');
    expect(reply.data.body).toBe('Here is the second charge: it was on 1 March.');
    expect(reply.data.original).toContain('> Could you tell us the date of the second charge?');
    expect(reply.data).toMatchObject({ via: 'email', messageId: 'CAF=reply-gmail-2@mail.gmail.com' });
    expect(await caseCount()).toBe(1);
  });

  it('a photo sent back with "Reply" and nothing typed is the photo, not our quoted message as theirs; the full text kept', async () => {
    h = emailHarness();
    const ref = await newRequest();
    const raw =
      'From: Chloe Martin <chloe@example.com>\r\nTo: support@example.com\r\nSubject: Re: Charged twice\r\nMessage-ID: <photo-only-1@example.com>\r\n' +
      'In-Reply-To: <CAF=new-request-1@mail.gmail.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n' +
      '--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSent from my iPhone\r\n\r\nOn Mon, 2 Mar 2026 at 10:30, Support <support@example.com> wrote:\r\n> Could you send a photo of the error?\r\n\r\n' +
      '--b1\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename="error.png"\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b1--\r\n';
    expect((await postMail(h, raw)).body).toMatchObject({ result: 'appended', case: ref });
    const reply = (await events(ref, 'customer.replied'))[0]!;
    expect(reply.data.body).toBe('(The mail had no text, only 1 attachment.)');
    expect(reply.data.original).toContain('> Could you send a photo of the error?');
    const files = await h.query((q) => q.db.select().from(q.tables.attachments).where(eq(q.tables.attachments.eventId, reply.id)));
    expect(files.map((f) => f.fileName)).toContain('error.png');
  });

  it('a forward on the case (Fwd:, FW:, WG:) keeps the forwarded mail: it is what the customer sends, not quoted history', async () => {
    h = emailHarness();
    const ref = await newRequest();
    const forward = (id: string, subject: string, text: string) =>
      `From: Chloe Martin <chloe@example.com>\r\nTo: support@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${id}@example.com>\r\nIn-Reply-To: <CAF=new-request-1@mail.gmail.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}`;
    const gmail = 'Here is what my bank says.\r\n\r\n---------- Forwarded message ---------\r\nFrom: Bank <info@bank.example>\r\nDate: Mon, 2 Mar 2026 at 10:00\r\nSubject: Statement\r\nTo: <chloe@example.com>\r\n\r\nTwo charges of 99.00 EUR on 1 March.\r\n';
    const outlook = 'And the shop.\r\n\r\n________________________________\r\nVon: Shop <billing@shop.example>\r\nGesendet: Montag, 2. März 2026 10:00\r\nAn: Chloe\r\nBetreff: Rechnung\r\n\r\nRechnung 123: 99,00 EUR.\r\n';
    expect((await postMail(h, forward('fwd-1', 'Fwd: Statement', gmail))).body).toMatchObject({ result: 'appended', case: ref });
    expect((await postMail(h, forward('fwd-2', 'WG: Rechnung', outlook))).body).toMatchObject({ result: 'appended', case: ref });
    // The answer to a forward ("Re: Fwd: …") is a reply: its quote is cut as before.
    expect((await postMail(h, forward('fwd-3', 'Re: Fwd: Statement', 'Any news?\r\n\r\nOn Mon, 2 Mar 2026 at 12:00, Support <support@example.com> wrote:\r\n> Checking.\r\n'))).body).toMatchObject({ result: 'appended' });
    const replies = (await events(ref, 'customer.replied')).map((e) => e.data);
    expect(replies[0]).toMatchObject({ body: expect.stringContaining('Two charges of 99.00 EUR on 1 March.') });
    expect(replies[0]!.body).toMatch(/^Here is what my bank says\.\n\n---------- Forwarded message ---------\nFrom: Bank <info@bank.example>/);
    expect(replies[0]!.original).toBeUndefined();
    expect(replies[1]).toMatchObject({ body: expect.stringContaining('Rechnung 123: 99,00 EUR.') });
    expect(replies[2]).toMatchObject({ body: 'Any news?' });
  });

  it('threads by References (Thunderbird), the signature cut off', async () => {
    h = emailHarness();
    const ref = await newRequest();
    expect((await postMail(h, fixture('reply-thunderbird.eml'))).body).toMatchObject({ result: 'appended', case: ref });
    expect((await events(ref, 'customer.replied'))[0]!.data.body).toBe('Still waiting for the refund, please have a look.');
  });

  it('threads by the signed reply address (Apple Mail), "Sent from my iPhone" and the quote cut off', async () => {
    h = emailHarness();
    const ref = await newRequest();
    const address = makeReplyAddress('support@example.com', EMAIL_SECRET, parseCaseRef(ref)!);
    expect((await postMail(h, fixture('reply-apple.eml', { REPLY_ADDRESS: address }))).body).toMatchObject({ result: 'appended', case: ref });
    expect((await events(ref, 'customer.replied'))[0]!.data.body).toBe('I attached the bank statement to my first mail — did you get it?');
  });

  it('a forged reply address does not thread', async () => {
    h = emailHarness();
    const ref = await newRequest();
    const forged = makeReplyAddress('support@example.com', 'not-the-secret-of-this-server', parseCaseRef(ref)!);
    expect((await postMail(h, fixture('reply-apple.eml', { REPLY_ADDRESS: forged }))).body).toMatchObject({ result: 'created' });
    expect(await events(ref, 'customer.replied')).toHaveLength(0);
  });

  it('threads by [C-…] in the subject from the customer (Outlook, both quoting styles)', async () => {
    h = emailHarness();
    const ref = await newRequest();
    expect((await postMail(h, fixture('reply-outlook.eml', { REF: ref }))).body).toMatchObject({ result: 'appended', case: ref });
    expect((await postMail(h, fixture('reply-outlook-from-sent.eml', { REF: ref }))).body).toMatchObject({ result: 'appended', case: ref });
    expect((await events(ref, 'customer.replied')).map((e) => e.data.body)).toEqual(['The refund has not arrived yet – can you check?\n\nKind regards\nChloe', 'Thanks, that worked.']);
  });

  it('moves a case waiting on the customer back to work (customer.replied, as the workflow says)', async () => {
    h = emailHarness();
    const agent = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], skills: ['refunds'] });
    const ref = await newRequest();
    expect((await caseRow(ref)).status).toBe('open');
    await transitionCase(h.services, parseCaseRef(ref)!, { transition: 'waitOnCustomer' }, agent);
    expect((await caseRow(ref)).status).toBe('pending');
    await postMail(h, fixture('reply-gmail.eml'));
    expect((await caseRow(ref)).status).toBe('open');
  });

  it('from someone copied on the case is accepted as a message on it', async () => {
    h = emailHarness();
    const ref = await newRequest();
    const raw = fixture('spoofed-subject.eml', { REF: ref }).toString('latin1').replace('Mallory <mallory@evil.example>', 'Bob Stone <bob@example.com>');
    expect((await postMail(h, raw)).body).toMatchObject({ result: 'appended', case: ref, reason: null });
    expect((await events(ref, 'customer.replied'))[0]!.data).toMatchObject({ from: 'bob@example.com' });
    // The customer reads it as Bob's, not as their own ("You wrote"): in the API and on the portal.
    const customer = await customerOf(ref);
    const seen = (await (await h.api('GET', `/api/v1/cases/${ref}/events`, { token: h.tokenFor({ type: 'customer', id: customer.id }) })).json()) as { type: string; author?: unknown }[];
    expect(seen.find((e) => e.type === 'customer.replied')!.author).toEqual({ type: 'customer', name: 'bob@example.com', you: false });
    const page = await (await signedIn(h, { type: 'customer', id: customer.id }).get(`/cases/${ref}`)).text();
    expect(page).toContain('<strong>bob@example.com wrote</strong>');
    expect(page).not.toContain('<strong>You wrote</strong>');
  });

  it('to a closed case opens a follow-up case', async () => {
    h = emailHarness();
    const agent = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], skills: ['refunds'] });
    const ref = await newRequest();
    await transitionCase(h.services, parseCaseRef(ref)!, { transition: 'resolve', solution: 'Refunded.' }, agent);
    await transitionCase(h.services, parseCaseRef(ref)!, { transition: 'close' }, agent);
    const { body } = await postMail(h, fixture('reply-gmail.eml'));
    expect(body).toMatchObject({ result: 'created', reason: 'follow-up' });
    expect(body.case).not.toBe(ref);
    expect((await events(body.case!, 'email.received'))[0]!.data).toMatchObject({ followUpOf: ref, threadedBy: 'header' });
  });

  it('to the thread of a case merged into another lands in that other case (Message-ID and [C-…] follow the merge)', async () => {
    h = emailHarness();
    const agent = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], skills: ['refunds'] });
    const duplicate = await newRequest();
    const kept = await newRequest2();
    await mergeCase(h.services, parseCaseRef(duplicate)!, { into: kept.ref }, agent);
    // The reply answers the duplicate's first mail (In-Reply-To / References): it goes on in the kept case.
    expect((await postMail(h, fixture('reply-gmail.eml'))).body).toMatchObject({ result: 'appended', case: kept.ref, reason: null });
    expect(await events(duplicate, 'customer.replied')).toHaveLength(0);
    const replies = (await events(kept.ref, 'customer.replied')).filter((e) => e.data.mergedFrom === undefined);
    expect(replies.map((e) => e.data.body)).toEqual(['Here is the second charge: it was on 1 March.']);
    // No follow-up case was opened for the closed duplicate.
    expect(await caseCount()).toBe(2);
    // A mail naming only the duplicate's reference in its subject lands there too.
    const bySubject = fixture('new-request.eml').toString('latin1').replace('CAF=new-request-1@', 'CAF=new-request-77@').replace('Subject: Invoice 2026-03 charged twice', `Subject: Again [${duplicate}]`);
    expect((await postMail(h, bySubject)).body).toMatchObject({ result: 'appended', case: kept.ref });
  });

  it('to a closed case from someone else (the customer’s other address) opens a follow-up of theirs, not a note no one reads', async () => {
    h = emailHarness();
    const agent = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], skills: ['refunds'] });
    const ref = await newRequest();
    await transitionCase(h.services, parseCaseRef(ref)!, { transition: 'resolve', solution: 'Refunded.' }, agent);
    await transitionCase(h.services, parseCaseRef(ref)!, { transition: 'close' }, agent);
    const other = (n: number) => fixture('reply-gmail.eml').toString('latin1').replace('Chloe Martin <chloe@example.com>', 'Chloe <chloe.private@gmail.example>').replace('CAF=reply-gmail-2@', `CAF=reply-other-${n}@`);
    const { body } = await postMail(h, other(1));
    expect(body).toMatchObject({ result: 'created', reason: 'follow-up' });
    expect(await events(ref, 'staff.noted')).toHaveLength(0);
    expect(await customerOf(body.case!)).toMatchObject({ email: 'chloe.private@gmail.example' });
    expect((await caseRow(body.case!)).description).toBe('Here is the second charge: it was on 1 March.');
    expect((await events(body.case!, 'email.received'))[0]!.data).toMatchObject({ followUpOf: ref, threadedBy: 'header' });
    // Their next mail to the same old thread joins that follow-up.
    expect((await postMail(h, other(2))).body).toMatchObject({ result: 'appended', case: body.case });
    // On a case still open, such a mail is a note for review as before.
    const open = await newRequest2();
    expect((await postMail(h, other(3).replace('<CAF=new-request-1@mail.gmail.com>', `<${open.messageId}>`).replace('<CAF=new-request-1@mail.gmail.com>', `<${open.messageId}>`))).body).toMatchObject({ result: 'appended', case: open.ref, reason: 'review' });
  });

  it('to a closed case, again: a further answer to the same old mail joins the open follow-up; once that is closed too, a new one opens', async () => {
    h = emailHarness();
    const agent = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], skills: ['refunds'] });
    const ref = await newRequest();
    await transitionCase(h.services, parseCaseRef(ref)!, { transition: 'resolve', solution: 'Refunded.' }, agent);
    await transitionCase(h.services, parseCaseRef(ref)!, { transition: 'close' }, agent);
    const again = (n: number) => fixture('reply-gmail.eml').toString('latin1').replace('<CAF=reply-gmail-2@mail.gmail.com>', `<CAF=reply-gmail-again-${n}@mail.gmail.com>`);
    const first = (await postMail(h, fixture('reply-gmail.eml'))).body;
    expect(first).toMatchObject({ result: 'created', reason: 'follow-up' });
    // Chloe answers the same old mail once more (a screenshot she forgot): the same follow-up, not a second case.
    const second = (await postMail(h, again(1))).body;
    expect(second).toMatchObject({ result: 'appended', case: first.case, reason: null });
    const replied = await events(first.case!, 'customer.replied');
    expect(replied.map((e) => e.data)).toEqual([expect.objectContaining({ via: 'email', messageId: 'CAF=reply-gmail-again-1@mail.gmail.com', followUpOf: ref })]);
    expect((await allCases()).length).toBe(2);
    // Once the follow-up is closed as well, an answer to the old mail opens a new follow-up.
    await transitionCase(h.services, parseCaseRef(first.case!)!, { transition: 'resolve', solution: 'Refunded again.' }, agent);
    await transitionCase(h.services, parseCaseRef(first.case!)!, { transition: 'close' }, agent);
    const third = (await postMail(h, again(2))).body;
    expect(third).toMatchObject({ result: 'created', reason: 'follow-up' });
    expect(third.case).not.toBe(first.case);
    expect((await events(third.case!, 'email.received'))[0]!.data).toMatchObject({ followUpOf: ref });
  });

  it('to a case erased with its customer opens a new case for the sender, not a note on the erased one', async () => {
    h = emailHarness();
    const ref = await newRequest();
    const { customerId } = await caseRow(ref);
    expect((await h.app.request(`/api/v1/customers/${customerId}/erase`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
    const erasedEntries = (await events(ref)).length;
    const replyTo = makeReplyAddress('support@example.com', EMAIL_SECRET, parseCaseRef(ref)!);
    // Chloe writes again, answering an old mail: by its signed reply address, then by the subject's [C-…] alone.
    const answers = [
      `From: Chloe Martin <chloe@example.com>\r\nTo: ${replyTo}\r\nSubject: Re: [${ref}] Invoice 2026-03 charged twice\r\nMessage-ID: <chloe-after-erasure-1@example.com>\r\nContent-Type: text/plain\r\n\r\nMy April invoice is wrong now.\r\n`,
      `From: Chloe Martin <chloe@example.com>\r\nTo: support@example.com\r\nSubject: Re: [${ref}] Invoice 2026-03 charged twice\r\nMessage-ID: <chloe-after-erasure-2@example.com>\r\nContent-Type: text/plain\r\n\r\nAnd May's too.\r\n`,
    ];
    const opened: string[] = [];
    for (const raw of answers) {
      const { body } = await postMail(h, raw);
      expect(body).toMatchObject({ result: 'created', reason: 'erased-case' });
      expect(body.case).not.toBe(ref);
      opened.push(body.case!);
      const c = await caseRow(body.case!);
      expect(c.subject).toBe('Invoice 2026-03 charged twice');
      expect((await customerOf(body.case!)).email).toBe('chloe@example.com');
      // Not linked to the erased case: that would tie it to a person again.
      expect((await events(body.case!, 'email.received'))[0]!.data).not.toHaveProperty('names');
    }
    expect((await events(ref)).length).toBe(erasedEntries);
    expect((await mailLog()).slice(-2).map((r) => [r.outcome, r.reason])).toEqual([
      ['created', 'erased-case'],
      ['created', 'erased-case'],
    ]);
  });

  it('to a closed case opens a follow-up whose request is only what the customer wrote: the quote cut, the full text kept', async () => {
    h = emailHarness();
    const agent = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], skills: ['refunds'] });
    const customer = h.customer({ email: 'fu@example.com', name: 'Fu' });
    const created = await h.api('POST', '/api/v1/cases', { token: h.tokenFor(customer), body: { subject: 'Printer jams', description: 'The printer jams on every page.' } });
    const ref = ((await created.json()) as { id: string }).id;
    const id = parseCaseRef(ref)!;
    await addMessage(h.services, id, { body: 'Please issue a refund via the billing portal.\n\nAlice Archer, support', public: true }, agent);
    await transitionCase(h.services, id, { transition: 'resolve', solution: 'Replaced.' }, agent);
    await transitionCase(h.services, id, { transition: 'close' }, agent);
    const text = `It broke again.\r\n\r\nOn Thu, 3 Dec 2026 at 14:05, Casebook <casebook@localhost> wrote:\r\n> Please issue a refund via the billing portal.\r\n>\r\n> Alice Archer, support\r\n`;
    const raw = `From: Fu <fu@example.com>\r\nTo: support@example.com\r\nSubject: Re: [${ref}] Printer jams\r\nMessage-ID: <fu-again@example.com>\r\nContent-Type: text/plain\r\n\r\n${text}`;
    const { body } = await postMail(h, raw);
    expect(body).toMatchObject({ result: 'created', reason: 'follow-up' });
    const followUp = await caseRow(body.case!);
    expect(followUp).toMatchObject({ subject: 'Printer jams', description: 'It broke again.', queueId: 'general' });
    const received = (await events(body.case!, 'email.received'))[0]!.data;
    expect(received).toMatchObject({ followUpOf: ref, threadedBy: 'subject' });
    expect(received.original).toContain('> Please issue a refund via the billing portal.');
    // Routing read the customer's words only: no rule about billing or refunds fired.
    const routed = (await events(body.case!, 'case.routed'))[0]!.data as { fired?: { rule: string }[] };
    expect((routed.fired ?? []).map((f) => f.rule).join()).not.toMatch(/billing|refund/i);
  });
});

describe('spoofing, noise and loops', () => {
  it('a stranger naming a case only by its subject tag does not post as the customer: an internal note flagged for review', async () => {
    h = emailHarness();
    const ref = await newRequest();
    expect((await postMail(h, fixture('spoofed-subject.eml', { REF: ref }))).body).toMatchObject({ result: 'appended', case: ref, reason: 'review' });
    expect(await events(ref, 'customer.replied')).toHaveLength(0);
    const note = (await events(ref, 'staff.noted'))[0]!;
    expect(note.actorType).toBe('system');
    expect(note.data).toMatchObject({ review: true, from: 'mallory@evil.example', threadedBy: 'subject' });
    expect((await customerTimeline(h.services, await caseRow(ref))).map((e) => e.type)).not.toContain('staff.noted');
  });

  it('…or a new case of their own, when configured (EMAIL_UNVERIFIED_REPLY=new-case)', async () => {
    h = emailHarness({ unverifiedReply: 'new-case' });
    const ref = await newRequest();
    const { body } = await postMail(h, fixture('spoofed-subject.eml', { REF: ref }));
    expect(body).toMatchObject({ result: 'created', reason: 'unverified-sender' });
    expect((await customerOf(body.case!)).email).toBe('mallory@evil.example');
    expect(await events(ref, 'staff.noted')).toHaveLength(0);
  });

  it.each([['out-of-office.eml'], ['out-of-office-subject-only.eml'], ['bulk-newsletter.eml']])('%s never creates a case (auto-reply)', async (name) => {
    h = emailHarness();
    const ref = await newRequest();
    expect((await postMail(h, fixture(name, { REF: ref }))).body).toEqual({ result: 'ignored', case: null, reason: 'auto-reply' });
    expect(await caseCount()).toBe(1);
    expect(await events(ref, 'customer.replied')).toHaveLength(0);
  });

  it('a bounce is recorded on the case it bounces from as a staff-only delivery failure', async () => {
    h = emailHarness();
    const ref = await newRequest();
    expect((await postMail(h, fixture('bounce-dsn.eml', { REF: ref }))).body).toEqual({ result: 'appended', case: ref, reason: 'bounce' });
    const bounced = await events(ref, 'email.bounced');
    expect(bounced).toHaveLength(1);
    expect(bounced[0]!.data.detail).toContain('550 5.1.1 User unknown');
    expect((await customerTimeline(h.services, await caseRow(ref))).map((e) => e.type)).not.toContain('email.bounced');
    expect(await caseCount()).toBe(1);
  });

  it('a bounce about nothing we know is ignored', async () => {
    h = emailHarness();
    const raw = fixture('bounce-dsn.eml', { REF: 'C-999999' }).toString('latin1').replace('In-Reply-To: <CAF=new-request-1@mail.gmail.com>', '');
    expect((await postMail(h, raw)).body).toEqual({ result: 'ignored', case: null, reason: 'bounce' });
    expect(await caseCount()).toBe(0);
  });

  it('blocked senders and domains are ignored', async () => {
    h = emailHarness({ blocklist: ['evil.example', 'chloe@example.com'] });
    expect((await postMail(h, fixture('new-request.eml'))).body).toMatchObject({ result: 'ignored', reason: 'blocked' });
    const sub = fixture('spoofed-subject.eml', { REF: 'C-1' }).toString('latin1').replace('mallory@evil.example', 'x@mail.evil.example');
    expect((await postMail(h, sub)).body).toMatchObject({ result: 'ignored', reason: 'blocked' });
    expect(await caseCount()).toBe(0);
  });

  it('mail from Casebook itself (a loop) is ignored', async () => {
    h = emailHarness();
    const raw = fixture('forwarded.eml').toString('latin1').replace('From: Omar Diaz <omar@example.net>', 'From: Support <support+C-1001@example.com>');
    expect((await postMail(h, raw)).body).toMatchObject({ result: 'ignored', reason: 'loop' });
  });

  it('a sender over the per-sender rate limit is ignored until the window passes', async () => {
    h = emailHarness({ ratePerSender: { count: 2, windowMs: 3_600_000 } });
    const mail = (n: number) => fixture('forwarded.eml').toString('latin1').replace('<forwarded-8@example.net>', `<forwarded-${n}@example.net>`);
    expect((await postMail(h, mail(1))).body.result).toBe('created');
    expect((await postMail(h, mail(2))).body.result).toBe('created');
    expect((await postMail(h, mail(3))).body).toMatchObject({ result: 'ignored', reason: 'rate-limited' });
    h.clock.advance(3_600_001);
    expect((await postMail(h, mail(4))).body.result).toBe('created');
  });
});

describe('POST /api/v1/inbound/email', () => {
  it('takes only message/rfc822 (415 otherwise, as problem+json)', async () => {
    h = emailHarness();
    const res = await h.app.request('/api/v1/inbound/email', { method: 'POST', headers: { Authorization: `Bearer ${h.tokenFor({ type: 'system', id: null })}`, 'Content-Type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(415);
    expect(res.headers.get('Content-Type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', requestId: expect.any(String) });
  });

  it('an admin token or a token with the inbound scope may post; a scoped token reaches nothing else', async () => {
    h = emailHarness();
    const admin = h.agent({ role: 'admin' });
    const manager = h.agent({ role: 'manager' });
    expect((await postMail(h, fixture('new-request.eml'), h.tokenFor(admin))).status).toBe(202);
    expect((await postMail(h, fixture('html-only.eml'), h.tokenFor(manager))).status).toBe(403);
    const scoped = (await h.services.store.write((q) => createApiToken(q, { type: 'staff', id: admin.id }, 'mail provider', h.clock.now(), null, ['inbound']))).token;
    expect((await postMail(h, fixture('html-only.eml'), scoped)).status).toBe(202);
    expect((await h.api('GET', '/api/v1/cases', { token: scoped })).status).toBe(403);
    expect((await h.api('GET', '/api/v1/cases', { token: h.tokenFor(admin) })).status).toBe(200);
    // The scope narrows a token, never widens it: a manager's inbound-scoped token (minted before
    // the rule) posts nothing.
    const widened = (await h.services.store.write((q) => createApiToken(q, { type: 'staff', id: manager.id }, 'old provider token', h.clock.now(), null, ['inbound']))).token;
    const refused = await postMail(h, fixture('new-request.eml'), widened);
    expect(refused.status).toBe(403);
    expect((refused.body as unknown as { detail: string }).detail).toMatch(/^The "inbound" scope is for admins only; this is a staff account with the role manager\./);
  });

  it('admins create inbound-scoped tokens through the API', async () => {
    h = emailHarness();
    const admin = h.agent({ role: 'admin', email: 'adam@example.com' });
    const res = await h.api('POST', '/api/v1/tokens', { token: h.tokenFor(admin), body: { email: 'adam@example.com', name: 'Mailgun', scopes: ['inbound'] } });
    expect(res.status).toBe(201);
    const { token, scopes } = (await res.json()) as { token: string; scopes: string[] };
    expect(scopes).toEqual(['inbound']);
    expect((await postMail(h, fixture('new-request.eml'), token)).body.result).toBe('created');
    expect((await h.api('POST', '/api/v1/tokens', { token: h.tokenFor(admin), body: { email: 'adam@example.com', scopes: ['everything'] } })).status).toBe(422);
  });
});
