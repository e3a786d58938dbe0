import { describe, expect, it } from 'vitest';
import type { RulesetDefinition } from './definition.js';
import { routeQueuesOf } from './run-triggers.js';

describe('routeQueuesOf', () => {
  it("names each queue a ruleset's route events send to once, and nothing other events name", () => {
    const definition: RulesetDefinition = {
      ruleset: 'routing',
      rules: [
        { name: 'Billing', conditions: { all: [] }, event: { type: 'route', params: { queue: 'billing' } } },
        { name: 'Outage', conditions: { all: [] }, event: { type: 'route', params: { queue: 'advanced' } } },
        { name: 'Billing again', enabled: false, conditions: { all: [] }, event: { type: 'route', params: { queue: 'billing' } } },
        { name: 'Escalate', conditions: { all: [] }, event: { type: 'escalate', params: { tier: 2, queue: 'tier2-only' } } },
        { name: 'Tag', conditions: { all: [] }, event: { type: 'addTags', params: { tags: ['x'] } } },
      ],
    };
    expect(routeQueuesOf(definition)).toEqual(['billing', 'advanced']);
    expect(routeQueuesOf(definition)).toBe(routeQueuesOf(definition)); // worked out once per definition
    expect(routeQueuesOf({ ruleset: 'empty', rules: [] })).toEqual([]);
  });
});
