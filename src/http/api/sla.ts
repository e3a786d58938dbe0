/**
 * `/api/v1/sla-config` (read: staff; publish a new version: managers) and the SLA commands
 * `/api/v1/sla/sweep` (admins) and `/api/v1/sla/reapply` (managers, with a dry run).
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { iso } from '../../cases/case-view.js';
import { SLA_CONFIG_NAME, type DefinitionVersionRow } from '../../definitions/registry.js';
import { DomainError } from '../../errors.js';
import { casesOnOtherSlaVersions, reapplySlaPolicy } from '../../sla/reapply.js';
import { runSlaSweep } from '../../sla/run-sweep.js';
import { DEFINITION_LIMIT_TEXT } from '../limits.js';
import { parseWith, readDefinitionJson, readJson } from '../json-body.js';
import { ADMINS_ONLY, apiGroup, MANAGERS_ONLY, on, STAFF_ONLY } from '../openapi/route-spec.js';
import { definitionVersion, publishedSlaConfig, reapplyResult, slaConfig, slaConfigVersion, sweepRun } from './schemas/definitions.js';
import type { AppEnv } from '../types.js';
import { auditIn } from '../../audit/record-audit.js';
import { auditedVersion, definitionInForce, writeDefinitions } from '../../definitions/versions.js';

const versionQuery = z.strictObject({ version: z.coerce.number().int().positive().optional() });
const noteSchema = z.string().max(2_000).optional();
const reapplySchema = z.strictObject({
  dryRun: z.boolean().default(false),
  limit: z.number().int().min(0).max(10_000).optional(),
});

export const slaApi = apiGroup('', 'SLA');

export const getSlaConfigRoute = slaApi.route({
  method: 'get',
  path: '/sla-config',
  summary: 'The SLA config in force',
  description: 'Calendars and policies (or `?version=`), and how many open cases run on another version.',
  access: STAFF_ONLY,
  query: versionQuery,
  responses: { 200: slaConfigVersion },
});
export const slaVersionsRoute = slaApi.route({ method: 'get', path: '/sla-config/versions', summary: 'SLA config versions', access: STAFF_ONLY, responses: { 200: z.array(definitionVersion) } });
export const putSlaConfigRoute = slaApi.route({
  method: 'put',
  path: '/sla-config',
  summary: 'Publish an SLA config',
  description: `The config itself, or \`{ "config": {…}, "note": "…" }\`. 422 INVALID_SLA_CONFIG lists every problem with its JSON path (a key twice in one object of the body included). Running cases keep their version until re-applied. ${DEFINITION_LIMIT_TEXT}`,
  access: MANAGERS_ONLY,
  body: z.union([z.strictObject({ config: slaConfig, note: noteSchema }), slaConfig]),
  responses: { 200: publishedSlaConfig },
});
export const sweepRoute = slaApi.route({ method: 'post', path: '/sla/sweep', summary: 'Run the SLA sweep now', description: 'Records due warnings and breaches, wait alerts, and performs the work they queued.', access: ADMINS_ONLY, responses: { 200: sweepRun } });
export const reapplyRoute = slaApi.route({
  method: 'post',
  path: '/sla/reapply',
  summary: 'Re-apply the SLA config to open cases',
  description: '`{ "dryRun": true }` previews; `limit` caps the listed cases. The body may be empty.',
  access: MANAGERS_ONLY,
  body: reapplySchema,
  bodyOptional: true,
  responses: { 200: reapplyResult },
});

function versionBody(row: DefinitionVersionRow) {
  return {
    version: row.version,
    state: row.state,
    config: row.body,
    author: row.author,
    note: row.note,
    createdAt: iso(row.createdAt),
    publishedAt: iso(row.publishedAt),
  };
}

/** A JSON body that may be empty (then `{}`). */
async function optionalJson(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text(); // Hono caches the body: readJson reads it again
  return text.trim() === '' ? {} : readJson(c);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function slaRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  on(app, getSlaConfigRoute, async (c) => {
    const services = c.get('services');
    const { definitions } = services;
    const { version } = parseWith(getSlaConfigRoute.query, c.req.query());
    const v = version ?? definitions.publishedVersion('sla', SLA_CONFIG_NAME);
    const row = v === null ? undefined : definitions.version('sla', SLA_CONFIG_NAME, v);
    if (!row) throw new DomainError('NOT_FOUND', `No SLA config${version ? ` version ${version}` : ''}.`);
    return c.json({ ...versionBody(row), openCasesOnOtherVersions: await casesOnOtherSlaVersions(services) });
  });

  on(app, slaVersionsRoute, (c) => {
    const rows = c.get('services').definitions.history('sla', SLA_CONFIG_NAME);
    return c.json(rows.map(({ body: _body, ...row }) => ({ version: row.version, state: row.state, author: row.author, note: row.note, createdAt: iso(row.createdAt), publishedAt: iso(row.publishedAt) })));
  });

  /** Body: the SLA config itself, or `{ "config": {…}, "note": "…" }`. */
  on(app, putSlaConfigRoute, async (c) => {
    const services = c.get('services');
    const body = await readDefinitionJson(c, 'INVALID_SLA_CONFIG');
    const wrapped = isRecord(body) && 'config' in body;
    const config = wrapped ? body.config : body;
    const note = parseWith(noteSchema, wrapped ? body.note : undefined);
    const actor = c.get('principal')!.actor;
    const { row, warnings } = await writeDefinitions(services, async (q) => {
      const before = await definitionInForce(q, 'sla', SLA_CONFIG_NAME);
      const problems = await services.definitions.validate(q, 'sla', SLA_CONFIG_NAME, config);
      const created = await services.definitions.createVersion(q, 'sla', SLA_CONFIG_NAME, config, {
        state: 'published',
        note: note ?? 'Published through the API',
        author: actor.name,
        authorId: actor.type === 'staff' ? actor.id : null,
        now: services.clock.now(),
      });
      await auditIn(q, services.clock, actor, 'definition', `sla/${SLA_CONFIG_NAME}`, 'published', before, auditedVersion(created));
      return { row: created, warnings: problems.filter((p) => p.severity === 'warning') };
    });
    return c.json({ ...versionBody(row), warnings, openCasesOnOtherVersions: await casesOnOtherSlaVersions(services) });
  });

  on(app, sweepRoute, async (c) => c.json(await runSlaSweep(c.get('services'))));

  /** Body (optional): `{ "dryRun": true }` previews; `limit` caps the listed cases. */
  on(app, reapplyRoute, async (c) => {
    const input = parseWith(reapplyRoute.body, await optionalJson(c));
    const result = await reapplySlaPolicy(c.get('services'), {
      dryRun: input.dryRun,
      actor: c.get('principal')!.actor,
      ...(input.limit !== undefined ? { limit: input.limit } : {}),
    });
    return c.json(result);
  });

  return app;
}
