/**
 * The demo desk (SEED_DEMO) follows the workflow DEFAULT_WORKFLOW names, whatever its
 * transitions are called, and is all or nothing: a failure leaves no half-seeded database.
 */
import fs from 'node:fs';
import path from 'node:path';
import { count, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/seed/seed-demo.js';
import type { WorkflowDefinition } from '../../src/workflow/definition.js';
import { createHarness, loadRepoDefinitions, ROOT, tempDir, type Harness } from '../support/harness.js';
import { createTestDatabase, ON_POSTGRES } from '../support/harness-postgres.js';
import { startServer } from '../support/server.js';

const DESK = path.join(ROOT, 'test/fixtures/workflows/desk.json');

let h: Harness;

/** A harness whose new cases use `workflow` (beside the shipped support workflow), as DEFAULT_WORKFLOW=<its name> would. */
function harnessWith(workflow: WorkflowDefinition): Harness {
  const workflowsDir = path.join(tempDir(), 'workflows');
  fs.mkdirSync(workflowsDir);
  fs.copyFileSync(path.join(ROOT, 'workflows/support.json'), path.join(workflowsDir, 'support.json'));
  fs.writeFileSync(path.join(workflowsDir, `${workflow.workflow}.json`), JSON.stringify(workflow, null, 2));
  return createHarness({ files: loadRepoDefinitions({ workflowsDir }), services: { defaultWorkflow: workflow.workflow } });
}

const desk = (): WorkflowDefinition => JSON.parse(fs.readFileSync(DESK, 'utf8')) as WorkflowDefinition;

async function caseOf(ref: string) {
  const id = Number(ref.slice(2));
  const [row] = await h.query((q) => q.db.select({ status: q.tables.cases.status, workflow: q.tables.cases.workflow, solution: q.tables.cases.solution }).from(q.tables.cases).where(eq(q.tables.cases.id, id)));
  return row!;
}

type Counted = 'staff' | 'customers' | 'cases' | 'caseEvents' | 'problems' | 'outbox' | 'apiTokens';
const rows = (table: Counted) => h.query(async (q) => (await q.db.select({ n: count() }).from(q.tables[table]))[0]!.n);

describe('seedDemo', () => {
  afterEach(() => h.close());

  it('moves the demo cases through the transitions of your own workflow (askCustomer, finish), not the default\'s', async () => {
    h = harnessWith(desk());
    await h.settled();
    const report = await seedDemo(h.services, { password: 'demo-password-1' });
    expect(report).not.toBeNull();
    expect(report!.cases).toHaveLength(5);
    const [, login, , , invoice] = report!.cases as [string, string, string, string, string];
    // Bob asked the customer (agents may: askCustomer, a note allowed); Alice finished the invoice case (finish requires a solution and a note).
    expect(await caseOf(login)).toMatchObject({ workflow: 'desk', status: 'waitingCustomer' });
    expect(await caseOf(invoice)).toMatchObject({ workflow: 'desk', status: 'done', solution: 'Billing address updated and the April invoice reissued.' });
    const res = await h.api('GET', '/api/v1/cases', { token: report!.token });
    expect(res.status).toBe(200);
  });

  it('leaves a case where it is when the workflow offers agents no way on', async () => {
    const def = desk();
    def.transitions.askCustomer!.roles = ['advanced'];
    def.transitions.finish!.roles = ['advanced'];
    h = harnessWith(def);
    await h.settled();
    const report = await seedDemo(h.services, { password: 'demo-password-1' });
    const [, login, , , invoice] = report!.cases as [string, string, string, string, string];
    expect((await caseOf(login)).status).toBe('working');
    expect((await caseOf(invoice)).status).toBe('working');
    expect(await rows('staff')).toBe(6);
  });

  it('still waits on the customer and resolves with the default workflow', async () => {
    h = createHarness();
    await h.settled();
    const report = await seedDemo(h.services, { password: 'demo-password-1' });
    const [, login, , , invoice] = report!.cases as [string, string, string, string, string];
    expect(await caseOf(login)).toMatchObject({ workflow: 'support', status: 'pending' });
    expect(await caseOf(invoice)).toMatchObject({ workflow: 'support', status: 'resolved', solution: 'Billing address updated and the April invoice reissued.' });
  });

  it('writes nothing when a step fails half-way, so the next try seeds the demo in full', async () => {
    h = createHarness();
    await h.settled();
    // The last of the five cases cannot be stored, as a full disk or a bug would have it.
    // (On PostgreSQL the database goes back to a pool after the test: the trigger must not outlive it.)
    const drop = async () => {
      await h.run(h.dialect === 'postgres' ? 'DROP TRIGGER IF EXISTS demo_fault ON cases' : 'DROP TRIGGER IF EXISTS demo_fault');
      if (h.dialect === 'postgres') await h.run('DROP FUNCTION IF EXISTS demo_fault()');
    };
    if (h.dialect === 'postgres') {
      await h.run("CREATE OR REPLACE FUNCTION demo_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.subject LIKE 'Invoice%' THEN RAISE EXCEPTION 'disk trouble'; END IF; RETURN NEW; END $$");
      await h.run('CREATE TRIGGER demo_fault BEFORE INSERT ON cases FOR EACH ROW EXECUTE FUNCTION demo_fault()');
    } else {
      await h.run("CREATE TRIGGER demo_fault BEFORE INSERT ON cases WHEN NEW.subject LIKE 'Invoice%' BEGIN SELECT RAISE(ABORT, 'disk trouble'); END");
    }
    try {
      await expect(seedDemo(h.services, { password: 'demo-password-1' })).rejects.toThrow(/disk trouble/);
    } finally {
      await drop();
    }
    for (const table of ['staff', 'customers', 'cases', 'caseEvents', 'problems', 'outbox', 'apiTokens'] as const) expect(await rows(table), table).toBe(0);
    const queues = await h.query((q) => q.db.select({ id: q.tables.queues.id, name: q.tables.queues.name }).from(q.tables.queues));
    expect(queues.find((r) => r.id === 'advanced')?.name).toBe('Advanced'); // as the definitions seeded it, not the demo's "Advanced support"

    const report = await seedDemo(h.services, { password: 'demo-password-1' });
    expect(report).toMatchObject({ password: 'demo-password-1', cases: expect.any(Array), token: expect.stringMatching(/^cb_/) });
    expect(await rows('staff')).toBe(6);
    expect(await rows('cases')).toBe(5);
  });
});

describe('start-up with DEFAULT_WORKFLOW naming your own workflow, demo on (the default)', () => {
  it('starts, seeds the demo through that workflow and prints the sign-in details', async () => {
    const dir = tempDir();
    const workflowsDir = path.join(dir, 'workflows');
    fs.mkdirSync(workflowsDir);
    fs.copyFileSync(path.join(ROOT, 'workflows/support.json'), path.join(workflowsDir, 'support.json'));
    fs.copyFileSync(DESK, path.join(workflowsDir, 'desk.json'));
    const database = ON_POSTGRES ? createTestDatabase() : null;
    await database?.created;
    const server = await startServer({
      databasePath: path.join(dir, 'casebook.db'),
      ...(database ? { databaseUrl: database.url } : {}),
      env: { SEED_DEMO: 'true', DEMO_PASSWORD: 'demo-password-1', WORKFLOWS_DIR: workflowsDir, DEFAULT_WORKFLOW: 'desk' },
    });
    try {
      expect(server.output()).toContain('Casebook demo data created (shown once).');
      expect(server.output()).toContain('Sign in at http://127.0.0.1:');
      expect(server.output()).toMatch(/Demo cases: C-\d+, C-\d+, C-\d+, C-\d+, C-\d+/);
    } finally {
      expect(await server.stop()).toBe(0);
      await database?.release();
    }
  }, 60_000);
});
