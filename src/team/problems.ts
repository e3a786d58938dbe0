/**
 * The problem library (symptoms and synonyms → solution) that diagnosis searches: create, edit,
 * deactivate and reactivate. The FTS5 index (`problems_fts`) follows every insert and edit
 * through triggers (drizzle/0001); inactive entries stay indexed but are never suggested
 * (search filters `active = 1`), so reactivating needs no re-indexing.
 */
import { asc, desc, eq, like, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { audit } from '../audit/record-audit.js';
import { transaction } from '../db/client.js';
import { problems } from '../db/schema/index.js';
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

export function getProblem(services: Services, id: number): ProblemRow {
  const row = services.db.select().from(problems).where(eq(problems.id, id)).get();
  if (!row) throw new DomainError('NOT_FOUND', `No problem ${id} in the library.`, { problemId: id });
  return row;
}

export function createProblem(services: Services, raw: ProblemInput, actor: Actor): ProblemRow {
  assertManager(actor);
  const input = parseInput(problemSchema, raw);
  const now = services.clock.now();
  return transaction(services.db, () => {
    const row = services.db.insert(problems).values({ ...input, createdAt: now, updatedAt: now }).returning().get();
    audit(services, actor, 'problem', row.id, 'created', null, row);
    return row;
  });
}

export function updateProblem(services: Services, id: number, raw: ProblemInput, actor: Actor): ProblemRow {
  assertManager(actor);
  const input = parseInput(problemSchema, raw);
  return transaction(services.db, () => {
    const before = getProblem(services, id);
    const row = services.db.update(problems).set({ ...input, updatedAt: services.clock.now() }).where(eq(problems.id, id)).returning().get()!;
    audit(services, actor, 'problem', id, 'updated', before, row);
    return row;
  });
}

export function setProblemActive(services: Services, id: number, active: boolean, actor: Actor): ProblemRow {
  assertManager(actor);
  return transaction(services.db, () => {
    const row = getProblem(services, id);
    if (row.active === active) return row;
    const updated = services.db.update(problems).set({ active, updatedAt: services.clock.now() }).where(eq(problems.id, id)).returning().get()!;
    audit(services, actor, 'problem', id, active ? 'reactivated' : 'deactivated', row, updated);
    return updated;
  });
}

/** The library for the console: active first, newest first; `q` filters on title, symptoms and synonyms. */
export function listProblems(services: Services, q = '', limit = 200): ProblemRow[] {
  const text = q.trim();
  const pattern = `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  const query = services.db.select().from(problems);
  const filtered = text
    ? query.where(or(like(problems.title, sql`${pattern} ESCAPE '\\'`), like(problems.symptoms, sql`${pattern} ESCAPE '\\'`), like(problems.synonyms, sql`${pattern} ESCAPE '\\'`)))
    : query;
  return filtered.orderBy(desc(problems.active), desc(problems.updatedAt), desc(problems.id)).limit(limit).all();
}
