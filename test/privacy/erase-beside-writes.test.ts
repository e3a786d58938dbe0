/**
 * Erasing a customer while other writes are still at work on their cases. On PostgreSQL write
 * transactions run side by side: a mail handler that has marked its item done, or found it still
 * pending after a failed attempt, and a command adding to the timeline, commit while the erasure
 * runs. What they wrote names the customer (the address a mail went to, their words): the erasure
 * must wait for them and erase it too, not leave it behind (CI once found the address of a mail
 * sent during an erasure in its timeline entry). SQLite runs one write transaction at a time; what
 * it shares with PostgreSQL is the drain's side: a failed attempt on an item the erasure closed
 * while its mail was in flight writes no error back.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import { itemPending, markItemDone } from '../../src/outbox/dialect.js';
import type { Handle } from '../../src/db/store/index.js';
import { createMailer } from '../../src/notifications/mailer.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';
import { startSmtp, type Inbox } from '../support/smtp.js';

const ADDRESS = 'quinn.v8rt@example.com';
const WORDS = 'the v8rt serial number';

async function caseOf(h: Harness, email: string): Promise<{ customerId: number; caseId: number }> {
  const customer = h.customer({ email, name: 'Quinn' });
  const c = await createCase(h.services, { subject: 'Router', description: `About ${WORDS}.` }, customer, { customerId: customer.id });
  return { customerId: customer.id, caseId: c.id };
}

/** An outbox item about the case that no drain takes (due in a year): the one a handler holds below. */
async function itemOn(h: Harness, caseId: number): Promise<number> {
  const now = h.clock.now();
  const [row] = await h.services.store.write((q) =>
    q.db.insert(q.tables.outbox).values({ type: 'notification.send', caseId, payload: { to: 'customer', template: 'case-received' }, createdAt: now, availableAt: now + 365 * 86_400_000 }).returning({ id: q.tables.outbox.id }),
  );
  return row!.id;
}

/** Runs `fn` in a write transaction that stays open until the returned `release` is called. */
async function heldWrite(h: Harness, fn: (q: Handle) => Promise<void>): Promise<{ release: () => void; done: Promise<void> }> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let written!: () => void;
  const ready = new Promise<void>((resolve) => (written = resolve));
  const done = h.services.store.write(async (q) => {
    await fn(q);
    written();
    await held;
  });
  await Promise.race([ready, done]);
  return { release, done };
}

/** Sessions of this database waiting for a lock another holds. */
async function waitingForLocks(h: Harness): Promise<number> {
  return (await h.query((q) => q.get<{ n: number }>(sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)))!.n;
}

/** Erases the customer while `held`'s transaction is open: the erasure waits for a lock it holds, then ends once it commits. */
async function eraseBeside(h: Harness, customerId: number, held: { release: () => void; done: Promise<void> }): Promise<void> {
  const erasure = h.api('POST', `/api/v1/customers/${customerId}/erase`, { token: ADMIN_TOKEN });
  await expect.poll(() => waitingForLocks(h), { timeout: 10_000 }).toBeGreaterThan(0);
  held.release();
  await held.done;
  expect((await erasure).status).toBe(200);
}

async function timelineText(h: Harness, caseId: number): Promise<string> {
  return JSON.stringify(await h.all('SELECT type, data FROM case_events WHERE case_id = ? ORDER BY id', caseId));
}

describe.runIf(ON_POSTGRES)('erasing a customer while another transaction writes on their case', () => {
  let h: Harness;
  beforeAll(() => {
    h = createHarness();
    standardQueues(h);
  });
  afterAll(() => h.close());

  const handlers: [string, (q: Handle, id: number, now: number) => Promise<boolean>][] = [
    ['a mail handler that marked its item done', (q, id, now) => markItemDone(q, id, now)],
    ['a mail handler recording a failed attempt on an item still pending', (q, id) => itemPending(q, id, `550 mailbox unavailable: ${ADDRESS}`)],
  ];

  it.each(handlers)('waits for %s, and erases the address its timeline entry names', async (_name, claim) => {
    const { customerId, caseId } = await caseOf(h, ADDRESS);
    const item = await itemOn(h, caseId);
    const handler = await heldWrite(h, async (q) => {
      expect(await claim(q, item, h.clock.now())).toBe(true);
      await q.db.insert(q.tables.caseEvents).values({ caseId, type: 'notification.sent', at: h.clock.now(), actorType: 'system', actorId: null, data: { template: 'case-received', to: [ADDRESS] } });
    });
    await eraseBeside(h, customerId, handler);
    const timeline = await timelineText(h, caseId);
    expect(timeline).toContain('notification.sent');
    expect(timeline).not.toContain(ADDRESS);
    expect(JSON.stringify(await h.all('SELECT payload, last_error FROM outbox WHERE id = ?', item))).not.toContain(ADDRESS);
  });

  it('waits for a note being added to the case, and erases its words', async () => {
    const { customerId, caseId } = await caseOf(h, 'quinn.note.v8rt@example.com');
    const note = await heldWrite(h, async (q) => {
      await q.db.insert(q.tables.caseEvents).values({ caseId, type: 'staff.noted', at: h.clock.now(), actorType: 'system', actorId: null, data: { body: `Quinn read us ${WORDS} again.` } });
    });
    await eraseBeside(h, customerId, note);
    const timeline = await timelineText(h, caseId);
    expect(timeline).toContain('staff.noted');
    expect(timeline).not.toContain(WORDS);
  });

  it('lets a handler that comes after the erasure record nothing', async () => {
    const { customerId, caseId } = await caseOf(h, 'quinn.late.v8rt@example.com');
    const item = await itemOn(h, caseId);
    expect((await h.api('POST', `/api/v1/customers/${customerId}/erase`, { token: ADMIN_TOKEN })).status).toBe(200);
    await h.services.store.write(async (q) => {
      expect(await markItemDone(q, item, h.clock.now())).toBe(false);
      expect(await itemPending(q, item, 'failed')).toBe(false);
    });
    expect((await h.all<{ last_error: string | null }>('SELECT last_error FROM outbox WHERE id = ?', item))[0]!.last_error).toBeNull();
  });
});

describe('a mail in flight when its case is erased', () => {
  let h: Harness;
  let smtp: Inbox;
  beforeAll(async () => {
    smtp = await startSmtp();
    h = createHarness({ services: { mailer: createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <casebook@test>') } });
    standardQueues(h);
  });
  afterAll(async () => {
    h.close();
    await smtp.close();
  });

  it('that fails afterwards writes no error on the item the erasure closed (a refusal can quote the address)', async () => {
    smtp.hold();
    const { customerId, caseId } = await caseOf(h, 'quinn.flight.v8rt@example.com');
    // A reply to the customer: its mail goes out through the outbox, and the mail server holds it.
    expect((await h.api('POST', `/api/v1/cases/C-${caseId}/messages`, { token: ADMIN_TOKEN, body: { body: 'Which model is it?', public: true } })).status).toBe(201);
    const drained = h.services.outbox.drain();
    await expect.poll(() => smtp.held(), { timeout: 10_000 }).toBe(1);
    const [item] = await h.all<{ id: number }>("SELECT id FROM outbox WHERE case_id = ? AND locked_by IS NOT NULL", caseId);
    expect((await h.api('POST', `/api/v1/customers/${customerId}/erase`, { token: ADMIN_TOKEN })).status).toBe(200);
    smtp.refuse(1, 550);
    smtp.release();
    await drained;
    const [row] = await h.all<{ done_at: unknown; failed_at: unknown; last_error: string | null; payload: unknown }>('SELECT done_at, failed_at, last_error, payload FROM outbox WHERE id = ?', item!.id);
    expect(row).toMatchObject({ failed_at: null, last_error: null });
    expect(row!.done_at).not.toBeNull();
    expect(await timelineText(h, caseId)).not.toContain('quinn.flight');
  });
});
