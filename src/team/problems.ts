/**
 * The problem library (symptoms and synonyms → solution) that diagnosis searches: create, edit,
 * deactivate and reactivate. The FTS5 index (`problems_fts`) follows every insert and edit
 * through triggers (drizzle/0001); inactive entries stay indexed but are never suggested
 * (search filters `active = 1`), so reactivating needs no re-indexing.
 */
import { desc, eq, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { auditIn } from '../audit/record-audit.js';
import type { problems } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { DomainError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { assertManager, parseInput } from './input.js';

export type ProblemRow = typeof problems.$inferSelect;

export const problemSchema = z.strictObject({
  title: z.string().trim().min(1, 'required').max(200, 'at most 200 characters'),
  symptoms: z.string().trim().min(1, 'required').max(5_000, 'at most 5,000 characters'),
  solution: z.string().trim().min(1, 'required').max(20_000, 'at most 20,000 characters'),
  /** Other ways customers say it, one per line or comma-separated; searched like the symptoms. */
  synonyms: z.string().trim().max(5_000, 'at most 5,000 characters').default(''),
});
export type ProblemInput = z.input<typeof problemSchema>;

async function problemIn(q: Handle, id: number): Promise<ProblemRow> {
  const t = q.tables.problems;
  const [row] = await q.db.select().from(t).where(eq(t.id, id)).limit(1);
  if (!row) throw new DomainError('NOT_FOUND', `No problem ${id} in the library.`, { problemId: id });
  return row;
}

export function getProblem(services: Services, id: number): Promise<ProblemRow> {
  return services.store.query((q) => problemIn(q, id));
}

export async function createProblem(services: Services, raw: ProblemInput, actor: Actor): Promise<ProblemRow> {
  assertManager(actor);
  const input = parseInput(problemSchema, raw);
  const now = services.clock.now();
  return services.store.write(async (q) => {
    const [row] = await q.db.insert(q.tables.problems).values({ ...input, createdAt: now, updatedAt: now }).returning();
    await auditIn(q, services.clock, actor, 'problem', row!.id, 'created', null, row);
    return row!;
  });
}

export async function updateProblem(services: Services, id: number, raw: ProblemInput, actor: Actor): Promise<ProblemRow> {
  assertManager(actor);
  const input = parseInput(problemSchema, raw);
  return services.store.write(async (q) => {
    const before = await problemIn(q, id);
    const t = q.tables.problems;
    const [row] = await q.db.update(t).set({ ...input, updatedAt: services.clock.now() }).where(eq(t.id, id)).returning();
    await auditIn(q, services.clock, actor, 'problem', id, 'updated', before, row);
    return row!;
  });
}

export async function setProblemActive(services: Services, id: number, active: boolean, actor: Actor): Promise<ProblemRow> {
  assertManager(actor);
  return services.store.write(async (q) => {
    const row = await problemIn(q, id);
    if (row.active === active) return row;
    const t = q.tables.problems;
    const [updated] = await q.db.update(t).set({ active, updatedAt: services.clock.now() }).where(eq(t.id, id)).returning();
    await auditIn(q, services.clock, actor, 'problem', id, active ? 'reactivated' : 'deactivated', row, updated);
    return updated!;
  });
}

/**
 * The library for the console: active first, newest first; `text` filters on title, symptoms
 * and synonyms, ignoring case (`lower(…) LIKE lower(…)`: PostgreSQL's LIKE tells cases apart,
 * SQLite's does not for ASCII; both fold ASCII alike this way).
 */
export function listProblems(services: Services, text = '', limit = 200): Promise<ProblemRow[]> {
  const wanted = text.trim();
  const pattern = `%${wanted.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  return services.store.query((q) => {
    const t = q.tables.problems;
    const matches = (column: typeof t.title | typeof t.symptoms | typeof t.synonyms): SQL => sql`lower(${column}) LIKE lower(${pattern}) ESCAPE '\\'`;
    return q.db
      .select()
      .from(t)
      .where(wanted ? or(matches(t.title), matches(t.symptoms), matches(t.synonyms)) : undefined)
      .orderBy(desc(t.active), desc(t.updatedAt), desc(t.id))
      .limit(limit);
  });
}
