/**
 * A mail being sent when its customer is erased: the erasure closes the case's pending outbox
 * items, and the one a drain had already claimed must not write its outcome (`email.sent` with
 * the customer's address) onto the erased case when the mail server answers. A real SMTP sink
 * holds the reply's mail while the customer is erased.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { createMailer, type Mailer } from '../../src/notifications/mailer.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { startSmtp, type Inbox } from '../support/smtp.js';

let h: Harness;
let smtp: Inbox;
let mailer: Mailer;
let agent: TestActor;

beforeEach(async () => {
  smtp = await startSmtp();
  mailer = createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <casebook@example.com>');
  h = createHarness({ services: { mailer, publicUrl: 'http://help.example.com' } });
  standardQueues(h);
  agent = h.agent({ name: 'Maria', email: 'maria@casebook.test', role: 'agent', queues: ['general', 'billing'] });
});
afterEach(async () => {
  smtp.release();
  h.close();
  mailer.close();
  await smtp.close();
});

it('records nothing on the erased case when the mail in flight is answered', async () => {
  const created = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'chloe@example.com', name: 'Chloe Carter' }, subject: 'Invoice charged twice', description: 'My card was charged twice.' } });
  const { id: ref, customer } = (await created.json()) as { id: string; customer: { id: number } };
  await h.services.outbox.drain();
  await h.services.outbox.idle();

  smtp.hold();
  expect((await h.api('POST', `/api/v1/cases/${ref}/messages`, { token: h.tokenFor(agent), body: { body: 'We refunded the second charge.', public: true } })).status).toBe(201);
  await vi.waitFor(() => expect(smtp.held()).toBe(1), { timeout: 15_000 }); // claimed and being sent (vitest's 1 s default ran out in a loaded CI run)
  expect((await h.api('POST', `/api/v1/customers/${customer.id}/erase`, { token: ADMIN_TOKEN })).status).toBe(200);
  const timeline = () => h.query((q) => q.db.select().from(q.tables.caseEvents));
  const erased = await timeline();

  smtp.release();
  await h.services.outbox.idle();
  expect(smtp.messages.some((m) => m.to.includes('chloe@example.com') && (m.mail.text ?? '').includes('We refunded'))).toBe(true); // sent before the erasure
  const after = await timeline();
  expect(after.slice(erased.length)).toEqual([]);
  expect(JSON.stringify(after)).not.toContain('chloe@example.com');
});
