/** Reading the record of erasures. */
import { and, eq, isNotNull, isNull } from 'drizzle-orm';
import type { Handle } from '../db/store/index.js';

/** Whether the customer's personal data has been erased (a completed erasure of the whole customer). */
export async function isErased(q: Handle, customerId: number): Promise<boolean> {
  const t = q.tables.erasures;
  const [row] = await q.db
    .select({ id: t.id })
    .from(t)
    .where(and(eq(t.customerId, customerId), isNull(t.caseId), isNotNull(t.completedAt)))
    .limit(1);
  return row !== undefined;
}
