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
import { transaction } from '../db/client.js';
import { rowById, statement } from '../db/fast.js';
import { cases, customers, queues } from '../db/schema/index.js';
import { caseRef } from '../cases/case-ref.js';
import { guardedPost } from '../net/guarded-post.js';
import type { LaneContext, OutboxLane } from '../outbox/lanes.js';
import { markDone, type OutboxItem } from '../outbox/outbox.js';
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

function record(services: Services, item: OutboxItem, data: Record<string, unknown>): void {
  statement(services.db, 'INSERT INTO case_events (case_id, type, at, actor_type, actor_id, data) VALUES (?, ?, ?, ?, ?, ?)').run(
    item.caseId,
    'notification.sent',
    services.clock.now(),
    'system',
    null,
    JSON.stringify(data),
  );
}

/** The URL a post goes to: the rule's, else the case queue's; null when there is none. */
function urlOf(services: Services, item: OutboxItem, queueId: string): string | null {
  const p = item.payload as unknown as ImPostPayload;
  if (p.url) return p.url;
  const queue = statement<[string], { slack_webhook_url: string | null; teams_webhook_url: string | null }>(services.db, 'SELECT slack_webhook_url, teams_webhook_url FROM queues WHERE id = ?').get(queueId);
  return (p.to === 'slack' ? queue?.slack_webhook_url : queue?.teams_webhook_url) ?? null;
}

export const IM_LANE: OutboxLane = {
  name: 'im',
  concurrency: 4,
  perTarget: 2,
  target: (services, item) => {
    const queueId = item.caseId === null ? undefined : statement<[number], { queue_id: string }>(services.db, 'SELECT queue_id FROM cases WHERE id = ?').get(item.caseId)?.queue_id;
    return (queueId === undefined ? null : urlOf(services, item, queueId)) ?? 'none';
  },
};

export async function postImMessage(services: Services, item: OutboxItem, context?: LaneContext): Promise<void> {
  const { db } = services;
  const p = item.payload as unknown as ImPostPayload;
  const c = item.caseId === null ? undefined : rowById(db, cases, item.caseId);
  if (!c) {
    markDone(db, item.id, services.clock.now());
    return;
  }
  const queue = db.select().from(queues).where(eq(queues.id, c.queueId)).get();
  const url = urlOf(services, item, c.queueId);
  const base = { channel: p.to, template: p.template ?? null, ...(p.source ? { source: p.source } : {}) };
  const finish = (data: Record<string, unknown>) =>
    transaction(db, () => {
      record(services, item, { ...base, ...data });
      markDone(db, item.id, services.clock.now());
    });
  if (!url) {
    finish({ skipped: `no ${p.to} incoming-webhook URL on the rule or on queue ${c.queueId}` });
    return;
  }
  const workflow = services.definitions.workflow(c.workflow, c.workflowVersion).definition;
  const customer = rowById(db, customers, c.customerId);
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
    finish({ status: result.status, durationMs: result.durationMs });
    return;
  }
  const retryable = result.status === null ? !result.error?.startsWith('refused') && !result.error?.startsWith('must') && !result.error?.startsWith('not a URL') : result.status >= 500 || result.status === 429;
  if (retryable) throw new Error(`${p.to} post failed: ${result.error}`);
  finish({ failed: result.error, status: result.status });
}

postImMessage.lane = IM_LANE;
