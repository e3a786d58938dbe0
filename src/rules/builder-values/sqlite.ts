/** Tags and skills in use, on SQLite: JSON arrays unnested with `json_each` (index.ts). */
import { sql } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';

export async function recentCaseTags(q: Handle): Promise<string[]> {
  const rows = await q.all<{ value: string }>(sql`SELECT DISTINCT j.value AS value FROM (SELECT tags FROM cases ORDER BY id DESC LIMIT 2000) AS c, json_each(c.tags) AS j`);
  return rows.map((r) => r.value);
}

export async function activeStaffSkills(q: Handle): Promise<string[]> {
  const rows = await q.all<{ value: string }>(sql`SELECT DISTINCT j.value AS value FROM staff AS s, json_each(s.skills) AS j WHERE s.active = 1`);
  return rows.map((r) => r.value);
}
