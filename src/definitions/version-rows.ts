/**
 * `definition_versions` through the storage port: what a command reads and writes inside its
 * transaction (a version published earlier in the same transaction counts: an import publishes
 * a ruleset, then a workflow naming it). The registry's in-memory snapshot (registry.ts) is
 * for lookups outside a transaction of definitions.
 */
import { and, asc, desc, eq, inArray, max, sql } from 'drizzle-orm';
import type { DefinitionKind, DefinitionState, ExamplesOverride } from '../db/schema/index.js';
import type { definitionVersions } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';

export type DefinitionVersionRow = typeof definitionVersions.$inferSelect;

export interface NewVersionOptions {
  state: DefinitionState;
  note?: string;
  author?: string;
  authorId?: number | null;
  basedOn?: number | null;
  /** A publish over failing examples: who said why (rulesets). */
  examplesOverride?: ExamplesOverride | null;
  now: number;
}

/** Every row (the registry's snapshot). */
export function allVersionRows(q: Handle): Promise<DefinitionVersionRow[]> {
  return q.db.select().from(q.tables.definitionVersions);
}

export function historyIn(q: Handle, kind: DefinitionKind, name: string): Promise<DefinitionVersionRow[]> {
  const t = q.tables.definitionVersions;
  return q.db.select().from(t).where(and(eq(t.kind, kind), eq(t.name, name))).orderBy(desc(t.version));
}

export async function versionIn(q: Handle, kind: DefinitionKind, name: string, version: number): Promise<DefinitionVersionRow | undefined> {
  const t = q.tables.definitionVersions;
  const [row] = await q.db.select().from(t).where(and(eq(t.kind, kind), eq(t.name, name), eq(t.version, version))).limit(1);
  return row;
}

/** The newest version of kind/name, draft or published (who saved it and when), or undefined. */
export async function newestVersionIn(q: Handle, kind: DefinitionKind, name: string): Promise<Pick<DefinitionVersionRow, 'version' | 'state' | 'author' | 'createdAt'> | undefined> {
  const t = q.tables.definitionVersions;
  const [row] = await q.db
    .select({ version: t.version, state: t.state, author: t.author, createdAt: t.createdAt })
    .from(t)
    .where(and(eq(t.kind, kind), eq(t.name, name)))
    .orderBy(desc(t.version))
    .limit(1);
  return row;
}

/** Names with a published version, sorted. */
export async function publishedNamesIn(q: Handle, kind: DefinitionKind): Promise<string[]> {
  const t = q.tables.definitionVersions;
  const rows = await q.db.selectDistinct({ name: t.name }).from(t).where(and(eq(t.kind, kind), eq(t.state, 'published'))).orderBy(asc(t.name));
  return rows.map((r) => r.name);
}

/** The published body of every name of `kind` (the highest published version of each). */
export async function publishedBodiesIn(q: Handle, kind: DefinitionKind): Promise<Map<string, { version: number; body: unknown }>> {
  const t = q.tables.definitionVersions;
  const rows = await q.db
    .select({ name: t.name, version: t.version, body: t.body })
    .from(t)
    .where(and(eq(t.kind, kind), eq(t.state, 'published')))
    .orderBy(asc(t.name), desc(t.version));
  const out = new Map<string, { version: number; body: unknown }>();
  for (const row of rows) if (!out.has(row.name)) out.set(row.name, { version: row.version, body: row.body });
  return out;
}

/**
 * The active queues and their tiers, in id order (where an escalation can go:
 * src/definitions/escalation-target.ts; a tier's first queue takes it); `ids`: only those.
 */
export async function activeQueueTiersIn(q: Handle, ids?: readonly string[]): Promise<Map<string, number>> {
  const t = q.tables.queues;
  const active = eq(t.active, true);
  const rows = await q.db
    .select({ id: t.id, tier: t.tier })
    .from(t)
    .where(ids ? and(active, inArray(t.id, [...ids])) : active)
    .orderBy(asc(t.id));
  return new Map(rows.map((r) => [r.id, r.tier]));
}

/** The first key of the advisory locks on a definition's versions (the second: hashtext of kind and name). */
const VERSION_LOCK_CLASS = 716167711;

/**
 * Stores a version as the next number of kind/name, without validation (registry.ts validates).
 * The number is the largest stored + 1: on PostgreSQL, at READ COMMITTED, two instances (or two
 * requests) storing a version of the same definition at once read the same largest number, and
 * the second insert broke the unique (kind, name, version) index — a publish answered 500 (4 of
 * 10 concurrent publishes over two instances). So they take turns on a transaction-level
 * advisory lock per definition: the second waits for the first's commit, then reads its number.
 * SQLite's writes take turns anyway.
 */
export async function insertVersionRow(q: Handle, kind: DefinitionKind, name: string, body: unknown, options: NewVersionOptions): Promise<DefinitionVersionRow> {
  const t = q.tables.definitionVersions;
  if (q.dialect === 'postgres') await q.run(sql`SELECT pg_advisory_xact_lock(${VERSION_LOCK_CLASS}::int, hashtext(${`${kind}:${name}`}::text))`);
  const [last] = await q.db.select({ v: max(t.version) }).from(t).where(and(eq(t.kind, kind), eq(t.name, name)));
  const [row] = await q.db
    .insert(t)
    .values({
      kind,
      name,
      version: (last?.v ?? 0) + 1,
      state: options.state,
      body,
      note: options.note ?? '',
      author: options.author ?? 'system',
      authorId: options.authorId ?? null,
      basedOn: options.basedOn ?? null,
      examplesOverride: options.examplesOverride ?? null,
      createdAt: options.now,
      publishedAt: options.state === 'published' ? options.now : null,
    })
    .returning();
  return row!;
}
