/**
 * Incremental sync (docs/api.md, *Incremental sync*): `GET /api/v1/cases?updatedSince=` hands
 * out the cases changed since, in the order they changed, and paging never skips or repeats a
 * case — many sharing one instant, or one changed between two pages.
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN_PRINCIPAL } from '../../src/auth/principal.js';
import { listCases } from '../../src/cases/list-cases.js';
import { openStore } from '../../src/db/store/open.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';

let h: Harness;

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], capacity: 50 });
  await h.settled();
});
afterEach(() => h.close());

interface Summary {
  id: string;
  subject: string;
  priority: string;
  updatedAt: string;
  version: number;
}
interface Page {
  items: Summary[];
  nextCursor: string | null;
  syncCursor?: string;
}

async function create(subject: string): Promise<string> {
  const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'chloe@example.com' }, subject, description: 'Something to look at, please.' } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function page(query: string, token = ADMIN_TOKEN): Promise<Page> {
  const res = await h.api('GET', `/api/v1/cases?${query}`, { token });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Page;
}

async function setPriority(id: string, priority: string): Promise<void> {
  const res = await h.api('PATCH', `/api/v1/cases/${id}`, { token: ADMIN_TOKEN, body: { priority } });
  expect(res.status, await res.clone().text()).toBe(200);
}

const SINCE = '2026-03-02T00:00:00Z';

describe('GET /api/v1/cases?updatedSince=', () => {
  it('pages through cases that share one instant in the order they changed, each once', async () => {
    // The clock stands still: all seven cases were created (and last changed) at the same millisecond.
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await create(`Same instant ${i}`));
    await h.settled();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const p: Page = await page(`updatedSince=${SINCE}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...p.items.map((c) => c.id));
      expect(p.syncCursor).toBeTypeOf('string');
      cursor = p.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(ids);
  });

  it('a case changed between two pages: one not read yet comes once, later; one already read comes again with its change', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push(await create(`Case ${i}`));
      h.clock.advance(1000);
    }
    await h.settled();
    const first = await page(`updatedSince=${SINCE}&limit=2`);
    expect(first.items.map((c) => c.id)).toEqual([ids[0], ids[1]]);
    // Between the pages: ids[3] (not read yet) and ids[0] (read) change, at the same instant.
    await setPriority(ids[3]!, 'urgent');
    await setPriority(ids[0]!, 'low');
    const rest: Summary[] = [];
    let cursor = first.nextCursor;
    while (cursor !== null) {
      const p = await page(`updatedSince=${SINCE}&limit=2&cursor=${cursor}`);
      rest.push(...p.items);
      cursor = p.nextCursor;
    }
    // Expected by hand: ids 2, 4, 5 unchanged in creation order, then the two changes in the order they were made.
    expect(rest.map((c) => c.id)).toEqual([ids[2], ids[4], ids[5], ids[3], ids[0]]);
    expect(rest.find((c) => c.id === ids[3])!.priority).toBe('urgent');
    expect(rest.find((c) => c.id === ids[0])!.priority).toBe('low');
    expect(new Set([...first.items, ...rest].map((c) => c.id))).toEqual(new Set(ids));
  });

  it('counts only changes at or after updatedSince, and the sync cursor picks up exactly what changed after the last answer', async () => {
    const old = await create('Old and untouched');
    const touched = await create('Old, then changed');
    h.clock.advance(60_000);
    const since = new Date(h.clock.now()).toISOString();
    const fresh = await create('New');
    await setPriority(touched, 'high');
    await h.settled();
    const sync = await page(`updatedSince=${since}`);
    expect(sync.items.map((c) => c.id)).toEqual([fresh, touched]);
    expect(sync.nextCursor).toBeNull();
    expect(sync.items.every((c) => Date.parse(c.updatedAt) >= Date.parse(since))).toBe(true);
    expect(sync.items.find((c) => c.id === touched)!.version).toBeGreaterThan(1);

    // Nothing changed since: the next sync is empty and hands the same position on.
    const again = await page(`cursor=${sync.syncCursor}`);
    expect(again.items).toEqual([]);
    expect(again.syncCursor).toBe(sync.syncCursor);

    h.clock.advance(1000);
    await setPriority(old, 'urgent');
    const later = await page(`cursor=${again.syncCursor}`);
    expect(later.items.map((c) => c.id)).toEqual([old]);

    // A sync from an instant after every change: empty, and its cursor starts after all of them.
    const empty = await page(`updatedSince=2030-01-01T00:00:00Z`);
    expect(empty.items).toEqual([]);
    await setPriority(fresh, 'low');
    expect((await page(`cursor=${empty.syncCursor}`)).items.map((c) => c.id)).toEqual([fresh]);
  });

  it('takes an offset, also one whose + arrived unencoded as a space', async () => {
    const id = await create('Offset');
    await h.settled();
    // 10:00+01:00 is 09:00Z, the harness's start: the case counts (at or after).
    expect((await page('updatedSince=2026-03-02T10:00:00%2B01:00')).items.map((c) => c.id)).toEqual([id]);
    expect((await page('updatedSince=2026-03-02T10:00:00+01:00')).items.map((c) => c.id)).toEqual([id]);
    expect((await page('updatedSince=2026-03-02T10:00:00.001%2B01:00')).items).toEqual([]);
  });

  it('answers bad values with problem+json naming the field', async () => {
    await create('Anything');
    const listCursor = (await page('limit=1')).nextCursor;
    const cases: [string, string][] = [
      ['updatedSince=yesterday', 'updatedSince'],
      ['updatedSince=2026-03-02', 'updatedSince'],
      ['updatedSince=2026-03-02T09:00:00', 'updatedSince'],
      ['updatedSince=', 'updatedSince'],
      [`updatedSince=${SINCE}&cursor=${listCursor}`, 'cursor'],
      [`updatedSince=${SINCE}&cursor=garbage`, 'cursor'],
      [`updatedSince=${SINCE}&limit=0`, 'limit'],
      [`updatedSince=${SINCE}&limit=201`, 'limit'],
    ];
    for (const [query, path] of cases) {
      const res = await h.api('GET', `/api/v1/cases?${query}`, { token: ADMIN_TOKEN });
      expect(res.status, query).toBe(422);
      expect(res.headers.get('Content-Type'), query).toMatch(/^application\/problem\+json/);
      const body = (await res.json()) as { code: string; errors: { path: string }[]; requestId: string };
      expect(body.code, query).toBe('VALIDATION_FAILED');
      expect(body.errors.map((e) => e.path), query).toEqual([path]);
      expect(body.requestId).toBeTruthy();
    }
  });

  it('is not for customers: the order of every change would tell them when staff worked on their case', async () => {
    const chloe = h.customer({ email: 'chloe@example.com' });
    await create('Mine');
    const staffSync = await page(`updatedSince=${SINCE}`);
    const token = h.tokenFor(chloe);
    for (const query of [`updatedSince=${SINCE}`, `cursor=${staffSync.syncCursor}`]) {
      const res = await h.api('GET', `/api/v1/cases?${query}`, { token });
      expect(res.status, query).toBe(422);
      expect(res.headers.get('Content-Type')).toMatch(/^application\/problem\+json/);
    }
    expect((await page('', token)).items).toHaveLength(1);
  });
});

describe.skipIf(!ON_POSTGRES)('on PostgreSQL, transactions side by side', () => {
  it('a change committed after a later one is not left behind the cursor', async () => {
    const [x, y] = [await create('Changed by the long transaction'), await create('Changed meanwhile')];
    await h.settled();
    const before = await page(`updatedSince=${SINCE}`);
    expect(before.items.map((c) => c.id)).toEqual([x, y]);
    // A transaction of another session changes x and stays open…
    const other = new pg.Client({ connectionString: h.databaseUrl! });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query("UPDATE cases SET priority = 'urgent', version = version + 1 WHERE id = $1", [Number(x!.slice(2))]);
      // …while y's change commits, and a sync reads it.
      await setPriority(y!, 'low');
      const during = await page(`cursor=${before.syncCursor}`);
      expect(during.items.map((c) => c.id)).toEqual([y]);
      await other.query('COMMIT');
      // x's change committed last: it is after the cursor, not skipped.
      const after = await page(`cursor=${during.syncCursor}`);
      expect(after.items.map((c) => [c.id, c.priority])).toEqual([[x, 'urgent']]);
    } finally {
      await other.end();
    }
  });

  it('a sync that found nothing hands on a cursor from the same snapshot: a change committed between its reads is not skipped', async () => {
    const x = await create('Changed by another instance');
    await h.settled();
    const since = h.clock.now() + 1;
    // The sync on a pool of one connection: a statement queued on it runs between the sync's
    // reads unless the sync holds the connection for one transaction.
    const store = openStore({ postgresUrl: h.databaseUrl!, max: 1 });
    const services = { ...h.services, store };
    const locker = new pg.Client({ connectionString: h.databaseUrl! });
    await locker.connect();
    try {
      await store.query((q) => q.run(sql`SELECT 1`));
      // The sync's first read (the page: nothing changed since `since`) waits behind a lock…
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE cases IN ACCESS EXCLUSIVE MODE');
      const sync = listCases(services, ADMIN_TOKEN_PRINCIPAL, { updatedSince: since, limit: 50 });
      // (pg_stat_activity is read once per transaction unless its snapshot is cleared.)
      const waiting = async () => Number((await locker.query("SELECT pg_stat_clear_snapshot(), (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%change_seq%') AS n")).rows[0].n);
      while ((await waiting()) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      // …while another instance's change of x is queued for the connection, after that read.
      const change = store.query((q) => q.run(sql`UPDATE cases SET priority = 'urgent', version = version + 1, updated_at = ${since + 1000} WHERE id = ${Number(x.slice(2))}`));
      await locker.query('ROLLBACK');
      const first = await sync;
      await change;
      expect(first.rows).toEqual([]);
      // Before, the empty page's cursor was read after x's change had committed: past it, so
      // the next sync never handed x out.
      const next = await page(`cursor=${first.syncCursor}`);
      expect(next.items.map((c) => [c.id, c.priority])).toEqual([[x, 'urgent']]);
    } finally {
      await locker.end();
      await store.close();
    }
  });
});
