/**
 * One IMAP mailbox to read, as a plain config object: the default mailbox comes from
 * `IMAP_URL` (+ `IMAP_POLL_SECONDS`, `IMAP_PROCESSED`), the others from the console's
 * `mailboxes` table (as parts, `endpointFromParts`); every mailbox is read by the same
 * poller (`startImapPoller`).
 */
export type ProcessedAction = { kind: 'seen' } | { kind: 'move'; folder: string };

export type ImapMailboxConfig = (
  | {
      /** `imaps://user:pass@host[:port]/Mailbox` or `imap://…` (plain, STARTTLS when offered). */
      url: string;
    }
  | {
      /** The server, account and folder as parts (a console mailbox, its password opened). */
      endpoint: ImapEndpoint;
    }
) & {
  /** What happens to a mail once it is committed: flagged \Seen, or moved to a folder. */
  processed: ProcessedAction;
  /** Seconds between checks when the server has no IDLE (and as a safety net with IDLE). */
  pollSeconds: number;
  /** A console mailbox: new cases start in its default queue (unless a rule routes them), and the log names it. */
  console?: { id: number; name: string; queue: string };
};

export interface ImapEndpoint {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  pass: string;
  /** The mailbox path (`INBOX` when the URL has none). */
  path: string;
  /** The URL without the password: the checkpoint key and the name in logs and `inbound_mail`. */
  label: string;
}

export class ImapConfigError extends Error {}

export interface EndpointParts {
  host: string;
  port: number;
  /** true: TLS from the start (imaps); false: plain, upgraded with STARTTLS when offered. */
  tls: boolean;
  user: string;
  pass: string;
  path: string;
}

/** A mailbox given as parts; its label has the same form as an IMAP_URL's (the port always written). */
export function endpointFromParts(p: EndpointParts): ImapEndpoint {
  const host = p.host.includes(':') ? `[${p.host}]` : p.host;
  const label = `${p.tls ? 'imaps:' : 'imap:'}//${encodeURIComponent(p.user)}@${host}:${p.port}/${p.path}`;
  return { host: p.host, port: p.port, secure: p.tls, user: p.user, pass: p.pass, path: p.path, label };
}

/** Whether two endpoints read the same folder of the same account (their checkpoints would collide). */
export function sameMailbox(a: Omit<ImapEndpoint, 'pass' | 'label'>, b: Omit<ImapEndpoint, 'pass' | 'label'>): boolean {
  return a.host.toLowerCase() === b.host.toLowerCase() && a.port === b.port && a.user === b.user && a.path === b.path;
}

export function parseImapUrl(raw: string): ImapEndpoint {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ImapConfigError('IMAP_URL must be a URL such as imaps://user:password@mail.example.com/INBOX');
  }
  if (url.protocol !== 'imap:' && url.protocol !== 'imaps:') throw new ImapConfigError(`IMAP_URL must start with imaps:// or imap://, got "${url.protocol}//"`);
  if (!url.hostname) throw new ImapConfigError('IMAP_URL has no host');
  if (!url.username) throw new ImapConfigError('IMAP_URL has no user name (imaps://user:password@host/INBOX)');
  const secure = url.protocol === 'imaps:';
  const port = url.port ? Number(url.port) : secure ? 993 : 143;
  const path = decodeURIComponent(url.pathname.replace(/^\/+/, '').replace(/\/+$/, '')) || 'INBOX';
  const user = decodeURIComponent(url.username);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const label = `${url.protocol}//${encodeURIComponent(user)}@${url.host}/${path}`;
  return { host, port, secure, user, pass: decodeURIComponent(url.password), path, label };
}

export function formatProcessed(p: ProcessedAction): string {
  return p.kind === 'seen' ? 'seen' : `move:${p.folder}`;
}

export function parseProcessed(raw: string | undefined): ProcessedAction {
  const value = (raw ?? '').trim();
  if (value === '' || value === 'seen') return { kind: 'seen' };
  const move = /^move:(.+)$/.exec(value);
  if (move && move[1]!.trim()) return { kind: 'move', folder: move[1]!.trim() };
  throw new ImapConfigError(`IMAP_PROCESSED must be seen or move:Folder (e.g. move:Processed), got "${value}"`);
}

/** The default mailbox from the environment; null when IMAP_URL is not set. */
export function imapMailboxFromEnv(env: NodeJS.ProcessEnv): ImapMailboxConfig | null {
  const url = env.IMAP_URL?.trim();
  if (!url) return null;
  parseImapUrl(url);
  let pollSeconds = 60;
  if (env.IMAP_POLL_SECONDS) {
    pollSeconds = Number(env.IMAP_POLL_SECONDS);
    if (!Number.isInteger(pollSeconds) || pollSeconds < 1 || pollSeconds > 86_400) {
      throw new ImapConfigError(`IMAP_POLL_SECONDS must be whole seconds between 1 and 86400, got "${env.IMAP_POLL_SECONDS}"`);
    }
  }
  return { url, processed: parseProcessed(env.IMAP_PROCESSED), pollSeconds };
}
