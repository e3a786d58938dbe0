/**
 * The dependencies every command needs, built once and passed explicitly (no module-level
 * singletons): tests build their own with a temp database and a manual clock. The plug-ins
 * (actions, subscribers, outbox handlers) are handed in by the composition root
 * (`createServices` in src/compose.ts), so nothing here imports the code that implements them.
 */
import { DEFAULT_SIGNUP_POLICY, type SignupPolicy } from './auth/signup-policy.js';
import os from 'node:os';
import path from 'node:path';
import { defaultAttachmentSettings, type AttachmentSettings } from './attachments/settings.js';
import { createAttachmentStore, type AttachmentStore } from './attachments/store.js';
import { defaultEmailSettings, type EmailSettings } from './channels/email/settings.js';
import { ChatHub } from './chat/hub.js';
import { DEFAULT_CHAT_SETTINGS, type ChatSettings } from './chat/settings.js';
import type { ChannelsKey } from './channels/secrets.js';
import { defaultPhoneSettings, type PhoneSettings } from './channels/phone/settings.js';
import { PresenceRegistry } from './cases/presence.js';
import { AgentPresence, keepBeat } from './chat/agent-presence.js';
import type { Clock } from './clock.js';
import { CrmClient, type CrmSettings } from './crm/lookup.js';
import type { Db } from './db/client.js';
import type { LiveRelay } from './db/live-relay.js';
import type { Store } from './db/store/index.js';
import { sqliteStore } from './db/store/sqlite.js';
import { sqliteBehind } from './db/store/sqlite-only.js';
import { Definitions } from './definitions/registry.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import type { Mailer } from './notifications/mailer.js';
import type { OutboxHandler } from './outbox/outbox.js';
import { OutboxWorker } from './outbox/worker.js';
import { rulesEngineFromEnv, type RulesEngine } from './rules/run-ruleset.js';
import type { ActionRegistry } from './workflow/registry.js';
import type { Subscribers } from './workflow/subscribers.js';

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
  /** Who may sign up on the portal (PORTAL_SIGNUP; default `known`). */
  signup?: SignupPolicy;
  /** Attachment store and limits (default: a `files` folder beside the database file, default limits). */
  attachments?: Partial<AttachmentSettings>;
  /** CHANNELS_KEY: seals channel secrets (mailbox passwords). Default null: none can be stored. */
  channelsKey?: ChannelsKey | null;
  /** Which evaluator runs rules (default: RULES_ENGINE, else `compiled`; src/rules/run-ruleset.ts). */
  rulesEngine?: RulesEngine;
  /** The phone channel (PHONE_WEBHOOK_SECRET); default: the telephony hook off. */
  phone?: PhoneSettings;
  /** Outbound integrations (webhooks, Slack/Teams): WEBHOOKS_ALLOW_PRIVATE lifts the private-address guard. */
  integrations?: Partial<IntegrationSettings>;
  /** CRM enrichment at intake (CRM_LOOKUP_URL); default none. */
  crm?: CrmSettings | null;
  /** Live chat's limits and timers (default DEFAULT_CHAT_SETTINGS). */
  chat?: Partial<ChatSettings>;
  /** The defaults of every report built (REPORT_TIMEZONE, REPORT_AT_RISK_HOURS); default UTC and 4. */
  reports?: Partial<ReportSettings>;
  /**
   * Live signals to and from other instances on the same database (chat hub, presence); default
   * none: one process. PostgreSQL's is `postgresRelay` (src/db/pg/notify-relay.ts).
   */
  relay?: LiveRelay;
}

/**
 * What a report uses when its builder does not say (REPORT_TIMEZONE, REPORT_AT_RISK_HOURS): the
 * scheduled SLA report, `POST /api/v1/reports`, `npm run report`, the reports dashboard
 * (/manage/reports) and `GET /api/v1/metrics` alike.
 */
export interface ReportSettings {
  /** The IANA zone reports show times and read dates in. */
  timezone: string;
  /** Business hours ahead that count as "at risk" in the SLA report. */
  atRiskHours: number;
  /**
   * PostgreSQL: the statement limit of long work no request waits on (reports, their CSV
   * exports, a customer's data export) in place of the connection's (DATABASE_REPORT_TIMEOUT_MS;
   * 0: none). A connection without a limit keeps none (src/db/store/long-statements.ts).
   */
  statementTimeoutMs: number;
}

export const DEFAULT_REPORT_SETTINGS: ReportSettings = { timezone: 'UTC', atRiskHours: 4, statementTimeoutMs: 300_000 };

/** How outbound integrations (webhooks, Slack/Teams posts) reach the network. */
export interface IntegrationSettings {
  /** Private, loopback, link-local and ULA targets allowed (WEBHOOKS_ALLOW_PRIVATE=true); default false. */
  allowPrivateTargets: boolean;
  /** How long a receiver may take to answer, in all (default 10 s; well under the outbox's 60 s claim). */
  timeoutMs: number;
  /** On shutdown, how long posts in flight may still take before they are aborted (default 5 s). */
  shutdownGraceMs: number;
}

/** Live chat: who listens to which chat (in memory), and its settings. */
export interface ChatServices {
  hub: ChatHub;
  /** Agents with the workspace open now, in this process and (with a relay) the others (availability). */
  agents: AgentPresence;
  settings: ChatSettings;
}

/** Customers getting in: the sign-up policy (src/auth/signup-policy.ts). */
export interface AccessSettings {
  signup: SignupPolicy;
}

/** Where attachments are stored and how large they may be. */
export interface Attachments {
  settings: AttachmentSettings;
  store: AttachmentStore;
}

/** A `files` folder beside the database file (a temp folder for an in-memory database). */
function defaultAttachmentsDir(db: Db | null): string {
  const file = db?.$client.name;
  return file && file !== ':memory:' ? path.join(path.dirname(path.resolve(file)), 'files') : path.join(os.tmpdir(), `casebook-files-${process.pid}`);
}

/**
 * What the console tells the poller supervisor (src/channels/email/mailbox-supervisor.ts):
 * main.ts puts the running supervisor here; until then (tests, scripts) it does nothing.
 */
export interface MailboxControl {
  /** A console mailbox was added, changed, enabled, disabled or deleted: start, restart or stop its poller. */
  changed(id: number): void;
  /** Stops the mailbox's poller (the mail in hand is finished) before the mailbox is deleted. */
  release(id: number): Promise<void>;
}

const NO_MAILBOX_CONTROL: MailboxControl = { changed: () => undefined, release: async () => undefined };

export interface Services {
  /**
   * The SQLite database when Casebook runs on SQLite (its file, WAL checkpoints, integrity
   * check, backup, cached statements); null on PostgreSQL (DATABASE_URL).
   */
  sqlite: Db | null;
  /**
   * The storage port (src/db/store; docs/postgres.md, "Phase 2: the storage port"): every
   * command and read runs on it, on SQLite (over `sqlite`) or PostgreSQL. Closed with the
   * services: `await services.store.close()` before the database (on SQLite it leaves `sqlite` open).
   */
  store: Store;
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
  access: AccessSettings;
  attachments: Attachments;
  channelsKey: ChannelsKey | null;
  mailboxes: MailboxControl;
  rulesEngine: RulesEngine;
  phone: PhoneSettings;
  /** Who has which case open, in this process and (with a relay) the other instances (case pages' heartbeats). */
  presence: PresenceRegistry;
  /** Prometheus metrics of this instance (src/metrics/; scraped at `/metrics`). */
  metrics: Metrics;
  integrations: IntegrationSettings;
  /** The CRM lookup (src/crm/lookup.ts), null without CRM_LOOKUP_URL. */
  crm: CrmClient | null;
  chat: ChatServices;
  /** Report defaults (REPORT_TIMEZONE, REPORT_AT_RISK_HOURS). */
  reports: ReportSettings;
}

function chatServices(options: ServiceOptions, clock: Clock, services: () => Services): ChatServices {
  const settings = { ...DEFAULT_CHAT_SETTINGS, ...options.chat };
  return {
    hub: new ChatHub({ ...(options.relay ? { relay: options.relay } : {}), afterCommit: (fn) => services().store.afterCommit(fn) }),
    agents: new AgentPresence({
      ttlMs: settings.agentPresenceSeconds * 1000,
      keep: (staffId, at) => services().store.write((q) => keepBeat(q, staffId, at)),
      ...(options.relay ? { relay: options.relay, clock } : {}),
    }),
    settings,
  };
}

function attachmentsFor(db: Db | null, options: Partial<AttachmentSettings> = {}): Attachments {
  const dir = options.dir ?? defaultAttachmentsDir(db);
  const settings = { ...defaultAttachmentSettings(dir), ...options, dir };
  return { settings, store: createAttachmentStore(settings.dir) };
}

/** The plug-ins a Services instance runs: what definitions may name and what the outbox performs. */
export interface ServicePlugins {
  actions: ActionRegistry;
  subscribers: Subscribers;
  outboxHandlers: Map<string, OutboxHandler>;
}

/** Where services keep their data: an open SQLite database, or a store (a PostgreSQL one: `openStore({ postgresUrl })`, src/db/store/open.ts). */
export type ServiceDatabase = Db | Store;

function isStore(database: ServiceDatabase): database is Store {
  return typeof (database as Partial<Store>).write === 'function' && typeof (database as Partial<Store>).dialect === 'string';
}

/**
 * The services over `database`. On a PostgreSQL store the definitions registry starts empty:
 * `await services.definitions.refresh()` loads it (createServicesOn in compose.ts does).
 */
export function assembleServices(database: ServiceDatabase, clock: Clock, plugins: ServicePlugins, options: ServiceOptions = {}): Services {
  const { actions, subscribers } = plugins;
  const store = isStore(database) ? database : sqliteStore(database);
  const sqlite = isStore(database) ? (database.dialect === 'sqlite' ? sqliteBehind(database) : null) : database;
  const services: Services = {
    sqlite,
    store,
    clock,
    definitions: new Definitions(actions, store, sqlite, options.relay),
    actions,
    subscribers,
    outbox: undefined as unknown as OutboxWorker,
    logger: options.logger ?? createLogger('silent'),
    mailer: options.mailer ?? null,
    defaultWorkflow: options.defaultWorkflow ?? 'support',
    publicUrl: options.publicUrl ?? 'http://127.0.0.1:3000',
    queueWaitAlertMinutes: options.queueWaitAlertMinutes ?? 30,
    email: options.email ?? defaultEmailSettings(),
    access: { signup: options.signup ?? DEFAULT_SIGNUP_POLICY },
    attachments: attachmentsFor(sqlite, options.attachments),
    channelsKey: options.channelsKey ?? null,
    mailboxes: NO_MAILBOX_CONTROL,
    rulesEngine: options.rulesEngine ?? rulesEngineFromEnv(),
    phone: options.phone ?? defaultPhoneSettings(),
    presence: new PresenceRegistry(options.relay ? { relay: options.relay, clock } : {}),
    metrics: createMetrics(),
    integrations: { allowPrivateTargets: false, timeoutMs: 10_000, shutdownGraceMs: 5_000, ...options.integrations },
    crm: null,
    chat: chatServices(options, clock, () => services),
    reports: { ...DEFAULT_REPORT_SETTINGS, ...options.reports },
  };
  const logger = services.logger;
  if (options.crm) services.crm = new CrmClient(options.crm, clock, logger);
  services.outbox = new OutboxWorker(services, plugins.outboxHandlers);
  return services;
}
