/**
 * A new case's mail items that can be performed inside a transaction (a notification without
 * SMTP_URL) are performed in the intake's own transaction (src/outbox/perform-now.ts): no
 * second transaction of the drain, the outbox's guarantees unchanged.
 */
import { and, asc, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import type { Db } from '../../src/db/client.js';
import type { OutboxHandler } from '../../src/outbox/outbox.js';
import { sendNotification } from '../../src/notifications/send-notification.js';
import { ADMIN, ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';

let h: Harness;
afterEach(() => h.close());

async function desk(handler?: OutboxHandler): Promise<Harness> {
  h = createHarness(handler ? { services: { outboxHandlers: [['notification.send', handler]] } } : {});
  standardQueues(h);
  h.agent({ queues: ['general'] });
  const now = h.clock.now();
  await h.services.store.write((q) =>
    q.db.insert(q.tables.problems).values({ title: 'Charged twice', symptoms: 'charged twice, double charge', synonyms: 'billed 2 times', solution: 'Wait 3 business days.', createdAt: now, updatedAt: now }),
  );
  return h;
}

const input = { customer: { email: 'c@example.com', name: 'Chloe' }, subject: 'Billed 2 times', description: 'I was billed 2 times.' };

interface ItemRow {
  type: string;
  attempts: number;
  done_at: number | null;
  locked_by: string | null;
  payload: Record<string, unknown>;
}

const items = (caseId: number): Promise<ItemRow[]> =>
  h.query((q) => {
    const t = q.tables.outbox;
    return q.db.select({ type: t.type, attempts: t.attempts, done_at: t.doneAt, locked_by: t.lockedBy, payload: t.payload }).from(t).where(eq(t.caseId, caseId)).orderBy(asc(t.id));
  });
const sent = async (caseId: number) =>
  (
    await h.query((q) => {
      const t = q.tables.caseEvents;
      return q.db.select({ data: t.data }).from(t).where(and(eq(t.caseId, caseId), eq(t.type, 'notification.sent'))).orderBy(asc(t.id));
    })
  ).map((r) => r.data);

describe('the intake’s notification in the intake’s transaction', () => {
  // SQLite only: handlers' `inTransaction` works on SQLite's synchronous connection; on PostgreSQL every item is left to the drain (src/outbox/pg.ts).
  it.skipIf(ON_POSTGRES)('is performed and marked done when the case commits, leaving the drain nothing to do', async () => {
    await desk();
    const row = await createCase(h.services, input, ADMIN);
    const [item] = await items(row.id);
    expect(item).toMatchObject({ type: 'notification.send', attempts: 1, locked_by: null });
    expect(item!.payload).toMatchObject({ to: 'customer', template: 'solution-offered' });
    expect(item!.done_at).toBe(h.clock.now());
    expect(await sent(row.id)).toEqual([{ template: 'solution-offered', to: 'customer', recipients: ['c@example.com'], delivered: false, reason: 'SMTP_URL is not set' }]);
    expect(await h.services.outbox.drain()).toEqual({ done: 0, failed: 0 });
    expect(await sent(row.id)).toHaveLength(1);
  });

  it('leaves the item to the drain when the handler cannot work in a transaction', async () => {
    const calls: string[] = [];
    const later: OutboxHandler = Object.assign(async (services: Parameters<OutboxHandler>[0], item: Parameters<OutboxHandler>[1]) => {
      calls.push('drain');
      await sendNotification(services, item);
    }, { inTransaction: () => false });
    await desk(later);
    const row = await createCase(h.services, input, ADMIN);
    expect(await items(row.id)).toMatchObject([{ type: 'notification.send', attempts: 0, done_at: null }]);
    expect(await sent(row.id)).toEqual([]);
    expect(await h.services.outbox.drain()).toEqual({ done: 1, failed: 0 });
    expect(calls).toEqual(['drain']);
    expect(await items(row.id)).toMatchObject([{ attempts: 1, done_at: h.clock.now() }]);
    expect(await sent(row.id)).toHaveLength(1);
  });

  // SQLite only: handlers' `inTransaction` works on SQLite's synchronous connection; on PostgreSQL every item is left to the drain (src/outbox/pg.ts).
  it.skipIf(ON_POSTGRES)('keeps the case when the handler fails there: its writes roll back and the drain retries the item', async () => {
    let failing = true;
    const flaky: OutboxHandler = Object.assign((services: Parameters<OutboxHandler>[0], item: Parameters<OutboxHandler>[1]) => sendNotification(services, item), {
      inTransaction: (services: Parameters<OutboxHandler>[0], item: Parameters<OutboxHandler>[1], db: Db): boolean => {
        const ok = sendNotification.inTransaction!(services, item, db); // writes its entry and marks it done…
        if (failing) throw new Error('template store unavailable'); // …then fails: all of it rolls back
        return ok;
      },
    });
    await desk(flaky);
    const row = await createCase(h.services, input, ADMIN);
    expect(await h.get('SELECT count(*) AS n FROM cases WHERE id = ?', row.id)).toEqual({ n: 1 });
    expect(await items(row.id)).toMatchObject([{ attempts: 0, done_at: null, locked_by: null }]);
    expect(await sent(row.id)).toEqual([]);
    failing = false;
    expect(await h.services.outbox.drain()).toEqual({ done: 1, failed: 0 });
    expect(await sent(row.id)).toHaveLength(1);
  });
});

describe('the drain after an intake over HTTP', () => {
  const post = async () => {
    const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: input });
    expect(res.status).toBe(201);
    return Number(String(((await res.json()) as { id: string }).id).replace(/\D/g, ''));
  };

  // SQLite only: handlers' `inTransaction` works on SQLite's synchronous connection; on PostgreSQL every item is left to the drain (src/outbox/pg.ts).
  it.skipIf(ON_POSTGRES)('is not started when the intake’s transaction performed its mail and left nothing due', async () => {
    await desk();
    const kick = vi.spyOn(h.services.outbox, 'kick');
    const id = await post();
    expect(kick).not.toHaveBeenCalled();
    expect(await items(id)).toMatchObject([{ type: 'notification.send', attempts: 1, done_at: h.clock.now() }]);
    expect(await sent(id)).toHaveLength(1);
  });

  it('is started when the intake left its mail due, and performs it', async () => {
    const later: OutboxHandler = Object.assign((services: Parameters<OutboxHandler>[0], item: Parameters<OutboxHandler>[1]) => sendNotification(services, item), { inTransaction: () => false });
    await desk(later);
    const kick = vi.spyOn(h.services.outbox, 'kick');
    const id = await post();
    expect(kick).toHaveBeenCalled();
    await h.services.outbox.idle();
    expect(await items(id)).toMatchObject([{ type: 'notification.send', attempts: 1, done_at: h.clock.now() }]);
    expect(await sent(id)).toHaveLength(1);
  });

  it('is started when older work is due, whoever left it, and performs it', async () => {
    await desk();
    const first = await post();
    await h.services.outbox.idle(); // PostgreSQL: the drain the intake started performs its mail
    // Another case's mail, due now and not performed (as a failed attempt's retry once its time has come).
    await h.run('UPDATE outbox SET done_at = NULL, attempts = 1 WHERE case_id = ?', first);
    const kick = vi.spyOn(h.services.outbox, 'kick');
    const second = await post();
    expect(kick).toHaveBeenCalled();
    await h.services.outbox.idle();
    expect(await items(first)).toMatchObject([{ attempts: 2, done_at: h.clock.now() }]);
    expect(await sent(first)).toHaveLength(2); // performed again by the drain the second intake started
    expect(await sent(second)).toHaveLength(1);
  });

  // SQLite only: on PostgreSQL the new intake's own mail is due, so every intake starts the drain.
  it.skipIf(ON_POSTGRES)('is not started for work scheduled later, and is once its time has come', async () => {
    await desk();
    const first = await post();
    await h.run('UPDATE outbox SET done_at = NULL, attempts = 1, available_at = ? WHERE case_id = ?', h.clock.now() + 60_000, first);
    const kick = vi.spyOn(h.services.outbox, 'kick');
    await post();
    expect(kick).not.toHaveBeenCalled();
    h.clock.advance(60_000);
    await post();
    expect(kick).toHaveBeenCalledTimes(1);
    await h.services.outbox.idle();
    expect(await items(first)).toMatchObject([{ attempts: 2, done_at: h.clock.now() }]);
    expect(await sent(first)).toHaveLength(2);
  });
});
