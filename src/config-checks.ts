/**
 * Checks of configuration values that are URLs, addresses, zones and bounded numbers: a bad
 * value stops start-up with one line naming the variable (ConfigError), never a stack trace
 * from deep inside the server, and never echoing a password.
 */

export class ConfigError extends Error {}

/** `scheme://user:password@host` with the password replaced, for messages. */
export function redactUrl(raw: string): string {
  return raw.replace(/(\/\/[^/@:]*:)[^@]*@/, '$1***@');
}

/** SMTP_URL: `smtp://` or `smtps://` with a host; null when unset. */
export function smtpUrl(raw: string | undefined): string | null {
  const value = raw?.trim();
  if (!value) return null;
  const example = 'such as smtp://user:password@mail.example.com:587 or smtps://user:password@mail.example.com:465';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`SMTP_URL must be a URL ${example} (percent-encode @, : and / in the user name and password), got "${redactUrl(value)}"`);
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new ConfigError(`SMTP_URL must start with smtp:// or smtps://, ${example}; got "${redactUrl(value)}"`);
  if (!url.hostname) throw new ConfigError(`SMTP_URL names no mail server, ${example}; got "${redactUrl(value)}"`);
  return value;
}

/** DATABASE_URL: `postgres://` or `postgresql://` with a host and a database name; null when unset (SQLite). */
export function postgresUrl(raw: string | undefined): string | null {
  const value = raw?.trim();
  if (!value) return null;
  const example = 'such as postgres://casebook:password@db.example.com:5432/casebook (percent-encode @, : and / in the user name and password)';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`DATABASE_URL must be a PostgreSQL URL ${example}; got "${redactUrl(value)}"`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql://, ${example} (unset it to run on SQLite at DATABASE_PATH); got "${redactUrl(value)}"`);
  }
  // A unix socket folder may come as ?host=/run/postgresql instead of a host name.
  if (!url.hostname && !url.searchParams.get('host')) throw new ConfigError(`DATABASE_URL names no database server, ${example}; got "${redactUrl(value)}"`);
  if (url.pathname.replace(/^\//, '') === '') throw new ConfigError(`DATABASE_URL names no database (the path after the server), ${example}; got "${redactUrl(value)}"`);
  return value;
}

/** PUBLIC_URL: the http(s) address people reach Casebook at; trailing slashes dropped. */
export function publicUrl(raw: string | undefined, fallback: string): string {
  const value = raw?.trim();
  if (!value) return fallback;
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new ConfigError(`PUBLIC_URL must be the http or https address people reach Casebook at, such as https://support.example.com; got "${value}"`);
  }
  return value.replace(/\/+$/, '');
}

/** MAIL_FROM: `Name <address@domain>` or `address@domain`. */
export function mailFrom(raw: string | undefined, fallback: string): string {
  const value = raw?.trim();
  if (!value) return fallback;
  if (!/^(?:[^<>]*<\s*[^\s<>@]+@[^\s<>@]+\s*>|[^\s<>@]+@[^\s<>@]+)$/.test(value)) {
    throw new ConfigError(`MAIL_FROM must be an address such as support@example.com or "Example Support <support@example.com>", got "${value}"`);
  }
  return value;
}

/** An IANA time zone such as Europe/Berlin or UTC. */
export function timeZone(name: string, raw: string | undefined, fallback: string): string {
  const value = raw?.trim();
  if (!value) return fallback;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
  } catch {
    throw new ConfigError(`${name} must be a time zone such as UTC or Europe/Berlin, got "${value}"`);
  }
  return value;
}

/** A whole number from `min` to `max`, with what it counts in the message (`whole minutes`). */
export function wholeNumber(name: string, raw: string | undefined, fallback: number, min: number, max: number, what: string): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${name} must be ${what} from ${min} to ${max}, got "${raw}"`);
  return value;
}
