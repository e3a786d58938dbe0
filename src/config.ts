import path from 'node:path';
import { phoneSettingsFromEnv, PhoneSettingsError, type PhoneSettings } from './channels/phone/settings.js';
import { DEFAULT_CHAT_SETTINGS, type ChatSettings } from './chat/settings.js';
import { MIN_PASSWORD_LENGTH } from './auth/password.js';
import { DEFAULT_RATE_LIMITS, parseRate, type Rate, type RateLimits } from './auth/rate-limit.js';
import { parseSignupPolicy, SignupPolicyError, type SignupPolicy } from './auth/signup-policy.js';
import { AttachmentSettingsError, attachmentSettingsFromEnv, type AttachmentSettings } from './attachments/settings.js';
import { EmailSettingsError, emailSettingsFromEnv, type EmailSettings } from './channels/email/settings.js';
import { ChannelsKeyError, parseChannelsKey, type ChannelsKey } from './channels/secrets.js';
import { RULES_ENGINES, type RulesEngine } from './rules/run-ruleset.js';
import { ConfigError, mailFrom, postgresUrl, publicUrl, smtpUrl, timeZone, wholeNumber } from './config-checks.js';
import { canonicalEmail } from './text/email-address.js';

export { ConfigError } from './config-checks.js';

/** Runtime configuration, read once from the environment. See README "Configuration". */
export interface Config {
  port: number;
  host: string;
  databasePath: string;
  /** DATABASE_URL: the PostgreSQL database Casebook runs on (docs/deploying.md "Running on PostgreSQL"); null: SQLite at `databasePath`. */
  databaseUrl: string | null;
  /** How long a statement waits for a lock held by another process before answering 503. */
  busyTimeoutMs: number;
  /**
   * PostgreSQL: how long a server's request waits for the database — each statement
   * (statement_timeout: a lock held by another session, a stalled server) and a pooled
   * connection — before answering 503 (DATABASE_STATEMENT_TIMEOUT_MS, default 10 s; 0: no
   * limit). The command-line jobs (backup, import, reports…) run without it.
   */
  statementTimeoutMs: number;
  /**
   * PostgreSQL: the statement limit of work known to be long that no request waits on — the
   * SLA reports (scheduled and built on demand), the reports' CSV exports, a customer's data
   * export — set in its own transaction in place of DATABASE_STATEMENT_TIMEOUT_MS
   * (DATABASE_REPORT_TIMEOUT_MS, default 5 minutes; 0: no limit; never below the other; with
   * that one 0, no limit either).
   */
  reportTimeoutMs: number;
  /** `worker`: WAL checkpoints from a worker thread (default); `auto`: SQLite's own, inside commits (for comparison). */
  walCheckpoints: 'worker' | 'auto';
  /** With `worker` checkpoints: a WAL this large (bytes) is checkpointed and truncated at once (WAL_SIZE_LIMIT_MB, default 64). */
  walSizeLimit: number;
  workflowsDir: string;
  rulesDir: string;
  adminToken: string | null;
  /** Demo data (known accounts, an admin) on an empty database. Off by default when NODE_ENV=production. */
  seedDemo: boolean;
  /** DEMO_PASSWORD: the demo accounts' password (an admin among them); null: a random one, printed at start-up. */
  demoPassword: string | null;
  /** Why `seedDemo` is what it is, for the start-up message: set explicitly, or the default for this NODE_ENV. */
  seedDemoSource: 'explicit' | 'default' | 'production-default';
  /** Workflow new cases follow. */
  defaultWorkflow: string;
  slaSweepCron: string;
  reportCron: string;
  reportTimezone: string;
  /** Business hours ahead that count as "at risk" in the scheduled SLA report. */
  reportAtRiskHours: number;
  /** Managers are alerted about cases waiting longer than this in a queue without its own setting (0: never). */
  queueWaitAlertMinutes: number;
  smtpUrl: string | null;
  mailFrom: string;
  /**
   * The envelope sender of outbound mail, where bounces go (`MAIL_RETURN_PATH`, else
   * SUPPORT_ADDRESS when set, so bounces reach the mailbox Casebook reads); null: MAIL_FROM's address.
   */
  mailReturnPath: string | null;
  publicUrl: string;
  /** Mark cookies Secure. Defaults to true when PUBLIC_URL is https. */
  secureCookies: boolean;
  /** Reverse proxies of ours in front of the server; client addresses come from X-Forwarded-For that many hops from the right. 0 (default): the socket's. */
  trustProxy: number;
  /** Intake, message and mailed-link rate limits (RATE_LIMIT_*). */
  rateLimits: RateLimits;
  /** Who may sign up on the portal (PORTAL_SIGNUP). */
  signup: SignupPolicy;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** LOG_FORMAT: `json` lines (default) or `pretty` ones for a terminal. */
  logFormat: 'json' | 'pretty';
  /** METRICS_TOKEN: a bearer token good for `/metrics` only (16+ characters); null: admin tokens only. */
  metricsToken: string | null;
  /** The email channel (SUPPORT_ADDRESS, INBOUND_SMTP_PORT, EMAIL_*): docs/email.md. */
  email: EmailSettings;
  /** Attachments (ATTACHMENTS_DIR, ATTACHMENT_MAX_*): docs/email.md "Attachments". */
  attachments: AttachmentSettings;
  /** RETENTION_DAYS: closed cases' personal data is erased this many days after closing (docs/privacy.md); null: kept. */
  retentionDays: number | null;
  /** CHANNELS_KEY: the key channel secrets (mailbox passwords) are sealed with; null: none can be stored. */
  channelsKey: ChannelsKey | null;
  /** RULES_ENGINE: `compiled` rules where they apply (default) or json-rules-engine everywhere (`reference`). */
  rulesEngine: RulesEngine;
  /** The phone channel: PHONE_WEBHOOK_SECRET signs the telephony hook (docs/ui.md, "Phone and walk-in"). */
  phone: PhoneSettings;
  /** WEBHOOKS_ALLOW_PRIVATE: webhooks and Slack/Teams posts may reach private, loopback and link-local addresses. */
  webhooksAllowPrivate: boolean;
  /** CRM_LOOKUP_URL: the CRM asked about a customer's email at intake (docs/integrations.md); null: none. */
  crmLookupUrl: string | null;
  /** Live chat (CHAT_*): docs/chat.md. */
  chat: ChatSettings;
  /** How often open chats are checked for inactivity and chat SLA timers swept (CHAT_SWEEP_CRON, seconds field allowed). */
  chatSweepCron: string;
}

function bool(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function portNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new ConfigError(`${name} must be a port number, got "${raw}"`);
  }
  return value;
}

function oneOf<T extends string>(name: string, raw: string | undefined, allowed: readonly T[], fallback: T): T {
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

function retentionDays(raw: string | undefined): number | null {
  if (raw === undefined || raw.trim() === '') return null;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 36_500) throw new ConfigError(`RETENTION_DAYS must be a whole number of days from 1 to 36500, got "${raw}"`);
  return value;
}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 10_000) throw new ConfigError(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function millis(name: string, raw: string | undefined, fallback: number, max = 600_000): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) throw new ConfigError(`${name} must be milliseconds (0–${max}), got "${raw}"`);
  return value;
}

/**
 * DATABASE_REPORT_TIMEOUT_MS: up to an hour, and no shorter than a request's limit. With
 * DATABASE_STATEMENT_TIMEOUT_MS 0 (no limit) nothing is limited, the long work neither.
 */
function reportTimeout(raw: string | undefined, statementTimeoutMs: number): number {
  const value = millis('DATABASE_REPORT_TIMEOUT_MS', raw, 300_000, 3_600_000);
  if (value !== 0 && statementTimeoutMs !== 0 && value < statementTimeoutMs) {
    throw new ConfigError(`DATABASE_REPORT_TIMEOUT_MS (${value}) must be 0 (no limit) or at least DATABASE_STATEMENT_TIMEOUT_MS (${statementTimeoutMs}): reports and exports would be cut sooner than a request`);
  }
  return value;
}

function minutes(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 10_080) throw new ConfigError(`${name} must be whole minutes (0–10080, 0 for never), got "${raw}"`);
  return value;
}

/** TRUST_PROXY: off (default), `true` (one proxy) or the number of proxies in front (1–10). */
function proxies(raw: string | undefined): number {
  if (raw === undefined || raw === '' || /^(0|false|no|off)$/i.test(raw)) return 0;
  if (/^(true|yes|on)$/i.test(raw)) return 1;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 10) throw new ConfigError(`TRUST_PROXY must be false, true or the number of proxies in front (1–10), got "${raw}"`);
  return value;
}

function rate(name: string, raw: string | undefined, fallback: Rate): Rate {
  if (raw === undefined || raw === '') return fallback;
  const parsed = parseRate(raw);
  if (!parsed) throw new ConfigError(`${name} must be "count/window" such as 10/10m, 60/1m or 500/1h (s, m, h; at most 24h), or off; got "${raw}"`);
  return parsed;
}

/** HOST as it goes into the default PUBLIC_URL: every address (0.0.0.0, ::) is reached as localhost; an IPv6 address in brackets. */
function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '[::]') return 'localhost';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const port = portNumber('PORT', env.PORT, 3000);
  const host = env.HOST || '127.0.0.1';
  const publicBase = publicUrl(env.PUBLIC_URL, `http://${hostForUrl(host)}:${port}`);
  const adminToken = env.ADMIN_TOKEN?.trim() || null;
  if (adminToken !== null && adminToken.length < 16) {
    throw new ConfigError('ADMIN_TOKEN must be at least 16 characters long');
  }
  const production = env.NODE_ENV === 'production';
  const seedDemoExplicit = env.SEED_DEMO !== undefined && env.SEED_DEMO !== '';
  const logLevel = (env.LOG_LEVEL || 'info') as Config['logLevel'];
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be debug, info, warn, error or silent, got "${logLevel}"`);
  }
  const databasePath = path.resolve(cwd, env.DATABASE_PATH || './data/casebook.db');
  const metricsToken = env.METRICS_TOKEN?.trim() || null;
  if (metricsToken !== null && metricsToken.length < 16) throw new ConfigError('METRICS_TOKEN must be at least 16 characters long');
  const statementTimeoutMs = millis('DATABASE_STATEMENT_TIMEOUT_MS', env.DATABASE_STATEMENT_TIMEOUT_MS, 10_000);
  return {
    port,
    host,
    databasePath,
    databaseUrl: postgresUrl(env.DATABASE_URL),
    busyTimeoutMs: millis('DATABASE_BUSY_TIMEOUT_MS', env.DATABASE_BUSY_TIMEOUT_MS, 5000),
    statementTimeoutMs,
    reportTimeoutMs: reportTimeout(env.DATABASE_REPORT_TIMEOUT_MS, statementTimeoutMs),
    walCheckpoints: oneOf('WAL_CHECKPOINTS', env.WAL_CHECKPOINTS, ['worker', 'auto'] as const, 'worker'),
    walSizeLimit: Math.round(positive('WAL_SIZE_LIMIT_MB', env.WAL_SIZE_LIMIT_MB, 64) * 1024 * 1024),
    workflowsDir: path.resolve(cwd, env.WORKFLOWS_DIR || './workflows'),
    rulesDir: path.resolve(cwd, env.RULES_DIR || './rules'),
    adminToken,
    seedDemo: bool('SEED_DEMO', env.SEED_DEMO, !production),
    seedDemoSource: seedDemoExplicit ? 'explicit' : production ? 'production-default' : 'default',
    demoPassword: demoPassword(env.DEMO_PASSWORD),
    defaultWorkflow: env.DEFAULT_WORKFLOW || 'support',
    slaSweepCron: env.SLA_SWEEP_CRON || '* * * * *',
    reportCron: env.REPORT_CRON || '0 7 * * *',
    reportTimezone: timeZone('REPORT_TIMEZONE', env.REPORT_TIMEZONE, 'UTC'),
    reportAtRiskHours: positive('REPORT_AT_RISK_HOURS', env.REPORT_AT_RISK_HOURS, 4),
    retentionDays: retentionDays(env.RETENTION_DAYS),
    queueWaitAlertMinutes: minutes('QUEUE_WAIT_ALERT_MINUTES', env.QUEUE_WAIT_ALERT_MINUTES, 30),
    chatSweepCron: env.CHAT_SWEEP_CRON || '*/10 * * * * *',
    chat: {
      ...DEFAULT_CHAT_SETTINGS,
      inactivityMinutes: wholeNumber('CHAT_INACTIVITY_MINUTES', env.CHAT_INACTIVITY_MINUTES, DEFAULT_CHAT_SETTINGS.inactivityMinutes, 1, 10_080, 'whole minutes'),
      waitOfferMinutes: wholeNumber('CHAT_WAIT_OFFER_MINUTES', env.CHAT_WAIT_OFFER_MINUTES, DEFAULT_CHAT_SETTINGS.waitOfferMinutes, 1, 1_440, 'whole minutes'),
      agentPresenceSeconds: wholeNumber('CHAT_AGENT_PRESENCE_SECONDS', env.CHAT_AGENT_PRESENCE_SECONDS, DEFAULT_CHAT_SETTINGS.agentPresenceSeconds, 30, 3_600, 'whole seconds'),
      maxMessageChars: wholeNumber('CHAT_MESSAGE_MAX_CHARS', env.CHAT_MESSAGE_MAX_CHARS, DEFAULT_CHAT_SETTINGS.maxMessageChars, 1, 20_000, 'a number of characters'),
      messagesPerVisitor: rate('CHAT_VISITOR_RATE', env.CHAT_VISITOR_RATE, DEFAULT_CHAT_SETTINGS.messagesPerVisitor),
      messagesPerSite: rate('CHAT_SITE_RATE', env.CHAT_SITE_RATE, DEFAULT_CHAT_SETTINGS.messagesPerSite),
      sessionsPerSite: rate('CHAT_SITE_SESSION_RATE', env.CHAT_SITE_SESSION_RATE, DEFAULT_CHAT_SETTINGS.sessionsPerSite),
      transcriptsPerAddress: rate('CHAT_TRANSCRIPT_ADDRESS_RATE', env.CHAT_TRANSCRIPT_ADDRESS_RATE, DEFAULT_CHAT_SETTINGS.transcriptsPerAddress),
      transcriptsPerSite: rate('CHAT_TRANSCRIPT_SITE_RATE', env.CHAT_TRANSCRIPT_SITE_RATE, DEFAULT_CHAT_SETTINGS.transcriptsPerSite),
    },
    smtpUrl: smtpUrl(env.SMTP_URL),
    mailFrom: mailFrom(env.MAIL_FROM, 'Casebook <casebook@localhost>'),
    publicUrl: publicBase,
    secureCookies: bool('SECURE_COOKIES', env.SECURE_COOKIES, publicBase.startsWith('https:')),
    trustProxy: proxies(env.TRUST_PROXY),
    rateLimits: {
      casesPerToken: rate('RATE_LIMIT_CASES_PER_TOKEN', env.RATE_LIMIT_CASES_PER_TOKEN, DEFAULT_RATE_LIMITS.casesPerToken),
      casesPerCustomer: rate('RATE_LIMIT_CASES_PER_CUSTOMER', env.RATE_LIMIT_CASES_PER_CUSTOMER, DEFAULT_RATE_LIMITS.casesPerCustomer),
      messagesPerToken: rate('RATE_LIMIT_MESSAGES_PER_TOKEN', env.RATE_LIMIT_MESSAGES_PER_TOKEN, DEFAULT_RATE_LIMITS.messagesPerToken),
      messagesPerCustomer: rate('RATE_LIMIT_MESSAGES_PER_CUSTOMER', env.RATE_LIMIT_MESSAGES_PER_CUSTOMER, DEFAULT_RATE_LIMITS.messagesPerCustomer),
      linksPerAddress: rate('RATE_LIMIT_LINKS_PER_ADDRESS', env.RATE_LIMIT_LINKS_PER_ADDRESS, DEFAULT_RATE_LIMITS.linksPerAddress),
      linksPerClient: rate('RATE_LIMIT_LINKS_PER_CLIENT', env.RATE_LIMIT_LINKS_PER_CLIENT, DEFAULT_RATE_LIMITS.linksPerClient),
    },
    signup: signupPolicy(env.PORTAL_SIGNUP),
    logLevel,
    logFormat: oneOf('LOG_FORMAT', env.LOG_FORMAT, ['json', 'pretty'] as const, 'json'),
    metricsToken,
    email: emailSettings(env, adminToken),
    mailReturnPath: mailReturnPath(env),
    attachments: attachmentSettings(env, cwd, databasePath),
    channelsKey: channelsKey(env.CHANNELS_KEY),
    rulesEngine: oneOf('RULES_ENGINE', env.RULES_ENGINE, RULES_ENGINES, 'compiled'),
    phone: phoneSettings(env),
    webhooksAllowPrivate: bool('WEBHOOKS_ALLOW_PRIVATE', env.WEBHOOKS_ALLOW_PRIVATE, false),
    crmLookupUrl: crmUrl(env.CRM_LOOKUP_URL),
  };
}

/**
 * The demo accounts' password, held to the rule every account's is (MIN_PASSWORD_LENGTH, 10 to
 * 200 characters): the demo has an admin, and `x` would be that admin's password.
 */
function demoPassword(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  if (raw.length < MIN_PASSWORD_LENGTH || raw.length > 200) throw new ConfigError(`DEMO_PASSWORD must be ${MIN_PASSWORD_LENGTH} to 200 characters long (the demo accounts include an admin), got ${raw.length}; unset, a random one is printed at start-up`);
  return raw;
}

function crmUrl(raw: string | undefined): string | null {
  const value = raw?.trim();
  if (!value) return null;
  let url: URL;
  try {
    url = new URL(value.replace('{email}', 'x'));
  } catch {
    throw new ConfigError(`CRM_LOOKUP_URL must be an http or https URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`CRM_LOOKUP_URL must be an http or https URL, got "${value}"`);
  return value;
}

function channelsKey(raw: string | undefined): ChannelsKey | null {
  try {
    return parseChannelsKey(raw);
  } catch (error) {
    throw error instanceof ChannelsKeyError ? new ConfigError(error.message) : error;
  }
}

function phoneSettings(env: NodeJS.ProcessEnv): PhoneSettings {
  try {
    return phoneSettingsFromEnv(env);
  } catch (error) {
    throw error instanceof PhoneSettingsError ? new ConfigError(error.message) : error;
  }
}

/** MAIL_RETURN_PATH (a plain address), else SUPPORT_ADDRESS when set (checked by emailSettings), else null. */
function mailReturnPath(env: NodeJS.ProcessEnv): string | null {
  const explicit = env.MAIL_RETURN_PATH?.trim();
  if (explicit) {
    if (!/^[^\s<>@]+@[^\s<>@]+$/.test(explicit)) throw new ConfigError(`MAIL_RETURN_PATH must be a plain address such as bounces@example.com, got "${explicit}"`);
    return canonicalEmail(explicit);
  }
  const support = env.SUPPORT_ADDRESS?.trim();
  return support ? canonicalEmail(support) : null;
}

function emailSettings(env: NodeJS.ProcessEnv, adminToken: string | null): EmailSettings {
  try {
    return emailSettingsFromEnv(env, adminToken);
  } catch (error) {
    throw error instanceof EmailSettingsError ? new ConfigError(error.message) : error;
  }
}

function signupPolicy(raw: string | undefined): SignupPolicy {
  try {
    return parseSignupPolicy(raw);
  } catch (error) {
    throw error instanceof SignupPolicyError ? new ConfigError(error.message) : error;
  }
}

function attachmentSettings(env: NodeJS.ProcessEnv, cwd: string, databasePath: string): AttachmentSettings {
  try {
    return attachmentSettingsFromEnv(env, cwd, databasePath);
  } catch (error) {
    throw error instanceof AttachmentSettingsError ? new ConfigError(error.message) : error;
  }
}
