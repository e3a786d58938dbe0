/**
 * Structured logs with pino: one JSON line per entry on stderr (`LOG_FORMAT=json`, the
 * default) or one readable line (`LOG_FORMAT=pretty`, for a terminal). Every entry carries
 * `time` (ISO 8601), `level` (its name) and `msg`, then its fields; an `Error` field becomes
 * `{ message, stack }`. Secrets never reach a line: fields named like credentials (passwords,
 * secrets, tokens, API keys, Authorization and Cookie headers, CSRF fields: SECRET_FIELD), at
 * any depth (`headers.authorization`, `webhook.signingSecret`), are written as `[redacted]`,
 * and in every string (the message, an error's message and stack) the password of a URL
 * (`smtp://user:[redacted]@host`), a bearer token and a Casebook API token (`cb_…`) are too.
 * A failed query's values (customer data) are never written (errorFields).
 */
import { DrizzleQueryError } from 'drizzle-orm';
import pino, { type DestinationStream, type Logger as Pino } from 'pino';
import { queryErrorMessage } from './db/store/errors.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'json' | 'pretty';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Whether a line at `level` would be written (lets a hot path skip building its fields). */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean;
}

/** Field names whose values are never logged, matched exactly (SECRET_FIELD matches them, and more). */
export const REDACTED_FIELDS = [
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  'password',
  'newPassword',
  'currentPassword',
  'passwordHash',
  'token',
  'accessToken',
  'refreshToken',
  'apiToken',
  'adminToken',
  'secret',
  'apiKey',
  'csrf',
  '_csrf',
  'csrfToken',
  'x-csrf-token',
  'X-CSRF-Token',
];

export const REDACTED = '[redacted]';

/** A field whose name says it holds a credential: its value is never logged, at any depth. */
export const SECRET_FIELD = /passw(or)?d|passphrase|^pass$|secret|token|authori[sz]ation|cookie|csrf|api[-_]?key|private[-_]?key|channels[-_]?key|credential/i;

/** Fields about a credential that are not one: `tokenId`, `passwordSet`, `secretCount`. */
const NOT_SECRET_FIELD = /(Id|Ids|_id|Set|Count)$/;

export function isSecretField(name: string): boolean {
  return SECRET_FIELD.test(name) && !NOT_SECRET_FIELD.test(name);
}

/** Credentials inside strings: a URL's password, a bearer token, a Casebook API token. */
const SECRET_TEXT: [RegExp, string][] = [
  [/\b([a-z][\w+.-]*:\/\/[^\s/:@]*:)[^\s@/]*@/gi, `$1${REDACTED}@`],
  [/\b(Bearer\s+)[\w.~+/=-]+/gi, `$1${REDACTED}`],
  [/\bcb_[\w-]{8,}/g, `cb_${REDACTED}`],
];

export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_TEXT) out = out.replace(pattern, replacement);
  return out;
}

/**
 * An error as `{ message, stack }`; drizzle's query error without the values it carried (the
 * PostgreSQL store already takes them out; this keeps them out of a line logged elsewhere).
 */
function errorFields(error: Error): { message: string; stack?: string } {
  let message = error.message;
  let stack = error.stack;
  if (error instanceof DrizzleQueryError) {
    message = queryErrorMessage(error);
    stack = stack?.replace(error.message, message);
  }
  return { message: redactText(message), ...(stack ? { stack: redactText(stack) } : {}) };
}

/** How deep fields are looked at; deeper objects are written as `[…]`. */
const MAX_DEPTH = 6;

/** A copy of a log field safe to write: credentials redacted, errors as `{ message, stack }`. */
function scrub(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return errorFields(value);
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = isSecretField(key) && item !== null && item !== undefined && typeof item !== 'boolean' ? REDACTED : scrub(item, depth + 1);
  return out;
}

/** `LOG_FORMAT=pretty`: `12:04:05.123 INFO  request method=GET route=/inbox status=200 ms=3.1` (the same, redacted fields). */
const LEVELS: Record<string, string> = { debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR' };

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v);
}

function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { time, level, msg, ...fields } = entry;
  const clock = typeof time === 'string' ? time.slice(11, 23) : '';
  const stack = fields.error && typeof (fields.error as { stack?: unknown }).stack === 'string' ? (fields.error as { stack: string }).stack : null;
  const rest = Object.entries(fields)
    .filter(([k]) => !(k === 'error' && stack))
    .map(([k, v]) => `${k}=${value(v)}`);
  const head = [clock, LEVELS[String(level)] ?? String(level), String(msg ?? ''), ...rest].filter((s) => s !== '').join(' ');
  return stack ? `${head}\n${stack}` : head;
}

function destination(write: ((line: string) => void) | undefined, format: LogFormat): DestinationStream {
  if (!write && format === 'json') return pino.destination({ fd: 2, sync: true });
  const out = write ?? ((line: string) => process.stderr.write(line + '\n'));
  return {
    write(chunk: string) {
      const line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
      out(format === 'pretty' ? prettyLine(line) : line);
    },
  };
}

function plain(fields: Record<string, unknown>): Record<string, unknown> {
  return scrub(fields, 0) as Record<string, unknown>;
}

/** A logger at `level`; lines go to `write` (tests) or stderr. */
export function createLogger(level: LogLevel, write?: (line: string) => void, format: LogFormat = 'json'): Logger {
  const p: Pino = pino(
    {
      level,
      base: null,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination(write, format),
  );
  const log = (lvl: Exclude<LogLevel, 'silent'>) =>
    function logAt(msg: string, fields?: Record<string, unknown>): void {
      if (!p.isLevelEnabled(lvl)) return;
      if (fields === undefined) p[lvl](redactText(msg));
      else p[lvl](plain(fields), redactText(msg));
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), enabled: (lvl) => p.isLevelEnabled(lvl) };
}

/** Logs a recurring condition at most once per `everyMs` per key; the next line counts what it left out. */
export type ThrottledLog = (key: string, level: 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export function throttledLog(logger: Logger, now: () => number, everyMs = 60_000): ThrottledLog {
  const seen = new Map<string, { at: number; suppressed: number }>();
  return (key, level, msg, fields = {}) => {
    const t = now();
    const last = seen.get(key);
    if (last && t - last.at < everyMs) {
      last.suppressed++;
      return;
    }
    seen.set(key, { at: t, suppressed: 0 });
    logger[level](msg, last && last.suppressed > 0 ? { ...fields, alsoSince: last.suppressed } : fields);
  };
}
