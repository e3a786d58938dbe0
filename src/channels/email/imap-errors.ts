import { DrizzleQueryError } from 'drizzle-orm';

/** An IMAP error in words an operator can act on (the console's status, the log). */
export function describeImapError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // A failed statement (storing the mail): the database's own words. drizzle's wrapper (on
  // PostgreSQL) says "Failed query: <SQL> params: <values>", the mail's sender and text among them.
  if (error instanceof DrizzleQueryError && error.cause) return describeImapError(error.cause);
  const e = error as Error & { responseText?: string; authenticationFailed?: boolean; code?: string };
  const server = e.responseText ? ` (the server said: ${e.responseText})` : '';
  if (e.authenticationFailed) return `Login refused: wrong user name or password, or IMAP access is off for the account${server}`;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `Connection refused: nothing listens on that host and port (${e.message})`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Host not found (${e.message})`;
    case 'ETIMEDOUT':
    case 'CONNECT_TIMEOUT':
    case 'GREETING_TIMEOUT':
    case 'UPGRADE_TIMEOUT':
    case 'ETIMEOUT':
      return `No answer from the server in time (${e.message})`;
    case 'ECONNRESET':
      return `The server closed the connection (${e.message})`;
    default:
      break;
  }
  if (/certificate|self[- ]signed|TLS|SSL/i.test(e.message)) return `TLS failed: ${e.message}`;
  return e.responseText ? `${e.message}: ${e.responseText}` : e.message;
}
