/** A small structured logger: one JSON line per entry on stderr. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const threshold = ORDER[level];
  const log = (lvl: Exclude<LogLevel, 'silent'>) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[lvl] < threshold) return;
    const extra = Object.fromEntries(
      Object.entries(fields).map(([k, v]) => [k, v instanceof Error ? { message: v.message, stack: v.stack } : v]),
    );
    write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...extra }));
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
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
