/**
 * A console mailbox's default queue is a routing hint: new cases from it start there unless a
 * routing rule picks a queue; rules see it as `case.queue` and the mailbox's name as
 * `event.mailbox`; the routing record keeps both, so "why is this case here?" explains it
 * and a dry-run replays it. Mail from elsewhere (IMAP_URL, SMTP, HTTP) is routed as before.
 */
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { receiveEmail, type ReceiveEmailOptions } from '../../src/channels/email/receive-email.js';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import type { RulesetDefinition } from '../../src/rules/definition.js';
import { dryRun } from '../../src/rules/dry-run.js';
import type { Harness } from '../support/harness.js';
import { emailHarness, eventsOf, signedIn } from './support.js';

let h: Harness;
afterEach(() => h?.close());

const SALES: ReceiveEmailOptions = { via: 'imap', mailbox: 'imap://sales@mail.example.com:143/INBOX', mailboxId: undefined, mailboxName: 'Sales', defaultQueue: 'sales' };

let serial = 0;
function mail(subject: string, from = 'pat@example.com'): Buffer {
  serial += 1;
  return Buffer.from([`From: Pat <${from}>`, 'To: sales@example.com', `Subject: ${subject}`, `Message-ID: <routing-${serial}@mail.example.com>`, 'Content-Type: text/plain; charset=UTF-8', '', `About ${subject}.`, ''].join('\r\n'));
}

async function file(subject: string, options: ReceiveEmailOptions = SALES, from?: string) {
  const outcome = await receiveEmail(h.services, mail(subject, from), options);
  expect(outcome.result).toBe('created');
  const id = parseCaseRef(outcome.case!)!;
  const [row] = await h.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, id)));
  return row!;
}

async function publish(mutate: (routing: RulesetDefinition) => void): Promise<void> {
  await h.settled(); // the definitions seeded (on PostgreSQL, before the registry is read)
  const routing = structuredClone(h.services.definitions.ruleset('routing').definition);
  mutate(routing);
  await h.services.store.write((q) => h.services.definitions.createVersion(q, 'ruleset', 'routing', routing, { state: 'published', now: h.clock.now() }));
  await h.services.definitions.refresh(); // as every command that stores a version does once it has committed
}

describe("a mailbox's default queue", () => {
  it('is where a case starts when no rule routes it; a rule that routes still wins; other ways in are routed as before', async () => {
    h = emailHarness();
    h.queue('sales');
    const neutral = await file('Question about our contract');
    expect(neutral.queueId).toBe('sales');
    const billing = await file('Refund for the invoice');
    expect(billing.queueId).toBe('billing');
    const viaHttp = await file('Question about our contract', { via: 'http' }, 'sam@example.com');
    expect(viaHttp.queueId).toBe('general');

    const [routed] = await eventsOf(h, neutral.id, 'case.routed');
    expect(routed!.data).toMatchObject({ queue: 'sales', defaultQueue: 'sales', fired: [] });
    expect(neutral.routing?.input).toMatchObject({ defaultQueue: 'sales', event: { type: 'case.created', mailbox: 'Sales' } });
    const [received] = await eventsOf(h, neutral.id, 'email.received');
    expect(received!.data).toMatchObject({ mailbox: 'Sales' });
    expect(viaHttp.routing?.input).not.toHaveProperty('defaultQueue');

    // "Why is this case here?" says where the queue came from.
    const agent = signedIn(h, h.agent({ queues: ['sales'] }));
    const page = await (await agent.get(`/cases/C-${neutral.id}`)).text();
    expect(page).toContain('Came in through the mailbox Sales, whose default queue is sales');
    expect(page).toContain('None: the case went to its default queue');
  });

  it('is seen by rules: case.queue while they run, and the mailbox as event.mailbox', async () => {
    h = emailHarness();
    h.queue('sales');
    await publish((routing) => {
      routing.rules.push(
        { name: 'Sales mail is tagged', conditions: { all: [{ fact: 'case', path: '$.queue', operator: 'equal', value: 'sales' }] }, event: { type: 'addTags', params: { tags: ['sales-lead'] } } },
        { name: 'Sales mailbox asks are high', conditions: { all: [{ fact: 'event', path: '$.mailbox', operator: 'equal', value: 'Sales' }] }, event: { type: 'setPriority', params: { priority: 'high' } } },
      );
    });
    const fromSales = await file('Question about our contract');
    expect(fromSales).toMatchObject({ queueId: 'sales', priority: 'high' });
    expect(fromSales.tags).toContain('sales-lead');
    const elsewhere = await file('Question about our contract', { via: 'smtp' }, 'sam@example.com');
    expect(elsewhere).toMatchObject({ queueId: 'general', priority: 'normal' });
    expect(elsewhere.tags).not.toContain('sales-lead');
  });

  it('is replayed by dry-runs: the published rules change nothing, a draft on event.mailbox changes only that mailbox', async () => {
    h = emailHarness();
    h.queue('sales');
    await file('Question about our contract');
    await file('Refund for the invoice');
    await file('Question about our contract', { via: 'http' }, 'sam@example.com');
    const published = h.services.definitions.ruleset('routing').definition;
    const same = await dryRun(h.services, { ruleset: 'routing', draft: published, selection: { kind: 'last', count: 10 } });
    expect(same.changed).toBe(0);

    const draft = structuredClone(published);
    draft.rules.push({ name: 'Sales mailbox is urgent', conditions: { all: [{ fact: 'event', path: '$.mailbox', operator: 'equal', value: 'Sales' }] }, event: { type: 'setPriority', params: { priority: 'urgent' } } });
    const changed = await dryRun(h.services, { ruleset: 'routing', draft, selection: { kind: 'last', count: 10 } });
    expect(changed.changed).toBe(2);
    expect(changed.changes.map((c) => [c.before.queue, c.after.priority]).sort()).toEqual([['billing', 'urgent'], ['sales', 'urgent']]);
  });

  it('falls back to general, recorded, when the queue was deactivated meanwhile', async () => {
    h = emailHarness();
    h.queue('sales');
    await h.services.store.write((q) => q.db.update(q.tables.queues).set({ active: false }).where(eq(q.tables.queues.id, 'sales')));
    const c = await file('Question about our contract');
    expect(c.queueId).toBe('general');
    const [failed] = await eventsOf(h, c.id, 'rules.failed');
    expect(failed?.data).toMatchObject({ error: 'queue "sales" does not exist or is inactive; routed to general' });
  });
});
