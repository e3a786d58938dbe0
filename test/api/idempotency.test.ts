/**
 * `Idempotency-Key` on intake and messages (src/http/idempotency.ts): a retry replays the
 * first answer and creates nothing; another body under the same key is refused; a duplicate
 * still in flight is 409; the entry commits with the case or not at all; keys expire after
 * 24 h and the scheduled purge removes them.
 */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import { recordKey } from '../../src/idempotency/store.js';
import { serverJobs } from '../../src/scheduler/jobs.js';
import { ADMIN, ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
  standardQueues(h);
  h.agent({ name: 'Alice', queues: ['general', 'billing'], skills: ['refunds'], capacity: 50 });
});
afterEach(() => h.close());

const intake = (subject = 'Refund please') => ({ customer: { email: 'chloe@example.com', name: 'Chloe' }, subject, description: 'I was charged twice, please refund the duplicate charge.' });

function post(path: string, body: unknown, key: string | null, token = ADMIN_TOKEN) {
  return h.api('POST', path, { token, body, headers: key === null ? {} : { 'Idempotency-Key': key } });
}

const count = async (sql: string): Promise<number> => (await h.get<{ n: number }>(sql))?.n ?? 0;
const cases = () => count('SELECT count(*) AS n FROM cases');

describe('Idempotency-Key on POST /api/v1/cases', () => {
  it('replays the first answer to a retry, with Idempotent-Replayed, and stores one case', async () => {
    const first = await post('/api/v1/cases', intake(), '"a3c4f6d0-0001"');
    expect(first.status).toBe(201);
    expect(first.headers.get('Idempotent-Replayed')).toBeNull();
    const firstBody = await first.text();

    // The same request again, later (the case has moved on meanwhile): the stored answer, byte for byte.
    h.clock.advance(60_000);
    const retry = await post('/api/v1/cases', intake(), '"a3c4f6d0-0001"');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('Idempotent-Replayed')).toBe('true');
    expect(retry.headers.get('Location')).toBe(first.headers.get('Location'));
    expect(await retry.text()).toBe(firstBody);
    // A bare token is the same key as the quoted sf-string.
    const bare = await post('/api/v1/cases', intake(), 'a3c4f6d0-0001');
    expect(bare.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await cases()).toBe(1);
    const created = await h.query((q) => q.db.select({ data: q.tables.caseEvents.data }).from(q.tables.caseEvents).where(eq(q.tables.caseEvents.type, 'case.created')));
    expect(created.filter((e) => (e.data as { channel?: unknown }).channel != null)).toHaveLength(1);

    // Without a key nothing changes: every request creates.
    await post('/api/v1/cases', intake(), null);
    await post('/api/v1/cases', intake(), null);
    expect(await cases()).toBe(3);
  });

  it('refuses the same key for another body or path with 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const first = await post('/api/v1/cases', intake('First'), 'key-1');
    const id = ((await first.json()) as { id: string }).id;
    const other = await post('/api/v1/cases', intake('Second'), 'key-1');
    expect(other.status).toBe(422);
    expect(other.headers.get('Content-Type')).toBe('application/problem+json');
    expect(await other.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 422 });
    const elsewhere = await post(`/api/v1/cases/${id}/messages`, { body: 'Hello' }, 'key-1');
    expect(elsewhere.status).toBe(422);
    expect(await cases()).toBe(1);
  });

  it('scopes keys per principal', async () => {
    const chloe = h.tokenFor(h.customer({ email: 'chloe@example.com', name: 'Chloe' }));
    const dave = h.tokenFor(h.customer({ email: 'dave@example.com', name: 'Dave' }));
    const body = { subject: 'My invoice', description: 'I was charged twice for the same invoice.' };
    const a = await post('/api/v1/cases', body, 'same-key', chloe);
    const b = await post('/api/v1/cases', body, 'same-key', dave);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers.get('Idempotent-Replayed')).toBeNull();
    expect(await cases()).toBe(2);
  });

  it('answers a duplicate that arrives while the first is in flight with 409 IDEMPOTENCY_IN_PROGRESS, then replays', async () => {
    const [one, two] = await Promise.all([post('/api/v1/cases', intake(), 'racing'), post('/api/v1/cases', intake(), 'racing')]);
    const statuses = [one.status, two.status].sort();
    expect(statuses).toEqual([201, 409]);
    const conflict = one.status === 409 ? one : two;
    expect(conflict.headers.get('Retry-After')).toBe('1');
    expect(await conflict.json()).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    const again = await post('/api/v1/cases', intake(), 'racing');
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await cases()).toBe(1);
  });

  it('commits the key with the case or not at all: a key another process recorded first rolls the case back', async () => {
    const request = { method: 'POST', path: '/api/v1/cases', bodyHash: 'x' };
    await h.run("INSERT INTO idempotency_keys (principal, key, method, path, body_hash, status, case_id, created_at) VALUES ('admin-token', 'k', 'POST', '/api/v1/cases', 'x', 201, 999, ?)", h.clock.now());
    await expect(
      createCase(h.services, intake(), ADMIN, { within: (ctx) => recordKey(ctx.q, { principal: 'admin-token', key: 'k', request, status: 201, caseId: ctx.case.id, at: h.clock.now() }) }),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    expect(await cases()).toBe(0);
    expect(await count('SELECT count(*) AS n FROM case_events')).toBe(0);
  });

  it('rebuilds the answer when the process died between the commit and storing it', async () => {
    const first = await post('/api/v1/cases', intake(), 'crashed');
    const id = ((await first.json()) as { id: string }).id;
    await h.run('UPDATE idempotency_keys SET response = NULL, location = NULL');
    const retry = await post('/api/v1/cases', intake(), 'crashed');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('Idempotent-Replayed')).toBe('true');
    expect(retry.headers.get('Location')).toBe(`/api/v1/cases/${id}`);
    expect(await retry.json()).toMatchObject({ id, subject: 'Refund please' });
    expect(await cases()).toBe(1);
    expect(await count('SELECT count(*) AS n FROM idempotency_keys WHERE response IS NOT NULL')).toBe(1);
  });

  it('stores nothing for a request that failed: its retry runs', async () => {
    const bad = await post('/api/v1/cases', { ...intake(), subject: '' }, 'fix-and-retry');
    expect(bad.status).toBe(422);
    const good = await post('/api/v1/cases', intake(), 'fix-and-retry');
    expect(good.status).toBe(201);
    expect(good.headers.get('Idempotent-Replayed')).toBeNull();
    expect(await cases()).toBe(1);
  });

  it('refuses a key that is not 1–255 printable ASCII characters with 400', async () => {
    for (const key of ['""', 'x'.repeat(256), '"unterminated', 'tab\there']) {
      const res = await post('/api/v1/cases', intake(), key);
      expect(res.status, key).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_INVALID' });
    }
    expect(await cases()).toBe(0);
  });

  it('forgets keys after 24 h; the hourly job purges them', async () => {
    await post('/api/v1/cases', intake(), 'daily');
    h.clock.advance(24 * 60 * 60 * 1000 - 1);
    expect((await post('/api/v1/cases', intake(), 'daily')).headers.get('Idempotent-Replayed')).toBe('true');
    h.clock.advance(1);
    const fresh = await post('/api/v1/cases', intake(), 'daily');
    expect(fresh.headers.get('Idempotent-Replayed')).toBeNull();
    expect(await cases()).toBe(2);
    await post('/api/v1/cases', intake(), 'other');

    const purge = serverJobs(h.services, { slaSweepCron: '* * * * *', reportCron: '0 7 * * *', reportTimezone: 'UTC', reportAtRiskHours: 4 }).find((j) => j.name === 'idempotency-purge')!;
    h.clock.advance(24 * 60 * 60 * 1000);
    expect(await purge.run({ scheduledAt: h.clock.now() })).toEqual({ purged: 2 });
    expect(await count('SELECT count(*) AS n FROM idempotency_keys')).toBe(0);
  });
});

describe('Idempotency-Key on POST /api/v1/cases/:id/messages', () => {
  it('replays the message answer and records one message', async () => {
    const created = (await (await post('/api/v1/cases', intake(), null)).json()) as { id: string };
    const path = `/api/v1/cases/${created.id}/messages`;
    const first = await post(path, { body: 'We are on it.', public: true }, 'reply-1');
    expect(first.status).toBe(201);
    const firstJson = (await first.json()) as { message: { id: number } };
    // Another message after it: a rebuilt answer must still name the first one.
    await post(path, { body: 'A second note.', public: false }, null);
    const retry = await post(path, { body: 'We are on it.', public: true }, 'reply-1');
    expect(retry.headers.get('Idempotent-Replayed')).toBe('true');
    expect(((await retry.json()) as { message: { id: number } }).message.id).toBe(firstJson.message.id);

    await h.run('UPDATE idempotency_keys SET response = NULL');
    const rebuilt = await post(path, { body: 'We are on it.', public: true }, 'reply-1');
    expect(rebuilt.headers.get('Idempotent-Replayed')).toBe('true');
    expect(((await rebuilt.json()) as { message: { id: number; data: { body: string } } }).message).toMatchObject({ id: firstJson.message.id, data: { body: 'We are on it.' } });
    expect(await count("SELECT count(*) AS n FROM case_events WHERE type = 'staff.replied'")).toBe(1);
  });
});

describe('Idempotency-Key on a multipart message with files', () => {
  function upload(path: string, key: string, text: string) {
    const form = new FormData();
    form.set('body', 'The signed form is attached.');
    form.set('public', 'true');
    form.append('files', new Blob([text], { type: 'application/pdf' }), 'form.pdf');
    return h.app.request(`http://localhost${path}`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Idempotency-Key': key } });
  }

  it('stores the message and its file once; the retry replays; other bytes under the key are refused', async () => {
    const created = await post('/api/v1/cases', intake(), null);
    const id = ((await created.json()) as { id: string }).id;
    const first = await upload(`/api/v1/cases/${id}/messages`, 'upload-1', '%PDF-1.4 signed');
    expect(first.status).toBe(201);
    const firstBody = await first.text();
    expect(firstBody).toContain('form.pdf');
    const retry = await upload(`/api/v1/cases/${id}/messages`, 'upload-1', '%PDF-1.4 signed');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await retry.text()).toBe(firstBody);
    expect(await count("SELECT count(*) AS n FROM case_events WHERE type = 'staff.replied'")).toBe(1);
    expect(await count("SELECT count(*) AS n FROM attachments WHERE kind = 'attachment'")).toBe(1);
    const other = await upload(`/api/v1/cases/${id}/messages`, 'upload-1', '%PDF-1.4 another file');
    expect(other.status).toBe(422);
    expect(((await other.json()) as { code: string }).code).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});
