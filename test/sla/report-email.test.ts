/** The report emailed to managers through a real SMTP server, CSV attached; failed deliveries are retried and visible. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS } from '../../src/outbox/outbox.js';
import { createMailer, type Mailer } from '../../src/notifications/mailer.js';
import { createReport, runScheduledReport } from '../../src/reports/create-report.js';
import { runSlaSweep } from '../../src/sla/run-sweep.js';
import { signedIn } from '../support/pages.js';
import { startSmtp, type Inbox } from '../support/smtp.js';
import { berlin, createDesk, type Desk } from './helpers.js';

let smtp: Inbox;
let mailer: Mailer;
let d: Desk;

beforeEach(async () => {
  smtp = await startSmtp();
  mailer = createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <casebook@example.test>');
  d = createDesk({ services: { mailer } });
  d.h.agent({ name: 'Mia', email: 'mia@casebook.test', role: 'manager' });
  d.h.agent({ name: 'Ada', email: 'ada@casebook.test', role: 'admin' });
  d.h.agent({ name: 'Max', email: 'max@casebook.test', role: 'manager' });
  await d.h.run(`UPDATE staff SET active = false WHERE email = 'max@casebook.test'`);
});
afterEach(async () => {
  d.h.close();
  mailer.close();
  await smtp.close();
});

async function breachOne(): Promise<string> {
  const id = await d.create({ subject: 'Export, "CSV" question' });
  d.h.clock.set(berlin('2026-03-03T10:01')); // due 10:00: the sweep after it breaches
  await runSlaSweep(d.h.services);
  return id;
}

describe('report email', () => {
  it('arrives at the managers with the HTML report as body and the CSV attached', async () => {
    const id = await breachOne();
    d.h.clock.set(berlin('2026-03-03T12:00'));
    const report = (await runScheduledReport(d.h.services, { timezone: 'Europe/Berlin' }))!;
    expect(report).toMatchObject({ deliveryState: 'pending', recipients: ['mia@casebook.test', 'ada@casebook.test'] });
    await d.h.services.outbox.drain();

    // Beside the breach notice itself (the escalation rules mail the assignee), one report.
    const reports = smtp.messages.filter((m) => m.mail.subject?.startsWith('SLA report'));
    expect(reports).toHaveLength(1);
    expect(smtp.messages.filter((m) => m.mail.subject?.includes('SLA breached'))).toHaveLength(1);
    const { to, mail } = reports[0]!;
    expect(to.sort()).toEqual(['ada@casebook.test', 'mia@casebook.test']);
    expect(mail.from?.value[0]).toMatchObject({ name: 'Casebook', address: 'casebook@example.test' });
    expect(mail.subject).toBe('SLA report 2026-03-02 12:00 – 2026-03-03 12:00 (Europe/Berlin): 1 breach, 1 escalation');
    expect(mail.text).toContain('Breaches: 1');
    // The link opens the report's page in the console for a manager signed in with a browser (the API wants a token).
    const link = new RegExp(`^https?://\\S+(/manage/reports/sla/${report.id})$`, 'm').exec(mail.text ?? '');
    expect(link, mail.text).not.toBeNull();
    const page = await signedIn(d.h, d.h.agent({ name: 'Nia', email: 'nia@casebook.test', role: 'manager' })).get(link![1]!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`SLA escalation report ${report.id}`);
    expect(mail.html).toContain('<h1>SLA escalation report</h1>');
    expect(mail.attachments).toHaveLength(1);
    const csv = mail.attachments[0]!;
    expect(csv.filename).toBe(`sla-report-2026-03-03-${report.id}.csv`);
    expect(csv.contentType).toBe('text/csv');
    // For people, who open it in a spreadsheet: a UTF-8 byte order mark, then the stored CSV.
    expect([...csv.content.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = csv.content.subarray(3).toString('utf8');
    expect(text).toBe(report.csv);
    expect(text).toContain(`"breach","${id}","Export, ""CSV"" question","general",`);

    const stored = (await d.call('GET', `/api/v1/reports/${report.id}`)).json;
    expect(stored.delivery).toMatchObject({ state: 'sent', attempts: 1, error: null, deliveredAt: berlin('2026-03-03T12:00') });
  });

  it('names the attachment for the last day of the period, not the day its exclusive end falls on', async () => {
    // A daily report at midnight: the period is Monday 00:00 – Tuesday 00:00 (Berlin).
    d.h.clock.set(berlin('2026-03-03T00:00'));
    const report = (await runScheduledReport(d.h.services, { timezone: 'Europe/Berlin' }))!;
    expect(report).toMatchObject({ periodStart: Date.parse(berlin('2026-03-02T00:00')), periodEnd: Date.parse(berlin('2026-03-03T00:00')) });
    await d.h.services.outbox.drain();
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.mail.attachments[0]!.filename).toBe(`sla-report-2026-03-02-${report.id}.csv`);
  });

  it('retries a failed delivery with back-off, showing the error until it is sent', async () => {
    smtp.refuse(2);
    const report = await createReport(d.h.services, { from: Date.parse(berlin('2026-03-02T00:00')), to: Date.parse(berlin('2026-03-03T00:00')), trigger: 'manual' });
    await d.h.services.outbox.drain();
    let stored = (await d.call('GET', `/api/v1/reports/${report.id}`)).json;
    expect(stored.delivery).toMatchObject({ state: 'pending', attempts: 1, error: expect.stringContaining('Mailbox busy') });
    expect(smtp.messages).toHaveLength(0);

    await d.h.services.outbox.drain(); // not due yet: the back-off holds it
    expect((await d.call('GET', `/api/v1/reports/${report.id}`)).json.delivery.attempts).toBe(1);

    d.h.clock.advance(30_000);
    await d.h.services.outbox.drain();
    expect((await d.call('GET', `/api/v1/reports/${report.id}`)).json.delivery).toMatchObject({ state: 'pending', attempts: 2 });
    d.h.clock.advance(60_000);
    await d.h.services.outbox.drain();
    stored = (await d.call('GET', `/api/v1/reports/${report.id}`)).json;
    expect(stored.delivery).toMatchObject({ state: 'sent', attempts: 3, error: null });
    expect(smtp.messages).toHaveLength(1);
  });

  it('marks the delivery failed when the outbox gives up, and sends it again on request', async () => {
    smtp.refuse(MAX_ATTEMPTS);
    const report = await createReport(d.h.services, { from: Date.parse(berlin('2026-03-02T00:00')), to: Date.parse(berlin('2026-03-03T00:00')), trigger: 'manual' });
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await d.h.services.outbox.drain();
      d.h.clock.advance(3_600_000);
    }
    const failed = (await d.call('GET', `/api/v1/reports/${report.id}`)).json;
    expect(failed.delivery).toMatchObject({ state: 'failed', attempts: MAX_ATTEMPTS, error: expect.stringContaining('Mailbox busy') });
    const item = (await d.h.get<{ attempts: number; failedAt: number | null }>(`SELECT attempts, failed_at AS "failedAt" FROM outbox WHERE type = 'report.deliver'`))!;
    expect(item.attempts).toBe(MAX_ATTEMPTS);
    expect(item.failedAt).not.toBeNull();

    const again = await d.call('POST', `/api/v1/reports/${report.id}/deliver`);
    expect(again).toMatchObject({ status: 202, json: { delivery: { state: 'pending' } } });
    await d.h.services.outbox.idle();
    await d.h.services.outbox.drain();
    expect((await d.call('GET', `/api/v1/reports/${report.id}`)).json.delivery).toMatchObject({ state: 'sent', attempts: MAX_ATTEMPTS + 1 });
    expect(smtp.messages).toHaveLength(1);
  });
});
