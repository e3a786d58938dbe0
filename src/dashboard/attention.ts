/**
 * What needs a manager's attention now (the `/manage` home page): drafts nobody has
 * published yet, rule evaluations that failed recently, queues with more work than their
 * available agents can take, and SLA breaches since midnight in the viewer's time zone (the
 * zone the page shows its times in). Each list is short (the newest first) with its full count
 * beside it.
 */
import { and, asc, count, desc, eq, gte, max, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { caseRef } from '../cases/case-ref.js';
import { DEFINITION_KINDS, type DefinitionKind } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import type { Services } from '../services.js';

/** How far back failed rule evaluations count. */
export const FAILING_RULES_WINDOW_MS = 7 * 86_400_000;
/** Longest list per section; the counts are complete. */
export const ATTENTION_LIST_LIMIT = 10;

export interface DraftItem {
  kind: DefinitionKind;
  name: string;
  version: number;
  publishedVersion: number | null;
  author: string;
  note: string;
  at: number;
}

export interface FailedRuleItem {
  ref: string;
  subject: string;
  ruleset: string | null;
  event: string | null;
  error: string;
  at: number;
}

export interface QueueLoad {
  id: string;
  name: string;
  tier: number;
  open: number;
  /** Open cases no agent could take (no available member with free capacity). */
  waiting: number;
  /** Members who are active and available now. */
  availableAgents: number;
  /** Cases those agents can still take before they reach their capacity. */
  freeSlots: number;
}

export interface BreachItem {
  ref: string;
  subject: string;
  /** The queue responsible when it breached (recorded with the breach, as the SLA report counts it). */
  queue: string;
  /** The queue the case is in now (after the escalation a breach may cause). */
  queueNow: string;
  metric: string;
  policy: string | null;
  at: number;
}

export interface Attention {
  now: number;
  drafts: DraftItem[];
  failedRules: { total: number; since: number; items: FailedRuleItem[] };
  /** Queues with waiting cases, or with open unassigned work and no free slot. */
  overloaded: QueueLoad[];
  /** Since the start of today in `zone`. */
  breaches: { total: number; since: number; zone: string; items: BreachItem[] };
}

/** Local midnight of the day `ms` falls on in `zone` (an IANA zone; UTC if it is not one). */
export function startOfDayIn(ms: number, zone: string): number {
  const local = DateTime.fromMillis(ms, { zone });
  return (local.isValid ? local : DateTime.fromMillis(ms, { zone: 'UTC' })).startOf('day').toMillis();
}

/** The newest draft of each definition that is newer than its published version. */
async function unpublishedDrafts(tx: Handle): Promise<DraftItem[]> {
  const { definitionVersions } = tx.tables;
  const published = new Map<string, number>();
  for (const r of await tx.db
    .select({ kind: definitionVersions.kind, name: definitionVersions.name, version: max(definitionVersions.version) })
    .from(definitionVersions)
    .where(eq(definitionVersions.state, 'published'))
    .groupBy(definitionVersions.kind, definitionVersions.name)) {
    if (r.version !== null) published.set(`${r.kind}:${r.name}`, r.version);
  }
  const newest = new Map<string, DraftItem>();
  for (const r of await tx.db.select().from(definitionVersions).where(eq(definitionVersions.state, 'draft')).orderBy(desc(definitionVersions.version))) {
    const key = `${r.kind}:${r.name}`;
    const inForce = published.get(key) ?? null;
    if (newest.has(key) || (inForce !== null && r.version <= inForce)) continue;
    newest.set(key, { kind: r.kind, name: r.name, version: r.version, publishedVersion: inForce, author: r.author, note: r.note, at: r.createdAt });
  }
  const order = (k: DefinitionKind) => DEFINITION_KINDS.indexOf(k);
  return [...newest.values()].sort((a, b) => order(a.kind) - order(b.kind) || a.name.localeCompare(b.name));
}

/** How many `type` timeline entries were recorded since `since`, and the newest of them with their case. */
async function recentEvents(tx: Handle, type: string, since: number) {
  const { caseEvents, cases } = tx.tables;
  const where = and(eq(caseEvents.type, type), gte(caseEvents.at, since));
  const [counted] = await tx.db.select({ n: count() }).from(caseEvents).where(where);
  const rows = await tx.db
    .select({ caseId: caseEvents.caseId, at: caseEvents.at, data: caseEvents.data, subject: cases.subject, queue: cases.queueId })
    .from(caseEvents)
    .innerJoin(cases, eq(cases.id, caseEvents.caseId))
    .where(where)
    .orderBy(desc(caseEvents.at), desc(caseEvents.id))
    .limit(ATTENTION_LIST_LIMIT);
  return { total: counted?.n ?? 0, rows };
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

async function failedRules(tx: Handle, since: number): Promise<Attention['failedRules']> {
  const { total, rows } = await recentEvents(tx, 'rules.failed', since);
  return {
    total,
    since,
    items: rows.map((r) => ({
      ref: caseRef(r.caseId),
      subject: r.subject,
      ruleset: text(r.data.ruleset),
      event: text(r.data.event),
      error: text(r.data.error) ?? 'the rules could not be evaluated',
      at: r.at,
    })),
  };
}

// Subqueries per queue, the same SQL on both dialects (booleans compared with TRUE; no
// SQLite-only two-argument max(): a CASE).
const OPEN = sql`(SELECT count(*) FROM cases c WHERE c.queue_id = "queues"."id" AND c.open = TRUE)`;
const WAITING = sql`(SELECT count(*) FROM cases c WHERE c.queue_id = "queues"."id" AND c.open = TRUE AND c.waiting_since IS NOT NULL)`;
const AVAILABLE = sql`(SELECT count(*) FROM staff_queues sq JOIN staff s ON s.id = sq.staff_id WHERE sq.queue_id = "queues"."id" AND s.active = TRUE AND s.available = TRUE)`;
const LOAD = '(SELECT count(*) FROM cases c WHERE c.assignee_id = s.id AND c.open = TRUE)';
const FREE_SLOTS = sql.raw(`(SELECT coalesce(sum(CASE WHEN s.capacity > ${LOAD} THEN s.capacity - ${LOAD} ELSE 0 END), 0)
        FROM staff_queues sq JOIN staff s ON s.id = sq.staff_id WHERE sq.queue_id = "queues"."id" AND s.active = TRUE AND s.available = TRUE)`);

async function queueLoads(tx: Handle): Promise<QueueLoad[]> {
  const { queues } = tx.tables;
  return tx.db
    .select({
      id: queues.id,
      name: queues.name,
      tier: queues.tier,
      open: OPEN.mapWith(Number),
      waiting: WAITING.mapWith(Number),
      availableAgents: AVAILABLE.mapWith(Number),
      freeSlots: FREE_SLOTS.mapWith(Number),
    })
    .from(queues)
    .where(eq(queues.active, true))
    .orderBy(asc(queues.tier), asc(queues.id));
}

async function breachesSince(tx: Handle, since: number, zone: string): Promise<Attention['breaches']> {
  const { total, rows } = await recentEvents(tx, 'sla.breached', since);
  return {
    total,
    since,
    zone,
    items: rows.map((r) => ({
      ref: caseRef(r.caseId),
      subject: r.subject,
      queue: text(r.data.queue) ?? r.queue,
      queueNow: r.queue,
      metric: text(r.data.metric) ?? '',
      policy: text(r.data.policy),
      at: r.at,
    })),
  };
}

/**
 * Every section from one snapshot (`store.read`): the counts agree with their lists. "Today"
 * for the breaches starts at midnight in `zone`: the viewer's, in which the page shows times.
 */
export function needsAttention(services: Services, zone = 'UTC'): Promise<Attention> {
  const now = services.clock.now();
  return services.store.read(async (tx) => {
    const overloaded = (await queueLoads(tx)).filter((q) => q.waiting > 0 || (q.open > 0 && q.availableAgents === 0));
    return {
      now,
      drafts: await unpublishedDrafts(tx),
      failedRules: await failedRules(tx, now - FAILING_RULES_WINDOW_MS),
      overloaded,
      breaches: await breachesSince(tx, startOfDayIn(now, zone), zone),
    };
  });
}
