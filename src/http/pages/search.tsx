/**
 * `GET /search?q=`: the search page for staff and customers alike (each sees only what they
 * may). A plain GET form: without JavaScript the page is the results; a query that is a case
 * reference the caller may see redirects to the case. With htmx the results follow typing
 * (`live=1`, never a redirect: "C-10" is on the way to "C-1042"); the address bar keeps the
 * query.
 */
import { Hono } from 'hono';
import { ValidationError } from '../../errors.js';
import { MAX_QUERY_LENGTH } from '../../search/parse-query.js';
import { presentResults } from '../../search/present-results.js';
import { isEmptyQuery, search } from '../../search/search.js';
import { SearchPage, SearchResultsRegion, searchUrl, type SearchData } from '../../../views/pages/search.js';
import { isHtmx, requirePrincipal, type PageContext, type PageEnv } from './env.js';
import { redirectTo, sendHtml, viewerOf } from './render.js';

async function run(c: PageContext, q: string, cursor: string | null): Promise<{ data: SearchData; jump: string | null }> {
  const services = c.get('services');
  const principal = requirePrincipal(c);
  if (q.length > MAX_QUERY_LENGTH) return { data: { q: q.slice(0, MAX_QUERY_LENGTH), results: null, error: `The search is at most ${MAX_QUERY_LENGTH} characters.` }, jump: null };
  if (isEmptyQuery(q)) return { data: { q, results: null, error: null }, jump: null };
  try {
    const result = await search(services, principal, { q, cursor });
    const results = await presentResults(services, principal, result, (ref) => `/cases/${ref}`);
    return { data: { q, results, error: null }, jump: results.jump?.url ?? null };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return { data: { q, results: null, error: error.message }, jump: null };
  }
}

export function searchPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();
  app.get('/search', async (c) => {
    requirePrincipal(c);
    const q = (c.req.query('q') ?? '').trim();
    const cursor = c.req.query('cursor') || null;
    const live = c.req.query('live') === '1';
    const { data, jump } = await run(c, q, cursor);
    if (jump && !live && cursor === null) return redirectTo(c, jump);
    const status = data.error ? 422 : 200;
    const viewer = viewerOf(c)!;
    if (isHtmx(c)) {
      // The address bar shows the search, not the `live` flag (a reload may then jump).
      if (live) c.header('HX-Push-Url', q ? searchUrl(q) : '/search');
      return sendHtml(c, <SearchResultsRegion data={data} viewer={viewer} />, status);
    }
    return sendHtml(c, <SearchPage data={data} viewer={viewer} csrfToken={c.get('csrfToken')} />, status);
  });
  return app;
}
