import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_TOKEN, ROOT, createHarness, standardQueues, type Harness } from '../support/harness.js';

let h: Harness;
let managerToken: string;
let agentToken: string;
let customerToken: string;

beforeEach(() => {
  h = createHarness();
  standardQueues(h);
  managerToken = h.tokenFor(h.agent({ name: 'Maria', role: 'manager' }));
  agentToken = h.tokenFor(h.agent({ queues: ['general', 'billing', 'technical'] }));
  customerToken = h.tokenFor(h.customer({ email: 'c@example.com' }));
});
afterEach(() => h.close());

type Json = Record<string, any>;
async function call(method: string, url: string, token: string | undefined, body?: unknown) {
  const res = await h.api(method, url, { ...(token ? { token } : {}), body });
  return { status: res.status, json: (res.status === 204 ? {} : await res.json()) as Json };
}

const vipRule = {
  name: 'VIP to technical',
  priority: 50,
  conditions: { all: [{ fact: 'customer', path: '$.organization', operator: 'equal', value: 'VIP Inc' }] },
  event: { type: 'route', params: { queue: 'technical' } },
};

describe('GET /api/v1/rulesets', () => {
  it('lists and shows the published rulesets to staff', async () => {
    const list = await call('GET', '/api/v1/rulesets', agentToken);
    expect(list.json.map((r: Json) => r.ruleset)).toEqual(['escalation', 'routing']);
    const routing = await call('GET', '/api/v1/rulesets/routing', agentToken);
    expect(routing.json).toMatchObject({ ruleset: 'routing', version: 1, state: 'published', author: 'files' });
    expect(routing.json.rules.length).toBeGreaterThan(3);
    expect((await call('GET', '/api/v1/rulesets/nope', agentToken)).json.code).toBe('RULESET_NOT_FOUND');
    expect((await call('GET', '/api/v1/rulesets', customerToken)).status).toBe(403);
    expect((await call('GET', '/api/v1/rulesets', undefined)).status).toBe(401);
  });
});

describe('PUT /api/v1/rulesets/:name', () => {
  it('takes a rules file as it is, its "ruleset" name included (it was 422 "Unrecognized key"), and refuses one naming another ruleset', async () => {
    const file = JSON.parse(fs.readFileSync(path.join(ROOT, 'rules', 'routing.json'), 'utf8')) as Json;
    file.rules.push(vipRule);
    const put = await call('PUT', '/api/v1/rulesets/routing', managerToken, file);
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ ruleset: 'routing', version: 2 });
    expect(put.json.rules.at(-1)).toEqual(vipRule);
    const other = await call('PUT', '/api/v1/rulesets/escalation', managerToken, file);
    expect(other.status).toBe(422);
    expect(other.json).toMatchObject({ code: 'INVALID_RULESET', problems: [{ path: '$.ruleset', message: 'the ruleset is named "routing" but is stored as "escalation"' }] });
    expect((await call('GET', '/api/v1/rulesets/escalation', managerToken)).json.version).toBe(1);
  });

  it('publishes a rule with an empty condition group and answers the warning (json-rules-engine: true)', async () => {
    const current = (await call('GET', '/api/v1/rulesets/routing', managerToken)).json;
    const put = await call('PUT', '/api/v1/rulesets/routing', managerToken, {
      rules: [...current.rules, { name: 'Never tagged', conditions: { not: { all: [] } }, event: { type: 'addTags', params: { tags: ['x'] } } }],
    });
    expect(put.status).toBe(200);
    expect(put.json.warnings).toEqual([
      { severity: 'warning', path: `$.rules[${current.rules.length}].conditions.not.all`, message: expect.stringMatching(/^"Never tagged" never fires: json-rules-engine treats an empty "all" group as true, and "not" makes it false/) },
    ]);
  });

  it('publishes a rule testing a text with contains / doesNotContain, which json-rules-engine never holds, and answers the warning', async () => {
    const current = (await call('GET', '/api/v1/rulesets/routing', managerToken)).json;
    const put = await call('PUT', '/api/v1/rulesets/routing', managerToken, {
      rules: [...current.rules, { name: 'Not spam', conditions: { all: [{ fact: 'case', path: '$.subject', operator: 'doesNotContain', value: 'spam' }] }, event: { type: 'addTags', params: { tags: ['clean'] } } }],
    });
    expect(put.status).toBe(200);
    expect(put.json.warnings).toEqual([
      { severity: 'warning', path: `$.rules[${current.rules.length}].conditions.all[0].operator`, message: expect.stringMatching(/^"Not spam": Subject is not a list: json-rules-engine's "doesNotContain" looks into lists only/) },
    ]);
    const created = await call('POST', '/api/v1/cases', ADMIN_TOKEN, { customer: { email: 'n@example.com' }, subject: 'Hello', description: 'A question' });
    expect(created.json.tags).toEqual([]);
  });

  it('publishes every one of several versions sent at once, each its own number (PostgreSQL: they took the same one, 500)', async () => {
    const current = (await call('GET', '/api/v1/rulesets/routing', managerToken)).json;
    const puts = await Promise.all(
      Array.from({ length: 6 }, (_, i) => call('PUT', '/api/v1/rulesets/routing', managerToken, { rules: current.rules, description: `at once ${i}`, note: `at once ${i}` })),
    );
    expect(puts.map((p) => p.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(puts.map((p) => p.json.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7]);
    const versions = await h.query((q) => q.db.select({ version: q.tables.definitionVersions.version, note: q.tables.definitionVersions.note }).from(q.tables.definitionVersions).where(and(eq(q.tables.definitionVersions.kind, 'ruleset'), eq(q.tables.definitionVersions.name, 'routing'))));
    expect(versions.map((v) => v.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // The one in force is the last number stored, whichever request that was.
    const inForce = (await call('GET', '/api/v1/rulesets/routing', managerToken)).json;
    expect(inForce.version).toBe(7);
    expect(inForce.note).toBe(versions.find((v) => v.version === 7)!.note);
  });

  it('publishes shared conditions (json-rules-engine setCondition) that rules refer to, and routes by them; refuses an undefined or circular one', async () => {
    const current = (await call('GET', '/api/v1/rulesets/routing', managerToken)).json;
    const sharedConditions = {
      'key account': { any: [{ fact: 'customer', path: '$.organization', operator: 'equal', value: 'VIP Inc' }, { fact: 'customer', path: '$.tier', operator: 'equal', value: 'enterprise' }] },
      'billing question': { all: [{ condition: 'key account' }, { fact: 'case', path: '$.subject', operator: 'textHasWord', value: 'invoice' }] },
    };
    const keyAccounts = { name: 'Key account invoices to billing', priority: 60, conditions: { all: [{ condition: 'billing question' }] }, event: { type: 'route', params: { queue: 'billing' } } };
    const put = await call('PUT', '/api/v1/rulesets/routing', managerToken, { sharedConditions, rules: [keyAccounts, ...current.rules] });
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    expect(put.json).toMatchObject({ version: 2, sharedConditions, warnings: [] });
    expect((await call('GET', '/api/v1/rulesets/routing', agentToken)).json.sharedConditions).toEqual(sharedConditions);

    const vip = await call('POST', '/api/v1/cases', ADMIN_TOKEN, { customer: { email: 'v@vip.example', organization: 'VIP Inc' }, subject: 'Invoice copy', description: 'Please send it again' });
    expect(vip.json).toMatchObject({ queue: 'billing', routing: { version: 2, fired: expect.arrayContaining([expect.objectContaining({ rule: 'Key account invoices to billing' })]) } });
    const other = await call('POST', '/api/v1/cases', ADMIN_TOKEN, { customer: { email: 'o@example.com', organization: 'Other' }, subject: 'Invoice copy', description: 'Please send it again' });
    expect(other.json.routing.fired.map((f: Json) => f.rule)).not.toContain('Key account invoices to billing');

    const refused = await call('PUT', '/api/v1/rulesets/routing', managerToken, {
      sharedConditions: { a: { all: [{ condition: 'b' }] }, b: { not: { condition: 'a' } } },
      rules: [{ ...keyAccounts, conditions: { any: [{ condition: 'a' }, { condition: 'key acount' }] } }],
    });
    expect(refused.status).toBe(422);
    expect(refused.json.problems.map((p: Json) => `${p.path}: ${p.message}`)).toEqual([
      '$.rules[0].conditions.any[1].condition: no shared condition is named "key acount" (shared conditions: "a", "b")',
      '$.sharedConditions.b.not.condition: the shared condition "b" refers back to itself ("a" → "b" → "a"): json-rules-engine would never finish',
    ]);
    expect((await call('GET', '/api/v1/rulesets/routing', agentToken)).json.version).toBe(2);
  });

  it('publishes a new version that new cases use while existing cases keep theirs', async () => {
    const before = await call('POST', '/api/v1/cases', ADMIN_TOKEN, { customer: { email: 'v@vip.example', organization: 'VIP Inc' }, subject: 'Hi', description: 'Question' });
    expect(before.json.queue).toBe('general');

    const current = (await call('GET', '/api/v1/rulesets/routing', managerToken)).json;
    const put = await call('PUT', '/api/v1/rulesets/routing', managerToken, { rules: [vipRule, ...current.rules], note: 'VIPs first' });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ ruleset: 'routing', version: 2, author: 'Maria', note: 'VIPs first' });

    const after = await call('POST', '/api/v1/cases', ADMIN_TOKEN, { customer: { email: 'v@vip.example' }, subject: 'Hi again', description: 'Question' });
    // Routed to technical by v2; matching no known problem, the escalation rules move it on to advanced support.
    expect(after.json).toMatchObject({ queue: 'advanced', routing: { version: 2, fired: [{ rule: 'VIP to technical' }] } });

    const old = await call('GET', `/api/v1/cases/${before.json.id}`, ADMIN_TOKEN);
    expect(old.json.routing.version).toBe(1);
    const history = await call('GET', '/api/v1/rulesets/routing/versions', managerToken);
    expect(history.json.map((v: Json) => v.version)).toEqual([2, 1]);
    expect((await call('GET', '/api/v1/rulesets/routing?version=1', managerToken)).json.version).toBe(1);
  });

  it('refuses an invalid ruleset with 422 INVALID_RULESET listing every problem with its JSON path, and keeps the old one', async () => {
    const res = await call('PUT', '/api/v1/rulesets/routing', managerToken, {
      rules: [
        { ...vipRule, event: { type: 'route', params: { queue: 'nowhere' } } },
        { conditions: { all: [{ fact: 'case', path: '$.subject', operator: 'sounds like', value: 'x' }] }, event: { type: 'setPriority', params: { priority: 'asap' } } },
      ],
    });
    expect(res.status).toBe(422);
    expect(res.json.code).toBe('INVALID_RULESET');
    expect(res.json.problems.map((p: Json) => p.path)).toEqual([
      '$.rules[0].event.params.queue',
      '$.rules[1].conditions.all[0].operator',
      '$.rules[1].event.params.priority',
    ]);
    expect((await call('GET', '/api/v1/rulesets/routing', managerToken)).json.version).toBe(1);
  });

  it('refuses an escalation to a queue of another tier (the case would be tier 2 in a tier-1 queue) or to a tier without an active queue', async () => {
    const escalate = (name: string, params: Json) => ({ name, conditions: vipRule.conditions, event: { type: 'escalate', params } });
    const res = await call('PUT', '/api/v1/rulesets/escalation', managerToken, { rules: [escalate('to billing', { tier: 2, queue: 'billing' }), escalate('to tier 3', { tier: 3 }), escalate('fine', { tier: 2 })] });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({
      code: 'INVALID_RULESET',
      problems: [
        { path: '$.rules[0].event.params.queue', message: 'the queue "billing" is at tier 1, not tier 2: the case would be marked tier 2 in a tier-1 queue; name a tier-2 queue (advanced), or escalate to tier 1' },
        { path: '$.rules[1].event.params.tier', message: 'no active queue is at tier 3, so this escalation would fail on every case (tiers with active queues: 1, 2); name a queue or another tier' },
      ],
    });
    expect((await call('GET', '/api/v1/rulesets/escalation', managerToken)).json.version).toBe(1);
  });

  it('refuses a decorated operator whose value would make json-rules-engine fail on every case, and keeps routing', async () => {
    const broken = { name: 'Web or API', conditions: { all: [{ fact: 'case', path: '$.channel', operator: 'someValue:equal', value: 'web' }] }, event: { type: 'addTags', params: { tags: ['online'] } } };
    const current = (await call('GET', '/api/v1/rulesets/routing', managerToken)).json;
    const res = await call('PUT', '/api/v1/rulesets/routing', managerToken, { rules: [...current.rules, broken] });
    expect(res.status).toBe(422);
    expect(res.json.problems).toEqual([
      { severity: 'error', path: `$.rules[${current.rules.length}].conditions.all[0].value`, message: expect.stringMatching(/^someValue:equal compares with an array: "someValue" tries the operator with each of its values/) },
    ]);
    const fixed = await call('PUT', '/api/v1/rulesets/routing', managerToken, { rules: [...current.rules, { ...broken, conditions: { all: [{ ...broken.conditions.all[0], value: ['web', 'api'] }] } }] });
    expect(fixed.status).toBe(200);
    const created = await call('POST', '/api/v1/cases', ADMIN_TOKEN, { customer: { email: 'w@example.com' }, subject: 'Invoice copy', description: 'Please send the invoice again.' });
    expect(created.json).toMatchObject({ queue: 'billing', tags: ['online'] });
  });

  it('refuses a body with a key twice in one object (JSON keeps only the last one) with its JSON path, and keeps the old one', async () => {
    const rule = JSON.stringify(vipRule).replace('"event":', '"event": { "type": "route", "params": { "queue": "billing" } },\n"event":');
    const res = await call('PUT', '/api/v1/rulesets/routing', managerToken, `{ "rules": [${rule}], "note": "VIPs" }`);
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({
      code: 'INVALID_RULESET',
      problems: [{ severity: 'error', path: '$.rules[0].event', message: 'duplicate key "event" (lines 1 and 2): JSON keeps only the last one and drops the other; rename or merge them' }],
    });
    expect((await call('GET', '/api/v1/rulesets/routing', managerToken)).json.version).toBe(1);
  });

  it('takes a definition as large as the manager console does (2 MiB, not the API’s 256 KiB) and names the limit beyond it', async () => {
    // ~1,300 rules of ~230 bytes: over 256 KiB, as a ruleset built in the console gets.
    const rules = Array.from({ length: 1300 }, (_, i) => ({ ...vipRule, name: `VIP ${i} to technical`, conditions: { all: [{ fact: 'customer', path: '$.organization', operator: 'equal', value: `VIP ${i} Inc` }] } }));
    const body = JSON.stringify({ rules, note: 'many customers' });
    expect(body.length).toBeGreaterThan(256 * 1024);
    const big = await call('PUT', '/api/v1/rulesets/routing', managerToken, body);
    expect(big.status).toBe(200);
    expect((await call('GET', '/api/v1/rulesets/routing', managerToken)).json.rules).toHaveLength(1300);
    const sla = (await call('GET', '/api/v1/sla-config', managerToken)).json;
    const config = { ...sla.config, policies: Object.fromEntries(Object.entries(sla.config.policies as Json).map(([name, p]) => [name, { ...p, description: 'x'.repeat(150 * 1024) }])) };
    expect(JSON.stringify(config).length).toBeGreaterThan(256 * 1024);
    expect((await call('PUT', '/api/v1/sla-config', managerToken, { config, note: 'long descriptions' })).status).toBe(200);
    // Beyond 2 MiB: 413 naming the limit, and nothing published.
    const huge = await call('PUT', '/api/v1/rulesets/routing', managerToken, { description: 'x'.repeat(2 * 1024 * 1024), rules });
    expect(huge.status).toBe(413);
    expect(huge.json).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', detail: 'The definition is larger than 2 MB.' });
    expect((await call('GET', '/api/v1/rulesets/routing', managerToken)).json.version).toBe(2);
    // Every other API body keeps its 256 KiB.
    const other = await call('POST', '/api/v1/cases', ADMIN_TOKEN, { subject: 'Big', description: 'x'.repeat(300 * 1024), customer: { email: 'c@example.com' } });
    expect(other).toMatchObject({ status: 413, json: { detail: 'The body is larger than 256 KB.' } });
  });

  it('creates a new ruleset (201) and is for managers and admins only', async () => {
    expect((await call('PUT', '/api/v1/rulesets/routing', agentToken, { rules: [] })).status).toBe(403);
    expect((await call('PUT', '/api/v1/rulesets/routing', customerToken, { rules: [] })).status).toBe(403);
    const created = await call('PUT', '/api/v1/rulesets/triage', ADMIN_TOKEN, { rules: [vipRule] });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ ruleset: 'triage', version: 1 });
    expect((await call('PUT', '/api/v1/rulesets/routing', ADMIN_TOKEN, { rules: 'x' })).status).toBe(422);
    expect((await call('PUT', '/api/v1/rulesets/routing', ADMIN_TOKEN, '{oops')).status).toBe(400);
  });
});

describe('tokens and reference data', () => {
  it('lets the admin token mint and revoke API tokens', async () => {
    const minted = await call('POST', '/api/v1/tokens', ADMIN_TOKEN, { email: 'c@example.com', name: 'portal' });
    expect(minted.status).toBe(201);
    expect(minted.json.token).toMatch(/^cb_/);
    expect((await call('GET', '/api/v1/cases', minted.json.token)).status).toBe(200);
    expect((await call('DELETE', `/api/v1/tokens/${minted.json.id}`, ADMIN_TOKEN)).status).toBe(204);
    expect((await call('GET', '/api/v1/cases', minted.json.token)).status).toBe(401);
    expect((await call('POST', '/api/v1/tokens', managerToken, { email: 'c@example.com' })).status).toBe(403);
    expect((await call('POST', '/api/v1/tokens', ADMIN_TOKEN, { email: 'nobody@example.com' })).status).toBe(404);
  });

  it('stores only a hash of each token', async () => {
    const minted = await call('POST', '/api/v1/tokens', ADMIN_TOKEN, { email: 'c@example.com' });
    const rows = await h.all<{ token_hash: string }>('SELECT token_hash FROM api_tokens');
    expect(rows.some((r) => r.token_hash === minted.json.token)).toBe(false);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash))).toBe(true);
  });

  it('serves queues and the workflow to staff', async () => {
    const queues = await call('GET', '/api/v1/queues', agentToken);
    expect(queues.json.map((q: Json) => [q.id, q.tier])).toEqual([
      ['billing', 1],
      ['general', 1],
      ['technical', 1],
      ['advanced', 2],
    ]);
    const workflow = await call('GET', '/api/v1/workflows/support', agentToken);
    expect(workflow.json).toMatchObject({ version: 1, definition: { workflow: 'support', initial: 'new' } });
    expect((await call('GET', '/api/v1/workflows/support', customerToken)).status).toBe(403);
    expect((await call('GET', '/api/v1/nothing-here', agentToken)).status).toBe(404);
  });
});
