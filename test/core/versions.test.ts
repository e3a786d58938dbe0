import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import { canonicalJson, diffLines } from '../../src/definitions/diff.js';
import { exportDefinitions, importDefinitions } from '../../src/definitions/export-import.js';
import { diffVersions, publishDraft, publishVersion, rollbackTo, saveDraft } from '../../src/definitions/versions.js';
import { openDatabase } from '../../src/db/client.js';
import { createServices } from '../../src/compose.js';
import { DefinitionError } from '../../src/errors.js';
import type { RulesetDefinition } from '../../src/rules/definition.js';
import { ADMIN, ROOT, createHarness, standardQueues, tempDir, type Harness, type TestActor } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';
import { scriptNodeArgs } from '../support/server.js';

let h: Harness;
let maria: TestActor;
beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  maria = h.agent({ name: 'Maria', role: 'manager' });
  await h.settled(); // PostgreSQL: the registry is loaded by the harness's seeding (these tests look definitions up synchronously)
});
afterEach(() => h.close());

function routing(): RulesetDefinition {
  return structuredClone(h.services.definitions.ruleset('routing').definition);
}

const vipFirst = (def: RulesetDefinition): RulesetDefinition => ({
  ...def,
  rules: [
    {
      name: 'Acme goes to technical',
      priority: 50,
      conditions: { all: [{ fact: 'customer', path: '$.organization', operator: 'equal', value: 'Acme' }] },
      event: { type: 'route', params: { queue: 'technical' } },
    },
    ...def.rules,
  ],
});

describe('drafts, publishing and rollback', () => {
  it('publishes a draft as a new version, rolls back as another, and cases keep the version they were routed by', async () => {
    const draft = await saveDraft(h.services, 'ruleset', 'routing', vipFirst(routing()), maria, 'Acme first');
    expect(draft).toMatchObject({ version: 2, state: 'draft', author: 'Maria' });
    expect(h.services.definitions.publishedVersion('ruleset', 'routing')).toBe(1);

    h.clock.advanceMinutes(5);
    const published = await publishDraft(h.services, 'ruleset', 'routing', 2, maria, 'Acme is our biggest customer');
    expect(published.version).toMatchObject({ version: 3, state: 'published', basedOn: 2, note: 'Acme is our biggest customer', author: 'Maria' });
    const acme = await createCase(h.services, { customer: { email: 'x@acme.example', organization: 'Acme' }, subject: 'Hi', description: 'Hello there' }, ADMIN);
    // Routed to technical by v3 (then escalated: no known problem matches).
    expect(acme).toMatchObject({ routing: { version: 3, outcome: { queue: 'technical' } } });

    h.clock.advanceMinutes(5);
    const rolledBack = await rollbackTo(h.services, 'ruleset', 'routing', 1, maria, '');
    expect(rolledBack.version).toMatchObject({ version: 4, state: 'published', basedOn: 1, note: 'Rolled back to v1' });
    const after = await createCase(h.services, { customer: { email: 'y@acme.example', organization: 'Acme' }, subject: 'Hi', description: 'Hello there' }, ADMIN);
    expect(after).toMatchObject({ queueId: 'general', routing: { version: 4 } });

    const history = h.services.definitions.history('ruleset', 'routing').map((v) => [v.version, v.state, v.author, v.basedOn]);
    expect(history).toEqual([
      [4, 'published', 'Maria', 1],
      [3, 'published', 'Maria', 2],
      [2, 'draft', 'Maria', null],
      [1, 'published', 'files', null],
    ]);
    const [stored] = await h.query((q) => q.db.select({ routing: q.tables.cases.routing }).from(q.tables.cases).where(eq(q.tables.cases.id, acme.id)));
    expect(stored!.routing).toMatchObject({ version: 3 });
  });

  it('refuses invalid drafts and drafts that became invalid, listing every problem', async () => {
    const broken = routing();
    broken.rules[0]!.event = { type: 'route', params: { queue: 'nowhere' } };
    await expect(saveDraft(h.services, 'ruleset', 'routing', broken, maria)).rejects.toThrow(DefinitionError);

    const draft = vipFirst(routing());
    await saveDraft(h.services, 'ruleset', 'routing', draft, maria);
    await h.run("UPDATE queues SET active = false WHERE id = 'technical'");
    try {
      await publishDraft(h.services, 'ruleset', 'routing', 2, maria, 'x');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DefinitionError);
      expect((error as DefinitionError).problems.map((p) => p.path)).toEqual(['$.rules[0].event.params.queue', '$.rules[2].event.params.queue']);
    }
    expect(h.services.definitions.publishedVersion('ruleset', 'routing')).toBe(1);
  });

  it('returns the publish checks as warnings', async () => {
    const draft = routing();
    draft.rules.push({
      name: 'Impossible',
      conditions: { all: [{ fact: 'case', path: '$.priority', operator: 'equal', value: 'low' }, { fact: 'case', path: '$.priority', operator: 'equal', value: 'high' }] },
      event: { type: 'addTags', params: { tags: ['never'] } },
    });
    await saveDraft(h.services, 'ruleset', 'routing', draft, maria);
    const { warnings } = await publishDraft(h.services, 'ruleset', 'routing', 2, maria, 'with a dead rule');
    expect(warnings).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/"Impossible" can never fire/) })]);
  });

  it('warns about a rule a ruleset run earlier on the same event always overrules', async () => {
    const escalation = structuredClone(h.services.definitions.ruleset('escalation').definition);
    escalation.rules.push(
      { name: 'Outages to technical', priority: 100, conditions: { all: [{ fact: 'case', path: '$.description', operator: 'textHasWord', value: 'outage' }] }, event: { type: 'route', params: { queue: 'technical' } } },
      { name: 'Switched off', enabled: false, conditions: { all: [] }, event: { type: 'setPriority', params: { priority: 'low' } } },
      { name: 'Tags accumulate', conditions: { all: [{ fact: 'case', path: '$.tier', operator: 'equal', value: 2 }] }, event: { type: 'addTags', params: { tags: ['tier2'] } } },
      // Only on SLA breaches, where no ruleset runs before this one: nothing overrules it (it was warned about as if on case.created).
      { name: 'Breaches are urgent', conditions: { all: [{ fact: 'event', path: '$.type', operator: 'in', value: ['sla.breached', 'sla.warning'] }] }, event: { type: 'setPriority', params: { priority: 'urgent' } } },
    );
    const { warnings } = await publishVersion(h.services, 'ruleset', 'escalation', escalation, maria, 'route outages');
    const index = escalation.rules.length - 4;
    expect(warnings).toEqual([
      {
        path: `$.rules[${index}].event.type`,
        severity: 'warning',
        message:
          '"route" applies only when "routing" sets no queue: workflow "support" runs "routing" before this ruleset on case.created, and the first ruleset to set an outcome decides it, whatever the rule priorities',
      },
    ]);
    // The shipped rulesets overrule nothing of each other: no such warning for them.
    const { warnings: none } = await publishVersion(h.services, 'ruleset', 'escalation', structuredClone(h.services.definitions.ruleset('escalation', 1).definition), maria, 'back');
    expect(none).toEqual([]);
  });

  it('diffs a draft against the published version', async () => {
    await saveDraft(h.services, 'ruleset', 'routing', vipFirst(routing()), maria);
    const { against, lines, same } = diffVersions(h.services, 'ruleset', 'routing', 2);
    expect(against).toBe(1);
    expect(same).toBe(false);
    const added = lines.filter((l) => l.kind === 'added').map((l) => l.text.trim());
    expect(added).toContain('"name": "Acme goes to technical",');
    expect(lines.filter((l) => l.kind === 'removed')).toEqual([]);
  });
});

describe('the published version in force (cached in memory)', () => {
  // SQLite only: another process writing the database file, seen through PRAGMA data_version (on PostgreSQL other instances signal through the live relay: test/postgres/runtime.test.ts).
  it.skipIf(ON_POSTGRES)('follows a version published by another process at once', async () => {
    expect(h.services.definitions.ruleset('routing').version).toBe(1);
    const other = openDatabase(h.dbPath);
    try {
      await publishVersion(createServices(other, h.clock), 'ruleset', 'routing', vipFirst(routing()), maria, 'from the command line');
    } finally {
      other.$client.close();
    }
    expect(h.services.definitions.publishedVersion('ruleset', 'routing')).toBe(2);
    expect(h.services.definitions.ruleset('routing').definition.rules[0]!.name).toBe('Acme goes to technical');
  });

  // SQLite only: as above.
  it.skipIf(ON_POSTGRES)('follows another process from inside a transaction that stored no version', async () => {
    expect(h.services.definitions.publishedVersion('ruleset', 'routing')).toBe(1);
    const other = openDatabase(h.dbPath);
    try {
      await publishVersion(createServices(other, h.clock), 'ruleset', 'routing', vipFirst(routing()), maria, 'from the command line');
    } finally {
      other.$client.close();
    }
    await h.services.store.write(async () => {
      expect(h.services.definitions.publishedVersion('ruleset', 'routing')).toBe(2);
    });
    expect(h.services.definitions.ruleset('routing').version).toBe(2);
  });

  // SQLite only: as above (better-sqlite3's statements counted).
  it.skipIf(ON_POSTGRES)('asks SQLite for other processes\' commits once per write transaction, and again in the next one', async () => {
    expect(h.services.definitions.publishedVersion('ruleset', 'routing')).toBe(1);
    const proto = Object.getPrototypeOf(h.db.$client.prepare('SELECT 1')) as { get: (...args: unknown[]) => unknown };
    const get = proto.get;
    let asked = 0;
    proto.get = function (this: { source: string }, ...args: unknown[]) {
      if (this.source === 'PRAGMA data_version') asked++;
      return get.apply(this, args);
    };
    try {
      await h.services.store.write(async () => {
        for (let i = 0; i < 5; i++) expect(h.services.definitions.ruleset('routing').version).toBe(1);
      });
      expect(asked).toBe(1);
    } finally {
      proto.get = get;
    }
    // A publish by another process between two transactions that looked the ruleset up: the next one sees it.
    const other = openDatabase(h.dbPath);
    try {
      await publishVersion(createServices(other, h.clock), 'ruleset', 'routing', vipFirst(routing()), maria, 'from the command line');
    } finally {
      other.$client.close();
    }
    await h.services.store.write(async () => {
      expect(h.services.definitions.publishedVersion('ruleset', 'routing')).toBe(2);
    });
  });

  it('takes a publish back when its transaction rolls back, and keeps one that commits', async () => {
    await expect(
      h.services.store.write(async () => {
        await publishVersion(h.services, 'ruleset', 'routing', vipFirst(routing()), maria, 'undone');
        expect(h.services.definitions.publishedVersion('ruleset', 'routing')).toBe(2); // seen inside its transaction
        throw new Error('something later in the command failed');
      }),
    ).rejects.toThrow('something later');
    expect(h.services.definitions.publishedVersion('ruleset', 'routing')).toBe(1);
    expect(h.services.definitions.ruleset('routing').version).toBe(1);

    await h.services.store.write(() => publishVersion(h.services, 'ruleset', 'routing', vipFirst(routing()), maria, 'kept'));
    expect(h.services.definitions.publishedVersion('ruleset', 'routing')).toBe(2);
  });
});

describe('diffLines', () => {
  it('marks added, removed and unchanged lines with their numbers', () => {
    expect(diffLines('a\nb\nc', 'a\nx\nc\nd')).toEqual([
      { kind: 'same', text: 'a', oldLine: 1, newLine: 1 },
      { kind: 'added', text: 'x', oldLine: null, newLine: 2 },
      { kind: 'removed', text: 'b', oldLine: 2, newLine: null },
      { kind: 'same', text: 'c', oldLine: 3, newLine: 3 },
      { kind: 'added', text: 'd', oldLine: null, newLine: 4 },
    ]);
  });
});

describe('rules as code: export and import', () => {
  const folders = () => {
    const dir = tempDir();
    return { rulesDir: path.join(dir, 'rules'), workflowsDir: path.join(dir, 'workflows') };
  };
  const snapshot = (f: { rulesDir: string; workflowsDir: string }) =>
    Object.fromEntries(
      [f.rulesDir, f.workflowsDir].flatMap((d) => fs.readdirSync(d).sort().map((name) => [path.join(path.basename(d), name), fs.readFileSync(path.join(d, name), 'utf8')])),
    );

  // Byte for byte, key order included (PostgreSQL keeps definition bodies as json, not jsonb: drizzle/pg/0002).
  it('writes the shipped definitions exactly as they are in the repository', async () => {
    const out = folders();
    await exportDefinitions(h.services, out);
    const repo = { rulesDir: path.join(ROOT, 'rules'), workflowsDir: path.join(ROOT, 'workflows') };
    expect(snapshot(out)).toEqual(snapshot(repo));
  });

  it('export then import publishes nothing; a second export gives identical files', async () => {
    const out = folders();
    await saveDraft(h.services, 'ruleset', 'routing', vipFirst(routing()), maria);
    await publishDraft(h.services, 'ruleset', 'routing', 2, maria, 'x');
    await exportDefinitions(h.services, out);
    const first = snapshot(out);
    const imported = await importDefinitions(h.services, out, ADMIN);
    expect(imported.every((c) => !c.changed)).toBe(true);
    expect((await exportDefinitions(h.services, out)).every((c) => !c.changed)).toBe(true);
    expect(snapshot(out)).toEqual(first);
  });

  it('imports a changed file as a new published version, and refuses a broken folder without changing anything', async () => {
    const out = folders();
    await exportDefinitions(h.services, out);
    const file = path.join(out.rulesDir, 'routing.json');
    fs.writeFileSync(file, canonicalJson(vipFirst(JSON.parse(fs.readFileSync(file, 'utf8')))));
    const changes = await importDefinitions(h.services, out, { ...ADMIN, name: 'ci' });
    expect(changes.filter((c) => c.changed)).toEqual([expect.objectContaining({ kind: 'ruleset', name: 'routing', version: 2 })]);
    expect(h.services.definitions.history('ruleset', 'routing')[0]).toMatchObject({ author: 'ci', note: expect.stringContaining('routing.json') });

    fs.writeFileSync(path.join(out.rulesDir, 'escalation.json'), '{"ruleset": "escalation", "rules": [{}]}');
    fs.writeFileSync(file, canonicalJson(routing()).replace('"billing"', '"finance"'));
    await expect(importDefinitions(h.services, out, ADMIN)).rejects.toThrow(/escalation\.json/);
    expect(h.services.definitions.publishedVersion('ruleset', 'routing')).toBe(2);
  });

  it('runs an imported ruleset\'s examples with everything the folder holds in force: the workflow and rulesets imported with it', async () => {
    const out = folders();
    await exportDefinitions(h.services, out);
    const write = (file: string, body: unknown) => fs.writeFileSync(file, canonicalJson(body));
    const workflowFile = path.join(out.workflowsDir, 'support.json');
    const workflow = JSON.parse(fs.readFileSync(workflowFile, 'utf8'));
    // A new ruleset run at intake, and a routing example that expects what it does.
    write(path.join(out.rulesDir, 'vip.json'), { ruleset: 'vip', rules: [{ name: 'VIP tagged', conditions: { all: [{ fact: 'customer', path: '$.organization', operator: 'equal', value: 'VIP' }] }, event: { type: 'addTags', params: { tags: ['vip'] } } }] });
    write(workflowFile, { ...workflow, triggers: { ...workflow.triggers, 'case.created': [...workflow.triggers['case.created'], 'vip'] } });
    const example = { name: 'A VIP is tagged', case: { subject: 'Hello', description: 'A question', customer: { organization: 'VIP' } }, expect: { tags: ['vip'] } };
    write(path.join(out.rulesDir, 'routing.examples.json'), { ruleset: 'routing', examples: [example] });
    // It was refused: the example ran with the workflow in force before the import.
    const changes = await importDefinitions(h.services, out, ADMIN);
    expect(changes.filter((c) => c.changed).map((c) => c.name).sort()).toEqual(['routing', 'support', 'vip']);

    // The other way: the workflow no longer runs "vip", and routing's example (changed with it) fails. It was imported.
    write(workflowFile, workflow);
    write(path.join(out.rulesDir, 'routing.examples.json'), { ruleset: 'routing', examples: [{ ...example, name: 'A VIP is still tagged' }] });
    const refused = await importDefinitions(h.services, out, ADMIN).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DefinitionError);
    expect(refused).toMatchObject({ code: 'EXAMPLES_FAILED', message: expect.stringContaining('"A VIP is still tagged" (tags: expected vip, got (none))') });
    expect((refused as Error).message).not.toMatch(/publish with a note/);
    expect(h.services.definitions.publishedVersion('workflow', 'support')).toBe(2);
    expect(h.services.definitions.publishedVersion('ruleset', 'routing')).toBe(2);
  });

  // SQLite only: the CLI scripts open DATABASE_PATH's file (src/cli.ts).
  it.skipIf(ON_POSTGRES)('runs as npm scripts against a database file', () => {
    const out = folders();
    const dbPath = h.dbPath;
    h.close();
    const env = { ...process.env, DATABASE_PATH: dbPath };
    const run = (script: string) =>
      spawnSync(process.execPath, scriptNodeArgs(`scripts/${script}.ts`, '--rules-dir', out.rulesDir, '--workflows-dir', out.workflowsDir), { cwd: ROOT, env, encoding: 'utf8' });
    const exported = run('rules-export');
    expect(exported.status).toBe(0);
    expect(exported.stdout).toMatch(/wrote\s+.*routing\.json \(ruleset routing v1\)/);
    const imported = run('rules-import');
    expect(imported.status).toBe(0);
    expect(imported.stdout.trim().split('\n').every((l) => l.startsWith('unchanged'))).toBe(true);
    h = createHarness();
  });
});
