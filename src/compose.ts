/**
 * The composition root: the one place that knows every plug-in. It registers the built-in
 * workflow actions, the in-transaction subscribers (case bookkeeping, SLA clocks, the email
 * channel), what happens when an agent's capacity frees up (offer them waiting cases), and
 * the outbox handlers, then builds the services. Lower layers receive these through
 * `Services` and never import the modules that implement them, so the import graph has no
 * cycles (checked by test/tooling/dependencies.test.ts).
 */
import Database from 'better-sqlite3';
import { fillCapacity } from './assignment/fill-capacity.js';
import { ACCESS_MAIL } from './auth/request-access-mail.js';
import { sendAccessMail } from './auth/send-access-mail.js';
import { REPLY_MAIL, registerEmailSubscribers, sendReplyMail } from './channels/email/outbound.js';
import { sendTooLargeNotice, TOO_LARGE_MAIL } from './channels/email/too-large-notice.js';
import { registerChatSubscribers } from './chat/subscribers.js';
import { MISSED_REPLIES_MAIL, sendMissedReplies } from './chat/missed-replies.js';
import { sendTranscript, TRANSCRIPT_MAIL } from './chat/transcript.js';
import { fireWorkflowTimer } from './cases/fire-workflow-timer.js';
import { handleCaseEvent } from './cases/handle-case-event.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { DEFAULT_CRM_SETTINGS } from './crm/lookup.js';
import type { Store } from './db/store/index.js';
import { MENTION_MAIL } from './cases/mentions.js';
import { registerMetricSubscribers } from './metrics/subscribers.js';
import { sendMentionMail } from './notifications/send-mention.js';
import { sendNotification } from './notifications/send-notification.js';
import type { OutboxHandler } from './outbox/outbox.js';
import { deliverReport } from './reports/deliver-report.js';
import { assembleServices, type ServiceDatabase, type ServiceOptions, type Services } from './services.js';
import { dispatchSlaEvent } from './sla/dispatch-event.js';
import { registerSlaSubscribers } from './sla/subscribers.js';
import { assignAction } from './workflow/actions/assign.js';
import { escalateAction } from './workflow/actions/escalate.js';
import { notifyAction } from './workflow/actions/notify.js';
import { runRulesetAction } from './workflow/actions/run-ruleset.js';
import { transferAction } from './workflow/actions/transfer.js';
import { unassignAction } from './workflow/actions/unassign.js';
import { registerCaseBookkeeping } from './workflow/builtin-subscribers.js';
import { ActionRegistry } from './workflow/registry.js';
import { Subscribers } from './workflow/subscribers.js';
import { IM_POST, postImMessage } from './im/post-message.js';
import { WEBHOOK_DELIVER, WEBHOOK_DISABLED_MAIL, WEBHOOK_EVENT, deliverWebhook, fanOutWebhookEvent, mailWebhookDisabled } from './webhooks/deliveries.js';
import { syncWebhookTriggerOn } from './webhooks/trigger.js';

/** The workflow actions definitions may name. Adding one: a file in src/workflow/actions and a line here. */
export function builtinActions(): ActionRegistry {
  return new ActionRegistry().register(assignAction).register(unassignAction).register(escalateAction).register(notifyAction).register(runRulesetAction).register(transferAction);
}

/** In-transaction reactions to case events, and to an agent's capacity freeing up. */
export function builtinSubscribers(): Subscribers {
  const subscribers = new Subscribers();
  registerCaseBookkeeping(subscribers);
  registerSlaSubscribers(subscribers);
  registerChatSubscribers(subscribers);
  registerEmailSubscribers(subscribers);
  registerMetricSubscribers(subscribers);
  subscribers.onCapacityFreed(fillCapacity);
  return subscribers;
}

/** Outbox item types and the code that performs them. */
export function builtinOutboxHandlers(): Map<string, OutboxHandler> {
  return new Map<string, OutboxHandler>([
    ['case.event', handleCaseEvent],
    ['workflow.timer', fireWorkflowTimer],
    ['notification.send', sendNotification],
    [MENTION_MAIL, sendMentionMail],
    [REPLY_MAIL, sendReplyMail],
    ['sla.dispatch', dispatchSlaEvent],
    ['report.deliver', deliverReport],
    [ACCESS_MAIL, sendAccessMail],
    [WEBHOOK_EVENT, fanOutWebhookEvent],
    [WEBHOOK_DELIVER, deliverWebhook],
    [WEBHOOK_DISABLED_MAIL, mailWebhookDisabled],
    [IM_POST, postImMessage],
    [TRANSCRIPT_MAIL, sendTranscript],
    [MISSED_REPLIES_MAIL, sendMissedReplies],
    [TOO_LARGE_MAIL, sendTooLargeNotice],
  ]);
}

/**
 * Services with every built-in plug-in over an open SQLite database (or a SQLite store);
 * `options.outboxHandlers` add to or replace the built-in handlers. A PostgreSQL store:
 * `createServicesOn`.
 */
export function createServices(database: ServiceDatabase, clock: Clock, options: ServiceOptions = {}): Services {
  const handlers = builtinOutboxHandlers();
  for (const [type, handler] of options.outboxHandlers ?? []) handlers.set(type, handler);
  const services = assembleServices(database, clock, { actions: builtinActions(), subscribers: builtinSubscribers(), outboxHandlers: handlers }, options);
  // The webhooks' trigger sleeps while no subscription is enabled: set right after a migration or a restore.
  if (services.sqlite) settleWebhookTrigger(services.sqlite.$client);
  return services;
}

/**
 * `syncWebhookTriggerOn` at start, unless the database refuses the write (read-only, locked,
 * damaged: SQLite's own error): the trigger then stays as it is — awake it only costs time, and
 * it sleeps only while no subscription was enabled through the verbs that wake it.
 */
function settleWebhookTrigger(sqlite: Database.Database): void {
  try {
    syncWebhookTriggerOn(sqlite);
  } catch (error) {
    if (!(error instanceof Database.SqliteError)) throw error;
  }
}

/**
 * Services over a store of either dialect, its definitions loaded (PostgreSQL: `openStore({
 * postgresUrl })`, with `options.relay` when several instances share the database).
 */
export async function createServicesOn(store: Store, clock: Clock, options: ServiceOptions = {}): Promise<Services> {
  const services = createServices(store, clock, options);
  await services.definitions.refresh();
  return services;
}

/**
 * What the configuration sets in the services, the same for the server and the command-line
 * scripts (a script that drains the outbox delivers as the server would: the same channels key,
 * webhook targets, CRM); the caller adds its logger, mailer and relay.
 */
export function serviceOptionsOf(config: Config): ServiceOptions {
  return {
    publicUrl: config.publicUrl,
    defaultWorkflow: config.defaultWorkflow,
    queueWaitAlertMinutes: config.queueWaitAlertMinutes,
    email: config.email,
    signup: config.signup,
    attachments: config.attachments,
    channelsKey: config.channelsKey,
    rulesEngine: config.rulesEngine,
    phone: config.phone,
    integrations: { allowPrivateTargets: config.webhooksAllowPrivate },
    crm: config.crmLookupUrl ? { url: config.crmLookupUrl, ...DEFAULT_CRM_SETTINGS } : null,
    chat: config.chat,
    reports: { timezone: config.reportTimezone, atRiskHours: config.reportAtRiskHours, statementTimeoutMs: config.reportTimeoutMs },
  };
}
