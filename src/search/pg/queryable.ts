/**
 * A store handle (src/db/store) as a `Queryable`: the SQL of this folder is written with
 * PostgreSQL's numbered parameters (`$1`), run through the handle so that it joins the
 * handle's transaction and hands out int8 as numbers. Each `$n` becomes a bound parameter of
 * drizzle's `sql` (an array stays one parameter: a PostgreSQL array).
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';
import type { Queryable } from './match-documents.js';

export function queryableOf(q: Handle): Queryable {
  return {
    async query<R extends object>(text: string, values: unknown[] = []) {
      const chunks: SQL[] = [];
      text.split(/\$(\d+)/).forEach((part, i) => {
        if (i % 2 === 0) chunks.push(sql.raw(part));
        else chunks.push(sql`${sql.param(values[Number(part) - 1])}`);
      });
      return { rows: await q.all<R>(sql.join(chunks)) };
    },
  };
}
