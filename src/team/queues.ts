/**
 * Queues: create, edit (name, description, tier, waiting order, wait alert), deactivate
 * and reactivate.
 *
 * - The id is a slug used by rules (`route`, `escalate`); it never changes.
 * - `general` is the fallback queue of routing (FALLBACK_QUEUE): it stays active and tier 1.
 * - The tier of a queue with open cases does not change (the cases carry their tier; move or
 *   resolve them first), and a queue that plain agents work cannot become tier 2 (tier-2
 *   queues are for advanced agents, as when provisioning users).
 * - Deactivating a queue with open cases needs a target queue: the cases are moved there
 *   (`case.transferred`, reassigned as usual) in the same transaction. Memberships stay, so
 *   reactivating restores the queue as it was. Published rules that still route cases to an
 *   inactive queue fall back to `general` (recorded as `rules.failed` on the case); a published
 *   escalation that needs the queue (naming it, or to its tier when it is the last active queue
 *   of that tier) refuses the deactivation, as it refuses a change of its tier.
 * - Mailboxes and chat sites whose new cases start in the queue (their default queue) need a
 *   replacement queue too: they are pointed at it in the same transaction (each mailbox's
 *   change in the audit log as an admin's edit would be, the sites in the queue's entry), and
 *   the mailboxes' pollers restart on it after commit. Reactivating does not point them back.
 *   An admin saving a mailbox or site at the same moment either commits first (and the
 *   deactivation points it elsewhere too) or is told the queue is inactive (queue-lock.ts).
 */
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { FALLBACK_QUEUE } from '../cases/create-case.js';
import { transferCase } from '../cases/move-case.js';
import { auditIn } from '../audit/record-audit.js';
import { WAITING_ORDERS, type queues } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { DomainError, ValidationError, type FieldIssue } from '../errors.js';
import { targetUrlProblem } from '../net/guarded-post.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext } from '../workflow/context.js';
import { assertManager, fieldError, parseInput } from './input.js';
import { queueRowForChange } from './queue-lock.js';
import { escalationsBrokenBy, escalationsNeedingQueue } from './queue-escalations.js';
import { activeQueueTiersIn } from '../definitions/version-rows.js';

export type QueueRow = typeof queues.$inferSelect;

export const MAX_WAIT_ALERT_MINUTES = 10_080;

const details = {
  name: z.string().trim().min(1, 'required').max(100, 'at most 100 characters'),
  description: z.string().trim().max(500, 'at most 500 characters').default(''),
  tier: z.number({ error: 'choose tier 1 or 2' }).int().min(1, 'choose tier 1 or 2').max(2, 'choose tier 1 or 2'),
  /** Which waiting case is taken first (kept as it is when omitted). */
  waitingOrder: z.enum(WAITING_ORDERS, { error: 'choose by priority or first come, first served' }).optional(),
  /** Minutes a case may wait before managers are alerted; null: the server default; 0: never (kept when omitted). */
  waitAlertMinutes: z
    .number({ error: 'a whole number of minutes' })
    .int('a whole number of minutes')
    .min(0, '0 (never) or more minutes')
    .max(MAX_WAIT_ALERT_MINUTES, `at most ${MAX_WAIT_ALERT_MINUTES} minutes (a week)`)
    .nullable()
    .optional(),
  /** Incoming-webhook URLs of the `notify` targets `slack` and `teams` (null or empty: none; kept when omitted). */
  slackWebhookUrl: z.string().trim().max(2000, 'at most 2000 characters').nullable().optional(),
  teamsWebhookUrl: z.string().trim().max(2000, 'at most 2000 characters').nullable().optional(),
};

/** The queue's chat webhook URLs as given: empty means none; a URL must pass the outbound guard. */
function chatUrls(services: Services, input: { slackWebhookUrl?: string | null | undefined; teamsWebhookUrl?: string | null | undefined }): { slackWebhookUrl?: string | null; teamsWebhookUrl?: string | null } {
  const issues: FieldIssue[] = [];
  const out: { slackWebhookUrl?: string | null; teamsWebhookUrl?: string | null } = {};
  for (const key of ['slackWebhookUrl', 'teamsWebhookUrl'] as const) {
    const value = input[key];
    if (value === undefined) continue;
    out[key] = value ? value : null;
    const problem = value ? targetUrlProblem(value, services.integrations.allowPrivateTargets) : null;
    if (problem) issues.push({ path: key, message: problem });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return out;
}

export const createQueueSchema = z.strictObject({
  id: z
    .string()
    .trim()
    .min(1, 'required')
    .max(40, 'at most 40 characters')
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, "-" and "_", starting with a letter or digit'),
  ...details,
});
export type CreateQueueInput = z.input<typeof createQueueSchema>;

export const updateQueueSchema = z.strictObject(details);
export type UpdateQueueInput = z.input<typeof updateQueueSchema>;

/** The queue inside the caller's transaction (`q`); NOT_FOUND when there is none. `forChange`: locked against saves pointing a channel at it (queue-lock.ts). */
export async function queueIn(q: Handle, id: string, options: { forChange?: boolean } = {}): Promise<QueueRow> {
  const t = q.tables.queues;
  const [row] = options.forChange ? [await queueRowForChange(q, id)] : await q.db.select().from(t).where(eq(t.id, id)).limit(1);
  if (!row) throw new DomainError('NOT_FOUND', `No queue "${id}".`, { queue: id });
  return row;
}

export function getQueue(services: Services, id: string): Promise<QueueRow> {
  return services.store.query((q) => queueIn(q, id));
}

/** The open cases in the queue, by id. */
export async function openCasesIn(q: Handle, queueId: string): Promise<number[]> {
  const t = q.tables.cases;
  const rows = await q.db
    .select({ id: t.id })
    .from(t)
    .where(and(eq(t.queueId, queueId), eq(t.open, true)))
    .orderBy(asc(t.id));
  return rows.map((r) => r.id);
}

/** Plain agents (role `agent`) who are members of the queue. */
async function plainAgentsIn(q: Handle, queueId: string): Promise<string[]> {
  const { staff, staffQueues } = q.tables;
  const rows = await q.db
    .select({ name: staff.name })
    .from(staffQueues)
    .innerJoin(staff, eq(staff.id, staffQueues.staffId))
    .where(and(eq(staffQueues.queueId, queueId), eq(staff.role, 'agent'), eq(staff.active, true)))
    .orderBy(asc(staff.name));
  return rows.map((r) => r.name);
}

/** Active queues by id (the choices of the staff and queue forms). */
export function activeQueues(services: Services): Promise<QueueRow[]> {
  return services.store.query((q) => {
    const t = q.tables.queues;
    return q.db.select().from(t).where(eq(t.active, true)).orderBy(asc(t.id));
  });
}

/** Ids of inactive queues. */
export function inactiveQueueIds(services: Services): Promise<string[]> {
  return services.store.query(async (q) => {
    const t = q.tables.queues;
    return (await q.db.select({ id: t.id }).from(t).where(eq(t.active, false))).map((r) => r.id);
  });
}

export async function createQueue(services: Services, raw: CreateQueueInput, actor: Actor): Promise<QueueRow> {
  assertManager(actor);
  const input = parseInput(createQueueSchema, raw);
  const urls = chatUrls(services, input);
  return services.store.write(async (q) => {
    const t = q.tables.queues;
    const [existing] = await q.db.select({ id: t.id }).from(t).where(eq(t.id, input.id)).limit(1);
    if (existing) throw fieldError('id', `a queue "${input.id}" already exists`);
    const [created] = await q.db
      .insert(t)
      .values({
        id: input.id,
        name: input.name,
        description: input.description,
        tier: input.tier,
        waitingOrder: input.waitingOrder ?? 'priority',
        waitAlertMinutes: input.waitAlertMinutes ?? null,
        ...urls,
        createdAt: services.clock.now(),
      })
      .returning();
    await auditIn(q, services.clock, actor, 'queue', created!.id, 'created', null, created);
    return created!;
  });
}

export async function updateQueue(services: Services, id: string, raw: UpdateQueueInput, actor: Actor): Promise<QueueRow> {
  assertManager(actor);
  const input = parseInput(updateQueueSchema, raw);
  const urls = chatUrls(services, input);
  return services.store.write(async (q) => {
    const queue = await queueIn(q, id);
    if (input.tier !== queue.tier) {
      const issues: FieldIssue[] = [];
      const open = (await openCasesIn(q, id)).length;
      if (id === FALLBACK_QUEUE) issues.push({ path: 'tier', message: `"${FALLBACK_QUEUE}" is the fallback queue of routing and stays tier 1` });
      else if (open > 0) issues.push({ path: 'tier', message: `${open} open case${open === 1 ? ' is' : 's are'} in this queue; move or resolve them before changing its tier` });
      else if (input.tier >= 2) {
        const agents = await plainAgentsIn(q, id);
        if (agents.length > 0) issues.push({ path: 'tier', message: `only advanced agents work tier-2 queues; remove ${agents.join(', ')} from this queue first` });
      }
      if (issues.length === 0 && queue.active) {
        // Published escalations were checked against the tiers when saved: keep them valid.
        const before = await activeQueueTiersIn(q);
        const broken = escalationsBrokenBy(services, before, new Map([...before, [id, input.tier]]));
        if (broken.length > 0) issues.push({ path: 'tier', message: `published escalations depend on this queue's tier ${queue.tier}: ${broken.join('; ')}; publish them without it first` });
      }
      if (issues.length > 0) throw new ValidationError(issues);
    }
    const t = q.tables.queues;
    const [updated] = await q.db
      .update(t)
      .set({
        name: input.name,
        description: input.description,
        tier: input.tier,
        ...(input.waitingOrder !== undefined ? { waitingOrder: input.waitingOrder } : {}),
        ...(input.waitAlertMinutes !== undefined ? { waitAlertMinutes: input.waitAlertMinutes } : {}),
        ...urls,
      })
      .where(eq(t.id, id))
      .returning();
    await auditIn(q, services.clock, actor, 'queue', id, 'updated', queue, updated);
    return updated!;
  });
}

export interface DeactivateQueueResult {
  queue: QueueRow;
  /** Open cases moved to `moveTo`. */
  moved: number;
  /** The mailboxes and chat sites pointed at `channelsTo` (none: empty lists, `channelsTo` null). */
  channels: QueueChannels;
  channelsTo: string | null;
}

/** The mailboxes and chat sites whose new cases start in a queue (their default queue), by name. */
export interface QueueChannels {
  mailboxes: { id: number; name: string; enabled: boolean }[];
  chatSites: { id: string; name: string; active: boolean }[];
}

export async function channelsOfQueue(q: Handle, queueId: string): Promise<QueueChannels> {
  const { mailboxes, chatSites } = q.tables;
  return {
    mailboxes: await q.db.select({ id: mailboxes.id, name: mailboxes.name, enabled: mailboxes.enabled }).from(mailboxes).where(eq(mailboxes.queueId, queueId)).orderBy(asc(mailboxes.name), asc(mailboxes.id)),
    chatSites: await q.db.select({ id: chatSites.id, name: chatSites.name, active: chatSites.active }).from(chatSites).where(eq(chatSites.queueId, queueId)).orderBy(asc(chatSites.name), asc(chatSites.id)),
  };
}

/** "1 mailbox and 2 chat sites". */
export function channelsText(c: { mailboxes: number; chatSites: number }): string {
  const parts = [c.mailboxes > 0 ? `${c.mailboxes} mailbox${c.mailboxes === 1 ? '' : 'es'}` : '', c.chatSites > 0 ? `${c.chatSites} chat site${c.chatSites === 1 ? '' : 's'}` : ''];
  return parts.filter(Boolean).join(' and ');
}

/** Another active queue, for `field`; a field error otherwise. */
async function otherActiveQueue(q: Handle, id: string, field: string, wanted: string): Promise<QueueRow> {
  const t = q.tables.queues;
  const [target] = await q.db.select().from(t).where(eq(t.id, wanted)).limit(1);
  if (!target || !target.active || target.id === id) throw fieldError(field, 'choose another active queue');
  return target;
}

/**
 * Deactivates a queue; its open cases go to `moveTo`, and the mailboxes and chat sites whose
 * default queue it is to `channelsTo` (each required when there are any), in one transaction.
 */
export async function deactivateQueue(services: Services, id: string, options: { moveTo?: string | null; channelsTo?: string | null }, actor: Actor): Promise<DeactivateQueueResult> {
  assertManager(actor);
  const result = await services.store.write(async (q) => {
    const t = q.tables.queues;
    // Locked before the channels are read: a save pointing one at the queue commits first (and
    // is read below) or waits, then finds the queue inactive (queue-lock.ts).
    const queue = await queueIn(q, id, { forChange: true });
    if (id === FALLBACK_QUEUE) throw new DomainError('CONFLICT', `"${FALLBACK_QUEUE}" is the fallback queue of routing; it cannot be deactivated.`);
    if (!queue.active) return { queue, moved: 0, channels: { mailboxes: [], chatSites: [] } as QueueChannels, channelsTo: null as string | null };
    const open = await openCasesIn(q, id);
    const channels = await channelsOfQueue(q, id);
    const channelCount = channels.mailboxes.length + channels.chatSites.length;
    const moveTo = options.moveTo?.trim() || null;
    const channelsTo = options.channelsTo?.trim() || null;
    const issues: FieldIssue[] = [];
    // Published escalations were checked against the active queues when saved: keep them possible.
    const needed = escalationsNeedingQueue(services, id, await activeQueueTiersIn(q));
    if (needed.length > 0) issues.push({ path: '', message: `published escalations need this queue: ${needed.join('; ')}; publish them without it first` });
    if (open.length > 0 && !moveTo) {
      issues.push({ path: 'moveTo', message: `${open.length} open case${open.length === 1 ? ' is' : 's are'} in this queue: choose a queue to move ${open.length === 1 ? 'it' : 'them'} to` });
    }
    if (channelCount > 0 && !channelsTo) {
      const what = channelsText({ mailboxes: channels.mailboxes.length, chatSites: channels.chatSites.length });
      issues.push({ path: 'channelsTo', message: `${what} start${channelCount === 1 ? 's' : ''} new cases in this queue: choose the queue ${channelCount === 1 ? 'it uses' : 'they use'} instead` });
    }
    if (issues.length > 0) throw new ValidationError(issues);
    const target = open.length > 0 ? await otherActiveQueue(q, id, 'moveTo', moveTo!) : null;
    const channelsTarget = channelCount > 0 ? await otherActiveQueue(q, id, 'channelsTo', channelsTo!) : null;
    if (target) {
      for (const caseId of open) {
        const ctx = await CaseContext.load(q, services, caseId, actor);
        await transferCase(ctx, target.id, `queue ${id} deactivated by ${actor.name}`);
        await ctx.save();
      }
    }
    const repointed = channelsTarget ? await repointChannels(q, services, actor, id, channels, channelsTarget.id) : channels;
    const [row] = await q.db.update(t).set({ active: false }).where(eq(t.id, id)).returning();
    await auditIn(q, services.clock, actor, 'queue', id, 'deactivated', queue, {
      ...row!,
      movedTo: target?.id ?? null,
      moved: open.length,
      ...(channelsTarget ? { channelsTo: channelsTarget.id, mailboxes: repointed.mailboxes.map((m) => m.id), chatSites: repointed.chatSites.map((s) => s.id) } : {}),
    });
    return { queue: row!, moved: open.length, channels: repointed, channelsTo: channelsTarget?.id ?? null };
  });
  // Their pollers read the default queue when they start.
  for (const mailbox of result.channels.mailboxes) services.mailboxes.changed(mailbox.id);
  return result;
}

/**
 * Points the queue's mailboxes and chat sites at `to`, each change audited as an edit of the
 * mailbox or site; those an admin moved to another queue meanwhile (a save that committed while
 * this waited for its row) keep theirs. The ones pointed at `to`.
 */
async function repointChannels(q: Handle, services: Services, actor: Actor, from: string, channels: QueueChannels, to: string): Promise<QueueChannels> {
  const { mailboxes, chatSites } = q.tables;
  const now = services.clock.now();
  const reason = `queue ${from} deactivated`;
  const done: QueueChannels = { mailboxes: [], chatSites: [] };
  for (const m of channels.mailboxes) {
    const changed = await q.db.update(mailboxes).set({ queueId: to, updatedAt: now }).where(and(eq(mailboxes.id, m.id), eq(mailboxes.queueId, from))).returning({ id: mailboxes.id });
    if (changed.length === 0) continue;
    done.mailboxes.push(m);
    await auditIn(q, services.clock, actor, 'mailbox', m.id, 'updated', { name: m.name, queueId: from }, { name: m.name, queueId: to, reason });
  }
  for (const s of channels.chatSites) {
    const changed = await q.db.update(chatSites).set({ queueId: to, updatedAt: now }).where(and(eq(chatSites.id, s.id), eq(chatSites.queueId, from))).returning({ id: chatSites.id });
    if (changed.length === 0) continue;
    done.chatSites.push(s);
    await auditIn(q, services.clock, actor, 'chatSite', s.id, 'updated', { name: s.name, queueId: from }, { name: s.name, queueId: to, reason });
  }
  return done;
}

export async function reactivateQueue(services: Services, id: string, actor: Actor): Promise<QueueRow> {
  assertManager(actor);
  return services.store.write(async (q) => {
    const t = q.tables.queues;
    const before = await queueIn(q, id);
    if (before.active) return before;
    const [row] = await q.db.update(t).set({ active: true }).where(eq(t.id, id)).returning();
    await auditIn(q, services.clock, actor, 'queue', id, 'reactivated', before, row);
    return row!;
  });
}

export interface QueueUse {
  /** "ruleset routing", "workflow support". */
  definition: string;
  /** The rule name, or the transition / state whose action names the queue. */
  where: string;
}

/** Published rules and workflow actions that send cases to the queue (shown before deactivating). */
export function definitionsUsingQueue(services: Services, id: string): QueueUse[] {
  const out: QueueUse[] = [];
  const { definitions } = services;
  for (const name of definitions.names('ruleset')) {
    for (const rule of definitions.publishedRules(name)) {
      const params = rule.event.params as Record<string, unknown> | undefined;
      if ((rule.event.type === 'route' || rule.event.type === 'escalate') && params?.queue === id) {
        out.push({ definition: `ruleset ${name}`, where: `rule "${rule.name ?? '(unnamed)'}"` });
      }
    }
  }
  const names = (calls: readonly { action: string; [key: string]: unknown }[] | undefined) => (calls ?? []).some((call) => call.queue === id);
  for (const name of definitions.names('workflow')) {
    const workflow = definitions.workflow(name).definition;
    for (const [transition, t] of Object.entries(workflow.transitions)) {
      if (names(t.actions)) out.push({ definition: `workflow ${name}`, where: `transition "${transition}"` });
    }
    for (const [state, s] of Object.entries(workflow.states)) {
      if (names(s.onEnter)) out.push({ definition: `workflow ${name}`, where: `entering state "${state}"` });
    }
  }
  return out;
}

export interface QueueListRow extends QueueRow {
  openCases: number;
  waiting: number;
  members: number;
}

/** Every queue (active first, then by id) with its open and waiting cases and members. */
export function listQueues(services: Services): Promise<QueueListRow[]> {
  return services.store.query((q) => {
    const queues = q.tables.queues;
    return q.db
      .select({
        id: queues.id,
        name: queues.name,
        description: queues.description,
        tier: queues.tier,
        waitingOrder: queues.waitingOrder,
        waitAlertMinutes: queues.waitAlertMinutes,
        slackWebhookUrl: queues.slackWebhookUrl,
        teamsWebhookUrl: queues.teamsWebhookUrl,
        active: queues.active,
        createdAt: queues.createdAt,
        openCases: sql<number>`(SELECT count(*) FROM cases c WHERE c.queue_id = "queues"."id" AND c.open = TRUE)`.mapWith(Number),
        waiting: sql<number>`(SELECT count(*) FROM cases c WHERE c.queue_id = "queues"."id" AND c.waiting_since IS NOT NULL)`.mapWith(Number),
        members: sql<number>`(SELECT count(*) FROM staff_queues sq JOIN staff s ON s.id = sq.staff_id WHERE sq.queue_id = "queues"."id" AND s.active = TRUE)`.mapWith(Number),
      })
      .from(queues)
      .orderBy(desc(queues.active), asc(queues.id));
  });
}
