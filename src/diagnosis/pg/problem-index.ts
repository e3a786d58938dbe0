/**
 * The in-memory problem index on PostgreSQL (no FTS5 there): built from the problems' rows with
 * FTS5's tokenizer in JavaScript (../problem-index.ts `indexProblems`), following
 * `problem_library_revision` as the SQLite one does (the ported triggers change it with every
 * insert, update or delete of a problem); `rankProblems` ranks on it as on SQLite's.
 *
 * Kept by revision, not by connection (queries come through pooled connections and store
 * handles): a revision is a random number within JavaScript's safe integers, drawn anew by
 * every change of the library, so one names one library's content whatever database it is in.
 */
import type { Queryable } from '../../search/pg/match-documents.js';
import { indexProblems, tokenInstances, updatedIndex, type ProblemIndex, type ProblemRow } from '../problem-index.js';

/** The indexes last built (a process usually has one database; tests have a few). */
const indexes = new Map<number, ProblemIndex>();
const KEPT = 4;

/** The index at the library's current revision (rebuilt if it changed); null without a revision to follow. */
export async function postgresProblemIndex(client: Queryable): Promise<ProblemIndex | null> {
  const { rows: revisions } = await client.query<{ revision: number }>('SELECT revision FROM problem_library_revision WHERE id = 1');
  const found = revisions[0]?.revision;
  if (found === undefined) return null;
  const revision = Number(found);
  let index = indexes.get(revision);
  if (!index) {
    const { rows } = await client.query<ProblemRow>('SELECT id, title, symptoms, synonyms, solution, active FROM problems ORDER BY id');
    const library = rows.map((r) => ({ ...r, id: Number(r.id) }));
    // The index built last, updated with the problems that changed (updatedIndex), unless much changed.
    const last = [...indexes.values()].at(-1);
    index = (last && updatedIndex(last, revision, library, tokenInstances)) ?? indexProblems(revision, library);
    indexes.set(revision, index);
    for (const old of indexes.keys()) if (indexes.size > KEPT) indexes.delete(old);
  }
  return index;
}
