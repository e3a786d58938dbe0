/**
 * A new case's mail items that can be performed inside a transaction (a notification without
 * SMTP_URL) are performed in the intake's own transaction (src/outbox/perform-now.ts): no
 * second transaction of the drain, the outbox's guarantees unchanged.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import type { Db } from '../../src/db/client.js';
import { problems } from '../../src/db/schema/index.js';
import type { OutboxHandler } from '../../src/outbox/outbox.js';
import { sendNotification } from '../../src/notifications/send-notification.js';
import { ADMIN, ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';

let h: Harness;
afterEach(() => h.close());

function desk(handler?: OutboxHandler): Harness {
  h = createHarness(handler ? { services: { outboxHandlers: [['notification.send', handler]] } } : {});
  standardQueues(h);
  h.agent({ queues: ['general'] });
  const now = h.clock.now();
  h.db.insert(problems).values({ title: 'Charged twice', symptoms: 'charged twice, double charge', synonyms: 'billed 2 times', solution: 'Wait 3 business days.', createdAt: now, updatedAt: now }).run();
  return h;
}

const input = { customer: { email: 'c@example.com', name: 'Chloe' }, subject: 'Billed 2 times', description: 'I was billed 2 times.' };

interface ItemRow {
  type: string;
  attempts: number;
  done_at: number | null;
  locked_by: string | null;
  payload: string;
}

const items = (caseId: number) => h.db.$client.prepare('SELECT type, attempts, done_at, locked_by, payload FROM outbox WHERE case_id = ? ORDER BY id').all(caseId) as ItemRow[];
const sent = (caseId: number) =>
  (h.db.$client.prepare(`SELECT data FROM case_events WHERE case_id = ? AND type = 'notification.sent' ORDER BY id`).all(caseId) as { data: string }[]).map((r) => JSON.parse(r.data) as Record<string, unknown>);

describe('the intake’s notification in the intake’s transaction', () => {
  it('is performed and marked done when the case commits, leaving the drain nothing to do', async () => {
    desk();
    const row = await createCase(h.services, input, ADMIN);
    const [item] = items(row.id);
    expect(item).toMatchObject({ type: 'notification.send', attempts: 1, locked_by: null });
    expect(JSON.parse(item!.payload)).toMatchObject({ to: 'customer', template: 'solution-offered' });
    expect(item!.done_at).toBe(h.clock.now());
    expect(sent(row.id)).toEqual([{ template: 'solution-offered', to: 'customer', recipients: ['c@example.com'], delivered: false, reason: 'SMTP_URL is not set' }]);
    expect(await h.services.outbox.drain()).toEqual({ done: 0, failed: 0 });
    expect(sent(row.id)).toHaveLength(1);
  });

  it('leaves the item to the drain when the handler cannot work in a transaction', async () => {
    const calls: string[] = [];
    const later: OutboxHandler = Object.assign(async (services: Parameters<OutboxHandler>[0], item: Parameters<OutboxHandler>[1]) => {
      calls.push('drain');
      await sendNotification(services, item);
    }, { inTransaction: () => false });
    desk(later);
    const row = await createCase(h.services, input, ADMIN);
    expect(items(row.id)).toMatchObject([{ type: 'notification.send', attempts: 0, done_at: null }]);
    expect(sent(row.id)).toEqual([]);
    expect(await h.services.outbox.drain()).toEqual({ done: 1, failed: 0 });
    expect(calls).toEqual(['drain']);
    expect(items(row.id)).toMatchObject([{ attempts: 1, done_at: h.clock.now() }]);
    expect(sent(row.id)).toHaveLength(1);
  });

  it('keeps the case when the handler fails there: its writes roll back and the drain retries the item', async () => {
    let failing = true;
    const flaky: OutboxHandler = Object.assign((services: Parameters<OutboxHandler>[0], item: Parameters<OutboxHandler>[1]) => sendNotification(services, item), {
      inTransaction: (services: Parameters<OutboxHandler>[0], item: Parameters<OutboxHandler>[1], db: Db): boolean => {
        const ok = sendNotification.inTransaction!(services, item, db); // writes its entry and marks it done…
        if (failing) throw new Error('template store unavailable'); // …then fails: all of it rolls back
        return ok;
      },
    });
    desk(flaky);
    const row = await createCase(h.services, input, ADMIN);
    expect(h.db.$client.prepare('SELECT count(*) AS n FROM cases WHERE id = ?').get(row.id)).toEqual({ n: 1 });
    expect(items(row.id)).toMatchObject([{ attempts: 0, done_at: null, locked_by: null }]);
    expect(sent(row.id)).toEqual([]);
    failing = false;
    expect(await h.services.outbox.drain()).toEqual({ done: 1, failed: 0 });
    expect(sent(row.id)).toHaveLength(1);
  });
});

describe('the drain after an intake over HTTP', () => {
  const post = async () => {
    const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: input });
    expect(res.status).toBe(201);
    return Number(String(((await res.json()) as { id: string }).id).replace(/\D/g, ''));
  };

  it('is not started when the intake’s transaction performed its mail and left nothing due', async () => {
    desk();
    const kick = vi.spyOn(h.services.outbox, 'kick');
    const id = await post();
    expect(kick).not.toHaveBeenCalled();
    expect(items(id)).toMatchObject([{ type: 'notification.send', attempts: 1, done_at: h.clock.now() }]);
    expect(sent(id)).toHaveLength(1);
  });

  it('is started when the intake left its mail due, and performs it', async () => {
    const later: OutboxHandler = Object.assign((services: Parameters<OutboxHandler>[0], item: Parameters<OutboxHandler>[1]) => sendNotification(services, item), { inTransaction: () => false });
    desk(later);
    const kick = vi.spyOn(h.services.outbox, 'kick');
    const id = await post();
    expect(kick).toHaveBeenCalled();
    await h.services.outbox.idle();
    expect(items(id)).toMatchObject([{ type: 'notification.send', attempts: 1, done_at: h.clock.now() }]);
    expect(sent(id)).toHaveLength(1);
  });

  it('is started when older work is due, whoever left it, and performs it', async () => {
    desk();
    const first = await post();
    // Another case's mail, due now and not performed (as a failed attempt's retry once its time has come).
    h.db.$client.prepare(`UPDATE outbox SET done_at = NULL, attempts = 1 WHERE case_id = ?`).run(first);
    const kick = vi.spyOn(h.services.outbox, 'kick');
    const second = await post();
    expect(kick).toHaveBeenCalled();
    await h.services.outbox.idle();
    expect(items(first)).toMatchObject([{ attempts: 2, done_at: h.clock.now() }]);
    expect(sent(first)).toHaveLength(2); // performed again by the drain the second intake started
    expect(sent(second)).toHaveLength(1);
  });

  it('is not started for work scheduled later, and is once its time has come', async () => {
    desk();
    const first = await post();
    h.db.$client.prepare(`UPDATE outbox SET done_at = NULL, attempts = 1, available_at = ? WHERE case_id = ?`).run(h.clock.now() + 60_000, first);
    const kick = vi.spyOn(h.services.outbox, 'kick');
    await post();
    expect(kick).not.toHaveBeenCalled();
    h.clock.advance(60_000);
    await post();
    expect(kick).toHaveBeenCalledTimes(1);
    await h.services.outbox.idle();
    expect(items(first)).toMatchObject([{ attempts: 2, done_at: h.clock.now() }]);
    expect(sent(first)).toHaveLength(2);
  });
});
