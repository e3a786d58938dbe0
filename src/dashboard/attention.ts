/**
 * What needs a manager's attention now (the `/manage` home page): drafts nobody has
 * published yet, rule evaluations that failed recently, queues with more work than their
 * available agents can take, and SLA breaches since midnight (UTC). Each list is short
 * (the newest first) with its full count beside it.
 */
import { and, desc, eq, gte, sql } from 'drizzle-orm';
import { caseRef } from '../cases/case-ref.js';
import { caseEvents, cases, DEFINITION_KINDS, definitionVersions, queues, type DefinitionKind } from '../db/schema/index.js';
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
  queue: string;
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
  breaches: { total: number; since: number; items: BreachItem[] };
}

function startOfUtcDay(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

/** The newest draft of each definition that is newer than its published version. */
function unpublishedDrafts(services: Services): DraftItem[] {
  const { db } = services;
  const published = new Map<string, number>();
  for (const r of db
    .select({ kind: definitionVersions.kind, name: definitionVersions.name, version: sql<number>`max(${definitionVersions.version})` })
    .from(definitionVersions)
    .where(eq(definitionVersions.state, 'published'))
    .groupBy(definitionVersions.kind, definitionVersions.name)
    .all()) {
    published.set(`${r.kind}:${r.name}`, r.version);
  }
  const newest = new Map<string, DraftItem>();
  for (const r of db.select().from(definitionVersions).where(eq(definitionVersions.state, 'draft')).orderBy(desc(definitionVersions.version)).all()) {
    const key = `${r.kind}:${r.name}`;
    const inForce = published.get(key) ?? null;
    if (newest.has(key) || (inForce !== null && r.version <= inForce)) continue;
    newest.set(key, { kind: r.kind, name: r.name, version: r.version, publishedVersion: inForce, author: r.author, note: r.note, at: r.createdAt });
  }
  const order = (k: DefinitionKind) => DEFINITION_KINDS.indexOf(k);
  return [...newest.values()].sort((a, b) => order(a.kind) - order(b.kind) || a.name.localeCompare(b.name));
}

/** How many `type` timeline entries were recorded since `since`, and the newest of them with their case. */
function recentEvents(services: Services, type: string, since: number) {
  const { db } = services;
  const where = and(eq(caseEvents.type, type), gte(caseEvents.at, since));
  const total = db.select({ n: sql<number>`count(*)` }).from(caseEvents).where(where).get()?.n ?? 0;
  const rows = db
    .select({ caseId: caseEvents.caseId, at: caseEvents.at, data: caseEvents.data, subject: cases.subject, queue: cases.queueId })
    .from(caseEvents)
    .innerJoin(cases, eq(cases.id, caseEvents.caseId))
    .where(where)
    .orderBy(desc(caseEvents.at), desc(caseEvents.id))
    .limit(ATTENTION_LIST_LIMIT)
    .all();
  return { total, rows };
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function failedRules(services: Services, since: number): Attention['failedRules'] {
  const { total, rows } = recentEvents(services, 'rules.failed', since);
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

function queueLoads(services: Services): QueueLoad[] {
  return services.db
    .select({
      id: queues.id,
      name: queues.name,
      tier: queues.tier,
      open: sql<number>`(SELECT count(*) FROM cases c WHERE c.queue_id = "queues"."id" AND c.open = 1)`,
      waiting: sql<number>`(SELECT count(*) FROM cases c WHERE c.queue_id = "queues"."id" AND c.open = 1 AND c.waiting_since IS NOT NULL)`,
      availableAgents: sql<number>`(SELECT count(*) FROM staff_queues sq JOIN staff s ON s.id = sq.staff_id WHERE sq.queue_id = "queues"."id" AND s.active = 1 AND s.available = 1)`,
      freeSlots: sql<number>`(SELECT coalesce(sum(max(0, s.capacity - (SELECT count(*) FROM cases c WHERE c.assignee_id = s.id AND c.open = 1))), 0)
        FROM staff_queues sq JOIN staff s ON s.id = sq.staff_id WHERE sq.queue_id = "queues"."id" AND s.active = 1 AND s.available = 1)`,
    })
    .from(queues)
    .where(eq(queues.active, true))
    .orderBy(queues.tier, queues.id)
    .all();
}

function breachesSince(services: Services, since: number): Attention['breaches'] {
  const { total, rows } = recentEvents(services, 'sla.breached', since);
  return {
    total,
    since,
    items: rows.map((r) => ({
      ref: caseRef(r.caseId),
      subject: r.subject,
      queue: r.queue,
      metric: text(r.data.metric) ?? '',
      policy: text(r.data.policy),
      at: r.at,
    })),
  };
}

export function needsAttention(services: Services): Attention {
  const now = services.clock.now();
  const overloaded = queueLoads(services).filter((q) => q.waiting > 0 || (q.open > 0 && q.availableAgents === 0));
  return {
    now,
    drafts: unpublishedDrafts(services),
    failedRules: failedRules(services, now - FAILING_RULES_WINDOW_MS),
    overloaded,
    breaches: breachesSince(services, startOfUtcDay(now)),
  };
}
