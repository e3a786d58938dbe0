import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';

let h: Harness;
let alice: TestActor;
let bob: TestActor;
let dana: TestActor;

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing'], skills: ['refunds'], capacity: 5 });
  bob = h.agent({ name: 'Bob', queues: ['general', 'technical'], capacity: 5 });
  dana = h.agent({ name: 'Dana', role: 'advanced', queues: ['advanced'], capacity: 5 });
  // PostgreSQL: the registry is loaded by the harness's first step; an import reads it before any statement.
  await h.settled();
});
afterEach(() => h.close());

const nobodyAvailable = () => h.query((q) => q.db.update(q.tables.staff).set({ available: false }));
const count = async (sql: string): Promise<number> => (await h.get<{ n: number }>(sql))!.n;

const newCase = (over: Record<string, unknown> = {}) => ({
  customer: { email: 'chloe@example.com', name: 'Chloe' },
  subject: 'Question about my account',
  description: 'How do I change my display name?',
  ...over,
});

async function create(body: unknown, token = ADMIN_TOKEN) {
  const res = await h.api('POST', '/api/v1/cases', { token, body });
  return { res, json: (await res.json()) as Record<string, any> };
}

describe('POST /api/v1/cases', () => {
  it('creates, routes, assigns and explains a case', async () => {
    const { res, json } = await create(newCase({ subject: 'Refund please', description: 'I was charged twice, please refund the duplicate charge.' }));
    expect(res.status).toBe(201);
    expect(res.headers.get('Location')).toBe(`/api/v1/cases/${json.id}`);
    expect(json.id).toMatch(/^C-\d{4,}$/);
    expect(json).toMatchObject({
      status: 'open',
      queue: 'billing',
      tier: 1,
      skills: ['refunds'],
      assignee: { id: alice.id, name: 'Alice' },
      customer: { email: 'chloe@example.com', name: 'Chloe' },
      routing: { ruleset: 'routing', version: 1 },
    });
    expect(json.routing.fired.map((f: { rule: string }) => f.rule)).toEqual(['Billing questions go to billing', 'Refunds need the refunds skill']);
    expect(json.transitions.map((t: { name: string }) => t.name)).toContain('resolve');
  });

  it('answers with the case exactly as a GET reads it back (assigned, escalated, waiting; new and known customers)', async () => {
    const bodies = [
      newCase({ subject: 'Refund please', description: 'I was charged twice, please refund the duplicate charge.' }),
      newCase({ customer: { email: 'eve@acme.example', tier: 'enterprise', organization: 'Acme' }, subject: 'Outage', description: 'Production is down for all users', priority: 'high' }),
      newCase({ customer: { email: 'chloe@example.com', organization: 'Chloe & Co' } }),
    ];
    for (const body of bodies) {
      const { res, json } = await create(body);
      expect(res.status).toBe(201);
      expect(json.sla.length).toBeGreaterThan(0);
      const read = (await (await h.api('GET', `/api/v1/cases/${json.id}`, { token: ADMIN_TOKEN })).json()) as Record<string, unknown>;
      expect(json).toEqual(read);
    }
    await nobodyAvailable();
    const { json } = await create(newCase({ customer: { email: 'new@example.com', name: 'New Person' } }));
    expect(json.assignee).toBeNull();
    expect(json).toEqual(await (await h.api('GET', `/api/v1/cases/${json.id}`, { token: ADMIN_TOKEN })).json());
  });

  it('starts case ids at C-1001 and counts up', async () => {
    const first = await create(newCase());
    const second = await create(newCase());
    expect(first.json.id).toBe('C-1001');
    expect(second.json.id).toBe('C-1002');
  });

  it('sends cases no rule routes to the general queue', async () => {
    const { json } = await create(newCase());
    expect(json.queue).toBe('general');
    expect(json.routing.fired).toEqual([]);
  });

  it('escalates urgent enterprise cases to advanced support at intake', async () => {
    const { json } = await create(
      newCase({ customer: { email: 'eve@acme.example', tier: 'enterprise' }, subject: 'Outage', description: 'Production is down for all users', priority: 'high' }),
    );
    expect(json).toMatchObject({ status: 'escalated', queue: 'advanced', tier: 2, priority: 'urgent', slaPolicy: 'premium', assignee: { id: dana.id } });
    expect(json.tags).toEqual(expect.arrayContaining(['enterprise']));
    const events = (await (await h.api('GET', `/api/v1/cases/${json.id}/events`, { token: ADMIN_TOKEN })).json()) as { type: string; data: any }[];
    const escalated = events.find((e) => e.type === 'case.escalated');
    expect(escalated?.data).toMatchObject({ queue: 'advanced', tier: 2, reason: 'Urgent request from an enterprise customer' });
  });

  it('keeps a case waiting when nobody is available and assigns it when capacity frees', async () => {
    await nobodyAvailable();
    const { json } = await create(newCase());
    expect(json).toMatchObject({ status: 'new', assignee: null });
    expect(json.waitingSince).not.toBeNull();
  });

  it('rejects malformed JSON with 400 and invalid fields with 422 listing paths', async () => {
    const malformed = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: '{"subject": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('Content-Type')).toContain('application/problem+json');
    expect(await malformed.json()).toMatchObject({ code: 'MALFORMED_JSON', status: 400 });

    const invalid = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'nope' }, subject: '', priority: 'asap', extra: 1 } });
    expect(invalid.status).toBe(422);
    const body = (await invalid.json()) as { code: string; errors: { path: string }[]; requestId: string };
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.requestId).toBeTruthy();
    expect(body.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['customer.email', 'subject', 'description', 'priority']));
    expect(await count('SELECT count(*) AS n FROM cases')).toBe(0);
  });

  it('refuses without a token (401) and createdAt from non-admins (403)', async () => {
    expect((await h.api('POST', '/api/v1/cases', { body: newCase() })).status).toBe(401);
    expect((await h.api('POST', '/api/v1/cases', { token: 'cb_wrong', body: newCase() })).status).toBe(401);
    const agentToken = h.tokenFor(alice);
    const res = await h.api('POST', '/api/v1/cases', { token: agentToken, body: newCase({ createdAt: '2026-01-01T00:00:00Z' }) });
    expect(res.status).toBe(403);
  });

  it('lets admin tokens import history with createdAt', async () => {
    const { res, json } = await create(newCase({ createdAt: '2026-02-27T15:00:00Z' }));
    expect(res.status).toBe(201);
    expect(json.createdAt).toBe('2026-02-27T15:00:00.000Z');
  });

  it('limits the body size', async () => {
    const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: newCase({ description: 'x'.repeat(300_000) }) });
    expect(res.status).toBe(413);
  });

  it('limits the body size by its declared length, before reading it', async () => {
    const big = JSON.stringify(newCase({ description: 'x'.repeat(300_000) }));
    const declared = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: big, headers: { 'Content-Length': String(big.length) } });
    expect(declared.status).toBe(413);
    // (Over HTTP a body cannot be longer than its declared length: the parser reads that many bytes.)
    const small = JSON.stringify(newCase());
    const ok = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: small, headers: { 'Content-Length': String(small.length) } });
    expect(ok.status).toBe(201);
  });

  it('files a customer-token case for that customer only', async () => {
    const chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
    const token = h.tokenFor(chloe);
    const { res, json } = await create({ subject: 'Hello', description: 'Where is my invoice?' }, token);
    expect(res.status).toBe(201);
    const staffView = (await (await h.api('GET', `/api/v1/cases/${json.id}`, { token: ADMIN_TOKEN })).json()) as Record<string, any>;
    expect(staffView.customer.email).toBe('chloe@example.com');
  });
});

describe('reading cases', () => {
  it('returns 404 CASE_NOT_FOUND for unknown and malformed ids', async () => {
    for (const id of ['C-9999', 'nonsense']) {
      const res = await h.api('GET', `/api/v1/cases/${id}`, { token: ADMIN_TOKEN });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'CASE_NOT_FOUND' });
    }
  });

  it('hides other customers’ cases and other queues’ cases', async () => {
    const { json } = await create(newCase({ subject: 'Refund', description: 'refund me' }));
    const other = h.customer({ email: 'sam@example.org' });
    expect((await h.api('GET', `/api/v1/cases/${json.id}`, { token: h.tokenFor(other) })).status).toBe(404);
    expect((await h.api('GET', `/api/v1/cases/${json.id}/events`, { token: h.tokenFor(other) })).status).toBe(404);
    expect((await h.api('GET', `/api/v1/cases/${json.id}`, { token: h.tokenFor(bob) })).status).toBe(404);
    expect((await h.api('GET', `/api/v1/cases/${json.id}`, { token: h.tokenFor(alice) })).status).toBe(200);
    const list = (await (await h.api('GET', '/api/v1/cases', { token: h.tokenFor(other) })).json()) as { items: unknown[] };
    expect(list.items).toEqual([]);
  });

  it('pages through cases with a keyset cursor', async () => {
    for (let i = 0; i < 5; i++) await create(newCase({ subject: `Case ${i}` }));
    const first = (await (await h.api('GET', '/api/v1/cases?limit=2', { token: ADMIN_TOKEN })).json()) as { items: { id: string }[]; nextCursor: string };
    expect(first.items.map((c) => c.id)).toEqual(['C-1005', 'C-1004']);
    const second = (await (await h.api('GET', `/api/v1/cases?limit=2&cursor=${first.nextCursor}`, { token: ADMIN_TOKEN })).json()) as {
      items: { id: string }[];
      nextCursor: string;
    };
    expect(second.items.map((c) => c.id)).toEqual(['C-1003', 'C-1002']);
    const third = (await (await h.api('GET', `/api/v1/cases?limit=2&cursor=${second.nextCursor}`, { token: ADMIN_TOKEN })).json()) as {
      items: { id: string }[];
      nextCursor: string | null;
    };
    expect(third.items.map((c) => c.id)).toEqual(['C-1001']);
    expect(third.nextCursor).toBeNull();
    expect((await h.api('GET', '/api/v1/cases?cursor=garbage', { token: ADMIN_TOKEN })).status).toBe(422);
  });

  it('filters by queue, status and assignee', async () => {
    await create(newCase({ subject: 'Refund', description: 'refund me' }));
    await create(newCase());
    const billing = (await (await h.api('GET', '/api/v1/cases?queue=billing', { token: ADMIN_TOKEN })).json()) as { items: { queue: string }[] };
    expect(billing.items.map((c) => c.queue)).toEqual(['billing']);
    const mine = (await (await h.api('GET', '/api/v1/cases?assignee=me', { token: h.tokenFor(alice) })).json()) as { items: unknown[] };
    expect(mine.items.length).toBeGreaterThanOrEqual(1);
    const open = (await (await h.api('GET', '/api/v1/cases?status=open', { token: ADMIN_TOKEN })).json()) as { items: unknown[] };
    expect(open.items).toHaveLength(2);
    // A queue or state that does not exist is a 422 naming it, not an empty page.
    const typo = await h.api('GET', '/api/v1/cases?status=Open&queue=biling', { token: ADMIN_TOKEN });
    expect(typo.status).toBe(422);
    expect(((await typo.json()) as { errors: { path: string; message: string }[] }).errors).toEqual([
      { path: 'queue', message: 'no queue "biling"' },
      { path: 'status', message: expect.stringContaining('no state "Open" (states: ') },
    ]);
    const meWithoutAccount = await h.api('GET', '/api/v1/cases?assignee=me', { token: ADMIN_TOKEN });
    expect(meWithoutAccount.status).toBe(422);
  });
});

describe('intakes committed together (group commit)', () => {
  it('a failing intake in the group leaves the others committed, each answered after the shared commit', async () => {
    const { GROUP_SLICE_MS, groupCommitStats, setGroupSlice } = await import('../../src/db/group-commit.js');
    // Group commit is SQLite's (one writer); on PostgreSQL each intake has its own transaction.
    const sqlite: Db | null = h.dialect === 'sqlite' ? h.db : null;
    // All four in one group even when a loaded machine stretches an intake past the 10 ms slice.
    if (sqlite) {
      setGroupSlice(sqlite, 60_000);
      onTestFinished(() => setGroupSlice(sqlite, GROUP_SLICE_MS));
    }
    const before = sqlite && groupCommitStats(sqlite);
    // Sent together: one turn of the event loop, one transaction. The third fails inside it,
    // after its customer lookup (the address is a staff account's), so its savepoint rolls back.
    const bodies = [
      newCase({ customer: { email: 'one@example.com' }, subject: 'First' }),
      newCase({ customer: { email: 'two@example.com' }, subject: 'Second' }),
      newCase({ customer: { email: 'alice1@casebook.test' }, subject: 'Third' }),
      newCase({ customer: { email: 'four@example.com' }, subject: 'Fourth' }),
    ];
    await h.run("UPDATE staff SET email = 'alice1@casebook.test' WHERE id = ?", alice.id);
    const answers = await Promise.all(bodies.map((body) => create(body)));
    expect(answers.map((a) => a.res.status)).toEqual([201, 201, 422, 201]);
    expect(answers[2]!.json).toMatchObject({ code: 'VALIDATION_FAILED' });
    if (sqlite && before) {
      const after = groupCommitStats(sqlite);
      expect(after.groups - before.groups).toBe(1);
      expect(after.largest).toBeGreaterThanOrEqual(4);
    }

    // The three others are whole: the case, its customer, its timeline, its timers; the failed one left nothing.
    const stored = await h.all<{ subject: string }>('SELECT subject FROM cases ORDER BY id');
    const subjects = stored.map((r) => r.subject);
    // One group runs its units in arrival order (SQLite); concurrent transactions take their ids as they insert (PostgreSQL).
    if (sqlite) expect(subjects).toEqual(['First', 'Second', 'Fourth']);
    else expect(subjects.sort()).toEqual(['First', 'Fourth', 'Second']);
    for (const { json } of [answers[0]!, answers[1]!, answers[3]!]) {
      const events = await (await h.api('GET', `/api/v1/cases/${json.id}/events`, { token: ADMIN_TOKEN })).json();
      expect((events as { type: string }[]).map((e) => e.type)).toEqual(expect.arrayContaining(['case.created', 'case.routed', 'sla.started']));
      expect(json.sla).toHaveLength(2);
    }
    expect(await count("SELECT count(*) AS n FROM customers WHERE email IN ('one@example.com', 'two@example.com', 'four@example.com')")).toBe(3);
    expect(await count("SELECT count(*) AS n FROM customers WHERE email = 'alice1@casebook.test'")).toBe(0);
    expect(await count('SELECT count(*) AS n FROM case_events WHERE case_id NOT IN (SELECT id FROM cases)')).toBe(0);
  });
});
