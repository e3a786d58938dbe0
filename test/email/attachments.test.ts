/**
 * The email channel's files: an inbound mail's attachments are stored (names decoded from
 * encoded words and RFC 2231 parameters), files over a limit are listed on the case as
 * skipped, the original mail is kept for staff as a `.eml`; public staff replies are mailed
 * with their files. Real SQLite, the real store, real HTTP, a real SMTP sink.
 */
import fs from 'node:fs';
import { customerTimeline } from '../../src/cases/case-read.js';
import { eq } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import { createMailer } from '../../src/notifications/mailer.js';
import type { Harness } from '../support/harness.js';
import { startSmtp, type Inbox } from '../support/smtp.js';
import { emailHarness, eventsOf, fixture, postMail, signedIn } from './support.js';

let h: Harness;
let inbox: Inbox | null = null;
afterEach(async () => {
  h?.close();
  await inbox?.close();
  inbox = null;
});

function rowsOf(caseId: number) {
  return h.query((q) => q.db.select().from(q.tables.attachments).where(eq(q.tables.attachments.caseId, caseId)).orderBy(q.tables.attachments.id));
}
function events(caseId: number, type: string) {
  return eventsOf(h, caseId, type);
}
async function caseRow(caseId: number) {
  const [row] = await h.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, caseId)));
  return row!;
}
function bytesOf(sha256: string): Buffer {
  return fs.readFileSync(h.services.attachments.store.pathOf(sha256));
}
async function customerOf(caseId: number) {
  return { type: 'customer' as const, id: (await caseRow(caseId)).customerId };
}

describe('an inbound mail’s files', () => {
  it('are stored with their names decoded (encoded words, RFC 2231, continuations, other charsets), inline parts marked', async () => {
    h = emailHarness();
    const raw = fixture('attachments.eml');
    const posted = await postMail(h, raw);
    expect(posted).toMatchObject({ status: 202, body: { result: 'created', attachments: { stored: 6, skipped: 0 } } });
    const id = parseCaseRef(posted.body.case!)!;
    const created = (await events(id, 'case.created')).find((e) => e.data.channel === 'email')!;
    const received = (await events(id, 'email.received'))[0]!;
    const files = await rowsOf(id);
    expect(files.map((f) => [f.fileName, f.mediaType, f.kind, f.eventId])).toEqual([
      ['logo.png', 'image/png', 'inline', created.id],
      ['statement.pdf', 'application/pdf', 'attachment', created.id],
      ['Überweisung März.pdf', 'application/pdf', 'attachment', created.id],
      ['Rechnung € 42.txt', 'text/plain', 'attachment', created.id],
      ['Monatsübersicht Februar 2026.csv', 'text/csv', 'attachment', created.id],
      ['Grüße.txt', 'text/plain', 'attachment', created.id],
      ['Statements for the refund.eml', 'message/rfc822', 'original-mail', received.id],
    ]);
    expect(bytesOf(files[1]!.sha256).toString()).toBe('%PDF-1.4\n% scanned statement\n%%EOF\n');
    expect(bytesOf(files[3]!.sha256).toString()).toBe('Invoice 42');
    expect(files[0]!.uploadedByType).toBe('customer');
  });

  it('the customer sees and downloads their files, never the original mail; staff download the original .eml byte for byte', async () => {
    h = emailHarness();
    const raw = fixture('attachments.eml');
    const id = parseCaseRef((await postMail(h, raw)).body.case!)!;
    const files = await rowsOf(id);
    const original = files.find((f) => f.kind === 'original-mail')!;
    const ref = `C-${id}`;

    const listed = (await customerTimeline(h.services, await caseRow(id))).flatMap((e) => ('attachments' in e ? (e.attachments ?? []) : []));
    expect(listed.map((f) => f.name)).toEqual(['logo.png', 'statement.pdf', 'Überweisung März.pdf', 'Rechnung € 42.txt', 'Monatsübersicht Februar 2026.csv', 'Grüße.txt']);
    const portal = signedIn(h, await customerOf(id));
    expect((await portal.get(`/cases/${ref}/attachments/${files[1]!.id}`)).status).toBe(200);
    expect((await portal.get(`/cases/${ref}/attachments/${original.id}`)).status).toBe(404);
    expect(await (await portal.get(`/cases/${ref}`)).text()).not.toContain('.eml');

    const manager = h.agent({ role: 'manager' });
    const desk = signedIn(h, manager);
    const page = await (await desk.get(`/cases/${ref}`)).text();
    expect(page).toContain(`href="/cases/${ref}/attachments/${original.id}"`);
    expect(page).toContain('the original mail');
    const eml = await desk.get(`/cases/${ref}/attachments/${original.id}`);
    expect(eml.status).toBe(200);
    expect(eml.headers.get('Content-Type')).toBe('message/rfc822');
    expect(eml.headers.get('Content-Disposition')).toMatch(/^attachment; filename="Statements for the refund\.eml"/);
    expect(Buffer.from(await eml.arrayBuffer())).toEqual(raw);
    const api = await h.app.request(`/api/v1/cases/${ref}/attachments/${original.id}`, { headers: { Authorization: `Bearer ${h.tokenFor(manager)}` } });
    expect(Buffer.from(await api.arrayBuffer())).toEqual(raw);
  });

  it('a mail with 200 attachments: the first 20 stored, the other 180 listed on the case as skipped, with the reason', async () => {
    h = emailHarness();
    const files = Array.from({ length: 200 }, (_, i) => ({ filename: `scan-${i + 1}.txt`, content: `page ${i + 1}`, contentType: 'text/plain' }));
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    const sent = await transport.sendMail({ from: 'Ann <ann@example.com>', to: 'support@example.com', subject: 'Scans', text: 'All pages attached.', attachments: files, messageId: '<many@example.com>' });
    const { body } = await postMail(h, sent.message as Buffer);
    expect(body).toMatchObject({ result: 'created', attachments: { stored: 20, skipped: 180 } });
    const id = parseCaseRef(body.case!)!;
    const stored = (await rowsOf(id)).filter((f) => f.kind === 'attachment');
    expect(stored.map((f) => f.fileName)).toEqual(files.slice(0, 20).map((f) => f.filename));
    const skipped = (await events(id, 'email.received'))[0]!.data.skippedAttachments as { filename: string; reason: string }[];
    expect(skipped).toHaveLength(180);
    expect(skipped[0]).toEqual({ filename: 'scan-21.txt', contentType: 'text/plain', size: 7, reason: 'too-many' });
    expect(skipped.every((f) => f.reason === 'too-many')).toBe(true);
    const page = await (await signedIn(h, h.agent({ role: 'manager' })).get(`/cases/C-${id}`)).text();
    expect(page).toContain('Attachments not stored');
    expect(page).toContain('scan-21.txt (7 bytes: more than 20 files)');
    expect(page).toContain('scan-200.txt (8 bytes: more than 20 files)');
  });

  it('a file over the size limit is skipped, the mail and its other files kept', async () => {
    h = emailHarness({}, { attachments: { maxBytes: 1024 } });
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    const sent = await transport.sendMail({
      from: 'ann@example.com',
      to: 'support@example.com',
      subject: 'Logs',
      text: 'Two logs.',
      attachments: [
        { filename: 'huge.log', content: 'x'.repeat(2048) },
        { filename: 'small.log', content: 'ok' },
      ],
    });
    const { body } = await postMail(h, sent.message as Buffer);
    expect(body).toMatchObject({ result: 'created', attachments: { stored: 1, skipped: 1 } });
    const id = parseCaseRef(body.case!)!;
    expect((await rowsOf(id)).filter((f) => f.kind === 'attachment').map((f) => f.fileName)).toEqual(['small.log']);
    expect((await events(id, 'email.received'))[0]!.data).toMatchObject({ skippedAttachments: [{ filename: 'huge.log', size: 2048, reason: 'too-large' }], attachmentLimits: { maxBytes: 1024 } });
  });

  it('a reply’s files go on the customer’s message; a stranger’s mail (for review) keeps its files from the customer', async () => {
    h = emailHarness();
    const ref = (await postMail(h, fixture('new-request.eml'))).body.case!;
    const id = parseCaseRef(ref)!;
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    const reply = await transport.sendMail({
      from: 'chloe@example.com',
      to: 'support@example.com',
      subject: `Re: [${ref}] Invoice 2026-03 charged twice`,
      inReplyTo: '<CAF=new-request-1@mail.gmail.com>',
      text: 'The bank statement.',
      attachments: [{ filename: 'bank.pdf', content: '%PDF bank', contentType: 'application/pdf' }],
    });
    expect((await postMail(h, reply.message as Buffer)).body).toMatchObject({ result: 'appended', case: ref, attachments: { stored: 1, skipped: 0 } });
    const replied = (await events(id, 'customer.replied'))[0]!;
    expect((await rowsOf(id)).filter((f) => f.eventId === replied.id).map((f) => [f.fileName, f.kind])).toEqual([
      ['bank.pdf', 'attachment'],
      ['Re: [C-1001] Invoice 2026-03 charged twice.eml'.replace('C-1001', ref).replace(/[:]/g, '_'), 'original-mail'],
    ]);

    const stranger = await transport.sendMail({
      from: 'mallory@example.net',
      to: 'support@example.com',
      subject: `[${ref}] Please see the new details`,
      text: 'Use my account instead.',
      attachments: [{ filename: 'new-bank-details.pdf', content: '%PDF evil', contentType: 'application/pdf' }],
    });
    expect((await postMail(h, stranger.message as Buffer)).body).toMatchObject({ result: 'appended', reason: 'review' });
    const note = (await events(id, 'staff.noted'))[0]!;
    const evil = (await rowsOf(id)).find((f) => f.fileName === 'new-bank-details.pdf')!;
    expect(evil.eventId).toBe(note.id);
    const portal = signedIn(h, await customerOf(id));
    expect((await portal.get(`/cases/${ref}/attachments/${evil.id}`)).status).toBe(404);
    expect(await (await portal.get(`/cases/${ref}`)).text()).not.toContain('new-bank-details');
    expect((await portal.get(`/cases/${ref}/attachments/${(await rowsOf(id)).find((f) => f.fileName === 'bank.pdf')!.id}`)).status).toBe(200);
  });
});

/** A 1×1 PNG (a pasted screenshot's stand-in). */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

function shaped(subject: string, contentType: string, body: string): string {
  return `From: Chloe <chloe@example.org>\r\nTo: support@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W+/g, '-')}@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: ${contentType}\r\n\r\n${body}`;
}

describe('parts without a name', () => {
  it('are named by what they are: an inline image image-1.png, a PDF attachment-1.pdf, a mail attached whole by its subject, winmail.dat, invite.ics; the agent sees the inline image', async () => {
    h = emailHarness();
    const attachedMail = 'From: shop@example.net\r\nSubject: =?UTF-8?Q?Rechnung_3/2026_f=C3=BCr_M=C3=A4rz?=\r\n\r\nYour invoice.\r\n';
    const raw = shaped(
      'Screenshot and invoice',
      'multipart/mixed; boundary="m"',
      '--m\r\nContent-Type: multipart/related; boundary="r"\r\n\r\n' +
        '--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>The error:</p><img src="cid:shot@example.org"><p>Chloe</p>\r\n' +
        `--r\r\nContent-Type: image/png\r\nContent-ID: <shot@example.org>\r\nContent-Transfer-Encoding: base64\r\n\r\n${PNG.toString('base64')}\r\n--r--\r\n` +
        '--m\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n' +
        `--m\r\nContent-Type: message/rfc822\r\n\r\n${attachedMail}` +
        '--m\r\nContent-Type: application/ms-tnef\r\nContent-Transfer-Encoding: base64\r\n\r\neJ8+IgAAAA==\r\n' +
        '--m\r\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n' +
        '--m\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--m--\r\n',
    );
    const posted = await postMail(h, raw);
    expect(posted.body).toMatchObject({ result: 'created', attachments: { stored: 6, skipped: 0 } });
    const id = parseCaseRef(posted.body.case!)!;
    expect((await caseRow(id)).description).toBe('The error:\n\nChloe');
    const files = (await rowsOf(id)).filter((f) => f.kind !== 'original-mail');
    expect(files.map((f) => [f.fileName, f.mediaType, f.kind])).toEqual([
      ['image-1.png', 'image/png', 'inline'],
      ['attachment-1.pdf', 'application/pdf', 'attachment'],
      ['Rechnung 3-2026 für März.eml', 'message/rfc822', 'attachment'],
      ['winmail.dat', 'application/ms-tnef', 'attachment'],
      ['invite.ics', 'text/calendar', 'attachment'],
      ['attachment-2', 'application/octet-stream', 'attachment'],
    ]);
    // The staff timeline lists them by the same names.
    expect(((await events(id, 'email.received'))[0]!.data.attachments as { filename: string }[]).map((a) => a.filename)).toEqual(files.map((f) => f.fileName));
    // The agent sees the pasted screenshot on the case, not only its name; it is served as the image it is.
    const staff = signedIn(h, h.agent({ role: 'manager', name: 'Agent Ada' }));
    const page = await (await staff.get(`/cases/C-${id}`)).text();
    expect(page).toContain(`<img src="/cases/C-${id}/attachments/${files[0]!.id}" alt="image-1.png (inline in the mail)"`);
    expect(page).not.toContain(`<img src="/cases/C-${id}/attachments/${files[1]!.id}"`);
    const image = await staff.get(`/cases/C-${id}/attachments/${files[0]!.id}`);
    expect([image.status, image.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(Buffer.from(await image.arrayBuffer())).toEqual(PNG);
  });

  it('an S/MIME signed mail: the text is read, the signature kept as a file', async () => {
    h = emailHarness();
    const raw = shaped(
      'Signed request',
      'multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="s"',
      '--s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease cancel contract 4411.\r\n' +
        '--s\r\nContent-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\r\n--s--\r\n',
    );
    const id = parseCaseRef((await postMail(h, raw)).body.case!)!;
    expect((await caseRow(id)).description).toBe('Please cancel contract 4411.');
    expect((await rowsOf(id)).map((f) => [f.fileName, f.kind])).toEqual([
      ['smime.p7s', 'attachment'],
      ['Signed request.eml', 'original-mail'],
    ]);
  });
});

describe('a mail that is only a calendar invitation', () => {
  // Hand-written: Outlook's invitation (VTIMEZONE, a named Windows zone, a folded description with \, \; \n, a quoted CN, an alarm inside the event).
  const outlook = fs.readFileSync(new URL('../fixtures/email/invite-onboarding.ics', import.meta.url), 'utf8').replace(/\r?\n/g, '\r\n');
  const base64 = (text: string) => Buffer.from(text).toString('base64').replace(/.{76}/g, '$&\r\n');

  it('opens a case whose text says what the invitation is (summary, when in the organizer’s zone, where, organizer, description); the .ics is kept', async () => {
    h = emailHarness();
    const raw = shaped('Onboarding call', 'text/calendar; charset="utf-8"; method=REQUEST', '').replace('\r\n\r\n', `\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64(outlook)}\r\n`);
    const posted = await postMail(h, raw);
    expect(posted.body).toMatchObject({ result: 'created', attachments: { stored: 1, skipped: 0 } });
    const id = parseCaseRef(posted.body.case!)!;
    expect((await caseRow(id)).description).toBe(
      'Invitation: Onboarding call\nWhen: 2026-12-10 14:00–15:30 (W. Europe Standard Time)\nWhere: Microsoft Teams-Besprechung, Raum 4\nOrganizer: Schmidt, Anna <anna.schmidt@customer.example>\n\n' +
        'Hallo, wir möchten das Onboarding besprechen.\nAgenda: Zugänge; Import; Schulung\n\nBis dann',
    );
    const files = (await rowsOf(id)).filter((f) => f.kind !== 'original-mail');
    expect(files.map((f) => [f.fileName, f.mediaType, f.kind])).toEqual([['invite.ics', 'text/calendar', 'attachment']]);
    expect(bytesOf(files[0]!.sha256).toString()).toBe(outlook);
  });

  it('all-day and UTC events, a cancellation, an application/ics attachment; an unreadable or huge invitation still opens its case', async () => {
    h = emailHarness();
    const allDay = 'BEGIN:VCALENDAR\nMETHOD:CANCEL\nBEGIN:VEVENT\nsummary:Team offsite\nDTSTART;VALUE=DATE:20261224\nDTEND;VALUE=DATE:20261227\nORGANIZER:mailto:ops@customer.example\nEND:VEVENT\nEND:VCALENDAR\n';
    const utc = 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20261231T230000Z\r\nDURATION:PT2H\r\nSUMMARY:Year-end cut-over\r\nLOCATION;ALTREP="https://x.example/a;b":Bridge\\, line 2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
    const attached = (ics: string) =>
      shaped(`ics ${ics.length}`, 'multipart/mixed; boundary="m"', `--m\r\nContent-Type: application/ics; name="invite.ics"\r\nContent-Disposition: attachment; filename="invite.ics"\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64(ics)}\r\n--m--\r\n`);
    const huge = `BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:${'x;'.repeat(1_500_000)}\r\nDESCRIPTION:${'a\\'.repeat(500_000)}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
    const expected = [
      'Cancelled: Team offsite\nWhen: 2026-12-24 – 2026-12-26 (all day)\nOrganizer: ops@customer.example',
      'Invitation: Year-end cut-over\nWhen: 2026-12-31 23:00 – 2027-01-01 01:00 (UTC)\nWhere: Bridge, line 2',
      '(The mail had no text, only 1 attachment.)',
      '(The mail had no text, only 1 attachment.)',
    ];
    for (const [i, ics] of [allDay, utc, 'BEGIN:VCALENDAR\r\n\x00\x01garbage;;;:\r\nDTSTART:2026\r\n', huge].entries()) {
      const started = Date.now();
      const posted = await postMail(h, attached(ics));
      expect(posted.body).toMatchObject({ result: 'created' });
      expect(Date.now() - started).toBeLessThan(20_000);
      const id = parseCaseRef(posted.body.case!)!;
      const description = (await caseRow(id)).description;
      if (i < 3) expect(description).toBe(expected[i]);
      else expect(description.startsWith('Invitation: x;x;x;')).toBe(true);
      expect((await rowsOf(id)).map((f) => f.fileName)).toEqual(['invite.ics', `ics ${ics.length}.eml`]);
    }
  });
});

describe('a public staff reply with files', () => {
  it('is mailed with them: the SMTP sink receives each file with its name, type and bytes; notes’ files never leave', async () => {
    inbox = await startSmtp();
    h = emailHarness({}, { mailer: createMailer(`smtp://127.0.0.1:${inbox.port}`, 'Casebook <casebook@example.com>') });
    const ref = (await postMail(h, fixture('new-request.eml'))).body.case!;
    const id = parseCaseRef(ref)!;
    const desk = signedIn(h, h.agent({ role: 'manager', name: 'Alice Agent' }));
    const pdf = Buffer.from('%PDF-1.4 the refund confirmation');
    expect((await desk.upload(`/cases/${ref}/messages`, { body: 'Internal: draft', visibility: 'internal' }, [{ name: 'draft.txt', type: 'text/plain', content: 'not for the customer' }])).status).toBe(303);
    expect((await desk.upload(`/cases/${ref}/messages`, { body: 'The refund is confirmed.', visibility: 'public', confirmed: '1' }, [{ name: 'Bestätigung.pdf', type: 'application/pdf', content: pdf }])).status).toBe(303);
    await h.services.outbox.idle();
    await h.services.outbox.drain();
    const mails = inbox.messages.filter((m) => m.mail.text?.includes('The refund is confirmed.'));
    expect(mails).toHaveLength(1);
    const mail = mails[0]!.mail;
    expect(mail.attachments.map((a) => [a.filename, a.contentType, a.content.toString()])).toEqual([['Bestätigung.pdf', 'application/pdf', pdf.toString()]]);
    expect(inbox.messages.flatMap((m) => m.mail.attachments.map((a) => a.filename))).not.toContain('draft.txt');
    const sent = (await events(id, 'email.sent')).find((e) => e.data.delivered === true && e.data.kind === 'reply')!;
    expect(sent.data.attachments).toEqual(['Bestätigung.pdf']);
    expect(await (await desk.get(`/cases/${ref}`)).text()).toContain('Reply mailed to chloe@example.com, copied: bob@example.com with 1 attachment');
  });
});
