/**
 * A rule on the case's local time (`localTime`: hour, weekday in the SLA calendar's zone —
 * Europe/Berlin in the shipped sla.json) fires at intake on the injected clock, with either
 * evaluator: the compiled one and json-rules-engine (RULES_ENGINE=reference).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';

let h: Harness;
afterEach(() => h.close());

type Json = Record<string, any>;

const nightShift = {
  name: 'Night shift in Berlin',
  priority: 40,
  conditions: { any: [{ fact: 'localTime', path: '$.hour', operator: 'lessThan', value: 7 }, { fact: 'localTime', path: '$.hour', operator: 'greaterThanInclusive', value: 20 }] },
  event: { type: 'addTags', params: { tags: ['night-shift'] } },
};
const weekend = {
  name: 'Weekend in Berlin',
  priority: 40,
  conditions: { all: [{ fact: 'localTime', path: '$.weekday', operator: 'greaterThanInclusive', value: 6 }] },
  event: { type: 'addTags', params: { tags: ['weekend'] } },
};

describe.each(['compiled', 'reference'] as const)('localTime rules at intake (%s engine)', (rulesEngine) => {
  it('tag by the hour and weekday in the calendar zone, not UTC', async () => {
    h = createHarness({ start: '2026-03-06T19:30:00Z', services: { rulesEngine } }); // Friday 20:30 in Berlin (CET), 19:30 UTC
    standardQueues(h);
    const manager = h.tokenFor(h.agent({ name: 'Maria', role: 'manager' }));
    const current = (await (await h.api('GET', '/api/v1/rulesets/routing', { token: manager })).json()) as Json;
    const put = await h.api('PUT', '/api/v1/rulesets/routing', { token: manager, body: { rules: [...current.rules, nightShift, weekend] } });
    expect(put.status).toBe(200);

    const intake = async (subject: string) => {
      const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'night@example.com' }, subject, description: 'Where is my invoice?' } });
      expect(res.status).toBe(201);
      return ((await res.json()) as Json).tags as string[];
    };
    const friday = await intake('Friday evening');
    expect(friday).toContain('night-shift'); // 20:30 in Berlin, though 19:30 UTC is before 20
    expect(friday).not.toContain('weekend');

    h.clock.set('2026-03-07T10:00:00Z'); // Saturday 11:00 in Berlin
    const saturday = await intake('Saturday morning');
    expect(saturday).toContain('weekend');
    expect(saturday).not.toContain('night-shift');

    h.clock.set('2026-03-09T05:30:00Z'); // Monday 06:30 in Berlin
    expect(await intake('Monday early')).toEqual(expect.arrayContaining(['night-shift']));
    h.clock.set('2026-03-09T06:30:00Z'); // Monday 07:30 in Berlin
    expect(await intake('Monday at work')).not.toContain('night-shift');
  });
});
