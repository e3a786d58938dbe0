/** Rule `notify` events delivered by mail through a real SMTP server. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMailer, type Mailer } from '../../src/notifications/mailer.js';
import { renderTemplate } from '../../src/notifications/templates.js';
import { runSlaSweep } from '../../src/sla/run-sweep.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';
import { startSmtp, type Inbox } from '../support/smtp.js';

let smtp: Inbox;
let mailer: Mailer;
let h: Harness;

beforeEach(async () => {
  smtp = await startSmtp();
  mailer = createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <casebook@example.com>');
  h = createHarness({ services: { mailer, publicUrl: 'https://help.example.com' } });
  standardQueues(h);
  h.agent({ name: 'Alice', email: 'alice@casebook.test', queues: ['general'] });
});
afterEach(async () => {
  h.close();
  mailer.close();
  await smtp.close();
});

type Json = Record<string, any>;

describe('notifications', () => {
  it('mails the assignee when an SLA timer reaches its warning time, naming the timer', async () => {
    // Monday 10:00 Berlin, standard policy, normal priority: first response due in 8 business hours, warned at 80%.
    const created = (await (await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'c@example.com' }, subject: 'Hello', description: 'A question' } })).json()) as Json;
    h.clock.advanceMinutes(8 * 60 * 0.8 + 1);
    await runSlaSweep(h.services);
    await h.services.outbox.drain();

    const mails = smtp.messages.filter((m) => m.mail.subject?.includes('SLA at risk'));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual(['alice@casebook.test']);
    expect(mails[0]!.mail.subject).toBe(`[${created.id}] SLA at risk: Hello`);
    expect(mails[0]!.mail.text).toContain('The firstResponse target (standard) is due');
    expect(mails[0]!.mail.text).toContain(`https://help.example.com/cases/${created.id}`);

    const events = (await (await h.api('GET', `/api/v1/cases/${created.id}/events`, { token: ADMIN_TOKEN })).json()) as Json[];
    expect(events.filter((e) => e.type === 'notification.sent').map((e) => e.data)).toEqual([
      { template: 'sla-warning', to: 'assignee', recipients: ['alice@casebook.test'], delivered: true },
    ]);
  });

  it('records that nothing was sent when no mailer is configured', async () => {
    const quiet = createHarness();
    standardQueues(quiet);
    quiet.agent({ queues: ['general'] });
    const created = (await (await quiet.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'c@example.com' }, subject: 'Hello', description: 'A question' } })).json()) as Json;
    quiet.clock.advanceMinutes(8 * 60 * 0.8 + 1);
    await runSlaSweep(quiet.services);
    await quiet.services.outbox.drain();
    const events = (await (await quiet.api('GET', `/api/v1/cases/${created.id}/events`, { token: ADMIN_TOKEN })).json()) as Json[];
    expect(events.find((e) => e.type === 'notification.sent')?.data).toMatchObject({ delivered: false, reason: 'SMTP_URL is not set' });
    quiet.close();
  });

  it('mails the customer the known solution the rules offer, with how to answer it', async () => {
    const now = h.clock.now();
    await h.services.store.write((q) =>
      q.db.insert(q.tables.problems).values({ title: 'Cannot log in after a password reset', symptoms: 'login fails, password reset link expired', synonyms: 'locked out of my account', solution: 'Request a new reset link.', createdAt: now, updatedAt: now }),
    );
    const created = (await (await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'c@example.com', name: 'Chloe' }, subject: 'Locked out of my account', description: 'Locked out of my account since this morning.' } })).json()) as Json;
    await h.services.outbox.drain();
    const mails = smtp.messages.filter((m) => m.mail.subject?.includes('A solution for'));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual(['c@example.com']);
    expect(mails[0]!.mail.subject).toBe(`[${created.id}] A solution for: Locked out of my account`);
    expect(mails[0]!.mail.text).toContain('We know this problem: Cannot log in after a password reset.');
    expect(mails[0]!.mail.text).toContain('Request a new reset link.');
    expect(mails[0]!.mail.text).toContain('"This solved it"');
    expect(mails[0]!.mail.text).toContain(`https://help.example.com/cases/${created.id}`);
  });

  it('sends one mail when the rules also acknowledge the request: the acknowledgement carries the offer', async () => {
    const now = h.clock.now();
    await h.services.store.write((q) =>
      q.db.insert(q.tables.problems).values({ title: 'Charged twice', symptoms: 'charged twice, double charge', synonyms: 'billed 2 times', solution: 'Wait 3 business days.', createdAt: now, updatedAt: now }),
    );
    const escalation = structuredClone(h.services.definitions.ruleset('escalation').definition);
    escalation.rules.push({ name: 'Acknowledge', conditions: { all: [{ fact: 'event', path: '$.type', operator: 'equal', value: 'case.created' }] }, event: { type: 'notify', params: { to: 'customer', template: 'case-received' } } });
    await h.services.store.write((q) => h.services.definitions.createVersion(q, 'ruleset', 'escalation', escalation, { state: 'published', now }));
    await h.services.definitions.refresh();
    const created = (await (await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'c@example.com', name: 'Chloe' }, subject: 'Billed 2 times', description: 'I was billed 2 times.' } })).json()) as Json;
    await h.services.outbox.drain();
    const mine = smtp.messages.filter((m) => m.to.includes('c@example.com'));
    expect(mine.map((m) => m.mail.subject)).toEqual([`[${created.id}] We received your request: Billed 2 times`]);
    expect(mine[0]!.mail.text).toContain('This may solve it (Charged twice):');
    expect(mine[0]!.mail.text).toContain('Wait 3 business days.');
  });

  it('puts an open offer into the acknowledgement mail', () => {
    const base = { caseRef: 'C-1001', subject: 'Billed 2 times', status: 'open', queue: 'billing', priority: 'normal', customerName: 'Chloe', reason: null, solution: null, url: 'https://x/cases/C-1001' };
    expect(renderTemplate('case-received', { ...base, offer: { title: 'Charged twice', solution: 'Wait 3 days.' } }).text).toContain('This may solve it (Charged twice):\nWait 3 days.');
    expect(renderTemplate('case-received', { ...base, offer: null }).text).not.toContain('This may solve it');
  });
});
