/**
 * Alerts that must reach someone even when no agent has the case: SLA warnings and breaches
 * of unassigned cases go to the queue's managers (or all managers), and cases waiting too
 * long in a queue alert them too — exactly once per case, waiting spell and threshold.
 * Mail goes through the real notification outbox to a real SMTP server.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertLongWaits } from '../../src/assignment/wait-alerts.js';
import { loadCase, timeline } from '../../src/cases/case-read.js';
import { createCase } from '../../src/cases/create-case.js';
import { reassignCase } from '../../src/cases/reassign-case.js';
import { loadConfig } from '../../src/config.js';
import { createMailer, type Mailer } from '../../src/notifications/mailer.js';
import { createServicesOn } from '../../src/compose.js';
import { runSlaSweep } from '../../src/sla/run-sweep.js';
import { updateQueue } from '../../src/team/queues.js';
import { ADMIN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { startSmtp, type Inbox } from '../support/smtp.js';

let smtp: Inbox;
let mailer: Mailer;
let h: Harness;
let mia: TestActor;
const MIN = 60_000;

beforeEach(async () => {
  smtp = await startSmtp();
  mailer = createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <casebook@example.com>');
  h = createHarness({ services: { mailer, publicUrl: 'https://help.example.com', queueWaitAlertMinutes: 30 } });
  standardQueues(h);
  // Nobody can take general-queue cases: Alice is away. Mia manages the general queue; Max manages no queue.
  h.agent({ name: 'Alice', email: 'alice@casebook.test', queues: ['general'], available: false });
  mia = h.agent({ name: 'Mia', email: 'mia@casebook.test', role: 'manager', queues: ['general'], available: false });
  h.agent({ name: 'Max', email: 'max@casebook.test', role: 'manager', queues: [], available: false });
});
afterEach(async () => {
  h.close();
  mailer.close();
  await smtp.close();
});

let n = 0;
async function intake(input: { subject?: string; priority?: 'urgent' | 'high' | 'normal' | 'low'; tier?: string } = {}) {
  n++;
  return createCase(
    h.services,
    {
      customer: { email: `c${n}@example.com`, ...(input.tier ? { tier: input.tier } : {}) },
      subject: input.subject ?? 'Account question',
      description: 'How do I rename my workspace?',
      ...(input.priority ? { priority: input.priority } : {}),
    },
    ADMIN,
  );
}

const mails = (subject: string) => smtp.messages.filter((m) => m.mail.subject?.includes(subject));
const sent = async (caseId: number, template: string) => (await timeline(h.services, caseId)).filter((e) => e.type === 'notification.sent' && e.data.template === template).map((e) => e.data);

async function dueAt(caseId: number, metric: string): Promise<number> {
  return (await h.get<{ due_at: number }>('SELECT due_at FROM sla_timers WHERE case_id = ? AND metric = ?', caseId, metric))!.due_at;
}

describe('SLA alerts on unassigned cases', () => {
  it('a warning reaches the managers of the queue instead of "no recipients"', async () => {
    const c = await intake();
    expect(await loadCase(h.services, c.id)).toMatchObject({ queueId: 'general', assigneeId: null });
    h.clock.advanceMinutes(8 * 60 * 0.8 + 1);
    await runSlaSweep(h.services);
    await h.services.outbox.drain();

    const warning = mails('SLA at risk');
    expect(warning).toHaveLength(1);
    expect(warning[0]!.to).toEqual(['mia@casebook.test']);
    expect(warning[0]!.mail.subject).toBe(`[C-${c.id}] SLA at risk: Account question`);
    expect(await sent(c.id, 'sla-warning')).toEqual([
      { template: 'sla-warning', to: 'assignee', fallback: 'queue managers', recipients: ['mia@casebook.test'], delivered: true },
    ]);
  });

  it('an urgent enterprise case breaching in a full tier-2 queue is not silent: all managers hear of it', async () => {
    const dana = h.agent({ name: 'Dana', email: 'dana@casebook.test', role: 'advanced', queues: ['advanced'], capacity: 1 });
    const first = await intake({ subject: 'Outage', priority: 'urgent', tier: 'enterprise' });
    expect(await loadCase(h.services, first.id)).toMatchObject({ queueId: 'advanced', assigneeId: dana.id });
    const c = await intake({ subject: 'Outage again', priority: 'urgent', tier: 'enterprise' });
    expect(await loadCase(h.services, c.id)).toMatchObject({ queueId: 'advanced', tier: 2, assigneeId: null });

    h.clock.set((await dueAt(c.id, 'firstResponse')) + MIN);
    await runSlaSweep(h.services);
    await h.services.outbox.drain();

    const breach = mails(`[C-${c.id}] SLA breached`);
    expect(breach).toHaveLength(1);
    expect(breach[0]!.to.sort()).toEqual(['max@casebook.test', 'mia@casebook.test']);
    expect(breach[0]!.mail.text).toContain('breached its SLA');
    expect(await sent(c.id, 'sla-breached')).toEqual([
      { template: 'sla-breached', to: 'assignee', fallback: 'managers', recipients: expect.arrayContaining(['max@casebook.test', 'mia@casebook.test']), delivered: true },
    ]);
    // Dana's own case breached too: the notice goes to her, the assignee.
    expect(mails(`[C-${first.id}] SLA breached`).map((m) => m.to)).toEqual([['dana@casebook.test']]);
  });
});

describe('cases waiting too long in a queue', () => {
  it('alert the queue managers once the queue threshold passes, exactly once across sweeps and restarts', async () => {
    await updateQueue(h.services, 'general', { name: 'General', tier: 1, waitAlertMinutes: 15 }, mia);
    const c = await intake({ priority: 'high' });
    expect(c.waitingSince).toBe(h.clock.now());

    h.clock.advanceMinutes(14);
    expect((await runSlaSweep(h.services)).waiting).toMatchObject({ alerted: 0 });
    h.clock.advanceMinutes(2);
    expect((await runSlaSweep(h.services)).waiting).toEqual({ alerted: 1, skipped: 0, cases: [`C-${c.id}`] });
    await h.services.outbox.drain();

    const waiting = mails('Waiting for an agent');
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.to).toEqual(['mia@casebook.test']);
    expect(waiting[0]!.mail.subject).toBe(`[C-${c.id}] Waiting for an agent in general: Account question`);
    // Since when, as people read it (mia set no zone on her profile: UTC, named), not an ISO string.
    expect(waiting[0]!.mail.text).toMatch(/Waiting since [A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} 20\d\d, \d\d:\d\d \(UTC\) \(the queue alerts after 15 min\)/);
    const alerts = (await timeline(h.services, c.id)).filter((e) => e.type === 'case.waitAlerted');
    expect(alerts.map((e) => e.data)).toEqual([{ queue: 'general', waitingSince: c.waitingSince, waitedMinutes: 16, thresholdMinutes: 15 }]);

    // Later sweeps, and a restarted server on the same database, do not alert again.
    h.clock.advanceMinutes(60);
    expect((await runSlaSweep(h.services)).waiting.alerted).toBe(0);
    const restarted = await createServicesOn(h.services.store, h.clock, { queueWaitAlertMinutes: 30 }); // nothing of the first one's memory
    expect((await alertLongWaits(restarted)).alerted).toBe(0);
    restarted.outbox.stop();
    await h.services.outbox.drain();
    expect(mails('Waiting for an agent')).toHaveLength(1);
    expect((await timeline(h.services, c.id)).filter((e) => e.type === 'case.waitAlerted')).toHaveLength(1);
  });

  it('use the server default where the queue has no setting; 0 turns alerts off; a new waiting spell alerts again', async () => {
    const c = await intake();
    h.clock.advanceMinutes(29);
    expect((await runSlaSweep(h.services)).waiting.alerted).toBe(0);
    h.clock.advanceMinutes(1);
    expect((await runSlaSweep(h.services)).waiting.alerted).toBe(1);

    // A stricter threshold is a new threshold: alerted once more.
    await updateQueue(h.services, 'general', { name: 'General', tier: 1, waitAlertMinutes: 10 }, mia);
    expect((await runSlaSweep(h.services)).waiting).toMatchObject({ alerted: 1, cases: [`C-${c.id}`] });
    expect((await runSlaSweep(h.services)).waiting.alerted).toBe(0);

    // Moved to billing (nobody there either): a new waiting spell, alerted after billing's threshold.
    await reassignCase(h.services, c.id, { queue: 'billing', reason: 'Billing question after all' }, mia);
    expect(await loadCase(h.services, c.id)).toMatchObject({ queueId: 'billing', assigneeId: null });
    h.clock.advanceMinutes(31);
    expect((await runSlaSweep(h.services)).waiting.alerted).toBe(1);

    await updateQueue(h.services, 'billing', { name: 'Billing', tier: 1, waitAlertMinutes: 0 }, mia);
    const quiet = await intake({ subject: 'Invoice', priority: 'low' });
    expect((await loadCase(h.services, quiet.id)).queueId).toBe('billing');
    h.clock.advanceMinutes(600);
    const run = await runSlaSweep(h.services);
    expect(run.waiting.cases).not.toContain(`C-${quiet.id}`);
    expect((await timeline(h.services, quiet.id)).filter((e) => e.type === 'case.waitAlerted')).toHaveLength(0);
  });

  it('QUEUE_WAIT_ALERT_MINUTES sets the server default (30 when unset, 0 for never)', () => {
    expect(loadConfig({}).queueWaitAlertMinutes).toBe(30);
    expect(loadConfig({ QUEUE_WAIT_ALERT_MINUTES: '0' }).queueWaitAlertMinutes).toBe(0);
    expect(loadConfig({ QUEUE_WAIT_ALERT_MINUTES: '45' }).queueWaitAlertMinutes).toBe(45);
    expect(() => loadConfig({ QUEUE_WAIT_ALERT_MINUTES: 'soon' })).toThrow(/QUEUE_WAIT_ALERT_MINUTES/);
  });
});
