import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
  standardQueues(h);
});
afterEach(() => h.close());

type Json = Record<string, any>;

describe('two staff transitioning one case at once', () => {
  it.each([
    ['the same transition', { transition: 'resolve', solution: 'Fixed by Alice' }, { transition: 'resolve', solution: 'Fixed by Bob' }],
    ['different transitions', { transition: 'resolve', solution: 'Fixed' }, { transition: 'waitOnCustomer' }],
  ])('%s: one wins, the other gets 409, the timeline stays consistent', async (_name, first, second) => {
    const alice = h.tokenFor(h.agent({ name: 'Alice', queues: ['general'] }));
    const bob = h.tokenFor(h.agent({ name: 'Bob', queues: ['general'] }));
    const created = (await (await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'c@example.com' }, subject: 'Hi', description: 'Help' } })).json()) as Json;
    const version = created.version as number;

    const [a, b] = await Promise.all([
      h.api('POST', `/api/v1/cases/${created.id}/transitions`, { token: alice, body: { ...first, expectedVersion: version } }),
      h.api('POST', `/api/v1/cases/${created.id}/transitions`, { token: bob, body: { ...second, expectedVersion: version } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const loser = (await (a.status === 409 ? a : b).json()) as Json;
    expect(['CONFLICT', 'INVALID_TRANSITION']).toContain(loser.code);

    const events = (await (await h.api('GET', `/api/v1/cases/${created.id}/events`, { token: ADMIN_TOKEN })).json()) as Json[];
    const moves = events.filter((e) => e.type === 'case.transitioned' && e.data.from === 'open');
    expect(moves).toHaveLength(1);
    const final = (await (await h.api('GET', `/api/v1/cases/${created.id}`, { token: ADMIN_TOKEN })).json()) as Json;
    expect(final.status).toBe(moves[0]!.data.to);
    expect(final.version).toBe(version + 1);
  });

  it('without expectedVersion, the second is judged against the new state', async () => {
    const alice = h.tokenFor(h.agent({ name: 'Alice', queues: ['general'] }));
    const created = (await (await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'c@example.com' }, subject: 'Hi', description: 'Help' } })).json()) as Json;
    const results = await Promise.all(
      [1, 2, 3].map(() => h.api('POST', `/api/v1/cases/${created.id}/transitions`, { token: alice, body: { transition: 'waitOnCustomer' } })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
  });
});
