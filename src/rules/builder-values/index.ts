/**
 * What the rule and workflow builders offer from the database (builder-options.ts): active
 * queues, recent customers' tiers, and the tags and skills in use. Unnesting a JSON array
 * differs per database (sqlite.ts / pg.ts, chosen here); the rest is drizzle's builder.
 */
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';
import * as pgQueries from './pg.js';
import * as sqliteQueries from './sqlite.js';

const queriesOf = (q: Handle) => (q.dialect === 'sqlite' ? sqliteQueries : pgQueries);

export const recentCaseTags = (q: Handle) => queriesOf(q).recentCaseTags(q);
export const activeStaffSkills = (q: Handle) => queriesOf(q).activeStaffSkills(q);

/** Active queues, lowest tier first. */
export function activeQueuesByTier(q: Handle): Promise<{ id: string; name: string; tier: number }[]> {
  const t = q.tables.queues;
  return q.db.select({ id: t.id, name: t.name, tier: t.tier }).from(t).where(eq(t.active, true)).orderBy(asc(t.tier), asc(t.id));
}

/** The tiers of recent customers only: a full scan of a large customer table on every builder change would be slow. */
export async function recentCustomerTiers(q: Handle): Promise<string[]> {
  const t = q.tables.customers;
  const recent = q.db.select({ tier: t.tier }).from(t).orderBy(desc(t.id)).limit(5000).as('recent');
  const rows = await q.db.selectDistinct({ tier: recent.tier }).from(recent);
  return rows.map((r) => r.tier);
}

/** The queue new routing rules default to: the lowest tier's, `general` first. */
export async function defaultQueues(q: Handle): Promise<{ first: string | null; tier2: string | null }> {
  const t = q.tables.queues;
  const [first] = await q.db
    .select({ id: t.id })
    .from(t)
    .where(eq(t.active, true))
    .orderBy(asc(t.tier), sql`CASE ${t.id} WHEN 'general' THEN 0 ELSE 1 END`, asc(t.id))
    .limit(1);
  const [tier2] = await q.db.select({ id: t.id }).from(t).where(and(eq(t.active, true), eq(t.tier, 2))).orderBy(asc(t.id)).limit(1);
  return { first: first?.id ?? null, tier2: tier2?.id ?? null };
}
