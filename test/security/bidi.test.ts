/**
 * Bidi spoofing: RLO, LRO, RLE, LRE, PDF and the isolates (LRI, RLI, FSI, PDI) in customer
 * and staff names, subjects, descriptions, messages, notes, solutions and reasons never reach
 * what people see — every page and fragment (as a customer, an agent and a manager), the SLA
 * report (HTML and CSV), CSV downloads and mails — while the text itself does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../src/auth/sessions.js';
import { addMessage } from '../../src/cases/add-message.js';
import { createCase } from '../../src/cases/create-case.js';
import { rateCase } from '../../src/cases/rate-case.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { createMailer, type Mailer } from '../../src/notifications/mailer.js';
import { createReport } from '../../src/reports/create-report.js';
import { runSlaSweep } from '../../src/sla/run-sweep.js';
import { markChurn } from '../../src/team/churn.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { startSmtp, type Inbox } from '../support/smtp.js';

const RLO = '\u202E';
const CONTROLS = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'];
const ANY_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
/** "invoice.exe" that shows as "invoice.pdf"-like, plus every other control. */
const spoof = (i: number) => `report${RLO}gnp.exe ${CONTROLS[i % CONTROLS.length]}x${i}${CONTROLS[(i + 4) % CONTROLS.length]}`;

let h: Harness;
let smtp: Inbox;
let mailer: Mailer;
let customer: TestActor;
let agent: TestActor;
let manager: TestActor;
let caseRef: string;

beforeAll(async () => {
  smtp = await startSmtp();
  mailer = createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <casebook@example.com>');
  h = createHarness({ services: { mailer } });
  standardQueues(h);
  agent = h.agent({ name: `Agent ${spoof(1)}`, email: 'agent@casebook.test', queues: ['general', 'billing', 'technical'] });
  manager = h.agent({ name: `Manager ${spoof(2)}`, email: 'mia@casebook.test', role: 'manager' });
  customer = h.customer({ email: 'chloe@example.com', name: `Chloe ${spoof(3)}`, organization: `Org ${spoof(4)}` });
  const c = await createCase(h.services, { subject: `Subject ${spoof(5)}`, description: `Description ${spoof(6)}` }, customer, { customerId: customer.id });
  caseRef = `C-${c.id}`;
  await addMessage(h.services, c.id, { body: `Customer says ${spoof(7)}`, public: true }, customer);
  await addMessage(h.services, c.id, { body: `Agent replies ${spoof(8)}`, public: true }, agent);
  await addMessage(h.services, c.id, { body: `Note ${spoof(0)}`, public: false }, agent);
  await transitionCase(h.services, c.id, { transition: 'resolve', solution: `Solution ${spoof(1)}` }, agent);
  await rateCase(h.services, c.id, { satisfied: true, comment: `Comment ${spoof(2)}` }, customer);
  const second = await createCase(h.services, { subject: `Second ${spoof(3)}`, description: `Text ${spoof(4)}` }, customer, { customerId: customer.id });
  await transitionCase(h.services, second.id, { transition: 'escalate', reason: `Reason ${spoof(5)}` }, agent);
  await createCase(h.services, { subject: `Waiting ${spoof(7)}`, description: `Open ${spoof(8)}` }, customer, { customerId: customer.id }); // warned → mail
  await markChurn(h.services, customer.id, { churned: true, at: h.clock.now(), note: `Churn ${spoof(6)}` }, manager);
  h.clock.advanceMinutes(390); // past the warning (80% of 8 business hours), before the breach
  await runSlaSweep(h.services);
  // After the drain a command kicked (on PostgreSQL beside this one, holding its items), the rest.
  await h.services.outbox.idle();
  await h.services.outbox.drain();
});
afterAll(async () => {
  h.close();
  mailer.close();
  await smtp.close();
});

function concrete(path: string, report: number): string {
  return path
    .replace('/cases/:id', `/cases/${caseRef}`)
    .replace('/rules/:name/dry-runs/:id', '/rules/routing')
    .replace('/rules/:name', '/rules/routing')
    .replace('/workflows/:name', '/workflows/support')
    .replace(':version', '2')
    .replace('/queues/:id', '/queues/general')
    .replace('/staff/:id', `/staff/${agent.id}`)
    .replace('/problems/:id', '/problems/1')
    .replace('/customers/:id', `/customers/${customer.id}`)
    .replace('/reports/csv/:name', '/reports/csv/backlog')
    .replace(/\/reports\/sla\/:id/, `/reports/sla/${report}`);
}

describe('bidi controls in user text', () => {
  it('never reach a page, fragment or download, for customers, agents and managers; the text does', async () => {
    const report = await createReport(h.services, { from: h.clock.now() - 3 * 86_400_000, to: h.clock.now() + 1, trigger: 'manual' });
    const urls = new Set<string>();
    for (const r of h.app.routes) if (r.method === 'GET' && !r.path.startsWith('/api/') && !r.path.startsWith('/assets/') && r.path !== '/health') urls.add(concrete(r.path, report.id));
    urls.add(`/manage/reports/drill.csv?metric=processing`);
    urls.add(`/manage/team/customers?q=${encodeURIComponent(`Chloe ${spoof(3)}`)}`);
    urls.add(`/inbox?tag=${encodeURIComponent(spoof(0))}`);
    const found: string[] = [];
    let checked = 0;
    let sawText = 0;
    for (const actor of [customer, agent, manager]) {
      const session = await h.services.store.write((q) => createSession(q, { type: actor.type as 'staff' | 'customer', id: actor.id }, h.clock.now()));
      for (const url of urls) {
        for (const htmx of [false, true]) {
          const res = await h.app.request(`http://localhost${url}`, { headers: { Cookie: `casebook_session=${session.id}`, ...(htmx ? { 'HX-Request': 'true' } : {}) } });
          const body = await res.text();
          checked++;
          if (ANY_CONTROL.test(body)) found.push(`${actor.type} ${htmx ? 'fragment' : 'page'} ${url}`);
          if (body.includes('reportgnp.exe')) sawText++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(found).toEqual([]);
    expect(sawText).toBeGreaterThan(10);
  }, 60_000);

  it('are removed from the stored SLA report (HTML and CSV)', async () => {
    const report = await createReport(h.services, { from: h.clock.now() - 3 * 86_400_000, to: h.clock.now() + 1, trigger: 'manual' });
    expect(report.html).toContain('reportgnp.exe');
    expect(report.html).not.toMatch(ANY_CONTROL);
    expect(report.csv).toContain('reportgnp.exe');
    expect(report.csv).not.toMatch(ANY_CONTROL);
  });

  it('are removed from mails (subject and body)', () => {
    expect(smtp.messages.length).toBeGreaterThan(0);
    const withText = smtp.messages.filter((m) => `${m.mail.subject}\n${m.mail.text}`.includes('reportgnp.exe'));
    expect(withText.length).toBeGreaterThan(0);
    for (const m of smtp.messages) {
      expect(m.mail.subject ?? '').not.toMatch(ANY_CONTROL);
      expect(m.mail.text ?? '').not.toMatch(ANY_CONTROL);
    }
  });

  it('right-to-left text itself is shown as written', async () => {
    const arabic = h.customer({ email: 'salma@example.com', name: 'سلمى' });
    const c = await createCase(h.services, { subject: 'الفاتورة مرتين', description: 'שלום, invoice 42' }, arabic, { customerId: arabic.id });
    const session = await h.services.store.write((q) => createSession(q, { type: 'staff', id: manager.id }, h.clock.now()));
    const res = await h.app.request(`http://localhost/cases/C-${c.id}`, { headers: { Cookie: `casebook_session=${session.id}` } });
    const html = await res.text();
    expect(res.status, html).toBe(200);
    expect(html).toContain('الفاتورة مرتين');
    expect(html).toContain('שלום, invoice 42');
    expect(html).toContain('سلمى');
  });

  it('right-to-left text runs right to left where it is shown and typed (dir="auto", <bdi>)', async () => {
    const arabic = h.customer({ email: 'omar@example.com', name: 'عمر' });
    const subject = 'لا أستطيع الدفع!';
    const c = await createCase(h.services, { subject, description: 'تم خصم المبلغ مرتين.' }, arabic, { customerId: arabic.id });
    await addMessage(h.services, c.id, { body: 'نحن نتحقق من ذلك.', public: true }, agent);
    const page = async (actor: TestActor, url: string) => {
      const session = await h.services.store.write((q) => createSession(q, { type: actor.type as 'staff' | 'customer', id: actor.id }, h.clock.now()));
      const res = await h.app.request(`http://localhost${url}`, { headers: { Cookie: `casebook_session=${session.id}` } });
      expect(res.status, url).toBe(200);
      return res.text();
    };
    const casePage = await page(agent, `/cases/C-${c.id}`);
    expect(casePage).toContain(`<h1 dir="auto">${subject}</h1>`);
    expect(casePage).toContain('<div class="message-body" dir="auto">تم خصم المبلغ مرتين.</div>');
    expect(casePage).toContain('<div class="message-body" dir="auto">نحن نتحقق من ذلك.</div>');
    expect(casePage).toMatch(/<textarea[^>]*id="composer-body"[^>]*dir="auto"/);
    expect(await page(agent, '/inbox?view=mine')).toContain(`<bdi>${subject}</bdi>`);
    expect(await page(arabic, '/portal')).toContain(`<td class="cell-subject" data-label="Subject" dir="auto">${subject}</td>`);
    expect(await page(arabic, `/cases/C-${c.id}`)).toContain('<div class="message-body" dir="auto">نحن نتحقق من ذلك.</div>');
    // The mail of the reply: each paragraph in its own direction.
    await h.services.outbox.idle();
    await h.services.outbox.drain();
    const mail = smtp.messages.find((m) => String(m.mail.html).includes('نحن نتحقق من ذلك.'));
    expect(String(mail?.mail.html)).toContain('<p dir="auto">نحن نتحقق من ذلك.</p>');
  });
});
