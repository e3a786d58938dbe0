/**
 * First start: an empty database is seeded from the definition folders. Every workflow,
 * ruleset and the SLA config become version 1 (published); the fallback queue `general`
 * and every queue the rulesets name are created, so the shipped rules are valid from the
 * first request. Later starts leave stored definitions alone (use `npm run rules:import`).
 *
 * The files to be seeded have their escalation targets checked against the queues first, as a
 * version saved through the API is (an `escalate` to tier 3 with no tier-3 queue, or to a
 * tier-1 queue as tier 2, is refused): the queues the database has, and those seeded with the
 * files. A refusal throws DefinitionFileError before anything is written (main.ts stops with it).
 *
 * `seedDefinitions` runs on the storage port (main.ts, both dialects): one write that inserts
 * what is missing with ON CONFLICT DO NOTHING, so instances starting together on one
 * PostgreSQL database seed once (main.ts also holds the start-up lock). `seedDefinitionsSync`
 * does the same on an open SQLite database, synchronously, for the test harness and the
 * benchmarks (`createHarness` is synchronous behind ~120 call sites); both insert the rows
 * `seedRows` plans.
 */
import { and, eq } from 'drizzle-orm';
import { transaction } from '../db/client.js';
import { definitionVersions, queues } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { refuseEscalationsAgainstQueues, type DefinitionFiles } from '../definitions/files.js';
import { SLA_CONFIG_NAME } from '../definitions/registry.js';
import type { Services } from '../services.js';
import { FALLBACK_QUEUE } from '../cases/create-case.js';

export interface SeedReport {
  definitions: string[];
  queues: string[];
}

function titleCase(id: string): string {
  return id.replace(/[-_]+/g, ' ').replace(/\b\p{L}/gu, (c) => c.toUpperCase());
}

/** Queues named by the definitions: id → tier (escalation targets take the escalation's tier, the rest tier 1). */
export function queuesNamedBy(files: DefinitionFiles): Map<string, number> {
  const out = new Map<string, number>([[FALLBACK_QUEUE, 1]]);
  for (const { body } of files.rulesets.values()) {
    for (const rule of body.rules) {
      const params = rule.event.params ?? {};
      if (typeof params.queue !== 'string') continue;
      const tier = rule.event.type === 'escalate' && typeof params.tier === 'number' ? params.tier : 1;
      out.set(params.queue, Math.max(out.get(params.queue) ?? 1, tier));
    }
  }
  for (const { body } of files.workflows.values()) {
    const calls = [
      ...Object.values(body.states).flatMap((s) => [...(s.onEnter ?? []), ...(s.onExit ?? [])]),
      ...Object.values(body.transitions).flatMap((t) => t.actions ?? []),
    ];
    for (const call of calls) {
      if (call.action === 'escalate' && typeof call.queue === 'string') {
        out.set(call.queue, Math.max(out.get(call.queue) ?? 1, typeof call.tier === 'number' ? call.tier : 2));
      } else if (call.action === 'transfer' && typeof call.queue === 'string') {
        out.set(call.queue, out.get(call.queue) ?? 1);
      }
    }
  }
  return out;
}

type QueueRow = typeof queues.$inferInsert;
type VersionRow = typeof definitionVersions.$inferInsert;

/** The queues and version-1 definitions the folders need, all of them (the callers skip what exists). */
function seedRows(files: DefinitionFiles, now: number): { queueRows: QueueRow[]; versionRows: VersionRow[] } {
  const queueRows = [...queuesNamedBy(files)].map(([id, tier]) => ({ id, name: titleCase(id), tier, description: id === FALLBACK_QUEUE ? 'Everything no rule routes elsewhere.' : '', createdAt: now }));
  const version = (kind: 'workflow' | 'ruleset' | 'sla', name: string, body: unknown, file: string): VersionRow => ({
    kind,
    name,
    version: 1,
    state: 'published',
    body,
    note: `Seeded from ${file}`,
    author: 'files',
    createdAt: now,
    publishedAt: now,
  });
  const versionRows = [
    version('sla', SLA_CONFIG_NAME, files.sla.body, 'rules/sla.json'),
    ...[...files.rulesets.values()].map((r) => version('ruleset', r.name, r.body, `rules/${r.name}.json`)),
    ...[...files.workflows.values()].map((w) => version('workflow', w.name, w.body, `workflows/${w.name}.json`)),
  ];
  return { queueRows, versionRows };
}

/**
 * Refuses the files whose escalations the queues cannot take (see the file comment): `existing`
 * the queues the database has (active or not), `stored` whether kind/name has a version already.
 */
function checkEscalations(files: DefinitionFiles, queueRows: readonly QueueRow[], existing: readonly { id: string; tier: number; active: boolean }[], stored: (kind: string, name: string) => boolean): void {
  const tiers = new Map(existing.filter((row) => row.active).map((row) => [row.id, row.tier]));
  const known = new Set(existing.map((row) => row.id));
  for (const row of queueRows) if (!known.has(row.id)) tiers.set(row.id, row.tier ?? 1);
  refuseEscalationsAgainstQueues(files, tiers, (kind, name) => !stored(kind, name));
}

/** Inside a write: inserts the missing queues and the definitions without any version. */
export async function seedDefinitionsIn(q: Handle, files: DefinitionFiles, now: number): Promise<SeedReport> {
  const { queueRows, versionRows } = seedRows(files, now);
  const report: SeedReport = { definitions: [], queues: [] };
  const t = q.tables;
  const existing = await q.db.select({ id: t.queues.id, tier: t.queues.tier, active: t.queues.active }).from(t.queues);
  const stored = new Set((await q.db.selectDistinct({ kind: t.definitionVersions.kind, name: t.definitionVersions.name }).from(t.definitionVersions)).map((r) => `${r.kind}:${r.name}`));
  checkEscalations(files, queueRows, existing, (kind, name) => stored.has(`${kind}:${name}`));
  for (const row of queueRows) {
    const [inserted] = await q.db.insert(t.queues).values(row).onConflictDoNothing().returning({ id: t.queues.id });
    if (inserted) report.queues.push(row.id);
  }
  for (const row of versionRows) {
    const [existing] = await q.db.select({ id: t.definitionVersions.id }).from(t.definitionVersions).where(and(eq(t.definitionVersions.kind, row.kind), eq(t.definitionVersions.name, row.name))).limit(1);
    if (existing) continue;
    const [inserted] = await q.db.insert(t.definitionVersions).values(row).onConflictDoNothing().returning({ id: t.definitionVersions.id });
    if (inserted) report.definitions.push(`${row.kind}:${row.name}`);
  }
  return report;
}

/** Seeds through the storage port (start-up, either dialect); the registry follows. */
export async function seedDefinitions(services: Services, files: DefinitionFiles): Promise<SeedReport> {
  const now = services.clock.now();
  const report = await services.store.write((q) => seedDefinitionsIn(q, files, now));
  await services.definitions.refresh();
  return report;
}

/** The same on an open SQLite database, synchronously (the test harness, benchmarks). */
export function seedDefinitionsSync(services: Pick<Services, 'clock' | 'definitions' | 'sqlite'>, files: DefinitionFiles): SeedReport {
  const { sqlite: db, definitions } = services;
  if (!db) throw new TypeError('seedDefinitionsSync seeds a SQLite database; on PostgreSQL use seedDefinitions');
  const { queueRows, versionRows } = seedRows(files, services.clock.now());
  const report: SeedReport = { definitions: [], queues: [] };
  const existing = db.select({ id: queues.id, tier: queues.tier, active: queues.active }).from(queues).all();
  checkEscalations(files, queueRows, existing, (kind, name) => definitions.history(kind as 'ruleset' | 'workflow', name).length > 0);
  transaction(db, () => {
    for (const row of queueRows) {
      if (db.select({ id: queues.id }).from(queues).where(eq(queues.id, row.id)).get()) continue;
      db.insert(queues).values(row).run();
      report.queues.push(row.id);
    }
    for (const row of versionRows) {
      if (definitions.history(row.kind, row.name).length > 0) continue;
      db.insert(definitionVersions).values(row).run();
      report.definitions.push(`${row.kind}:${row.name}`);
    }
  });
  // On SQLite the registry follows this connection's writes at its next lookup; this only says so.
  void definitions.refresh();
  return report;
}
