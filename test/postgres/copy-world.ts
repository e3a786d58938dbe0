/**
 * A SQLite installation worth moving to PostgreSQL, made through Casebook's own commands: the
 * demo seed (queues, staff, customers, the problem library, cases with replies and
 * transitions), a mailed request with a file, API requests with replies, a note, an
 * escalation, a resolution and a rating, a customer's profile edit, a live chat, SLA clocks
 * swept into breaches, a stored report, a customer erased, and an enabled webhook subscription
 * (whose trigger queues deliveries). Closed again: the file is the copy's source.
 */
import { createReport } from '../../src/reports/create-report.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { createSite } from '../../src/chat/sites.js';
import { startSession } from '../../src/chat/sessions.js';
import { sendVisitorMessage } from '../../src/chat/visitor-message.js';
import { endChat } from '../../src/chat/end-chat.js';
import { rateCase } from '../../src/cases/rate-case.js';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import { seedDemo } from '../../src/seed/seed-demo.js';
import { emailHarness, postMail } from '../email/support.js';
import { ADMIN_TOKEN, ok } from '../support/harness.js';
import { syncWebhookTriggerOn } from '../../src/webhooks/trigger.js';

const MAIL = [
  'From: "Pat Doe" <pat@example.net>',
  'To: support@example.com',
  'Subject: Refund for the double charge',
  'Message-ID: <first.pat@example.net>',
  'Date: Mon, 02 Mar 2026 08:00:00 +0000',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'My card was charged twice for the invoice — “Grüße” from Köln.',
  '--b1',
  'Content-Type: text/plain; name="receipt.txt"',
  'Content-Disposition: attachment; filename="receipt.txt"',
  '',
  'receipt 42',
  '--b1--',
  '',
].join('\r\n');

/** Builds the installation; returns its database file and the last case id. */
export async function buildCopyWorld(): Promise<{ file: string; attachmentsDir: string }> {
  const h = emailHarness({}, { channelsKey: parseChannelsKey('55'.repeat(32)) });
  try {
    await seedDemo(h.services, { password: 'demo-password-for-tests' });
    const sql = h.db.$client;
    const staffId = (email: string) => (sql.prepare('SELECT id FROM staff WHERE email = ?').get(email) as { id: number }).id;
    const alice = { type: 'staff' as const, id: staffId('alice@casebook.test') };
    const maria = { type: 'staff' as const, id: staffId('maria@casebook.test') };

    const mailed = await postMail(h, MAIL);
    if (mailed.body.result !== 'created') throw new Error(JSON.stringify(mailed));
    const mailedRef = mailed.body.case!;
    const chloeId = (sql.prepare("SELECT id FROM customers WHERE email = 'chloe@example.com'").get() as { id: number }).id;
    const chloe = { type: 'customer' as const, id: chloeId, role: 'customer' as const, name: 'Chloe Carter' };
    const created = await ok(await h.api('POST', '/api/v1/cases', { token: h.tokenFor(chloe), headers: { 'Idempotency-Key': 'copy-key-1' }, body: { subject: 'Printer jams', description: 'The printer in room 4 jams on every page.' } }), 201);
    const apiRef = String(created.id);
    await ok(await h.api('POST', `/api/v1/cases/${mailedRef}/messages`, { token: h.tokenFor(alice), body: { body: 'Hello Pat, we are on it.', public: true } }), 201);
    await ok(await h.api('POST', `/api/v1/cases/${mailedRef}/messages`, { token: h.tokenFor(alice), body: { body: 'Internal: called twice', public: false } }), 201);
    await ok(await h.api('POST', `/api/v1/cases/${mailedRef}/assignment`, { token: h.tokenFor(maria), body: { queue: 'advanced', reason: 'Escalating the refund' } }));
    await ok(await h.api('POST', `/api/v1/cases/${apiRef}/transitions`, { token: h.tokenFor(alice), body: { transition: 'resolve', solution: 'Cleaned the roller' } }));
    await rateCase(h.services, parseCaseRef(apiRef)!, { satisfied: true, comment: 'Thanks!' }, chloe);
    await ok(await h.api('PATCH', `/api/v1/customers/${chloeId}`, { token: h.tokenFor(maria), body: { organization: 'Northwind GmbH', phone: '+49 30 1234567', reason: 'asked by phone' } }));

    const site = await createSite(h.services, { name: 'Shop', origins: 'https://shop.example', greeting: 'Hi! How can we help?', calendar: '', queue: 'general' });
    const chat = await startSession(h.services, site, 'https://shop.example', { name: 'Vic Visitor', email: 'vic@example.com' });
    await sendVisitorMessage(h.services, site, chat.session, 'Where is my parcel?');
    await endChat(h.services, chat.session.id, 'visitor', { type: 'customer', id: null, role: 'customer', name: chat.session.name });

    // Three days later: first-response and resolution clocks breach.
    h.clock.advance(3 * 86_400_000);
    await ok(await h.api('POST', '/api/v1/sla/sweep', { token: ADMIN_TOKEN }));
    await createReport(h.services, { from: h.clock.now() - 4 * 86_400_000, to: h.clock.now(), trigger: 'manual' });
    const sam = (sql.prepare("SELECT id FROM customers WHERE email = 'sam@example.org'").get() as { id: number }).id;
    await ok(await h.api('POST', `/api/v1/customers/${sam}/erase`, { token: ADMIN_TOKEN }));
    // An enabled webhook subscription (its trigger queues every new entry's delivery; port 9
    // refuses at once, so the deliveries wait for their retry and it stays enabled).
    sql
      .prepare("INSERT INTO webhook_subscriptions (url, description, events, secret, enabled, created_by, created_at) VALUES ('http://127.0.0.1:9/hook', '', ?, 'whsec_dGVzdA==', 1, 'test', ?)")
      .run(JSON.stringify(['case.created', 'staff.replied']), h.clock.now());
    // Written directly, not through createWebhook: the queueing trigger is woken as it would wake it.
    syncWebhookTriggerOn(sql);
    await ok(await h.api('POST', `/api/v1/cases/${mailedRef}/messages`, { token: h.tokenFor(maria), body: { body: 'The refund is on its way.', public: true } }), 201);
    await h.services.outbox.drain();
    return { file: h.dbPath, attachmentsDir: h.services.attachments.store.dir };
  } finally {
    h.close();
  }
}
