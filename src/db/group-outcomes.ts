/**
 * The end of a group commit's transaction, shared by the sync path (group-commit.ts) and the
 * async one (group-commit-async.ts): how a failing unit is recorded, and the COMMIT that
 * answers every unit of the group.
 */
import { afterWrite, writeEnded, type Db } from './client.js';
import { statement } from './fast.js';
import { isStorageFull } from './faults.js';
import type { Outcome, Unit } from './group-commit.js';
import { secureDeletesOff } from './search-secure-delete.js';
import { indexStaged, stagingEnded } from './search-staging.js';

/**
 * Records the failure of the unit just run (the last of `outcomes` to be). `lost`: SQLite rolled
 * the whole transaction back (SQLITE_FULL, an I/O error), so what the units before it wrote is
 * gone too and they fail with the same error. `full`: it failed for lack of space.
 */
export function recordFailure(db: Db, outcomes: Outcome[], error: unknown): { lost: boolean; full: boolean } {
  outcomes.push({ ok: false, error });
  afterWrite(db, error);
  const lost = !db.$client.inTransaction;
  if (lost) for (let j = 0; j < outcomes.length - 1; j++) if (outcomes[j]!.ok) outcomes[j] = { ok: false, error };
  return { lost, full: isStorageFull(error) };
}

/**
 * Commits the group's transaction, if SQLite still has it open, and answers each unit with its
 * outcome — a failed COMMIT fails every unit that had succeeded. `full`: a unit was refused for
 * lack of space, so this commit (of smaller units) proves nothing about space. First the index's
 * secure-delete is turned off if the transaction turned it on (search-secure-delete.ts), then
 * the group's new search documents (and those lone commits left waiting) go into the index
 * (search-staging.ts). The transaction is over for the write guard before any unit is answered
 * (writeEnded).
 */
export function commitGroup(db: Db, units: Unit[], outcomes: Outcome[], full: boolean): void {
  let committed = false;
  if (db.$client.inTransaction) {
    try {
      secureDeletesOff(db);
      indexStaged(db);
      statement(db, 'COMMIT').run();
      committed = true;
      if (!full && outcomes.some((outcome) => outcome.ok)) afterWrite(db);
    } catch (error) {
      if (db.$client.inTransaction) statement(db, 'ROLLBACK').run();
      afterWrite(db, error);
      for (let j = 0; j < outcomes.length; j++) if (outcomes[j]!.ok) outcomes[j] = { ok: false, error };
    }
  }
  writeEnded(db);
  stagingEnded(db, committed);
  units.forEach((unit, j) => {
    const outcome = outcomes[j]!;
    if (outcome.ok) unit.resolve(outcome.value);
    else unit.reject(outcome.error);
  });
}
