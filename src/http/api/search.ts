/**
 * `GET /api/v1/search?q=&cursor=&limit=`: the search (src/search/search.ts) for any caller,
 * each seeing only what they may: `{ q, jump, cases: { items, nextCursor, partial },
 * customers (staff), library }`. A query that is not valid (an unknown filter value,
 * `created:>foo`) is 422 problem+json naming the problem.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_QUERY_LENGTH } from '../../search/parse-query.js';
import { presentResults } from '../../search/present-results.js';
import { search } from '../../search/search.js';
import { parseWith } from '../json-body.js';
import type { AppEnv } from '../types.js';
import { apiGroup, EVERYONE, on } from '../openapi/route-spec.js';
import { searchResults } from './schemas/workspace.js';

export const searchQuerySchema = z.strictObject({
  q: z.string().max(MAX_QUERY_LENGTH, `at most ${MAX_QUERY_LENGTH} characters`),
  cursor: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const searchApi = apiGroup('/search', 'Search');

export const searchRoute = searchApi.route({
  method: 'get',
  path: '/',
  summary: 'Search',
  description: 'Cases, messages, notes, customers and the problem library, each caller finding only what they may see (`refund status:open queue:billing`, `"exact phrase"`, `-word`, `assignee:me`, `created:>2026-11-01`). A bad filter is 422 naming it.',
  access: EVERYONE,
  query: searchQuerySchema,
  responses: { 200: searchResults },
});

export function searchRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  on(app, searchRoute, async (c) => {
    const query = parseWith(searchRoute.query, c.req.query());
    const services = c.get('services');
    const principal = c.get('principal')!;
    const result = await search(services, principal, { q: query.q, cursor: query.cursor ?? null, limit: query.limit });
    return c.json(await presentResults(services, principal, result, (ref) => `/api/v1/cases/${ref}`));
  });
  return app;
}
