/**
 * Issue 9.1 (code execution and regex blow-ups through a rule condition's `path`), 9.5 (ruleset
 * names and export; names looked up with Object.hasOwn), 17.4 (one publish path) and rule
 * priorities json-rules-engine refuses or reads otherwise (one stored version must never stop
 * the server): through the real API, a real SQLite file and the real migrations.
 */
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Handle } from '../../src/db/store/index.js';
import { openPostgresStore } from '../../src/db/store/pg.js';
import { exportDefinitions } from '../../src/definitions/export-import.js';
import { insertVersionRow } from '../../src/definitions/version-rows.js';
import { publishVersion } from '../../src/definitions/versions.js';
import { seedDefinitionsIn } from '../../src/seed/seed-definitions.js';
import { ADMIN_TOKEN, createHarness, loadRepoDefinitions, standardQueues, tempDir, type Harness } from '../support/harness.js';
import { createTestDatabase, ON_POSTGRES } from '../support/harness-postgres.js';
import { startServer } from '../support/server.js';

let h: Harness;
let managerToken: string;
let customerToken: string;

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  managerToken = h.tokenFor(h.agent({ name: 'Maria', role: 'manager' }));
  customerToken = h.tokenFor(h.customer({ email: 'c@example.com' }));
  // PostgreSQL: the harness loads the registry in its set-up; a test whose first statement is a
  // reload of the registry (exportDefinitions) would wait for that set-up, which waits for it.
  await h.settled();
});
afterEach(() => {
  delete (globalThis as { pwned?: unknown }).pwned;
  h.close();
});

type Json = Record<string, any>;
async function call(method: string, url: string, token: string | undefined, body?: unknown) {
  const res = await h.api(method, url, { ...(token ? { token } : {}), body });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as Json, type: res.headers.get('Content-Type') ?? '' };
}

const EXPLOIT_PATH = "$..[?(@.constructor[( @.getPrototypeOf ? @.getPrototypeOf(@).constructor('globalThis.pwned = 1')() : 'x' )])]";
const REGEX_PATH = '$[?(/^(\\w+\\s?)+$/.test(@))]';

const rule = (condition: Record<string, unknown>, name = 'r') => ({
  name,
  conditions: { all: [condition] },
  event: { type: 'addTags', params: { tags: ['x'] } },
});

/** Stores a version without any check, as one stored before today's checks existed would be. */
async function storeUnchecked(name: string, rules: unknown[]): Promise<number> {
  const row = await h.services.store.write((q) => h.services.definitions.insertVersion(q, 'ruleset', name, uncheckedBody(name, rules), { state: 'published', note: 'old', now: h.clock.now() }));
  await h.services.definitions.refresh(); // insertVersion's contract, once the transaction has ended
  return row.version;
}

const uncheckedBody = (name: string, rules: unknown[]) => ({ ruleset: name, description: '', rules });

/**
 * A database a server process can start on, seeded as the harness's, with `fn` written to it:
 * the harness's SQLite file; on PostgreSQL (the harness's database is not reachable from
 * another process) a database of its own.
 */
async function serverDatabase<T>(fn: (q: Handle) => Promise<T>): Promise<{ databasePath: string; databaseUrl?: string; written: T; drop(): Promise<void> }> {
  if (!ON_POSTGRES) return { databasePath: h.dbPath, written: await h.services.store.write(fn), drop: async () => undefined };
  const database = createTestDatabase();
  await database.created;
  const store = openPostgresStore(database.url, { max: 1 });
  try {
    await store.write((q) => seedDefinitionsIn(q, loadRepoDefinitions(), h.clock.now()));
    const written = await store.write(fn);
    return { databasePath: path.join(tempDir(), 'casebook.db'), databaseUrl: database.url, written, drop: () => database.release() };
  } finally {
    await store.close();
  }
}

describe('rule paths', () => {
  it.each([
    ['a filter with a script on the open event fact', 'escalation', { fact: 'event', operator: 'equal', value: 'never', path: EXPLOIT_PATH }, '$.rules[0].conditions.all[0].path'],
    ['a regex filter on the case fact', 'routing', { fact: 'case', operator: 'equal', value: 1, path: REGEX_PATH }, '$.rules[0].conditions.all[0].path'],
    ['a subscript script after a known field', 'routing', { fact: 'case', operator: 'equal', value: 1, path: '$.subject[(@.length-1)]' }, '$.rules[0].conditions.all[0].path'],
    ['recursive descent', 'routing', { fact: 'event', operator: 'equal', value: 1, path: '$..type' }, '$.rules[0].conditions.all[0].path'],
    ['a wildcard', 'routing', { fact: 'case', operator: 'contains', value: 'x', path: '$.tags[*]' }, '$.rules[0].conditions.all[0].path'],
    ['a filter in a value fact reference', 'routing', { fact: 'case', path: '$.tier', operator: 'equal', value: { fact: 'event', path: EXPLOIT_PATH } }, '$.rules[0].conditions.all[0].value.path'],
  ])('refuses %s with 422 INVALID_RULESET naming the rule, and keeps the version in force', async (_name, ruleset, condition, at) => {
    const res = await call('PUT', `/api/v1/rulesets/${ruleset}`, managerToken, { rules: [rule(condition)] });
    expect(res.status).toBe(422);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(res.json).toMatchObject({ code: 'INVALID_RULESET', requestId: expect.any(String) });
    expect(res.json.problems.map((p: Json) => p.path)).toEqual([at]);
    expect(res.json.problems[0].message).toMatch(/plain property path/);
    expect((await call('GET', `/api/v1/rulesets/${ruleset}`, managerToken)).json.version).toBe(1);
  });

  it('accepts plain paths on the event fact and runs them', async () => {
    const res = await call('PUT', '/api/v1/rulesets/routing', managerToken, {
      rules: [rule({ fact: 'event', path: "$['type']", operator: 'equal', value: 'case.created' }, 'tag new cases')],
    });
    expect(res.status).toBe(200);
    const created = await call('POST', '/api/v1/cases', customerToken, { subject: 'Hello', description: 'Question' });
    // Tags are internal: read through a staff token (customers get their projection).
    expect((await call('GET', `/api/v1/cases/${created.json.id}`, ADMIN_TOKEN)).json.tags).toContain('x');
  });

  it('never runs a stored version that is no longer valid: no code runs, no regex blocks, the case is still routed', async () => {
    const version = await storeUnchecked('routing', [
      rule({ fact: 'event', operator: 'equal', value: 'never', path: EXPLOIT_PATH }, 'exploit'),
      rule({ fact: 'case', operator: 'equal', value: 1, path: REGEX_PATH }, 'regex'),
    ]);
    expect(() => h.services.definitions.ruleset('routing')).toThrow(/is not run: it is no longer valid/);
    expect(h.services.definitions.refusedRulesets()).toEqual([
      { name: 'routing', version, problems: [expect.objectContaining({ path: '$.rules[0].conditions.all[0].path' }), expect.objectContaining({ path: '$.rules[1].conditions.all[0].path' })] },
    ]);

    const started = performance.now();
    const created = await call('POST', '/api/v1/cases', customerToken, { subject: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaa!', description: 'x' });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(created.status).toBe(201);
    expect((await call('GET', `/api/v1/cases/${created.json.id}`, ADMIN_TOKEN)).json.queue).toBe('general');
    expect((globalThis as { pwned?: unknown }).pwned).toBeUndefined();
    const events = await call('GET', `/api/v1/cases/${created.json.id}/events`, ADMIN_TOKEN);
    const failed = (events.json as Json[]).find((e) => e.type === 'rules.failed');
    expect(failed?.data).toMatchObject({ ruleset: 'routing', version, error: expect.stringMatching(new RegExp(`"routing" v${version} is not run: it is no longer valid`)) });
  });

  it('start-up says which stored version is refused and why, and the server still starts', async () => {
    const body = uncheckedBody('escalation', [rule({ fact: 'event', operator: 'equal', value: 'never', path: EXPLOIT_PATH }, 'exploit')]);
    const database = await serverDatabase((q) => insertVersionRow(q, 'ruleset', 'escalation', body, { state: 'published', note: 'old', now: h.clock.now() }));
    const version = database.written.version;
    const server = await startServer({ databasePath: database.databasePath, ...(database.databaseUrl ? { databaseUrl: database.databaseUrl } : {}) });
    try {
      const line = server
        .output()
        .split('\n')
        .find((l) => l.includes('no longer valid'));
      expect(line).toBeDefined();
      const entry = JSON.parse(line!) as Json;
      expect(entry).toMatchObject({ level: 'error', ruleset: 'escalation', version });
      expect(entry.msg).toContain(`"escalation" v${version}`);
      expect(entry.problems).toEqual([expect.stringMatching(/^\$\.rules\[0\]\.conditions\.all\[0\]\.path: a path is a plain property path/)]);
      expect((await fetch(`${server.url}/api/v1/rulesets/routing`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
    } finally {
      await server.stop();
      await database.drop();
    }
  }, 60_000);

  it('answers 20,000 nested "not" with 422, not a stack overflow', async () => {
    // Written as text: JSON.stringify itself overflows on this depth.
    const leaf = '{"fact":"case","path":"$.tier","operator":"equal","value":1}';
    const deep = `${'{"not":'.repeat(20_000)}${leaf}${'}'.repeat(20_000)}`;
    const body = `{"rules":[{"name":"deep","conditions":{"all":[${deep}]},"event":{"type":"addTags","params":{"tags":["x"]}}}]}`;
    const res = await call('PUT', '/api/v1/rulesets/routing', managerToken, body);
    expect(res.status).toBe(422);
    expect(res.json.code).toBe('INVALID_RULESET');
    expect(res.json.problems).toHaveLength(1);
    expect(res.json.problems[0].message).toMatch(/nest deeper than 32 levels/);
  });
});

describe('rule priorities, which json-rules-engine parseInt\'s (0.5 is 0 and refused, 10.5 is 10, 1e21 is 1)', () => {
  const zebra = (priority: number, name = 'Zebra tag') => ({ ...rule({ fact: 'case', path: '$.subject', operator: 'textHasWord', value: 'zebra' }, name), priority });
  const shipped = () => structuredClone(h.services.definitions.ruleset('routing').definition.rules);
  /** Runs as written by json-rules-engine: 10.5 is 10, which ties with "Billing questions go to billing" (10), which comes first. */
  const apiInvoices = { name: 'API invoices go to technical', priority: 10.5, conditions: { all: [{ fact: 'case', path: '$.subject', operator: 'textHasWord', value: 'api' }] }, event: { type: 'route', params: { queue: 'technical' } } };

  it.each([
    ['0.5', 'probe05', 0.5, /json-rules-engine reads 0\.5 as 0 and refuses the rule/],
    ['10.5', 'routing', 10.5, /json-rules-engine reads 10\.5 as 10/],
    ['1e21', 'routing', 1e21, /whole number from 1 to 9007199254740991/],
  ])('a new version with the priority %s is refused with 422 at its JSON path, and nothing is stored', async (_name, ruleset, priority, message) => {
    const res = await call('PUT', `/api/v1/rulesets/${ruleset}`, managerToken, { rules: [zebra(priority)] });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ code: 'INVALID_RULESET', problems: [{ path: '$.rules[0].priority', message: expect.stringMatching(message) }] });
    expect(h.services.definitions.history('ruleset', ruleset)).toHaveLength(ruleset === 'routing' ? 1 : 0);
  });

  it('a stored version json-rules-engine would refuse is not run, in any ruleset: cases are still taken in, and rules.failed names the version in force', async () => {
    const rules = shipped();
    const unused = await storeUnchecked('probe05', [zebra(0.5)]);
    const version = await storeUnchecked('routing', [...rules, zebra(0.5)]);
    expect(h.services.definitions.refusedRulesets()).toEqual([
      { name: 'probe05', version: unused, problems: [expect.objectContaining({ path: '$.rules[0].priority', severity: 'error' })] },
      { name: 'routing', version, problems: [expect.objectContaining({ path: `$.rules[${rules.length}].priority`, message: expect.stringContaining('refuses the rule') })] },
    ]);
    const created = await call('POST', '/api/v1/cases', customerToken, { subject: 'Invoice question', description: 'My invoice total is wrong' });
    expect(created.status).toBe(201);
    expect((await call('GET', `/api/v1/cases/${created.json.id}`, ADMIN_TOKEN)).json.queue).toBe('general');
    const events = (await call('GET', `/api/v1/cases/${created.json.id}/events`, ADMIN_TOKEN)).json as Json[];
    expect(events.find((e) => e.type === 'rules.failed')?.data).toMatchObject({ ruleset: 'routing', version, error: expect.stringContaining(`"routing" v${version} is not run`) });
    expect(events.find((e) => e.type === 'case.routed')?.data).toMatchObject({ queue: 'general', version, fallback: true });
  });

  it('start-up logs a stored version json-rules-engine would refuse (an unused ruleset) and one it runs otherwise than written, and serves', async () => {
    const database = await serverDatabase(async (q) => {
      const now = h.clock.now();
      const refused = await insertVersionRow(q, 'ruleset', 'probe05', uncheckedBody('probe05', [zebra(0.5)]), { state: 'published', note: 'old', now });
      const read = await insertVersionRow(q, 'ruleset', 'routing', uncheckedBody('routing', [...shipped(), apiInvoices]), { state: 'published', note: 'old', now });
      return { refused: refused.version, read: read.version };
    });
    const server = await startServer({ databasePath: database.databasePath, ...(database.databaseUrl ? { databaseUrl: database.databaseUrl } : {}) });
    try {
      const lines = server
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Json);
      expect(lines.find((l) => l.ruleset === 'probe05')).toMatchObject({ level: 'error', version: database.written.refused, problems: [expect.stringMatching(/^\$\.rules\[0\]\.priority: .*refuses the rule/)] });
      expect(lines.find((l) => l.ruleset === 'routing')).toMatchObject({
        level: 'warn',
        version: database.written.read,
        problems: [expect.stringMatching(/^\$\.rules\[\d+\]\.priority: 10\.5 is not a whole number: json-rules-engine reads it as 10/)],
      });
      const headers = { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' };
      const created = await fetch(`${server.url}/api/v1/cases`, { method: 'POST', headers, body: JSON.stringify({ subject: 'API invoice is wrong', description: 'The amount is wrong', customer: { email: 'c@example.com' } }) });
      expect(created.status).toBe(201);
      expect(((await created.json()) as Json).queue).toBe('billing');
    } finally {
      await server.stop();
      await database.drop();
    }
  }, 60_000);

  it.each(['compiled', 'reference'] as const)('a version stored with a priority of 10.5 runs as json-rules-engine reads it, 10, with the %s evaluator', async (rulesEngine) => {
    const desk = createHarness({ services: { rulesEngine } });
    try {
      standardQueues(desk);
      await desk.settled();
      const rules = shipped();
      const row = await desk.services.store.write((q) => desk.services.definitions.insertVersion(q, 'ruleset', 'routing', uncheckedBody('routing', [...rules, apiInvoices]), { state: 'published', note: 'old', now: desk.clock.now() }));
      await desk.services.definitions.refresh();
      expect(desk.services.definitions.rulesetWarnings('routing')).toEqual([expect.objectContaining({ path: `$.rules[${rules.length}].priority`, severity: 'warning' })]);
      const customer = desk.tokenFor(desk.customer({ email: 'api@example.com' }));
      const res = await desk.api('POST', '/api/v1/cases', { token: customer, body: { subject: 'API invoice is wrong', description: 'The amount is wrong' } });
      const id = ((await res.json()) as Json).id as number;
      const events = (await (await desk.api('GET', `/api/v1/cases/${id}/events`, { token: ADMIN_TOKEN })).json()) as Json[];
      const routed = events.find((e) => e.type === 'case.routed')!.data as Json;
      expect(routed).toMatchObject({ queue: 'billing', version: row.version });
      expect(routed.fired).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'API invoices go to technical', priority: 10 }), expect.objectContaining({ rule: 'Billing questions go to billing', priority: 10 })]));
    } finally {
      desk.close();
    }
  });
});

describe('ruleset names and export', () => {
  it.each([
    ['sla', /reserved/],
    ['a'.repeat(300), /1 to 64/],
    ['Routing_2', /lower-case/],
  ])('refuses to create a ruleset named %s (422 at $.ruleset)', async (name, message) => {
    const res = await call('PUT', `/api/v1/rulesets/${name}`, managerToken, { rules: [] });
    expect(res.status).toBe(422);
    expect(res.json.code).toBe('INVALID_RULESET');
    expect(res.json.problems[0]).toMatchObject({ path: '$.ruleset', message: expect.stringMatching(message) });
    expect(h.services.definitions.history('ruleset', name)).toEqual([]);
  });

  it('export refuses a stored ruleset that would overwrite rules/sla.json and writes nothing', async () => {
    const dir = tempDir();
    const folders = { rulesDir: path.join(dir, 'rules'), workflowsDir: path.join(dir, 'workflows') };
    await exportDefinitions(h.services, folders);
    const before = fs.readFileSync(path.join(folders.rulesDir, 'sla.json'), 'utf8');
    // A newer routing version, so an export that was not all-or-nothing would change routing.json.
    expect((await call('PUT', '/api/v1/rulesets/routing', managerToken, { rules: [] })).status).toBe(200);
    await storeUnchecked('sla', []);
    await storeUnchecked('x'.repeat(300), []);
    await expect(exportDefinitions(h.services, folders)).rejects.toThrow(/Nothing was exported: 2 definitions cannot be written/);
    expect(fs.readFileSync(path.join(folders.rulesDir, 'sla.json'), 'utf8')).toBe(before);
    expect(JSON.parse(fs.readFileSync(path.join(folders.rulesDir, 'routing.json'), 'utf8')).rules.length).toBeGreaterThan(0);
    expect(fs.readdirSync(folders.rulesDir).sort()).toEqual(['escalation.json', 'routing.json', 'sla.json']);
  });

  it('export refuses to write a refused ruleset version (start-up would refuse that file)', async () => {
    const dir = tempDir();
    const folders = { rulesDir: path.join(dir, 'rules'), workflowsDir: path.join(dir, 'workflows') };
    await exportDefinitions(h.services, folders);
    const before = fs.readFileSync(path.join(folders.rulesDir, 'escalation.json'), 'utf8');
    const version = await storeUnchecked('escalation', [rule({ fact: 'event', operator: 'equal', value: 'never', path: EXPLOIT_PATH })]);
    await expect(exportDefinitions(h.services, folders)).rejects.toThrow(/Nothing was exported: 1 definition cannot be written/);
    try {
      await exportDefinitions(h.services, folders);
    } catch (error) {
      expect((error as { problems: { message: string }[] }).problems[0]!.message).toContain(`ruleset "escalation": v${version}, the version in force, is no longer valid`);
    }
    expect(fs.readFileSync(path.join(folders.rulesDir, 'escalation.json'), 'utf8')).toBe(before);
  });

  it('export writes through temporary files renamed into place, leaving none behind', async () => {
    const dir = tempDir();
    const folders = { rulesDir: path.join(dir, 'rules'), workflowsDir: path.join(dir, 'workflows') };
    const changes = await exportDefinitions(h.services, folders);
    expect(changes.every((c) => c.changed)).toBe(true);
    expect(fs.readdirSync(folders.rulesDir).sort()).toEqual(['escalation.json', 'routing.json', 'sla.json']);
    expect(fs.readdirSync(folders.workflowsDir)).toEqual(['support.json']);
    expect((await exportDefinitions(h.services, folders)).some((c) => c.changed)).toBe(false);
  });
});

describe('names from requests are looked up as own entries only', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('GET /assets/%s is 404 without signing in', async (name) => {
    const res = await h.app.request(`/assets/${name}`);
    expect(res.status).toBe(404);
  });

  it.each(['constructor', '__proto__', 'toString', 'valueOf'])('a customer invoking the transition %s gets 409 INVALID_TRANSITION', async (name) => {
    const created = await call('POST', '/api/v1/cases', customerToken, { subject: 'Hello', description: 'Question' });
    const res = await call('POST', `/api/v1/cases/${created.json.id}/transitions`, customerToken, { transition: name });
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({ code: 'INVALID_TRANSITION', requestId: expect.any(String) });
  });

  it.each(['toString', 'constructor', '__proto__'])('a rule event type %s is 422 INVALID_RULESET', async (type) => {
    const res = await call('PUT', '/api/v1/rulesets/routing', managerToken, { rules: [{ name: 'r', conditions: { all: [] }, event: { type, params: {} } }] });
    expect(res.status).toBe(422);
    expect(res.json.problems.map((p: Json) => p.path)).toEqual(['$.rules[0].event.type']);
  });

  it.each(['constructor', 'toString'])('a fact or operator named %s is 422 INVALID_RULESET', async (name) => {
    const res = await call('PUT', '/api/v1/rulesets/routing', managerToken, {
      rules: [
        { name: 'a', conditions: { all: [{ fact: name, operator: 'equal', value: 1 }] }, event: { type: 'addTags', params: { tags: ['x'] } } },
        { name: 'b', conditions: { all: [{ fact: 'case', path: '$.tier', operator: name, value: 1 }] }, event: { type: 'addTags', params: { tags: ['x'] } } },
        { name: 'c', conditions: { all: [{ fact: 'case', path: '$.tier', operator: 'equal', value: { fact: name } }] }, event: { type: 'addTags', params: { tags: ['x'] } } },
        { name: 'd', conditions: { all: [] }, event: { type: 'notify', params: { to: 'customer', template: name } } },
        { name: 'e', conditions: { all: [] }, event: { type: 'applySlaPolicy', params: { policy: name } } },
      ],
    });
    expect(res.status).toBe(422);
    expect(res.json.problems.map((p: Json) => p.path)).toEqual([
      '$.rules[0].conditions.all[0].fact',
      '$.rules[1].conditions.all[0].operator',
      '$.rules[2].conditions.all[0].value.fact',
      '$.rules[3].event.params.template',
      '$.rules[4].event.params.policy',
    ]);
  });
});

describe('one publish path', () => {
  it('PUT /api/v1/rulesets/:name answers the same publish warnings the console shows', async () => {
    const res = await call('PUT', '/api/v1/rulesets/routing', managerToken, {
      rules: [
        { name: 'A', priority: 5, conditions: { all: [{ fact: 'case', path: '$.subject', operator: 'textContains', value: 'invoice' }] }, event: { type: 'route', params: { queue: 'billing' } } },
        { name: 'B', priority: 5, conditions: { all: [{ fact: 'case', path: '$.subject', operator: 'textContains', value: 'error' }] }, event: { type: 'route', params: { queue: 'technical' } } },
        { name: 'C', conditions: { all: [{ fact: 'case', path: '$.priority', operator: 'equal', value: 'low' }, { fact: 'case', path: '$.priority', operator: 'equal', value: 'urgent' }] }, event: { type: 'addTags', params: { tags: ['never'] } } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json.warnings).toEqual([
      expect.objectContaining({ severity: 'warning', path: '$.rules[2].conditions.all[1]', message: expect.stringMatching(/"C" can never fire/) }),
      expect.objectContaining({ severity: 'warning', path: '$.rules[1]', message: expect.stringMatching(/"B" and "A" set different queue values/) }),
    ]);
  });
});

describe('a notify rule or action’s incoming-webhook URL is a secret', () => {
  const SECRET = 'https://hooks.slack.invalid/services/T0001/B0001/s3cr3tT0k3n';
  const TEAMS = 'https://teams.invalid/webhookb2/another-s3cr3t';

  it('agents never read it (ruleset, workflow, the case’s routing and timeline); managers read it as written; the post still goes to it', async () => {
    const agentToken = h.tokenFor(h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'] }));
    const current = await call('GET', '/api/v1/rulesets/routing', managerToken);
    const notify = { name: 'Every new case to Slack', conditions: { all: [] }, event: { type: 'notify', params: { to: 'slack', template: 'case-received', url: SECRET } } };
    const put = await call('PUT', '/api/v1/rulesets/routing', managerToken, { rules: [...current.json.rules, notify] });
    expect(put.status).toBe(200);
    const support = h.services.definitions.workflow('support').definition;
    const workflow = structuredClone(support) as unknown as Json;
    workflow.states.pending.onEnter = [...(workflow.states.pending.onEnter ?? []), { action: 'notify', to: 'teams', template: 'case-pending', url: TEAMS }];
    await publishVersion(h.services, 'workflow', 'support', workflow, { type: 'system', id: null, role: 'admin', name: 'test' }, 'a Teams post');

    // Managers (the rule builder's round trip) get the URL as written.
    expect(JSON.stringify((await call('GET', '/api/v1/rulesets/routing', managerToken)).json)).toContain(SECRET);
    expect(JSON.stringify((await call('GET', '/api/v1/workflows/support', managerToken)).json)).toContain(TEAMS);

    const asAgent = await call('GET', '/api/v1/rulesets/routing', agentToken);
    expect(asAgent.status).toBe(200);
    expect(JSON.stringify(asAgent.json)).not.toContain('s3cr3t');
    expect(asAgent.json.rules.at(-1).event.params).toEqual({ to: 'slack', template: 'case-received', url: '(hidden)' });
    const versioned = await call('GET', `/api/v1/rulesets/routing?version=${put.json.version}`, agentToken);
    expect(JSON.stringify(versioned.json)).not.toContain('s3cr3t');
    const wf = await call('GET', '/api/v1/workflows/support', agentToken);
    expect(wf.status).toBe(200);
    expect(JSON.stringify(wf.json)).not.toContain('s3cr3t');
    expect(wf.json.definition.states.pending.onEnter.at(-1)).toEqual({ action: 'notify', to: 'teams', template: 'case-pending', url: '(hidden)' });

    const created = await call('POST', '/api/v1/cases', customerToken, { subject: 'Hello', description: 'A question' });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    for (const token of [agentToken, managerToken]) {
      const view = await call('GET', `/api/v1/cases/${id}`, token);
      expect(view.json.routing.fired.map((f: Json) => f.rule)).toContain('Every new case to Slack');
      expect(JSON.stringify(view.json)).not.toContain('s3cr3t');
      const events = await call('GET', `/api/v1/cases/${id}/events`, token);
      expect(events.status).toBe(200);
      expect(JSON.stringify(events.json)).not.toContain('s3cr3t');
    }
    // What the rule decided still posts to the real URL.
    const posts = await h.query((q) => q.db.select({ payload: q.tables.outbox.payload }).from(q.tables.outbox).where(eq(q.tables.outbox.type, 'im.post')));
    expect(posts.map((p) => p.payload.url)).toContain(SECRET);
  });

  it('a case routed before URLs were hidden shows none either', async () => {
    const agentToken = h.tokenFor(h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'] }));
    const created = await call('POST', '/api/v1/cases', customerToken, { subject: 'Hello', description: 'A question' });
    const caseId = Number(String(created.json.id).replace(/^C-/, ''));
    const fired = [{ rule: 'Old Slack rule', priority: 1, event: { type: 'notify', params: { to: 'slack', template: 'case-received', url: SECRET } } }];
    await h.services.store.write(async (q) => {
      const [row] = await q.db.select({ routing: q.tables.cases.routing }).from(q.tables.cases).where(eq(q.tables.cases.id, caseId));
      await q.db.update(q.tables.cases).set({ routing: { ...row!.routing!, fired } as NonNullable<typeof row>["routing"] }).where(eq(q.tables.cases.id, caseId));
      await q.db.insert(q.tables.caseEvents).values({ caseId, type: 'rules.evaluated', at: h.clock.now(), actorType: 'system', actorId: null, data: { ruleset: 'escalation', version: 1, event: 'sla.breached', fired } });
    });
    const view = await call('GET', `/api/v1/cases/${created.json.id}`, agentToken);
    expect(view.json.routing.fired[0].event.params.url).toBe('(hidden)');
    const events = await call('GET', `/api/v1/cases/${created.json.id}/events`, agentToken);
    expect(JSON.stringify(events.json)).toContain('Old Slack rule');
    expect(JSON.stringify(events.json)).not.toContain('s3cr3t');
  });
});
