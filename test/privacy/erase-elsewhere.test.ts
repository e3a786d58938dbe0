/**
 * Erasing a customer who also appears on other customers' cases: Ann is copied on Bob's
 * mailed request and answers it (reply-all, with a file), and a mail of hers threaded onto
 * Carl's case is filed for review there. After Ann's erasure nothing names her or holds her
 * words — not Bob's or Carl's cases, their timelines, search, files or contacts — and no reply
 * is copied to her again; Bob's and Carl's own words, searches and retention are untouched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import { json } from '../../src/db/store/rows.js';
import { customerExport } from '../../src/http/api/schemas/privacy.js';
import { createMailer } from '../../src/notifications/mailer.js';
import { eraseExpiredCases } from '../../src/privacy/retention.js';
import { ok, tempDir, type Harness, type TestActor } from '../support/harness.js';
import { startSmtp, type Inbox } from '../support/smtp.js';
import { emailHarness, postMail } from '../email/support.js';
import { filesUnder } from './support.js';

const ANN = 'ann.9wqk@example.com';
/** In Ann's words and file only (lower case, a token the search index keeps whole). */
const WORDS = '9wqkmark';
const DAY = 86_400_000;

let h: Harness;
let inbox: Inbox;
let agent: TestActor;
let admin: TestActor;
let annId: number;
let bobRef: string;
let carlRef: string;
let erased: Record<string, unknown>;
let exportedBefore: Record<string, unknown>;

const mail = (lines: string[]) => lines.join('\r\n');

/** The tables with a row whose text holds `text` (every column of every row, as text). */
async function tablesHolding(text: string): Promise<string[]> {
  const names = h.dialect === 'sqlite'
    ? (await h.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'search_fts%' AND name NOT LIKE 'problems_fts%' AND name NOT LIKE 'sqlite_%'")).map((r) => r.name)
    : (await h.all<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")).map((r) => r.name);
  const holding: string[] = [];
  for (const name of names) {
    const rows = await h.all<Record<string, unknown>>(`SELECT * FROM "${name}"`);
    if (rows.some((row) => JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).toLowerCase().includes(text.toLowerCase()))) holding.push(name);
  }
  return holding;
}

async function search(q: string): Promise<string[]> {
  const body = await ok(await h.api('GET', `/api/v1/search?q=${encodeURIComponent(q)}`, { token: h.tokenFor(admin) }));
  return (body.cases as { items: { id: string }[] }).items.map((c) => c.id);
}

async function lastMessageId(ref: string): Promise<string> {
  const row = await h.get<{ id: string }>("SELECT message_id AS id FROM email_messages WHERE case_id = ? AND direction = 'out' ORDER BY at DESC, message_id DESC LIMIT 1", parseCaseRef(ref));
  return row!.id;
}

beforeAll(async () => {
  inbox = await startSmtp();
  h = emailHarness({}, { mailer: createMailer(`smtp://127.0.0.1:${inbox.port}`, 'Casebook <support@example.com>'), attachments: { dir: path.join(tempDir(), 'files') } });
  agent = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'] });
  admin = h.agent({ name: 'Adam', role: 'admin' });

  const own = await postMail(h, mail([`From: "Ann Qwerty" <${ANN}>`, 'To: support@example.com', 'Subject: My own request', 'Message-ID: <own.1@example.com>', '', 'Something of my own.']));
  const bob = await postMail(h, mail(['From: "Bob Baker" <bob@example.org>', 'To: support@example.com', `Cc: "Ann Qwerty" <${ANN}>`, 'Subject: Printer broken', 'Message-ID: <bob.1@example.org>', '', 'Bobs printer jams on every page.']));
  const carl = await postMail(h, mail(['From: "Carl Cole" <carl@example.net>', 'To: support@example.com', 'Subject: Scanner offline', 'Message-ID: <carl.1@example.net>', '', 'Carls scanner is offline.']));
  bobRef = bob.body.case!;
  carlRef = carl.body.case!;
  annId = (await h.get<{ id: number }>('SELECT customer_id AS id FROM cases WHERE id = ?', parseCaseRef(own.body.case!)))!.id;
  await h.services.outbox.drain();
  for (const ref of [bobRef, carlRef]) await ok(await h.api('POST', `/api/v1/cases/${ref}/messages`, { token: h.tokenFor(agent), body: { body: 'We are looking into it.', public: true } }), 201);
  await h.services.outbox.drain();
  await h.services.outbox.idle();

  // Ann answers Bob's thread (she is copied on it), with a file…
  const reply = await postMail(
    h,
    mail([
      `From: "Ann Qwerty" <${ANN}>`, 'To: support@example.com', `Subject: Re: [${bobRef}] Printer broken`, 'Message-ID: <ann.2@example.com>', `In-Reply-To: <${await lastMessageId(bobRef)}>`,
      'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"', '', '--b1', 'Content-Type: text/plain; charset=utf-8', '', `Ann here: ${WORDS}, call me on +49 555 123.`,
      '--b1', 'Content-Type: text/plain; name="ann-notes.txt"', 'Content-Disposition: attachment; filename="ann-notes.txt"', '', `notes ${WORDS}`, '--b1--', '',
    ]),
  );
  // …and writes into Carl's thread, which she is not on: filed for review.
  const stray = await postMail(h, mail([`From: "Ann Qwerty" <${ANN}>`, 'To: support@example.com', `Subject: Re: [${carlRef}] Scanner offline`, 'Message-ID: <ann.3@example.com>', `In-Reply-To: <${await lastMessageId(carlRef)}>`, '', `Wrong thread ${WORDS}.`]));
  expect(reply.body).toMatchObject({ result: 'appended', case: bobRef, reason: null, attachments: { stored: 1 } });
  expect(stray.body).toMatchObject({ result: 'appended', case: carlRef, reason: 'review' });
  // A colleague's note on Bob's case names her address among other words.
  await ok(await h.api('POST', `/api/v1/cases/${bobRef}/messages`, { token: h.tokenFor(agent), body: { body: `Asked ${ANN} about the zebraroller.`, public: false } }), 201);
  await h.services.outbox.drain();
  await h.services.outbox.idle();
  expect(await search(WORDS)).toEqual(expect.arrayContaining([bobRef, carlRef]));
  expect(await tablesHolding(ANN)).toEqual(expect.arrayContaining(['case_email_contacts', 'case_events']));

  exportedBefore = await ok(await h.api('GET', `/api/v1/customers/${annId}/export`, { token: h.tokenFor(admin) }));
  erased = await ok(await h.api('POST', `/api/v1/customers/${annId}/erase`, { token: h.tokenFor(admin) }));
  await h.services.outbox.drain();
});
afterAll(async () => {
  h?.close();
  await inbox?.close();
});

describe('erasing a customer who is on other customers\u2019 cases', () => {
  it('exported, before, what she wrote on the other cases', () => {
    expect(exportedBefore.messagesOnOtherCases).toEqual([
      { case: bobRef, at: expect.any(String), body: `Ann here: ${WORDS}, call me on +49 555 123.` },
      { case: carlRef, at: expect.any(String), body: expect.stringContaining(`Wrong thread ${WORDS}.`) },
    ]);
    expect(customerExport.safeParse(exportedBefore).success).toBe(true);
  });

  it('counts the other cases and what was erased there', () => {
    expect(erased).toMatchObject({ erased: true, customer: annId, cases: 1 });
    // Her file and the originals of her two mails.
    expect(erased.summary).toMatchObject({ casesElsewhere: 2, contactsElsewhere: 1, attachmentsElsewhere: 3 });
  });

  it('leaves neither her address nor her words in any table, file or search', async () => {
    expect(await tablesHolding(ANN)).toEqual([]);
    expect(await tablesHolding(WORDS)).toEqual([]);
    expect(await tablesHolding('+49 555 123')).toEqual([]);
    expect(await search(WORDS)).toEqual([]);
    const dir = h.services.attachments.store.dir;
    expect(filesUnder(dir).filter((f) => fs.readFileSync(path.join(dir, f)).includes(WORDS))).toEqual([]);
  });

  it('copies her on no reply any more', async () => {
    const before = inbox.messages.length;
    await ok(await h.api('POST', `/api/v1/cases/${bobRef}/messages`, { token: h.tokenFor(agent), body: { body: 'Fixed the printer.', public: true } }), 201);
    await h.services.outbox.drain();
    await h.services.outbox.idle();
    const sent = inbox.messages.slice(before);
    expect(sent.map((m) => m.to)).toEqual([['bob@example.org']]);
  });

  it('keeps the other customers\u2019 cases, their words and their search', async () => {
    expect(await search('Bobs printer')).toEqual([bobRef]);
    expect(await search('Carls scanner')).toEqual([carlRef]);
    // The note that named her keeps its other words, and is found by them.
    expect(await search('zebraroller')).toEqual([bobRef]);
    const note = await h.get<{ data: unknown }>("SELECT data FROM case_events WHERE case_id = ? AND type = 'staff.noted'", parseCaseRef(bobRef));
    expect(json(note!.data)).toMatchObject({ body: 'Asked [erased] about the zebraroller.' });
    const events = await ok(await h.api('GET', `/api/v1/cases/${bobRef}`, { token: h.tokenFor(agent) }));
    expect(events).toMatchObject({ subject: 'Printer broken', description: 'Bobs printer jams on every page.' });
  });

  it('lists only her own erasures in her export', async () => {
    const exported = await ok(await h.api('GET', `/api/v1/customers/${annId}/export`, { token: h.tokenFor(admin) }));
    expect(exported.erasures).toEqual([{ reason: 'request', case: null, at: expect.any(String) }]);
  });

  it('does not count as an erasure of the other cases: retention still erases them once closed', async () => {
    for (const body of [{ transition: 'resolve', solution: 'New roller' }, { transition: 'close' }]) await ok(await h.api('POST', `/api/v1/cases/${bobRef}/transitions`, { token: h.tokenFor(agent), body }));
    h.clock.advance(2 * DAY);
    expect(await eraseExpiredCases(h.services, 1)).toMatchObject({ erased: 1 });
    expect((await h.get<{ subject: string }>('SELECT subject FROM cases WHERE id = ?', parseCaseRef(bobRef)))!.subject).toBe('[erased]');
  });
});
