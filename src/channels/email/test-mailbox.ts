/**
 * "Test connection" on the console: logs in, looks at the folder (messages, unread) and
 * whether the server has IDLE, logs out; nothing is read or marked. A folder that does not
 * exist is reported with the folders there are. The answer is for an admin to read.
 */
import { ValidationError } from '../../errors.js';
import type { Actor } from '../../roles.js';
import type { Services } from '../../services.js';
import type { ImapEndpoint } from './imap-config.js';
import { describeImapError } from './imap-errors.js';
import { assertAdmin, defaultPort, movesPassword, type MailboxRow } from './mailbox-input.js';
import { endpointOf, openPassword } from './mailbox-store.js';

export type ConnectionTest = { ok: true; text: string } | { ok: false; text: string };

export interface TestConnectionOptions {
  /** Connection and greeting timeout (default 10 s). */
  timeoutMs?: number;
}

export async function testImapConnection(endpoint: ImapEndpoint, options: TestConnectionOptions = {}): Promise<ConnectionTest> {
  const timeout = options.timeoutMs ?? 10_000;
  // Loaded when a mailbox is tested (imap.ts loads it when one is read).
  const { ImapFlow } = await import('imapflow');
  const client = new ImapFlow({
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    auth: { user: endpoint.user, pass: endpoint.pass },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout * 3,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const idle = client.capabilities.has('IDLE');
    const folders = await client.list();
    const folder = folders.find((f) => f.path === endpoint.path || (endpoint.path.toUpperCase() === 'INBOX' && f.path.toUpperCase() === 'INBOX'));
    if (!folder) {
      const names = folders.map((f) => f.path).slice(0, 30);
      return { ok: false, text: `Logged in as ${endpoint.user}, but there is no folder "${endpoint.path}". Folders: ${names.join(', ') || 'none'}.` };
    }
    const status = (await client.status(folder.path, { messages: true, unseen: true })) || {};
    const tls = endpoint.secure ? 'TLS' : client.secureConnection ? 'STARTTLS' : 'plain IMAP, no TLS';
    return {
      ok: true,
      text: `Connected to ${endpoint.host}:${endpoint.port} (${tls}) as ${endpoint.user}. ${folder.path}: ${'messages' in status ? status.messages : '?'} messages, ${'unseen' in status ? status.unseen : '?'} unread. ${idle ? 'The server has IDLE: new mail is read at once.' : 'The server has no IDLE: the mailbox is checked every poll interval.'}`,
    };
  } catch (error) {
    return { ok: false, text: describeImapError(error) };
  } finally {
    if (client.usable) await client.logout().catch(() => undefined);
    client.close();
  }
}

/** A saved mailbox, with its stored password. */
export async function testMailbox(services: Services, row: MailboxRow, actor: Actor, options: TestConnectionOptions = {}): Promise<ConnectionTest> {
  assertAdmin(actor);
  let pass: string;
  try {
    pass = openPassword(services, row);
  } catch (error) {
    return { ok: false, text: error instanceof Error ? error.message : String(error) };
  }
  return testImapConnection(endpointOf(row, pass), options);
}

export interface UnsavedMailbox {
  host: string;
  port: number | null;
  tls: boolean;
  username: string;
  path: string;
  password: string | null;
}

/**
 * Settings typed on the form, before saving. Without a typed password the stored one is
 * used, but only for the server, port, transport and user name it was stored for.
 */
export async function testUnsavedMailbox(services: Services, input: UnsavedMailbox, saved: MailboxRow | null, actor: Actor, options: TestConnectionOptions = {}): Promise<ConnectionTest> {
  assertAdmin(actor);
  const target = { host: input.host, port: input.port ?? defaultPort(input.tls), tls: input.tls, username: input.username, path: input.path };
  let pass = input.password;
  if (pass === null) {
    if (!saved || saved.passwordSealed === null) throw new ValidationError([{ path: 'password', message: 'enter the password to test the connection' }]);
    if (movesPassword(saved, target)) throw new ValidationError([{ path: 'password', message: 'enter the password again: the server, port, TLS or user name changed' }]);
    try {
      pass = openPassword(services, saved);
    } catch (error) {
      return { ok: false, text: error instanceof Error ? error.message : String(error) };
    }
  }
  return testImapConnection(endpointOf(target, pass), options);
}
