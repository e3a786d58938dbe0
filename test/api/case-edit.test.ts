/** PATCH /api/v1/cases/:id (priority, tags, subject), If-Match / expectedVersion, and "send and set status" over the API. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { berlin, createDesk, type Desk, type Json } from '../sla/helpers.js';

let d: Desk;
let ref: string;
beforeEach(async () => {
  d = createDesk();
  ref = await d.create();
});
afterEach(() => d.h.close());

async function patch(body: unknown, token: string = d.aliceToken, headers: Record<string, string> = {}) {
  const res = await d.h.api('PATCH', `/api/v1/cases/${ref}`, { token, body, headers });
  const text = await res.text();
  return { status: res.status, etag: res.headers.get('ETag'), type: res.headers.get('Content-Type') ?? '', json: JSON.parse(text) as Json };
}

describe('PATCH /api/v1/cases/:id', () => {
  it('edits priority, tags and subject, answers the case with the changes and its new ETag', async () => {
    const read = await d.h.api('GET', `/api/v1/cases/${ref}`, { token: d.aliceToken });
    const etag = read.headers.get('ETag')!;
    expect(etag).toMatch(/^"\d+"$/);
    d.h.clock.advanceMinutes(30);
    const res = await patch({ priority: 'urgent', tags: ['VIP', 'after hours'], subject: 'Rename my workspace' }, d.aliceToken, { 'If-Match': etag });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: ref, priority: 'urgent', tags: ['vip', 'after-hours'], subject: 'Rename my workspace' });
    expect(res.json.changes).toEqual({
      priority: { from: 'normal', to: 'urgent' },
      tags: { from: [], to: ['vip', 'after-hours'], added: ['vip', 'after-hours'], removed: [] },
      subject: { from: 'Question about my account', to: 'Rename my workspace' },
    });
    expect(res.etag).toBe(`"${res.json.version}"`);
    expect(res.etag).not.toBe(etag);
    // The SLA follows the new priority.
    expect((res.json.sla as Json[]).find((t) => t.metric === 'firstResponse')).toMatchObject({ targetMinutes: 60, dueAt: berlin('2026-03-02T11:00') });
    const events = (await d.events(ref, 'case.')).filter((e) => e.type.endsWith('_changed')).map((e) => e.type);
    expect(events).toEqual(['case.priority_changed', 'case.tags_changed', 'case.subject_changed']);
  });

  it('409 CONFLICT when If-Match or expectedVersion is stale; nothing changes', async () => {
    const { version } = await d.get(ref);
    expect((await patch({ tags: ['one'] }, d.aliceToken, { 'If-Match': `"${version}"` })).status).toBe(200);
    const stale = await patch({ priority: 'low' }, d.aliceToken, { 'If-Match': `"${version}"` });
    expect(stale.status).toBe(409);
    expect(stale.type).toContain('application/problem+json');
    expect(stale.json).toMatchObject({ code: 'CONFLICT', requestId: expect.any(String) });
    expect((await patch({ priority: 'low', expectedVersion: version })).status).toBe(409);
    expect(await d.get(ref)).toMatchObject({ priority: 'normal', tags: ['one'], version: version + 1 });
    // Without a version the edit applies to whatever is current.
    expect((await patch({ priority: 'low' })).json).toMatchObject({ priority: 'low' });
  });

  it('422 problem+json with every field path on bad input', async () => {
    const bad = await patch({ priority: 'critical', tags: ['ok', 'not ok!'], subject: '' });
    expect(bad.status).toBe(422);
    expect(bad.type).toContain('application/problem+json');
    expect(bad.json.code).toBe('VALIDATION_FAILED');
    expect((bad.json.errors as Json[]).map((e) => e.path).sort()).toEqual(['priority', 'subject', 'tags']);
    expect((await patch({ status: 'resolved' })).status).toBe(422);
    expect((await patch({})).status).toBe(422);
    expect((await patch({ priority: 'low' }, d.aliceToken, { 'If-Match': 'yesterday' })).json).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'If-Match' }] });
    expect((await d.get(ref)).priority).toBe('normal');
  });

  it('customers may not edit (403) and get no ETag; staff of other queues get 404', async () => {
    expect((await patch({ subject: 'Mine now' }, d.chloeToken)).status).toBe(403);
    const read = await d.h.api('GET', `/api/v1/cases/${ref}`, { token: d.chloeToken });
    expect(read.status).toBe(200);
    expect(read.headers.get('ETag')).toBeNull();
    const outsider = d.h.tokenFor(d.h.agent({ name: 'Olga', queues: ['advanced'], role: 'advanced' }));
    expect((await patch({ priority: 'high' }, outsider)).status).toBe(404);
    expect(await d.get(ref)).toMatchObject({ priority: 'normal', subject: 'Question about my account' });
  });
});

describe('POST /api/v1/cases/:id/messages with a transition', () => {
  it('adds the message and runs the transition together, or neither', async () => {
    const ok = await d.call('POST', `/api/v1/cases/${ref}/messages`, d.aliceToken, { body: 'Which plan are you on?', transition: 'waitOnCustomer' });
    expect(ok.status).toBe(201);
    expect(ok.json.case).toMatchObject({ status: 'pending' });
    const refused = await d.call('POST', `/api/v1/cases/${ref}/messages`, d.aliceToken, { body: 'Hello again', transition: 'waitOnCustomer' });
    expect(refused.status).toBe(409);
    expect(refused.json.code).toBe('INVALID_TRANSITION');
    const replies = (await d.events(ref, 'staff.replied')).map((e) => e.data.body);
    expect(replies).toEqual(['Which plan are you on?']);
  });
});
