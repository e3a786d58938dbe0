/**
 * Deactivating a queue in the console (`/manage/team/queues/:id`): its open cases move to the
 * queue chosen, and cases leaving advanced support for a tier-1 queue leave the workflow's
 * escalation state through the workflow (`case.deescalated`); the mailboxes and chat sites
 * whose default queue it is are listed and take the replacement queue chosen, in the same
 * transaction; intake never lands in an inactive queue without saying so. A queue published
 * escalations need (naming it, or to its tier when it is the last of that tier) stays active.
 */
import { asc, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import { updateMailbox } from '../../src/channels/email/update-mailbox.js';
import { updateSite } from '../../src/chat/sites.js';
import { publishVersion } from '../../src/definitions/versions.js';
import { createQueue, deactivateQueue } from '../../src/team/queues.js';
import { ADMIN, ADMIN_TOKEN } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';
import { manageHarness, textOf, type ManageHarness } from './support.js';

let h: ManageHarness;
beforeEach(async () => {
  h = manageHarness({ start: '2026-03-02T08:00:00Z' });
  await h.settled();
});
afterEach(() => h.close());

const caseOf = async (id: number) =>
  (
    await h.query((q) => {
      const c = q.tables.cases;
      return q.db.select({ status: c.status, previous: c.previousStatus, queue: c.queueId, tier: c.tier, open: c.open }).from(c).where(eq(c.id, id));
    })
  )[0]!;
const entries = async (id: number, type: string) =>
  // In the order written: without ORDER BY, PostgreSQL may hand rows back in another (CI once saw the escalation after the de-escalation).
  (await h.query((q) => q.db.select({ type: q.tables.caseEvents.type, data: q.tables.caseEvents.data }).from(q.tables.caseEvents).where(eq(q.tables.caseEvents.caseId, id)).orderBy(asc(q.tables.caseEvents.id))))
    .filter((r) => r.type === type)
    .map((r) => r.data as Record<string, unknown>);

async function escalated(subject: string): Promise<number> {
  const id = await h.intake({ customer: { email: 'chloe@example.com' }, subject, description: `${subject}: it fails every time.` });
  const res = await h.api('POST', `/api/v1/cases/C-${id}/transitions`, { token: ADMIN_TOKEN, body: { transition: 'escalate', reason: 'Needs a developer' } });
  expect(res.status).toBe(200);
  await h.settled();
  return id;
}

/**
 * Publishes the shipped escalation ruleset and support workflow with `change` applied to their
 * JSON text (the escalations' targets), as a manager would before retiring a queue.
 */
async function republishEscalations(change: (json: string) => string): Promise<void> {
  for (const kind of ['ruleset', 'workflow'] as const) {
    const name = kind === 'ruleset' ? 'escalation' : 'support';
    const body = kind === 'ruleset' ? h.services.definitions.ruleset(name).definition : h.services.definitions.workflow(name).definition;
    await publishVersion(h.services, kind, name, JSON.parse(change(JSON.stringify(body))), ADMIN, 'Escalations elsewhere');
  }
}

/** Escalations to the tier-2 queue `experts` instead of advanced: advanced may go. */
async function escalateToExperts(): Promise<void> {
  await createQueue(h.services, { id: 'experts', name: 'Experts', tier: 2 }, ADMIN);
  await republishEscalations((json) => json.replaceAll('"queue":"advanced"', '"queue":"experts"'));
}

describe('deactivating a queue published escalations need', () => {
  const deactivate = () => h.as.manager.post('/manage/team/queues/advanced/deactivate', {}, { htmx: true });
  const active = async () => (await h.query((q) => q.db.select({ active: q.tables.queues.active }).from(q.tables.queues).where(eq(q.tables.queues.id, 'advanced'))))[0]!.active;

  it('is refused on the re-rendered form naming each escalation, until another queue of the tier can take them', async () => {
    // The shipped rules and workflow name advanced: deactivated, every escalation would fail.
    // The page says so before anyone tries.
    const page = textOf(await (await h.as.manager.get('/manage/team/queues/advanced')).text());
    expect(page).toContain('Published escalations need this queue: ruleset escalation, rule "Urgent enterprise cases go straight to advanced support" escalates to tier 2 in "advanced"; ');
    expect(page).toContain('Publish them without it first, or the deactivation is refused.');
    expect(textOf(await (await h.as.manager.get('/manage/team/queues/billing')).text())).not.toContain('Published escalations need this queue');
    let res = await deactivate();
    expect(res.status).toBe(422);
    expect(res.headers.get('HX-Retarget')).toBe('#deactivate-queue-form');
    let text = textOf(await res.text());
    expect(text).toContain('published escalations need this queue: ');
    for (const where of [
      'ruleset escalation, rule "Urgent enterprise cases go straight to advanced support"',
      'ruleset escalation, rule "Undiagnosed technical problems go to advanced support"',
      'ruleset escalation, rule "Breached SLAs go to advanced support"',
      'ruleset escalation, rule "Cases reopened twice go to advanced support"',
      'workflow support, transition "escalate"',
    ]) {
      expect(text).toContain(`${where} escalates to tier 2 in "advanced"`);
    }
    expect(text).toContain('publish them without it first');
    expect(await active()).toBe(true);

    // Published to tier 2 without naming a queue: advanced is still the only tier-2 queue.
    await republishEscalations((json) => json.replaceAll(',"queue":"advanced"', ''));
    res = await deactivate();
    expect(res.status).toBe(422);
    text = textOf(await res.text());
    expect(text).toContain('workflow support, transition "escalate" escalates to tier 2, and no other active queue is at tier 2');
    expect(text).not.toContain('in "advanced"');
    expect(await active()).toBe(true);

    // Another tier-2 queue takes them: advanced may go.
    await createQueue(h.services, { id: 'experts', name: 'Experts', tier: 2 }, ADMIN);
    expect(textOf(await (await h.as.manager.get('/manage/team/queues/advanced')).text())).not.toContain('Published escalations need this queue');
    res = await h.as.manager.post('/manage/team/queues/advanced/deactivate', {});
    expect(res.status).toBe(303);
    expect(await active()).toBe(false);
  });

  it('is refused while a published workflow transfers cases to it, whatever its tier', async () => {
    // The way back from advanced support names billing: deactivated, that transition would fail.
    await republishEscalations((json) =>
      json.includes('"transitions"') ? json.replace('"transitions":{', '"transitions":{"toBilling":{"from":["escalated"],"to":"open","roles":["agent","manager"],"actions":[{"action":"transfer","queue":"billing"}]},') : json,
    );
    const deactivateBilling = () => h.as.manager.post('/manage/team/queues/billing/deactivate', {}, { htmx: true });
    let res = await deactivateBilling();
    expect(res.status).toBe(422);
    expect(textOf(await res.text())).toContain('workflow support, transition "toBilling" transfers cases to "billing"');
    expect(textOf(await (await h.as.manager.get('/manage/team/queues/billing')).text())).toContain('transfers cases to "billing"');

    await republishEscalations((json) => json.replace('"queue":"billing"', '"queue":"technical"'));
    res = await h.as.manager.post('/manage/team/queues/billing/deactivate', {});
    expect(res.status).toBe(303);
  });
});

describe('deactivating advanced support', () => {
  it('takes its cases back to tier 1 through the workflow: escalated → open, a waiting case returns to open', async () => {
    const working = await escalated('Export fails');
    const waiting = await escalated('Import fails');
    expect((await h.api('POST', `/api/v1/cases/C-${waiting}/transitions`, { token: ADMIN_TOKEN, body: { transition: 'waitOnCustomer' } })).status).toBe(200);
    await h.settled();
    expect(await caseOf(working)).toMatchObject({ status: 'escalated', queue: 'advanced', tier: 2 });
    expect(await caseOf(waiting)).toMatchObject({ status: 'pending', previous: 'escalated', queue: 'advanced', tier: 2 });

    await escalateToExperts();
    const res = await h.as.manager.post('/manage/team/queues/advanced/deactivate', { moveTo: 'general' });
    expect(res.status).toBe(303);
    await h.settled();

    expect(await caseOf(working)).toMatchObject({ status: 'open', queue: 'general', tier: 1, open: true });
    expect(await entries(working, 'case.transitioned')).toContainEqual({ transition: 'deescalateAutomatically', from: 'escalated', to: 'open', on: 'case.deescalated', after: 'Maria Manager' });
    expect(await entries(working, 'case.transferred')).toEqual([{ fromQueue: 'advanced', queue: 'general', tier: 1, reason: 'queue advanced deactivated by Maria Manager' }]);
    // Still waiting on the customer; their reply brings it back to tier-1 work, not to "escalated".
    expect(await caseOf(waiting)).toMatchObject({ status: 'pending', previous: 'open', queue: 'general', tier: 1 });
    const reply = await h.api('POST', `/api/v1/cases/C-${waiting}/messages`, { token: h.tokenFor(h.chloe), body: { body: 'Here is the file.' } });
    expect(reply.status).toBe(201);
    await h.settled();
    expect(await caseOf(waiting)).toMatchObject({ status: 'open', queue: 'general', tier: 1 });
  });
});

describe('moving a case out of advanced support by hand', () => {
  it('is the same de-escalation: a transfer to a tier-1 queue takes the escalated case back to open', async () => {
    const id = await escalated('Export fails');
    const res = await h.api('POST', `/api/v1/cases/C-${id}/assignment`, { token: ADMIN_TOKEN, body: { queue: 'technical', reason: 'Not a bug after all' } });
    expect(res.status).toBe(200);
    await h.settled();
    expect(await caseOf(id)).toMatchObject({ status: 'open', queue: 'technical', tier: 1 });
    expect((await entries(id, 'case.transitioned')).at(-1)).toMatchObject({ transition: 'deescalateAutomatically', from: 'escalated', to: 'open', on: 'case.deescalated' });
  });
});

describe('a workflow without a de-escalation transition', () => {
  it('is named on the deactivation form, before its escalated cases keep their state in a tier-1 queue', async () => {
    const page = async () => textOf(await (await h.as.manager.get('/manage/team/queues/advanced')).text());
    await escalated('Export fails');
    expect(await page()).not.toContain('case.deescalated');
    // Cases on a version without one (a database seeded before it, say): the manager is told.
    const old = structuredClone(h.services.definitions.workflow('support').definition);
    delete old.transitions.deescalateAutomatically;
    await publishVersion(h.services, 'workflow', 'support', old, ADMIN, 'As seeded long ago');
    await escalated('Import fails');
    expect(await page()).toContain("support v2 has none, so its cases would keep their state (escalated). Publish a version with one (the shipped support workflow's deescalateAutomatically) and re-apply it first");
  });
});

describe('deactivating a queue that mailboxes and chat sites start new cases in', () => {
  async function channelsOn(queue: string) {
    const now = h.clock.now();
    return h.services.store.write(async (q) => {
      const [mailbox] = await q.db
        .insert(q.tables.mailboxes)
        .values({ name: 'Billing inbox', host: 'imap.example.com', port: 993, tls: true, username: 'billing', path: 'INBOX', queueId: queue, enabled: false, createdAt: now, updatedAt: now })
        .returning();
      await q.db.insert(q.tables.chatSites).values({ id: 'site_shop', name: 'Shop', allowedOrigins: ['https://shop.example'], queueId: queue, secretSealed: 'v1.sealed', createdAt: now, updatedAt: now });
      return mailbox!.id;
    });
  }
  const defaults = async () => ({
    mailboxes: (await h.query((q) => q.db.select({ queue: q.tables.mailboxes.queueId }).from(q.tables.mailboxes))).map((r) => r.queue),
    sites: (await h.query((q) => q.db.select({ queue: q.tables.chatSites.queueId }).from(q.tables.chatSites))).map((r) => r.queue),
  });

  it('lists them with links, asks for the queue they use instead, and changes them with the deactivation', async () => {
    const mailbox = await channelsOn('billing');
    const open = await h.intake({ customer: { email: 'pat@example.com' }, subject: 'Refund for a double charge', description: 'My card was charged twice for the invoice.' });
    const page = await (await h.as.manager.get('/manage/team/queues/billing')).text();
    expect(textOf(page)).toContain('New cases from 1 mailbox and 1 chat site start in this queue; they start in the queue you choose instead');
    expect(page).toContain(`<a href="/manage/channels/mailboxes/${mailbox}">Billing inbox</a>`);
    expect(page).toContain('<a href="/manage/channels/chat-sites/site_shop">Shop</a>');
    expect(textOf(page)).toContain('Mailbox Billing inbox (disabled)');

    // Without a replacement: refused beside the field (htmx: the form alone), nothing changed.
    const refused = await h.as.manager.post('/manage/team/queues/billing/deactivate', { moveTo: 'general', channelsTo: '' }, { htmx: true });
    expect(refused.status).toBe(422);
    expect(textOf(await refused.text())).toContain('1 mailbox and 1 chat site start new cases in this queue: choose the queue they use instead');
    const self = await h.as.manager.post('/manage/team/queues/billing/deactivate', { moveTo: 'general', channelsTo: 'billing' });
    expect(self.status).toBe(422);
    expect((await h.query((q) => q.db.select({ active: q.tables.queues.active }).from(q.tables.queues).where(eq(q.tables.queues.id, 'billing'))))[0]!.active).toBe(true);
    expect(await defaults()).toEqual({ mailboxes: ['billing'], sites: ['billing'] });

    const done = await h.as.manager.post('/manage/team/queues/billing/deactivate', { moveTo: 'general', channelsTo: 'technical' });
    expect(done.status).toBe(303);
    const notice = textOf(await (await h.as.manager.get(done.headers.get('Location')!)).text());
    expect(notice).toContain('Queue deactivated. 1 open case moved. New cases from 1 mailbox and 1 chat site now start in technical.');
    expect(await defaults()).toEqual({ mailboxes: ['technical'], sites: ['technical'] });
    expect(await caseOf(open)).toMatchObject({ queue: 'general' });
    const audit = await h.query((q) => q.db.select().from(q.tables.auditLog));
    expect(audit.find((a) => a.entityType === 'mailbox')).toMatchObject({ entityId: String(mailbox), action: 'updated', actorName: 'Maria Manager', after: { name: 'Billing inbox', queueId: 'technical', reason: 'queue billing deactivated' } });
    expect(audit.find((a) => a.entityType === 'queue' && a.action === 'deactivated')?.after).toMatchObject({ channelsTo: 'technical', mailboxes: [mailbox], chatSites: ['site_shop'], movedTo: 'general', moved: 1 });

    // What the mailbox and the chat site file next starts in technical (their default queue, as intake passes it).
    const [site] = await h.query((q) => q.db.select().from(q.tables.chatSites));
    const chat = await createCase(h.services, { customer: { email: 'sam@example.com' }, subject: 'Hello', description: 'A question about my order.' }, ADMIN, { channel: 'chat', defaultQueue: site!.queueId });
    expect((await entries(chat.id, 'case.routed'))[0]).toMatchObject({ queue: 'technical', defaultQueue: 'technical' });
  });

  it('a default queue inactive all the same (changed behind the console) routes to general, recorded and shown to managers', async () => {
    await channelsOn('technical');
    await h.services.store.write((q) => q.db.update(q.tables.queues).set({ active: false }).where(eq(q.tables.queues.id, 'technical')));
    const c = await createCase(h.services, { customer: { email: 'sam@example.com' }, subject: 'Hello', description: 'A question about my order.' }, ADMIN, { channel: 'chat', defaultQueue: 'technical' });
    expect((await entries(c.id, 'case.routed'))[0]).toMatchObject({ queue: 'general' });
    expect(await entries(c.id, 'rules.failed')).toEqual([expect.objectContaining({ event: 'case.created', error: 'queue "technical" does not exist or is inactive; routed to general' })]);
    expect(textOf(await (await h.as.manager.get('/manage')).text())).toContain('queue "technical" does not exist or is inactive');
  });
});

// Two admins at once exist only on PostgreSQL (SQLite has one writer: a save and a deactivation take turns).
describe.runIf(ON_POSTGRES)('a mailbox or chat site saved while its queue is being deactivated', () => {
  /** A mailbox and a chat site on `billing`, another mailbox and site on `general`. */
  async function channels() {
    const now = h.clock.now();
    return h.services.store.write(async (q) => {
      const row = (name: string, queueId: string) => ({ name, host: 'imap.example.com', port: 993, tls: true, username: name, path: 'INBOX', queueId, enabled: false, createdAt: now, updatedAt: now });
      const [billing, general] = await q.db.insert(q.tables.mailboxes).values([row('billing', 'billing'), row('general', 'general')]).returning();
      const site = (id: string, queueId: string) => ({ id, name: id, allowedOrigins: ['https://shop.example'], queueId, secretSealed: 'v1.sealed', createdAt: now, updatedAt: now });
      await q.db.insert(q.tables.chatSites).values([site('site_billing', 'billing'), site('site_general', 'general')]);
      return { billing: billing!.id, general: general!.id };
    });
  }
  /** Another session: it holds a row lock the next statement of a transaction needs, so that transaction stops there (with its locks) until it lets go. */
  async function blocker(table: 'mailboxes' | 'chat_sites', id: number | string) {
    const client = new pg.Client({ connectionString: h.databaseUrl! });
    await client.connect();
    await client.query('BEGIN');
    await client.query(`SELECT 1 FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
    return { release: () => client.query('ROLLBACK').then(() => client.end()) };
  }
  /** Sessions of this database waiting for a lock. */
  const waiting = async () =>
    (await h.query((q) => q.get<{ n: number }>(sql`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)))!.n;
  const queueOf = async (table: 'mailboxes' | 'chatSites', id: number | string) =>
    (await h.query((q) => q.all<{ queue_id: string }>(sql`SELECT queue_id FROM ${q.tables[table]} WHERE id = ${id}`)))[0]!.queue_id;

  it('a save in progress pointing a mailbox at the queue: the deactivation waits for it, then points that mailbox elsewhere too', async () => {
    const ids = await channels();
    // The save has checked billing is active (and holds its row) and waits at its own update.
    const hold = await blocker('mailboxes', ids.general);
    const save = updateMailbox(h.services, ids.general, { queue: 'billing' }, ADMIN);
    await expect.poll(waiting).toBe(1);
    const deactivation = deactivateQueue(h.services, 'billing', { channelsTo: 'technical' }, ADMIN);
    await expect.poll(waiting, { timeout: 5000 }).toBe(2); // the deactivation waits for the save
    await hold.release();
    await save;
    const result = await deactivation;
    expect(result.channels.mailboxes.map((m) => m.id).sort()).toEqual([ids.billing, ids.general].sort());
    expect(await queueOf('mailboxes', ids.general)).toBe('technical');
    expect(await queueOf('mailboxes', ids.billing)).toBe('technical');
    const audit = await h.query((q) => q.db.select().from(q.tables.auditLog).where(eq(q.tables.auditLog.entityType, 'mailbox')));
    expect(audit.filter((a) => a.entityId === String(ids.general)).map((a) => (a.after as { queueId: string }).queueId)).toEqual(['billing', 'technical']);
  });

  it('a mailbox an admin moves off the queue while the deactivation waits for it keeps the admin’s choice', async () => {
    const ids = await channels();
    // The save has changed the mailbox (holding its row) and waits to write its audit entry.
    const client = new pg.Client({ connectionString: h.databaseUrl! });
    await client.connect();
    await client.query('BEGIN; LOCK TABLE audit_log IN EXCLUSIVE MODE');
    const save = updateMailbox(h.services, ids.billing, { queue: 'general' }, ADMIN);
    await expect.poll(waiting).toBe(1);
    const deactivation = deactivateQueue(h.services, 'billing', { channelsTo: 'technical' }, ADMIN);
    await expect.poll(waiting).toBe(2); // it read the mailbox as billing's and waits for its row
    await client.query('ROLLBACK');
    await client.end();
    await save;
    const result = await deactivation;
    expect(await queueOf('mailboxes', ids.billing)).toBe('general');
    expect(result.channels).toMatchObject({ mailboxes: [], chatSites: [{ id: 'site_billing' }] });
    const audit = await h.query((q) => q.db.select().from(q.tables.auditLog).where(eq(q.tables.auditLog.entityType, 'mailbox')));
    expect(audit.map((a) => (a.after as { queueId: string }).queueId)).toEqual(['general']);
  });

  it('a save that comes while the deactivation is in progress waits for it, then is refused: the queue is inactive', async () => {
    const ids = await channels();
    // The deactivation holds billing's row and waits at repointing the billing site.
    const hold = await blocker('chat_sites', 'site_billing');
    const deactivation = deactivateQueue(h.services, 'billing', { channelsTo: 'technical' }, ADMIN);
    await expect.poll(waiting).toBe(1);
    const save = updateSite(h.services, 'site_general', { name: 'site_general', origins: 'https://shop.example', queue: 'billing' }, ADMIN).then(
      () => null,
      (error: unknown) => error,
    );
    await expect.poll(waiting, { timeout: 5000 }).toBe(2); // the save waits for the deactivation
    await hold.release();
    await deactivation;
    expect(await save).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: 'queue', message: 'unknown or inactive queue "billing"' }] });
    expect(await queueOf('chatSites', 'site_general')).toBe('general');
    expect(await queueOf('chatSites', 'site_billing')).toBe('technical');
  });
});
