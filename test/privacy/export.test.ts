/**
 * The export (GET /api/v1/customers/:id/export, managers and admins; the console's download):
 * everything held about the customer — profile and its history, cases with messages (internal
 * notes marked), ratings, attachments with sizes and hashes, calls logged, timeline, the CRM's
 * record, mail, ways in — and never a secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../src/auth/sessions.js';
import { sha256 } from '../../src/auth/tokens.js';
import { customerExport } from '../../src/http/api/schemas/privacy.js';
import { signedIn } from '../support/pages.js';
import { ADMIN_TOKEN, ok, type Harness } from '../support/harness.js';
import { emailHarness, postMail } from '../email/support.js';
import { MARKER, privacyWorld, type PrivacyWorld } from './support.js';

let w: PrivacyWorld;
let data: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

beforeAll(async () => {
  w = await privacyWorld();
  const res = await w.h.api('GET', `/api/v1/customers/${w.customerId}/export`, { token: w.h.tokenFor(w.manager) });
  expect(res.status).toBe(200);
  expect(res.headers.get('Content-Disposition')).toContain(`customer-${w.customerId}-export.json`);
  data = (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
});
afterAll(() => w?.close());

describe('a customer export', () => {
  it('holds the profile and its history', () => {
    expect(data.format).toBe('casebook.customer-export/1');
    expect(data.profile).toMatchObject({ id: w.customerId, email: `chloe.${MARKER}@example.com`, name: `Chloe ${MARKER}`, organization: `Acme ${MARKER}`, phone: '+49301234567', timeZone: 'Europe/Berlin' });
    expect(data.profileHistory).toEqual(expect.arrayContaining([expect.objectContaining({ via: 'edit', by: 'Maria', reason: `asked by ${MARKER}` })]));
  });

  it('holds every case with its messages (internal notes marked), rating, attachments and timeline', () => {
    expect(data.cases.map((c: { id: string }) => c.id).sort()).toEqual([w.mailedRef, w.apiRef, w.chatRef].sort());
    const mailed = data.cases.find((c: { id: string }) => c.id === w.mailedRef);
    expect(mailed).toMatchObject({ subject: `Refund ${MARKER} please`, channel: 'email' });
    expect(mailed.messages).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ from: 'Alice', internal: false, body: `Hello Chloe ${MARKER}, we are on it.` }),
        expect.objectContaining({ from: 'Alice', internal: true, body: `Internal: ${MARKER} called twice` }),
      ]),
    );
    const file = mailed.attachments.find((a: { fileName: string }) => a.fileName === `${MARKER}.txt`);
    expect(file).toMatchObject({ size: `the file ${MARKER} content`.length, kind: 'attachment', internal: false });
    expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(mailed.attachments.map((a: { kind: string }) => a.kind)).toContain('original-mail');
    expect(mailed.timeline.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['case.created', 'case.escalated', 'staff.noted']));
    // Data only for entries the customer sees anyway: not the escalation's reason.
    expect(mailed.timeline.find((e: { type: string }) => e.type === 'case.escalated').data).toBeUndefined();
    const api = data.cases.find((c: { id: string }) => c.id === w.apiRef);
    expect(api).toMatchObject({ rating: { satisfied: true, comment: `Thanks ${MARKER}!` }, solution: `Cleaned the ${MARKER} roller` });
  });

  it('holds their live chats: the visitor as given, every line with author and time, never the token', () => {
    const chat = data.cases.find((c: { id: string }) => c.id === w.chatRef);
    expect(chat).toMatchObject({ channel: 'chat', subject: `Chat: Where is parcel ${MARKER}?` });
    expect(chat.chats).toHaveLength(1);
    expect(chat.chats[0]).toMatchObject({ site: 'Shop', hostOrigin: 'https://shop.example', visitor: { name: `Chloe ${MARKER} Web`, email: `chloe.${MARKER}@example.com`, verified: false }, state: 'ended', endedBy: 'visitor' });
    expect(chat.chats[0].transcriptRequestedAt).toEqual(expect.any(String));
    expect(chat.chats[0].lines.map((l: { seq: number; author: string; name: string; body: string }) => [l.seq, l.author, l.name, l.body])).toEqual([
      [1, 'system', 'Shop', 'Hi! How can we help?'],
      [2, 'visitor', `Chloe ${MARKER} Web`, `Where is parcel ${MARKER}?`],
      [3, 'visitor', `Chloe ${MARKER} Web`, `It was sent to ${MARKER} street.`],
      [4, 'agent', 'Alice', `Found parcel ${MARKER}, Chloe.`],
      [5, 'system', 'Casebook', `Chloe ${MARKER} Web ended the chat.`],
    ]);
    for (const l of chat.chats[0].lines) expect(Date.parse(l.at)).not.toBeNaN();
    expect(data.cases.find((c: { id: string }) => c.id === w.mailedRef).chats).toEqual([]);
    // The chat they started without writing, and nobody else's.
    expect(data.chatsWithoutCase).toEqual([expect.objectContaining({ visitor: expect.objectContaining({ name: `Chloe ${MARKER} Again` }), lines: [expect.objectContaining({ author: 'system' })] })]);
    const text = JSON.stringify(data);
    expect(text).not.toContain(w.chatToken);
    expect(text).not.toContain(sha256(w.chatToken));
    expect(text).not.toContain('Where is my order?');
    expect(customerExport.safeParse(data).success).toBe(true);
  });

  it('holds what erasure takes as theirs too: the CRM’s record of the address, the calls logged with their notes', () => {
    expect(data.crm).toEqual({ record: { plan: 'pro', accountOwner: `Owner of ${MARKER}` }, fetchedAt: expect.any(String) });
    const mailed = data.cases.find((c: { id: string }) => c.id === w.mailedRef);
    expect(mailed.calls).toEqual([
      { at: expect.any(String), channel: 'phone', direction: 'inbound', durationSeconds: 240, from: '+49301234567', notes: `Called about the ${MARKER} refund`, recordingUrl: null, transcriptUrl: null, by: 'Alice' },
    ]);
    expect(data.cases.find((c: { id: string }) => c.id === w.apiRef).calls).toEqual([]);
    expect(data.messagesOnOtherCases).toEqual([]);
    expect(customerExport.safeParse(data).success).toBe(true);
  });

  it('holds their mail and ways in, never a secret', async () => {
    expect(data.mail).toEqual([expect.objectContaining({ from: `chloe.${MARKER}@example.com`, subject: `Refund ${MARKER} please`, outcome: 'created' })]);
    expect(data.access.sessions).toEqual([expect.objectContaining({ userAgent: `Browser ${MARKER}` })]);
    expect(data.access.apiTokens.length).toBeGreaterThan(0);
    const text = JSON.stringify(data);
    expect(text).not.toMatch(/token_?hash|password_?hash|id_?hash|csrf/i);
    const session = await w.h.services.store.write((q) => createSession(q, { type: 'customer', id: w.customerId }, w.h.clock.now()));
    expect(text).not.toContain(session.id);
  });

  it('is for managers and admins', async () => {
    expect((await w.h.api('GET', `/api/v1/customers/${w.customerId}/export`, { token: w.h.tokenFor(w.agent) })).status).toBe(403);
    expect((await w.h.api('GET', '/api/v1/customers/424242/export', { token: w.h.tokenFor(w.admin) })).status).toBe(404);
  });

  it('downloads from the console as the same document, bidi controls written as escapes', async () => {
    const organization = `Acme \u202Egnp.exe ${MARKER}`;
    expect((await w.h.api('PATCH', `/api/v1/customers/${w.customerId}`, { token: w.h.tokenFor(w.manager), body: { organization } })).status).toBe(200);
    const res = await signedIn(w.h, w.manager).get(`/manage/team/customers/${w.customerId}/export`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(res.headers.get('Content-Disposition')).toContain(`customer-${w.customerId}-export.json`);
    const text = await res.text();
    expect(text).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
    expect(text).toContain('Acme \\u202egnp.exe');
    const api = await (await w.h.api('GET', `/api/v1/customers/${w.customerId}/export`, { token: w.h.tokenFor(w.manager) })).json();
    expect(JSON.parse(text)).toEqual(api);
    expect((JSON.parse(text) as { profile: { organization: string } }).profile.organization).toBe(organization);
  });
});

describe('a customer export holds what the case fields no longer do', () => {
  let h: Harness;
  afterAll(() => h?.close());

  it('their whole mail (a long one is clipped on the request), the subject they wrote before staff changed it, and every solution they were shown', async () => {
    h = emailHarness();
    const agent = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'] });
    const mail = [
      'From: Pat Doe <pat@example.com>',
      'To: support@example.com',
      'Subject: Wireless keeps failing',
      'Message-ID: <wifi.1@example.com>',
      'Date: Mon, 02 Mar 2026 08:00:00 +0000',
      '',
      'The wifi drops every hour since Monday. The router log:',
      ...Array.from({ length: 700 }, (_, i) => `${String(i).padStart(4, '0')} link down, link up again`),
      'Call me: Mobile +44 7700 900123, 12 Quay Street',
      '',
    ].join('\r\n');
    const posted = await postMail(h, mail);
    expect(posted.body.result).toBe('created');
    const ref = posted.body.case!;
    const token = h.tokenFor(agent);
    // The request is clipped at 20,000 characters (docs/email.md); the whole mail is kept on its timeline entry.
    const created = await ok(await h.api('GET', `/api/v1/cases/${ref}`, { token }));
    expect(created.description).toContain('The wifi drops every hour since Monday.');
    expect(created.description).not.toContain('Mobile +44');
    await ok(await h.api('PATCH', `/api/v1/cases/${ref}`, { token, body: { subject: 'Wi-Fi drops hourly (router 7)' } }));
    const customerId = (await h.get<{ id: number }>("SELECT id FROM customers WHERE email = 'pat@example.com'"))!.id;
    // A request from the portal or the API: the subject they wrote is on no mail.
    const pat = h.tokenFor({ type: 'customer', id: customerId });
    const own = await ok(await h.api('POST', '/api/v1/cases', { token: pat, body: { subject: 'Printer eats paper', description: 'Since the update.' } }), 201);
    await ok(await h.api('PATCH', `/api/v1/cases/${own.id}`, { token, body: { subject: 'Printer P-4 paper jam' } }));
    await ok(await h.api('POST', `/api/v1/cases/${ref}/transitions`, { token, body: { transition: 'resolve', solution: 'Restart the router once.' } }));
    await ok(await h.api('POST', `/api/v1/cases/${ref}/transitions`, { token, body: { transition: 'reopen' } }));
    await ok(await h.api('POST', `/api/v1/cases/${ref}/transitions`, { token, body: { transition: 'resolve', solution: 'Replaced router 7.' } }));

    const data = (await ok(await h.api('GET', `/api/v1/customers/${customerId}/export`, { token: ADMIN_TOKEN }))) as { cases: Record<string, unknown>[] };
    const exported = data.cases.find((c) => c.id === ref);
    expect(exported).toMatchObject({ subject: 'Wi-Fi drops hourly (router 7)', description: created.description, solution: 'Replaced router 7.' });
    const text = JSON.stringify(data);
    expect.soft(text).toContain('Mobile +44 7700 900123, 12 Quay Street');
    expect.soft(text).toContain('Printer eats paper');
    expect(data.cases.find((c) => c.id === own.id)).toMatchObject({ subject: 'Printer P-4 paper jam' });
    expect.soft(text).toContain('Restart the router once.');
    expect(customerExport.safeParse(data).success).toBe(true);
  });
});
