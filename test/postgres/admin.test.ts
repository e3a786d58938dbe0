/**
 * The admin lane on PostgreSQL (docs/postgres.md, "Converted: admin"): a manager-console
 * harness seeded on SQLite (definitions, queues, people, a few cases), moved into a fresh
 * PostgreSQL database, its registry reloaded from there; then every converted command runs
 * through its route or page, and what it did is read back through the store. Anything still
 * written through `services.db` would land in the SQLite file instead and fail the checks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { and, asc, count, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Definitions } from '../../src/definitions/registry.js';
import { insertVersionRow } from '../../src/definitions/version-rows.js';
import { canonicalJson } from '../../src/definitions/diff.js';
import type { RulesetDefinition } from '../../src/rules/definition.js';
import { dryRun } from '../../src/rules/dry-run.js';
import { moveToPostgres, type Moved } from '../support/on-postgres.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';
import { manageHarness, textOf, type ManageHarness } from '../manage/support.js';

let cluster: PostgresCluster;
let h: ManageHarness;
let moved: Moved;
let managerToken: string;
let agentToken: string;
const CASES = 4;

beforeAll(async () => {
  cluster = await startPostgres();
  h = manageHarness();
  managerToken = h.tokenFor(h.maria);
  agentToken = h.tokenFor(h.alice);
  for (let i = 0; i < CASES; i++) {
    await h.intake({ customer: { email: `c${i}@acme.example`, organization: 'Acme' }, subject: `Invoice ${i} is wrong`, description: 'The invoice amount is wrong.' });
  }
  moved = await moveToPostgres(h.services, h.dbPath, cluster);
  // A process starting on PostgreSQL: its registry loads from the store.
  h.services.definitions = await Definitions.open(h.services.store, h.services.actions);
}, 60_000);

afterAll(async () => {
  await moved?.close();
  h?.close();
  await cluster?.stop();
});

const store = () => h.services.store;
const sqliteCount = (table: string) => (h.db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

function versionsOf(kind: 'ruleset' | 'workflow' | 'sla', name: string) {
  return store().query((q) => {
    const t = q.tables.definitionVersions;
    return q.db.select({ version: t.version, state: t.state, note: t.note, basedOn: t.basedOn }).from(t).where(and(eq(t.kind, kind), eq(t.name, name))).orderBy(desc(t.version));
  });
}

function auditActions(entity: string) {
  return store().query(async (q) => {
    const t = q.tables.auditLog;
    return (await q.db.select({ action: t.action, id: t.entityId }).from(t).where(eq(t.entityType, entity as 'problem')).orderBy(asc(t.id))).map((r) => `${r.id} ${r.action}`);
  });
}

async function api(method: string, url: string, token: string, body?: unknown) {
  const res = await h.api(method, url, { token, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

const acmeFirst = (def: RulesetDefinition): RulesetDefinition => ({
  ...def,
  rules: [{ name: 'Acme goes to technical', priority: 50, conditions: { all: [{ fact: 'customer', path: '$.organization', operator: 'equal', value: 'Acme' }] }, event: { type: 'route', params: { queue: 'technical' } } }, ...def.rules],
});

describe('definitions on PostgreSQL', () => {
  it('publishes a ruleset through the API, refuses an invalid one, and keeps both out of the SQLite file', async () => {
    const sqliteVersions = sqliteCount('definition_versions');
    const routing = h.services.definitions.ruleset('routing').definition;
    const ok = await api('PUT', '/api/v1/rulesets/routing', managerToken, { rules: acmeFirst(routing).rules, note: 'Acme first' });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ version: 2 });
    const bad = await api('PUT', '/api/v1/rulesets/routing', managerToken, { rules: [{ name: 'x', conditions: { all: [] }, event: { type: 'route', params: { queue: 'nowhere' } } }] });
    expect(bad.status).toBe(422);
    expect(bad.json).toMatchObject({ code: 'INVALID_RULESET' });
    expect((await versionsOf('ruleset', 'routing')).map((v) => [v.version, v.state, v.note])).toEqual([
      [2, 'published', 'Acme first'],
      [1, 'published', expect.stringContaining('Seeded')],
    ]);
    expect(await auditActions('definition')).toEqual(['ruleset/routing published']);
    expect(h.services.definitions.publishedVersion('ruleset', 'routing')).toBe(2);
    expect(sqliteCount('definition_versions')).toBe(sqliteVersions);
  });

  it('saves a draft, publishes it and rolls back through the console pages', async () => {
    const body = canonicalJson(h.services.definitions.workflow('support').definition);
    const draft = await h.as.manager.post('/manage/workflows/support/drafts', { body, note: 'same again' });
    expect(draft.status).toBe(303);
    const published = await h.as.manager.post('/manage/workflows/support/publish', { draft: '2', note: 'why not' });
    expect(published.status).toBe(303);
    const noNote = await h.as.manager.post('/manage/workflows/support/publish', { draft: '2', note: '' });
    expect(noNote.status).toBe(422);
    const rolledBack = await h.as.manager.post('/manage/workflows/support/rollback', { version: '1', note: '' });
    expect(rolledBack.status).toBe(303);
    expect((await versionsOf('workflow', 'support')).map((v) => [v.version, v.state, v.basedOn])).toEqual([
      [4, 'published', 1],
      [3, 'published', 2],
      [2, 'draft', null],
      [1, 'published', null],
    ]);
    const page = textOf(await (await h.as.manager.get('/manage/workflows/support')).text());
    expect(page).toContain('v4');
  });

  it('publishes the SLA config through the API', async () => {
    const config = h.services.definitions.sla().config.definition;
    const res = await api('PUT', '/api/v1/sla-config', managerToken, { config, note: 'unchanged policies' });
    expect(res.status).toBe(200);
    expect((await versionsOf('sla', 'sla'))[0]).toMatchObject({ version: 2, state: 'published', note: 'unchanged policies' });
  });

  it('exports what PostgreSQL holds and imports a changed file as a new version', async () => {
    const exported = await h.as.manager.post('/manage/rules/export');
    expect(exported.status).toBe(200);
    const file = path.join(h.folders.rulesDir, 'routing.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).rules[0].name).toBe('Acme goes to technical');
    const changed = JSON.parse(fs.readFileSync(file, 'utf8')) as RulesetDefinition;
    changed.rules = changed.rules.slice(1);
    fs.writeFileSync(file, canonicalJson(changed));
    const imported = await h.as.manager.post('/manage/rules/import');
    expect(imported.status).toBe(200);
    expect(textOf(await imported.text())).toContain('Imported: 1 new version published.');
    expect((await versionsOf('ruleset', 'routing'))[0]).toMatchObject({ version: 3, note: expect.stringContaining('routing.json') });
    // A broken folder imports nothing.
    fs.writeFileSync(path.join(h.folders.rulesDir, 'escalation.json'), '{"ruleset": "escalation", "rules": [{}]}');
    expect((await h.as.manager.post('/manage/rules/import')).status).toBe(422);
    expect(await versionsOf('ruleset', 'escalation')).toHaveLength(1);
  });

  it('dry-runs a draft over the cases stored in PostgreSQL, and the builders read their options there', async () => {
    const draft = acmeFirst(h.services.definitions.ruleset('routing').definition);
    const last = await dryRun(h.services, { ruleset: 'routing', draft, selection: { kind: 'last', count: 100 } });
    expect(last).toMatchObject({ total: CASES, changed: CASES });
    expect(Object.entries(last.byRule).filter(([rule]) => rule.includes('Acme goes to technical'))).toEqual([[expect.any(String), CASES]]);
    const range = await dryRun(h.services, { ruleset: 'routing', draft, selection: { kind: 'range', from: h.clock.now() - 86_400_000, to: h.clock.now() + 1 } });
    expect(range.total).toBe(CASES);
    const byQueue = await dryRun(h.services, { ruleset: 'routing', draft, selection: { kind: 'queue', queue: 'nowhere', count: 10 } });
    expect(byQueue.total).toBe(0);
    const builder = await h.as.manager.get('/manage/rules/routing');
    expect(builder.status).toBe(200);
    expect(await builder.text()).toContain('technical');
    expect((await h.as.manager.get('/manage/workflows/support')).status).toBe(200);
    // The queue list (reference data) reads the store: a queue only PostgreSQL has shows.
    await store().write((q) => q.db.insert(q.tables.queues).values({ id: 'pg-only', name: 'PG only', tier: 1, createdAt: h.clock.now() }));
    expect(((await api('GET', '/api/v1/queues', agentToken)).json as unknown as { id: string }[]).map((q) => q.id)).toContain('pg-only');
  });

  it('a registry opened afresh on the store (a restart) sees what was published', async () => {
    const fresh = await Definitions.open(store(), h.services.actions);
    expect(fresh.publishedVersion('ruleset', 'routing')).toBe(3);
    expect(fresh.publishedVersion('workflow', 'support')).toBe(4);
    expect(fresh.sla().version).toBe(2);
    expect(fresh.history('workflow', 'support').map((r) => r.version)).toEqual([4, 3, 2, 1]);
    expect(fresh.names('ruleset')).toEqual(['escalation', 'routing']);
  });

  it("PUT keeps the description in force as the database holds it, when this instance's copy is behind another instance's publish", async () => {
    const inForce = h.services.definitions.version('ruleset', 'routing', 3)!.body as RulesetDefinition;
    // Another instance publishes version 4 with a new description; this one has not heard of it (no relay here).
    await store().write((q) => insertVersionRow(q, 'ruleset', 'routing', { ...inForce, description: 'Written on another instance' }, { state: 'published', note: 'elsewhere', now: h.clock.now() }));
    expect(h.services.definitions.publishedVersion('ruleset', 'routing')).toBe(3);
    const res = await api('PUT', '/api/v1/rulesets/routing', managerToken, { rules: inForce.rules, note: 'rules only' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ version: 5, description: 'Written on another instance' });
    expect(h.services.definitions.publishedVersion('ruleset', 'routing')).toBe(5);
  });
});

describe('macros, templates and the problem library on PostgreSQL', () => {
  it('creates, edits (version-checked), refuses and deletes a macro through the API', async () => {
    const created = await api('POST', '/api/v1/macros', agentToken, { name: 'Ack', body: 'Thanks {{customer.firstName}}', actions: { priority: 'high' } });
    expect(created.status).toBe(201);
    const id = Number(created.json!.id);
    const invalid = await api('PATCH', `/api/v1/macros/${id}`, agentToken, { actions: { assignee: 9999 } });
    expect(invalid.status).toBe(422);
    expect((await api('PATCH', `/api/v1/macros/${id}`, agentToken, { name: 'Acknowledge', expectedVersion: 1 })).status).toBe(200);
    expect((await api('PATCH', `/api/v1/macros/${id}`, agentToken, { name: 'Stale', expectedVersion: 1 })).status).toBe(409);
    const rows = await store().query((q) => q.db.select({ name: q.tables.macros.name, version: q.tables.macros.version }).from(q.tables.macros));
    expect(rows).toEqual([{ name: 'Acknowledge', version: 2 }]);
    expect((await api('GET', '/api/v1/macros', agentToken)).json).toEqual([expect.objectContaining({ name: 'Acknowledge' })]);
    expect((await api('DELETE', `/api/v1/macros/${id}`, agentToken)).status).toBe(204);
    expect((await api('GET', `/api/v1/macros/${id}`, agentToken)).status).toBe(404);
    expect(sqliteCount('macros')).toBe(0);
  });

  it('saves a mail template, previews it, refuses a broken one and resets it', async () => {
    const url = '/api/v1/templates/case-resolved/customer';
    const saved = await api('PUT', url, managerToken, { subject: 'Solved: {{case.subject}}', body: 'Hello {{customer.name}}, it is solved.' });
    expect(saved.status).toBe(200);
    const preview = await api('POST', `${url}/preview`, managerToken, {});
    expect(preview.json).toMatchObject({ subject: expect.stringContaining('Solved: '), case: null });
    expect((await api('PUT', url, managerToken, { subject: 'x', body: '{{no.such}}' })).status).toBe(422);
    const got = await api('GET', url, managerToken);
    expect(got.json).toMatchObject({ customized: true, history: [expect.objectContaining({ action: 'saved' })] });
    expect((await api('DELETE', url, managerToken)).json).toMatchObject({ customized: false });
    const changes = await store().query((q) => q.db.select({ action: q.tables.notificationTemplateChanges.action }).from(q.tables.notificationTemplateChanges));
    expect(changes.map((c) => c.action)).toEqual(['saved', 'reset']);
    expect(await store().query(async (q) => (await q.db.select({ n: count() }).from(q.tables.notificationTemplates))[0]!.n)).toBe(0);
  });

  it('creates, edits, deactivates and searches problem-library entries through the console', async () => {
    expect((await h.as.manager.post('/manage/team/problems', { title: '', symptoms: '', solution: 'x' })).status).toBe(422);
    const created = await h.as.manager.post('/manage/team/problems', { title: 'Printer jams', symptoms: 'paper stuck', synonyms: '', solution: 'Open tray B' });
    expect(created.status).toBe(303);
    const id = Number(/problems\/(\d+)/.exec(created.headers.get('location') ?? '')![1]);
    expect((await h.as.manager.post(`/manage/team/problems/${id}`, { title: 'Printer JAMS', symptoms: 'paper stuck again', synonyms: '', solution: 'Open tray B' })).status).toBe(303);
    expect((await h.as.manager.post(`/manage/team/problems/${id}/deactivate`)).status).toBe(303);
    expect((await h.as.manager.post('/manage/team/problems/99999', { title: 'a', symptoms: 'b', synonyms: '', solution: 'c' })).status).toBe(404);
    const [row] = await store().query((q) => q.db.select().from(q.tables.problems).where(eq(q.tables.problems.id, id)));
    expect(row).toMatchObject({ title: 'Printer JAMS', active: false });
    // The filter ignores case on PostgreSQL too.
    expect(textOf(await (await h.as.manager.get('/manage/team/problems?q=printer%20jams')).text())).toContain('Printer JAMS');
    expect(await auditActions('problem')).toEqual([`${id} created`, `${id} updated`, `${id} deactivated`]);
  });
});
