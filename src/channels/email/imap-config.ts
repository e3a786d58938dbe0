/**
 * One IMAP mailbox to read, as a plain config object: the default mailbox comes from
 * `IMAP_URL` (+ `IMAP_POLL_SECONDS`, `IMAP_PROCESSED`); every mailbox is read by the same
 * poller (`startImapPoller`).
 */
export type ProcessedAction = { kind: 'seen' } | { kind: 'move'; folder: string };

export interface ImapMailboxConfig {
  /** `imaps://user:pass@host[:port]/Mailbox` or `imap://…` (plain, STARTTLS when offered). */
  url: string;
  /** What happens to a mail once it is committed: flagged \Seen, or moved to a folder. */
  processed: ProcessedAction;
  /** Seconds between checks when the server has no IDLE (and as a safety net with IDLE). */
  pollSeconds: number;
}

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
