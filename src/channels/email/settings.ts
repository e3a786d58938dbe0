/**
 * Settings of the email channel, read from the environment by `emailSettingsFromEnv` (see
 * README "Configuration" and docs/email.md). Services carry them; tests build their own.
 */
import { createHash } from 'node:crypto';
import { parseRate, type Rate } from '../../auth/rate-limit.js';
import { asciiDomain, canonicalEmail } from '../../text/email-address.js';
import { isSupportAddress } from './reply-address.js';
import { ImapConfigError, imapMailboxFromEnv, type ImapMailboxConfig } from './imap-config.js';

export interface EmailSettings {
  /** The address customers write to (`SUPPORT_ADDRESS`); its plus-addresses reach it too. */
  supportAddress: string;
  /**
   * The address Casebook's own mail comes from (`MAIL_FROM`): mail from it coming back in (a
   * forward, a relay, a misrouted notification) is a loop, like mail from the support address.
   */
  fromAddress: string | null;
  /** Key of the signed reply addresses (`EMAIL_SECRET`, else derived from ADMIN_TOKEN); null: none are made or accepted. */
  secret: string | null;
  /** Largest mail accepted, in bytes (`EMAIL_MAX_BYTES`, default 25 MB). */
  maxBytes: number;
  /** Addresses (`a@b.c`) and domains (`b.c`, any subdomain too) whose mail is ignored (`EMAIL_BLOCKLIST`). */
  blocklist: readonly string[];
  /** Mails per sender address (`EMAIL_RATE_LIMIT`, default 20/1h; count 0: off). */
  ratePerSender: Rate;
  /**
   * A mail that names a case only by `[C-1042]` in its subject, from someone who is neither
   * the case's customer nor copied on it (`EMAIL_UNVERIFIED_REPLY`): `note` (default) adds it
   * as an internal note flagged for review, `new-case` opens a new case for the sender.
   */
  unverifiedReply: 'note' | 'new-case';
  /** The port of Casebook's own SMTP receiver (`INBOUND_SMTP_PORT`); null: off. */
  smtpPort: number | null;
  smtpHost: string;
  /** The default IMAP mailbox (`IMAP_URL`, `IMAP_POLL_SECONDS`, `IMAP_PROCESSED`); null: not read. */
  imap: ImapMailboxConfig | null;
}

export const DEFAULT_EMAIL_MAX_BYTES = 25 * 1024 * 1024;

export class EmailSettingsError extends Error {}

export function defaultEmailSettings(overrides: Partial<EmailSettings> = {}): EmailSettings {
  return {
    supportAddress: 'support@localhost',
    fromAddress: 'casebook@localhost',
    secret: null,
    maxBytes: DEFAULT_EMAIL_MAX_BYTES,
    blocklist: [],
    ratePerSender: { count: 20, windowMs: 3_600_000 },
    unverifiedReply: 'note',
    smtpPort: null,
    smtpHost: '127.0.0.1',
    imap: null,
    ...overrides,
  };
}

const ADDRESS = /^[^\s@<>()",;:]+@[a-z0-9.-]+\.[a-z]{2,}$|^[^\s@<>()",;:]+@localhost$/i;

export function emailSettingsFromEnv(env: NodeJS.ProcessEnv, adminToken: string | null): EmailSettings {
  const supportAddress = canonicalEmail(env.SUPPORT_ADDRESS || 'support@localhost');
  if (!ADDRESS.test(supportAddress) || supportAddress.includes('+')) {
    throw new EmailSettingsError(`SUPPORT_ADDRESS must be a plain address such as support@example.com, got "${env.SUPPORT_ADDRESS}"`);
  }
  const explicitSecret = env.EMAIL_SECRET?.trim() || null;
  if (explicitSecret !== null && explicitSecret.length < 16) throw new EmailSettingsError('EMAIL_SECRET must be at least 16 characters long');
  const secret = explicitSecret ?? (adminToken ? createHash('sha256').update(`casebook-email-reply:${adminToken}`).digest('hex') : null);

  let maxBytes = DEFAULT_EMAIL_MAX_BYTES;
  if (env.EMAIL_MAX_BYTES) {
    maxBytes = Number(env.EMAIL_MAX_BYTES);
    if (!Number.isInteger(maxBytes) || maxBytes < 1024 || maxBytes > 200 * 1024 * 1024) {
      throw new EmailSettingsError(`EMAIL_MAX_BYTES must be a whole number of bytes between 1024 and 209715200, got "${env.EMAIL_MAX_BYTES}"`);
    }
  }
  const blocklist = (env.EMAIL_BLOCKLIST ?? '')
    .split(/[\s,]+/)
    .map((entry) => entry.trim().replace(/^@/, ''))
    .filter(Boolean)
    // In the form addresses are compared in: an internationalized domain in its ASCII form.
    .map((entry) => (entry.includes('@') ? canonicalEmail(entry) : asciiDomain(entry) || entry.toLowerCase()));
  let ratePerSender: Rate = { count: 20, windowMs: 3_600_000 };
  if (env.EMAIL_RATE_LIMIT) {
    const parsed = parseRate(env.EMAIL_RATE_LIMIT);
    if (!parsed) throw new EmailSettingsError(`EMAIL_RATE_LIMIT must be "count/window" such as 20/1h or off, got "${env.EMAIL_RATE_LIMIT}"`);
    ratePerSender = parsed;
  }
  const unverified = env.EMAIL_UNVERIFIED_REPLY || 'note';
  if (unverified !== 'note' && unverified !== 'new-case') {
    throw new EmailSettingsError(`EMAIL_UNVERIFIED_REPLY must be note or new-case, got "${unverified}"`);
  }
  let smtpPort: number | null = null;
  if (env.INBOUND_SMTP_PORT && !/^(0|off|false)$/i.test(env.INBOUND_SMTP_PORT)) {
    smtpPort = Number(env.INBOUND_SMTP_PORT);
    if (!Number.isInteger(smtpPort) || smtpPort < 1 || smtpPort > 65535) {
      throw new EmailSettingsError(`INBOUND_SMTP_PORT must be a port number, got "${env.INBOUND_SMTP_PORT}"`);
    }
  }
  let imap: ImapMailboxConfig | null;
  try {
    imap = imapMailboxFromEnv(env);
  } catch (error) {
    throw error instanceof ImapConfigError ? new EmailSettingsError(error.message) : error;
  }
  return {
    supportAddress,
    fromAddress: fromAddressOf(env.MAIL_FROM),
    secret,
    maxBytes,
    blocklist,
    ratePerSender,
    unverifiedReply: unverified,
    smtpPort,
    smtpHost: env.INBOUND_SMTP_HOST || '0.0.0.0',
    imap,
  };
}

/** The address in MAIL_FROM (`Name <address>` or `address`; Casebook's default when unset) in the canonical form; null when it has none. */
function fromAddressOf(raw: string | undefined): string | null {
  const value = raw?.trim() || 'Casebook <casebook@localhost>';
  const address = /<\s*([^\s<>@]+@[^\s<>@]+)\s*>/.exec(value)?.[1] ?? /^([^\s<>@]+@[^\s<>@]+)$/.exec(value)?.[1];
  return address ? canonicalEmail(address) : null;
}

/** Whether mail from this address is Casebook's own: the support address, its plus-addresses, or MAIL_FROM's address. */
export function isOwnAddress(settings: EmailSettings, address: string): boolean {
  const lower = canonicalEmail(address);
  return isSupportAddress(settings.supportAddress, lower) || (settings.fromAddress !== null && lower === settings.fromAddress);
}

/** Whether an address is on the blocklist: the address itself, its domain or a parent domain. */
export function isBlocked(settings: EmailSettings, address: string): boolean {
  const lower = canonicalEmail(address);
  const domain = lower.split('@')[1] ?? '';
  return settings.blocklist.some((entry) => (entry.includes('@') ? entry === lower : domain === entry || domain.endsWith(`.${entry}`)));
}
