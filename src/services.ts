/**
 * The dependencies every command needs, built once by `createServices` and passed
 * explicitly (no module-level singletons): tests build their own with a temp database
 * and a manual clock.
 */
import os from 'node:os';
import path from 'node:path';
import { defaultAttachmentSettings, type AttachmentSettings } from './attachments/settings.js';
import { createAttachmentStore, type AttachmentStore } from './attachments/store.js';
import { defaultEmailSettings, type EmailSettings } from './channels/email/settings.js';
import type { Clock } from './clock.js';
import type { Db } from './db/client.js';
import { Definitions } from './definitions/registry.js';
import { createLogger, type Logger } from './logger.js';
import type { Mailer } from './notifications/mailer.js';
import { builtinOutboxHandlers } from './outbox/handlers.js';
import type { OutboxHandler } from './outbox/outbox.js';
import { OutboxWorker } from './outbox/worker.js';
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
  /** Attachment store and limits (default: a `files` folder beside the database file, default limits). */
  attachments?: Partial<AttachmentSettings>;
}

/** Where attachments are stored and how large they may be. */
export interface Attachments {
  settings: AttachmentSettings;
  store: AttachmentStore;
}

/** A `files` folder beside the database file (a temp folder for an in-memory database). */
function defaultAttachmentsDir(db: Db): string {
  const file = db.$client.name;
  return file && file !== ':memory:' ? path.join(path.dirname(path.resolve(file)), 'files') : path.join(os.tmpdir(), `casebook-files-${process.pid}`);
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
  attachments: Attachments;
}

function attachmentsFor(db: Db, options: Partial<AttachmentSettings> = {}): Attachments {
  const dir = options.dir ?? defaultAttachmentsDir(db);
  const settings = { ...defaultAttachmentSettings(dir), ...options, dir };
  return { settings, store: createAttachmentStore(settings.dir) };
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
    attachments: attachmentsFor(db, options.attachments),
  };
  const handlers = builtinOutboxHandlers();
  for (const [type, handler] of options.outboxHandlers ?? []) handlers.set(type, handler);
  services.outbox = new OutboxWorker(services, handlers);
  return services;
}
