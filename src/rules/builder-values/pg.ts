/** Tags and skills in use, on PostgreSQL: jsonb arrays unnested with `jsonb_array_elements_text` (index.ts). */
import { sql } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';

export async function recentCaseTags(q: Handle): Promise<string[]> {
  const rows = await q.all<{ value: string }>(
    sql`SELECT DISTINCT j.value AS value FROM (SELECT tags FROM cases ORDER BY id DESC LIMIT 2000) AS c, jsonb_array_elements_text(c.tags) AS j(value)`,
  );
  return rows.map((r) => r.value);
}

export async function activeStaffSkills(q: Handle): Promise<string[]> {
  const rows = await q.all<{ value: string }>(sql`SELECT DISTINCT j.value AS value FROM staff AS s, jsonb_array_elements_text(s.skills) AS j(value) WHERE s.active`);
  return rows.map((r) => r.value);
}
