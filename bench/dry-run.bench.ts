/**
 * Dry-run of a changed routing ruleset over 100,000 past cases (issue #5: under 5 s).
 *
 * The store: a few hundred distinct requests taken in through `createCase` (so every routing
 * record is a real one: the facts intake saw, the rules that fired), then cloned with
 * prepared statements up to the size wanted, spread over the past 30 days.
 *
 * Figures, each beside a baseline measured in the same run on the same rows:
 * - the whole dry-run (what the manager waits for) vs the bare SELECT + JSON.parse of the
 *   same rows — the part no replay can avoid;
 * - its two parts from `result.timings`: loading (the SELECT) vs the bare SELECT, and
 *   replaying both sides with the compiled rules vs json-rules-engine doing the same
 *   replays (on a sample, extrapolated).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createCase } from '../src/cases/create-case.js';
import { ManualClock } from '../src/clock.js';
import type { Priority } from '../src/db/schema/cases.js';
import { openDatabase } from '../src/db/client.js';
import { loadDefinitionFiles } from '../src/definitions/files.js';
import { createLogger } from '../src/logger.js';
import type { RulesetDefinition } from '../src/rules/definition.js';
import { dryRun, intakeFacts, queueTiers } from '../src/rules/dry-run.js';
import { compileRuleset } from '../src/rules/engine.js';
import { evaluateRuleset } from '../src/rules/evaluate.js';
import type { Facts } from '../src/rules/facts.js';
import type { Actor } from '../src/roles.js';
import { seedDefinitionsSync } from '../src/seed/seed-definitions.js';
import { createServices } from '../src/compose.js';
import { type Services } from '../src/services.js';
import { builtinActions } from '../src/compose.js';
import { median, time, type Bench } from './bench.js';
import { migrationsFingerprint, ROOT, STORE_NOW } from './seed-store.js';

const CASES = 100_000;
const DISTINCT = 300;
const SAMPLE = 2_000;
const DAY = 86_400_000;
const ADMIN: Actor = { type: 'system', id: null, role: 'admin', name: 'bench' };
const fmt = (n: number) => n.toLocaleString('en');

const SUBJECTS = ['Invoice address', 'Refund for a double charge', 'Login error after update', 'Question about export', 'Outage: API down', 'Payment failed', 'Sync broken', 'Hello', 'Password reset', 'Subscription change'];
const DESCRIPTIONS = [
  'The invoice shows our old company address.',
  'My card was charged twice for the March invoice, please refund.',
  'I get error 500 when I try to sign in; cannot log in since this morning.',
  'Where do I find the CSV export of all our records?',
  'Production is down for all users, every call times out.',
  'My payment failed at checkout with a credit card.',
  'The calendar is not syncing since yesterday.',
  'Just a question about the product.',
];
const ORGANIZATIONS = ['Acme', 'Globex', 'Initech', null];
const PRIORITIES: Priority[] = ['normal', 'normal', 'high', 'low', 'urgent'];

/** The edit a manager might dry-run: Acme to technical first, invoices at high priority. */
function changedRouting(published: RulesetDefinition): RulesetDefinition {
  return {
    ...published,
    rules: [
      {
        name: 'Acme goes to technical',
        priority: 50,
        conditions: { all: [{ fact: 'customer', path: '$.organization', operator: 'equal', value: 'Acme' }] },
        event: { type: 'route', params: { queue: 'technical' } },
      },
      {
        name: 'Invoices are high priority',
        priority: 5,
        conditions: { all: [{ fact: 'case', path: '$.subject', operator: 'textContains', value: 'invoice' }] },
        event: { type: 'setPriority', params: { priority: 'high' } },
      },
      ...published.rules,
    ],
  };
}

function removeDb(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
}

function openServices(file: string, now: number): Services {
  return createServices(openDatabase(file), new ManualClock(now), { logger: createLogger('silent') });
}

/** Builds (or reuses) `.bench/dry-run-<n>.db`: n routed cases over the 30 days before STORE_NOW. */
async function ensureDryRunStore(n: number, log: (line: string) => void): Promise<string> {
  const dir = path.join(ROOT, '.bench');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `dry-run-${n}.db`);
  const metaFile = `${file}.json`;
  const want = JSON.stringify({ n, distinct: DISTINCT, now: STORE_NOW, migrations: migrationsFingerprint(), seedVersion: 1 });
  if (fs.existsSync(file) && fs.existsSync(metaFile) && fs.readFileSync(metaFile, 'utf8') === want) {
    log(`reusing ${path.relative(ROOT, file)}`);
    return file;
  }
  removeDb(file);
  const started = performance.now();
  const from = STORE_NOW - 30 * DAY;
  const services = openServices(file, from);
  const c = services.sqlite!.$client;
  seedDefinitionsSync(
    services,
    loadDefinitionFiles({ workflowsDir: path.join(ROOT, 'workflows'), rulesDir: path.join(ROOT, 'rules'), actions: builtinActions() }),
  );
  const insertQueue = c.prepare('INSERT INTO queues (id, name, tier, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET tier = excluded.tier, active = 1');
  for (const [id, tier] of [['general', 1], ['billing', 1], ['technical', 1], ['advanced', 2]] as const) insertQueue.run(id, id, tier, from);

  // Real intakes: routing records with the facts and the rules that fired.
  const clock = services.clock as ManualClock;
  for (let i = 0; i < DISTINCT; i++) {
    const organization = ORGANIZATIONS[i % ORGANIZATIONS.length]!;
    await createCase(
      services,
      {
        customer: { email: `customer${i % 97}@${(organization ?? 'example').toLowerCase()}.example`, ...(organization ? { organization } : {}), tier: i % 7 === 0 ? 'enterprise' : 'standard' },
        subject: SUBJECTS[i % SUBJECTS.length]!,
        description: DESCRIPTIONS[(i * 3) % DESCRIPTIONS.length]!,
        priority: PRIORITIES[i % PRIORITIES.length]!,
        channel: i % 2 === 0 ? 'web' : 'api',
      },
      ADMIN,
    );
    clock.advanceMinutes(7 + (i % 13) * 11); // some inside, some outside business hours
  }
  log(`${DISTINCT} cases taken in through createCase in ${((performance.now() - started) / 1000).toFixed(1)} s; cloning to ${fmt(n)}`);

  // Clones: every column copied, creation times spread evenly over the 30 days.
  const columns = (c.prepare('PRAGMA table_info(cases)').all() as { name: string }[]).map((r) => r.name).filter((name) => name !== 'id');
  const originals = c.prepare(`SELECT ${columns.join(', ')} FROM cases ORDER BY id`).all() as Record<string, unknown>[];
  const insert = c.prepare(`INSERT INTO cases (${columns.join(', ')}) VALUES (${columns.map((col) => `@${col}`).join(', ')})`);
  const step = Math.floor((30 * DAY) / n);
  for (let start = DISTINCT; start < n; start += 20_000) {
    c.transaction(() => {
      for (let k = start; k < Math.min(n, start + 20_000); k++) {
        const at = from + k * step;
        insert.run({ ...originals[k % DISTINCT]!, created_at: at, updated_at: at, state_entered_at: at });
      }
    })();
  }
  c.exec('ANALYZE');
  c.pragma('wal_checkpoint(TRUNCATE)');
  c.close();
  fs.writeFileSync(metaFile, want);
  log(`store built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return file;
}

interface Row {
  id: number;
  subject: string;
  description: string;
  channel: string;
  requested_priority: Priority;
  created_at: number;
  routing: string | null;
}


const bench: Bench = {
  name: 'dry-run',
  async run(ctx) {
    const n = Math.min(ctx.cases, CASES);
    const file = await ensureDryRunStore(n, ctx.log);
    const services = openServices(file, STORE_NOW);
    const c = services.sqlite!.$client;
    try {
      const published = services.definitions.ruleset('routing').definition;
      const draft = changedRouting(published);
      const workflow = services.definitions.workflow(services.defaultWorkflow).definition;

      // Baselines first, on the same rows the dry-run selects.
      const select = c.prepare<[number], Row>(
        'SELECT id, subject, description, channel, requested_priority, created_at, routing, workflow, workflow_version, imported_at FROM cases ORDER BY id DESC LIMIT ?',
      );
      const bareSelectMs = await median(3, () => select.all(n));
      const selectParseMs = await median(3, () => {
        for (const row of select.all(n)) if (row.routing) JSON.parse(row.routing);
      });

      // json-rules-engine doing the same replays (both sides: routing then escalation) on a sample.
      const chain = workflow.triggers?.['case.created'] ?? ['routing'];
      const engines = (routing: RulesetDefinition) => chain.map((name) => (name === 'routing' ? compileRuleset(routing, 0) : services.definitions.ruleset(name)));
      const before = engines(published);
      const after = engines(draft);
      const tiers = await queueTiers(services);
      const sample = select.all(n).filter((_, i) => i % Math.max(1, Math.floor(n / SAMPLE)) === 0).slice(0, SAMPLE);
      const engineSample = await time(async () => {
        for (const row of sample) {
          const facts = intakeFacts(row, workflow.initial, 'UTC', tiers) as unknown as Facts;
          for (const side of [before, after]) for (const ruleset of side) await evaluateRuleset(ruleset, facts);
        }
      });
      const engineMs = (engineSample.ms / sample.length) * n;

      // The dry-run as the page runs it (progress every 2,000 cases).
      let progressCalls = 0;
      const run = await time(() => dryRun(services, { ruleset: 'routing', draft, selection: { kind: 'last', count: n }, chunkSize: 2000, maxChanges: 500, onProgress: () => progressCalls++ }));
      const result = run.value;
      if (result.total !== n) throw new Error(`the dry-run replayed ${result.total} cases, expected ${n}`);
      const t = result.timings;
      ctx.log(
        `${fmt(result.changed)} of ${fmt(result.total)} would change (${Object.entries(result.byField)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(', ')}); load ${t.loadMs.toFixed(0)} ms, evaluate ${t.evaluateMs.toFixed(0)} ms, ${progressCalls} progress reports`,
      );
      return [
        {
          figure: `dry-run of a changed routing ruleset over ${fmt(n)} cases`,
          ms: run.ms,
          baseline: 'bare SELECT + JSON.parse of the same rows',
          baselineMs: selectParseMs,
          goalMs: 5000,
          note: `${fmt(result.changed)} would change; ${(n / (run.ms / 1000)).toFixed(0)} cases/s`,
        },
        {
          figure: 'dry-run: loading the cases (timings.loadMs)',
          ms: t.loadMs,
          baseline: 'bare SELECT of the same columns (warm)',
          baselineMs: bareSelectMs,
          note: `${fmt(n)} rows`,
        },
        {
          figure: 'dry-run: replaying both sides, compiled rules (timings.evaluateMs)',
          ms: t.evaluateMs,
          baseline: `json-rules-engine, same replays (${fmt(sample.length)}-case sample × ${fmt(Math.round(n / sample.length))})`,
          baselineMs: engineMs,
          note: `${chain.length} rulesets × 2 sides per case, incl. JSON.parse of the routing record`,
        },
      ];
    } finally {
      c.close();
    }
  },
};

export default bench;
