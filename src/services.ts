/**
 * The dependencies every command needs, built once by `createServices` and passed
 * explicitly (no module-level singletons): tests build their own with a temp database
 * and a manual clock.
 */
import { defaultEmailSettings, type EmailSettings } from './channels/email/settings.js';
import type { Clock } from './clock.js';
import type { Db } from './db/client.js';
import { Definitions } from './definitions/registry.js';
import { createLogger, type Logger } from './logger.js';
import type { Mailer } from './notifications/mailer.js';
import { builtinOutboxHandlers } from './outbox/handlers.js';
import type { OutboxHandler } from './outbox/outbox.js';
import { OutboxWorker } from './outbox/worker.js';
import { rulesEngineFromEnv, type RulesEngine } from './rules/run-ruleset.js';
import { registerBuiltinActions } from './workflow/actions/index.js';
import { registerBuiltinSubscribers } from './workflow/builtin-subscribers.js';
import { ActionRegistry } from './workflow/registry.js';
import { Subscribers } from './workflow/subscribers.js';

export interface ServiceOptions {
  /** Workflow for new cases (default "support"). */
  defaultWorkflow?: string;
  /** Base URL used in links sent by mail. */
  publicUrl?: string;
  logger?: Logger;
  mailer?: Mailer | null;
  /** Alert managers about cases waiting longer than this in queues without their own setting (default 30; 0: never). */
  queueWaitAlertMinutes?: number;
  /** Extra outbox handlers (by item type). */
  outboxHandlers?: Iterable<[string, OutboxHandler]>;
  /** The email channel's settings (default: defaultEmailSettings()). */
  email?: EmailSettings;
  /** Which evaluator runs rules (default: RULES_ENGINE, else `compiled`; src/rules/run-ruleset.ts). */
  rulesEngine?: RulesEngine;
}

export interface Services {
  db: Db;
  clock: Clock;
  definitions: Definitions;
  actions: ActionRegistry;
  subscribers: Subscribers;
  outbox: OutboxWorker;
  logger: Logger;
  mailer: Mailer | null;
  defaultWorkflow: string;
  publicUrl: string;
  queueWaitAlertMinutes: number;
  email: EmailSettings;
  rulesEngine: RulesEngine;
}

export function createServices(db: Db, clock: Clock, options: ServiceOptions = {}): Services {
  const actions = registerBuiltinActions(new ActionRegistry());
  const subscribers = registerBuiltinSubscribers(new Subscribers());
  const services: Services = {
    db,
    clock,
    definitions: new Definitions(db, actions),
    actions,
    subscribers,
    outbox: undefined as unknown as OutboxWorker,
    logger: options.logger ?? createLogger('silent'),
    mailer: options.mailer ?? null,
    defaultWorkflow: options.defaultWorkflow ?? 'support',
    publicUrl: options.publicUrl ?? 'http://127.0.0.1:3000',
    queueWaitAlertMinutes: options.queueWaitAlertMinutes ?? 30,
    email: options.email ?? defaultEmailSettings(),
    rulesEngine: options.rulesEngine ?? rulesEngineFromEnv(),
  };
  const handlers = builtinOutboxHandlers();
  for (const [type, handler] of options.outboxHandlers ?? []) handlers.set(type, handler);
  services.outbox = new OutboxWorker(services, handlers);
  return services;
}
