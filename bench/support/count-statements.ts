/**
 * Statement executions of better-sqlite3 while `fn` runs: `run`, `get`, `all` and `iterate`
 * of every prepared statement are counted (the prototype is shared by all connections of the
 * process), and restored afterwards.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../src/db/client.js';

export async function countStatements(db: Db, fn: () => Promise<void>): Promise<number> {
  const proto = Object.getPrototypeOf(db.$client.prepare('SELECT 1')) as Record<string, (...args: unknown[]) => unknown>;
  const methods = ['run', 'get', 'all', 'iterate'] as const;
  const originals = methods.map((m) => proto[m]!);
  let statements = 0;
  methods.forEach((m, i) => {
    proto[m] = function (this: Statement, ...args: unknown[]) {
      statements++;
      return originals[i]!.apply(this, args);
    };
  });
  try {
    await fn();
  } finally {
    methods.forEach((m, i) => (proto[m] = originals[i]!));
  }
  return statements;
}
