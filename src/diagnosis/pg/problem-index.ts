/**
 * The in-memory problem index on PostgreSQL (no FTS5 there): built from the problems' rows with
 * FTS5's tokenizer in JavaScript (../problem-index.ts `indexProblems`), following
 * `problem_library_revision` as the SQLite one does (the ported triggers change it with every
 * insert, update or delete of a problem); `rankProblems` ranks on it as on SQLite's.
 */
import type { Queryable } from '../../search/pg/match-documents.js';
import { indexProblems, type ProblemIndex, type ProblemRow } from '../problem-index.js';

const indexes = new WeakMap<Queryable, ProblemIndex>();

/** The index at the library's current revision (rebuilt if it changed); null without a revision to follow. */
export async function postgresProblemIndex(client: Queryable): Promise<ProblemIndex | null> {
  const { rows: revisions } = await client.query<{ revision: number }>('SELECT revision FROM problem_library_revision WHERE id = 1');
  const revision = revisions[0]?.revision;
  if (revision === undefined) return null;
  let index = indexes.get(client);
  if (!index || index.revision !== Number(revision)) {
    const { rows } = await client.query<ProblemRow>('SELECT id, title, symptoms, synonyms, solution, active FROM problems ORDER BY id');
    index = indexProblems(Number(revision), rows.map((r) => ({ ...r, id: Number(r.id) })));
    indexes.set(client, index);
  }
  return index;
}
