/**
 * First start: an empty database is seeded from the definition folders. Every workflow,
 * ruleset and the SLA config become version 1 (published); the fallback queue `general`
 * and every queue the rulesets name are created, so the shipped rules are valid from the
 * first request. Later starts leave stored definitions alone (use `npm run rules:import`).
 *
 * Synchronous, on SQLite only, and not on the storage port (docs/postgres.md, "Converted:
 * admin"): it runs once per database before anything else, from `main.ts` and from the test
 * harness (`createHarness`, synchronous, behind ~113 call sites); a PostgreSQL database gets
 * its seeded definitions by `npm run db:migrate-to-postgres` copying a seeded SQLite file (as
 * the tests' `moveToPostgres` does). Seeding a PostgreSQL database directly comes with
 * start-up on `DATABASE_URL`, which is async anyway.
 */
import { eq } from 'drizzle-orm';
import { transaction } from '../db/client.js';
import { definitionVersions, queues } from '../db/schema/index.js';
import type { DefinitionFiles } from '../definitions/files.js';
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

/** Queues named by the rulesets: id → tier (escalation targets take the escalation's tier). */
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
      }
    }
  }
  return out;
}

export function seedDefinitions(services: Services, files: DefinitionFiles): SeedReport {
  const { db, definitions } = services;
  const now = services.clock.now();
  const report: SeedReport = { definitions: [], queues: [] };
  transaction(db, () => {
    for (const [id, tier] of queuesNamedBy(files)) {
      if (db.select({ id: queues.id }).from(queues).where(eq(queues.id, id)).get()) continue;
      db.insert(queues)
        .values({ id, name: titleCase(id), tier, description: id === FALLBACK_QUEUE ? 'Everything no rule routes elsewhere.' : '', createdAt: now })
        .run();
      report.queues.push(id);
    }
    const seed = (kind: 'workflow' | 'ruleset' | 'sla', name: string, body: unknown, file: string) => {
      if (definitions.history(kind, name).length > 0) return;
      db.insert(definitionVersions)
        .values({ kind, name, version: 1, state: 'published', body, note: `Seeded from ${file}`, author: 'files', createdAt: now, publishedAt: now })
        .run();
      report.definitions.push(`${kind}:${name}`);
    };
    seed('sla', SLA_CONFIG_NAME, files.sla.body, 'rules/sla.json');
    for (const r of files.rulesets.values()) seed('ruleset', r.name, r.body, `rules/${r.name}.json`);
    for (const w of files.workflows.values()) seed('workflow', w.name, w.body, `workflows/${w.name}.json`);
  });
  // On SQLite the registry follows this connection's writes at its next lookup; this only says so.
  void definitions.refresh();
  return report;
}
