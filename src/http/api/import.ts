/**
 * `/api/v1/import`: bulk import of cases from another help desk (docs/import.md).
 * `POST /cases` takes `application/x-ndjson`, one case per line, read as it arrives (the API's
 * body limit does not apply; each line has its own). The answer is the summary as JSON, or —
 * with `Accept: application/x-ndjson` — a stream of NDJSON lines: one per imported, skipped
 * or failed line, a progress line every 1000 lines (`?progressEvery=`), and the summary last.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { stream } from 'hono/streaming';
import { caseRef } from '../../cases/case-ref.js';
import { DomainError } from '../../errors.js';
import { importCases, type ImportEvent } from '../../import/import-cases.js';
import { ndjsonLines } from '../../import/ndjson-lines.js';
import { parseWith } from '../json-body.js';
import { apiGroup, MANAGERS_ONLY, on } from '../openapi/route-spec.js';
import { importCaseSchema } from '../../cases/import-case.js';
import { importEvent, importSummary } from './schemas/admin.js';
import type { AppEnv } from '../types.js';

export const NDJSON = 'application/x-ndjson';
const ACCEPTED_TYPES = new Set([NDJSON, 'application/ndjson', 'application/jsonl']);

export const importApi = apiGroup('/import', 'Import');

const importQuery = z.strictObject({
  progressEvery: z.coerce.number().int().min(1).max(1_000_000).optional().meta({ description: 'Lines between two progress lines of the NDJSON stream (default 1000).' }),
});

export const importCasesRoute = importApi.route({
  method: 'post',
  path: '/cases',
  summary: 'Bulk import cases (NDJSON)',
  description: 'One case per line, each like the body of `POST /cases` with import fields (docs/import.md), read as it arrives. Lines whose externalId was imported before are skipped. With `Accept: application/x-ndjson` the answer streams one line per imported, skipped or failed line, progress every 1000 lines (`?progressEvery=`), and the summary last. The imported history sends no webhook, not even `case.created` (docs/integrations.md, *Imported cases*).',
  access: MANAGERS_ONLY,
  query: importQuery,
  body: importCaseSchema,
  bodyType: NDJSON,
  responses: { 200: { description: 'The summary', schema: importSummary, alternatives: { [NDJSON]: importEvent } } },
  errors: [415],
});

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

async function* bodyChunks(body: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array> {
  if (!body) return;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

function wire(event: ImportEvent): Record<string, unknown> {
  return event.type === 'imported' || event.type === 'skipped' ? { ...event, case: caseRef(event.case) } : { ...event };
}

export function importRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  on(app, importCasesRoute, async (c) => {
    if (!ACCEPTED_TYPES.has(mediaType(c.req.header('Content-Type')))) {
      throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `Send the cases as ${NDJSON}: one JSON object per line.`);
    }
    const { progressEvery } = parseWith(importCasesRoute.query, c.req.query());
    const services = c.get('services');
    const actor = c.get('principal')!.actor;
    const lines = ndjsonLines(bodyChunks(c.req.raw.body));

    if (mediaType(c.req.header('Accept')) !== NDJSON) {
      return c.json(await importCases(services, lines, actor));
    }
    c.header('Content-Type', NDJSON);
    c.header('Cache-Control', 'no-store');
    return stream(c, async (out) => {
      const write = (value: Record<string, unknown>) => out.write(`${JSON.stringify(value)}\n`);
      try {
        const summary = await importCases(services, lines, actor, { ...(progressEvery ? { progressEvery } : {}), onEvent: async (event) => void (await write(wire(event))) });
        const { errors: _listed, ...counts } = summary;
        await write({ type: 'summary', ...counts });
      } catch (error) {
        services.logger.error('import: stream failed', { error: error instanceof Error ? error.message : String(error) });
        await write({ type: 'failed', code: error instanceof DomainError ? error.code : 'INTERNAL', detail: 'The import stopped; run it again to import the rest (imported lines are skipped).' });
      }
    });
  });

  return app;
}
