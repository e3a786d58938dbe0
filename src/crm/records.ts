/** What the CRM last answered about an address (`crm_records`): read by the `customer.crm` fact, webhooks and the case page. */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { statement } from '../db/fast.js';
import type { Handle } from '../db/store/index.js';
import { get, json } from '../db/store/rows.js';
import { canonicalEmail } from '../text/email-address.js';

/** The `customer.crm` fact: what CRM_LOOKUP_URL returned (fields it did not return are null). */
export interface CrmFact {
  plan: string | null;
  mrr: number | null;
  accountOwner: string | null;
  churned: boolean;
}

/** The record kept for `email`; null when none was fetched or the CRM does not know the address. */
export function storedCrmRecord(db: Db, email: string): CrmFact | null {
  const row = statement<[string], { data: string | null }>(db, 'SELECT data FROM crm_records WHERE email = ?').get(canonicalEmail(email));
  return row?.data ? (JSON.parse(row.data) as CrmFact) : null;
}

/** `storedCrmRecord` in a transaction of the storage port (intake's `customer.crm` fact and its answer). */
export async function crmRecordOn(q: Handle, email: string): Promise<CrmFact | null> {
  const row = await get<{ data: unknown }>(q, 'SELECT data FROM crm_records WHERE email = ?', [canonicalEmail(email)]);
  return row?.data ? json<CrmFact>(row.data) : null;
}

/** `saveCrmRecord` on the storage port: an upsert through the builder, the same on both dialects. */
export async function saveCrmRecordIn(q: Handle, email: string, data: CrmFact | null, at: number): Promise<void> {
  const records = q.tables.crmRecords;
  const row = { email: canonicalEmail(email), data: data as Record<string, unknown> | null, fetchedAt: at };
  await q.db.insert(records).values(row).onConflictDoUpdate({ target: records.email, set: { data: row.data, fetchedAt: row.fetchedAt } });
}

