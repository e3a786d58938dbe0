/**
 * Every address a customer had: the current one first, then each one a profile edit replaced
 * (customer_changes `email.from`; a caller's `phone.invalid` stand-in holds their number too).
 * What was kept under a former address (the mail log, chats, the CRM's record, words on other
 * customers' cases) is theirs as much as what is kept under the current one: the erasure
 * forgets it and the export lists it, both through this lookup.
 */
import { eq } from 'drizzle-orm';
import type { Handle } from '../db/store/index.js';

export async function customerAddresses(q: Handle, customerId: number, current: string): Promise<string[]> {
  const rows = await q.db.select({ changes: q.tables.customerChanges.changes }).from(q.tables.customerChanges).where(eq(q.tables.customerChanges.customerId, customerId));
  const former = rows.map((r) => r.changes.email?.from).filter((a): a is string => typeof a === 'string');
  return [current, ...former].filter((a, i, all) => all.indexOf(a) === i);
}
