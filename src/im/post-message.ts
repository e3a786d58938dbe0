/**
 * Outbox handler of `im.post` (queued by `notify` with the `slack` or `teams` target): posts
 * the chat message (messages.ts) to the rule's URL or the case queue's, through the SSRF
 * guard. The timeline records what happened (`notification.sent` with `channel`). A network
 * error, a 5xx or a 429 is thrown, so the outbox retries with back-off; a refused target, a
 * missing URL or another 4xx is final and recorded.
 *
 * Posts run in their own outbox lane (src/outbox/lanes.ts): at most 4 at once, 2 per URL, a
 * case's posts one after the other; a command never waits for one, nor does mail.
 */
import { eq } from 'drizzle-orm';
import type { Handle } from '../db/store/index.js';
import { caseRef } from '../cases/case-ref.js';
import { guardedPost } from '../net/guarded-post.js';
import { RETRY_AFTER_MAX_MS, RETRY_AFTER_STATUSES, retryAfterMs } from '../net/retry-after.js';
import { markItemDone } from '../outbox/dialect.js';
import type { LaneContext, OutboxLane } from '../outbox/lanes.js';
import type { OutboxItem } from '../outbox/outbox.js';
import { RetryLaterError } from '../outbox/retry-later.js';
import { templateSpec } from '../notifications/template-catalog.js';
import type { Services } from '../services.js';
import { slackMessage, teamsMessage, type ChatCase } from './messages.js';
import type { ImTarget } from './targets.js';

export const IM_POST = 'im.post';

export interface ImPostPayload {
  to: ImTarget;
  template?: string;
  url?: string;
  source?: string;
}

/** The timeline records what happened (`notification.sent` with the channel) and the item is done, in one write. */
function finish(services: Services, item: OutboxItem, data: Record<string, unknown>): Promise<void> {
  return services.store.write(async (q) => {
    const now = services.clock.now();
    if (!(await markItemDone(q, item.id, now))) return;
    await q.db.insert(q.tables.caseEvents).values({ caseId: item.caseId!, type: 'notification.sent', at: now, actorType: 'system', actorId: null, data });
  });
}

type QueueUrls = { slackWebhookUrl: string | null; teamsWebhookUrl: string | null } | undefined;

/** The URL a post goes to: the rule's, else the case queue's; null when there is none. */
function urlOf(item: OutboxItem, queue: QueueUrls): string | null {
  const p = item.payload as unknown as ImPostPayload;
  if (p.url) return p.url;
  return (p.to === 'slack' ? queue?.slackWebhookUrl : queue?.teamsWebhookUrl) ?? null;
}

/**
 * The lane's target of an item, known without reading anything (the drain picks items
 * synchronously, on either database): the rule's own URL, else the kind of the case queue's
 * URL — posts to the queues' Slack (or Teams) URLs share two slots, fewer at once than one
 * pair per URL, never more.
 */
export const IM_LANE: OutboxLane = {
  name: 'im',
  concurrency: 4,
  perTarget: 2,
  target: (_services, item) => {
    const p = item.payload as unknown as ImPostPayload;
    return p.url ?? `queue-${p.to}`;
  },
};

/** What a post needs, read in one statement group: the case, its queue and its customer. */
async function readPost(q: Handle, caseId: number) {
  const { cases, customers, queues } = q.tables;
  const [c] = await q.db.select().from(cases).where(eq(cases.id, caseId)).limit(1);
  if (!c) return undefined;
  const [queue] = await q.db.select().from(queues).where(eq(queues.id, c.queueId)).limit(1);
  const [customer] = await q.db.select().from(customers).where(eq(customers.id, c.customerId)).limit(1);
  return { c, queue, customer };
}

export async function postImMessage(services: Services, item: OutboxItem, context?: LaneContext): Promise<void> {
  const p = item.payload as unknown as ImPostPayload;
  const caseId = item.caseId;
  const found = caseId === null ? undefined : await services.store.query((q) => readPost(q, caseId));
  if (!found) {
    await services.store.write((q) => markItemDone(q, item.id, services.clock.now()));
    return;
  }
  const { c, queue, customer } = found;
  const url = urlOf(item, queue);
  const base = { channel: p.to, template: p.template ?? null, ...(p.source ? { source: p.source } : {}) };
  if (!url) {
    await finish(services, item, { ...base, skipped: `no ${p.to} incoming-webhook URL on the rule or on queue ${c.queueId}` });
    return;
  }
  const workflow = services.definitions.workflow(c.workflow, c.workflowVersion).definition;
  const chat: ChatCase = {
    ref: caseRef(c.id),
    subject: c.subject,
    queue: queue?.name ?? c.queueId,
    priority: c.priority,
    status: workflow.states[c.status]?.label ?? c.status,
    customer: customer ? `${customer.name}${customer.organization ? ` (${customer.organization})` : ''}` : '',
    url: `${services.publicUrl}/cases/${caseRef(c.id)}`,
  };
  const headline = (p.template ? templateSpec(p.template)?.title : undefined) ?? 'Case update';
  const body = JSON.stringify(p.to === 'slack' ? slackMessage(headline, chat) : teamsMessage(headline, chat));
  const result = await guardedPost(url, body, { allowPrivate: services.integrations.allowPrivateTargets, timeoutMs: services.integrations.timeoutMs, ...(context ? { signal: context.signal } : {}) });
  if (result.ok) {
    await finish(services, item, { ...base, status: result.status, durationMs: result.durationMs });
    return;
  }
  const retryable = result.status === null ? !result.error?.startsWith('refused') && !result.error?.startsWith('must') && !result.error?.startsWith('not a URL') : result.status >= 500 || result.status === 429;
  if (retryable) {
    // A 429's or 503's Retry-After (Slack's rate limit names one) is honoured, bounded as for webhooks (src/net/retry-after.ts).
    const asked = result.status !== null && RETRY_AFTER_STATUSES.includes(result.status) ? retryAfterMs(result.retryAfter, services.clock.now()) : null;
    const message = `${p.to} post failed: ${result.error}${asked !== null ? ` (Retry-After: ${result.retryAfter})` : ''}`;
    throw asked === null ? new Error(message) : new RetryLaterError(message, Math.min(asked, RETRY_AFTER_MAX_MS));
  }
  await finish(services, item, { ...base, failed: result.error, status: result.status });
}

postImMessage.lane = IM_LANE;
