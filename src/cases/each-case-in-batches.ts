/**
 * Runs `each` on many cases, a transaction per `batchSize` of them: write transactions (each
 * case under its row lock), or read-only ones for a preview. What re-applying a definition to
 * running cases needs (src/sla/reapply.ts, src/cases/reapply-workflow.ts): bounded transactions,
 * so other commands go on between batches.
 */
import type { Handle } from '../db/store/index.js';
import type { Services } from '../services.js';

export async function eachCaseInBatches(
  services: Services,
  ids: readonly number[],
  options: { batchSize: number; readOnly: boolean },
  each: (q: Handle, id: number) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < ids.length; i += options.batchSize) {
    const batch = ids.slice(i, i + options.batchSize);
    const run = async (q: Handle) => {
      for (const id of batch) await each(q, id);
    };
    if (options.readOnly) await services.store.query(run);
    else await services.store.write(run);
  }
}
