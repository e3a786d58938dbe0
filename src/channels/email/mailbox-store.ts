/**
 * Console mailboxes as stored: reading them (never with their password: `passwordSet` says
 * whether one is stored), opening one into the poller's config (the only place the sealed
 * password is decrypted), and the status the poller reports for the console.
 */
import { asc, eq, sql } from 'drizzle-orm';
import type { MailboxState } from '../../db/schema/index.js';
import type { Handle } from '../../db/store/index.js';
import { DomainError } from '../../errors.js';
import type { Services } from '../../services.js';
import { openSecret, requireChannelsKey, sealSecret, type ChannelsKey } from '../secrets.js';
import { endpointFromParts, parseProcessed, type ImapEndpoint, type ImapMailboxConfig } from './imap-config.js';
import type { MailboxRow } from './mailbox-input.js';

export interface MailboxView {
  id: number;
  name: string;
  host: string;
  port: number;
  tls: boolean;
  username: string;
  path: string;
  /** Whether a password is stored; the password itself never leaves the server. */
  passwordSet: boolean;
  queue: string;
  processed: string;
  pollSeconds: number;
  enabled: boolean;
  status: { state: MailboxState; text: string | null; at: number | null; lastMailAt: number | null };
  /** The mailbox as a URL without its password: the name in the log and of its checkpoint. */
  label: string;
  createdAt: number;
  updatedAt: number;
}

export function mailboxView(row: MailboxRow): MailboxView {
  return {
    id: row.id,
    name: row.name,
    host: row.host,
    port: row.port,
    tls: row.tls,
    username: row.username,
    path: row.path,
    passwordSet: row.passwordSealed !== null,
    queue: row.queueId,
    processed: row.processed,
    pollSeconds: row.pollSeconds,
    enabled: row.enabled,
    status: { state: row.status, text: row.statusText, at: row.statusAt, lastMailAt: row.lastMailAt },
    label: endpointOf(row, '').label,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** A mailbox as the audit log keeps it: its settings, not the poller's status (the password redacted by recordAudit). */
export function auditedMailbox(row: MailboxRow): Omit<MailboxRow, 'status' | 'statusText' | 'statusAt' | 'lastMailAt'> {
  const { status: _s, statusText: _t, statusAt: _a, lastMailAt: _l, ...settings } = row;
  return settings;
}

export async function findMailbox(q: Handle, id: number): Promise<MailboxRow | undefined> {
  const mailboxes = q.tables.mailboxes;
  const [row] = await q.db.select().from(mailboxes).where(eq(mailboxes.id, id)).limit(1);
  return row;
}

export async function getMailbox(q: Handle, id: number): Promise<MailboxRow> {
  const row = await findMailbox(q, id);
  if (!row) throw new DomainError('MAILBOX_NOT_FOUND', `No mailbox ${id}.`);
  return row;
}

/** By name (`lower()` on both dialects: byte order, the same on SQLite and the C-locale cluster), then id. */
export async function listMailboxes(q: Handle): Promise<MailboxRow[]> {
  const mailboxes = q.tables.mailboxes;
  return q.db.select().from(mailboxes).orderBy(asc(sql`lower(${mailboxes.name})`), asc(mailboxes.id));
}

/** The associated data a mailbox's password is sealed with: it opens for this row only. */
const passwordAad = (id: number) => `mailbox:${id}:password`;

export function requireKey(services: Services): ChannelsKey {
  return requireChannelsKey(services.channelsKey, 'mailbox passwords');
}

export function sealPassword(key: ChannelsKey, id: number, password: string): string {
  return sealSecret(key, password, passwordAad(id));
}

export function endpointOf(row: Pick<MailboxRow, 'host' | 'port' | 'tls' | 'username' | 'path'>, pass: string): ImapEndpoint {
  return endpointFromParts({ host: row.host, port: row.port, tls: row.tls, user: row.username, pass, path: row.path });
}

/** The stored password, opened; throws SecretError (another key, altered) or CHANNELS_KEY_MISSING. */
export function openPassword(services: Services, row: MailboxRow): string {
  if (row.passwordSealed === null) throw new DomainError('VALIDATION_FAILED', 'No password is stored for this mailbox; enter one.');
  return openSecret(requireKey(services), row.passwordSealed, passwordAad(row.id));
}

/** What the poller reads: the endpoint with the password opened, the default queue, the marking. */
export function mailboxConfig(services: Services, row: MailboxRow): ImapMailboxConfig {
  return {
    endpoint: endpointOf(row, openPassword(services, row)),
    processed: parseProcessed(row.processed),
    pollSeconds: row.pollSeconds,
    console: { id: row.id, name: row.name, queue: row.queueId },
  };
}

export interface StatusUpdate {
  state: MailboxState;
  text: string | null;
  at: number;
  mailAt?: number;
}

export async function writeMailboxStatus(q: Handle, id: number, s: StatusUpdate): Promise<void> {
  const mailboxes = q.tables.mailboxes;
  await q.db
    .update(mailboxes)
    .set({ status: s.state, statusText: s.text, statusAt: s.at, ...(s.mailAt !== undefined ? { lastMailAt: s.mailAt } : {}) })
    .where(eq(mailboxes.id, id));
}
