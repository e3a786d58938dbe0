/** `/api/v1/rulesets`: read rulesets; managers and admins publish new versions. */
import { Hono } from 'hono';
import { z } from 'zod';
import { iso } from '../../cases/case-view.js';
import type { DefinitionVersionRow } from '../../definitions/registry.js';
import { definitionInForce, publishChecked, writeDefinitions } from '../../definitions/versions.js';
import { DomainError } from '../../errors.js';
import { hideNotifyUrls } from '../../im/hidden-urls.js';
import { isManagerRole } from '../../roles.js';
import { DEFINITION_LIMIT_TEXT } from '../limits.js';
import { parseWith, readDefinitionJson } from '../json-body.js';
import { STAFF, requireRole } from '../middleware/api-auth.js';
import { apiGroup, MANAGERS_ONLY, on, STAFF_ONLY } from '../openapi/route-spec.js';
import { definitionVersion, publishedRuleset, ruleset, rulesetListItem } from './schemas/definitions.js';
import type { AppEnv } from '../types.js';

const rulesetBodySchema = z.strictObject({
  /** As a rules file has it (`rules/<name>.json`, sent as it is); must be the name in the URL. */
  ruleset: z.string().optional(),
  rules: z.array(z.unknown()),
  /** Conditions the rules refer to by name (`{ "condition": name }`); checked with the rules. */
  sharedConditions: z.record(z.string(), z.unknown()).optional(),
  description: z.string().max(2_000).optional(),
  /** Left out: the examples of the version in force are kept (and run). */
  examples: z.array(z.unknown()).optional(),
  note: z.string().max(2_000).optional(),
  /** Publish although examples fail: why (recorded with the version). */
  overrideFailingExamples: z.string().min(1).max(2_000).optional(),
});

const versionQuery = z.strictObject({ version: z.coerce.number().int().positive().optional() });

export const rulesetApi = apiGroup('/rulesets', 'Rules');
const nameParam = { name: z.string().meta({ description: 'The ruleset name.', examples: ['routing', 'escalation'] }) };

export const listRulesetsRoute = rulesetApi.route({ method: 'get', path: '/', summary: 'Rulesets in force', access: STAFF_ONLY, responses: { 200: z.array(rulesetListItem) } });
export const getRulesetRoute = rulesetApi.route({ method: 'get', path: '/:name', summary: 'A ruleset', description: 'The version in force, or `?version=`. For agents, the `url` of a notify rule (a Slack/Teams incoming webhook, a credential) reads `(hidden)`; managers and admins get it as written.', access: STAFF_ONLY, params: nameParam, query: versionQuery, responses: { 200: ruleset } });
export const rulesetVersionsRoute = rulesetApi.route({ method: 'get', path: '/:name/versions', summary: 'A ruleset’s versions', access: STAFF_ONLY, params: nameParam, responses: { 200: z.array(definitionVersion) } });
export const putRulesetRoute = rulesetApi.route({
  method: 'put',
  path: '/:name',
  summary: 'Publish a new version',
  description: `422 INVALID_RULESET with every problem’s JSON path (a key twice in one object of the body included), or 422 EXAMPLES_FAILED naming each failing example (docs/rules.md, "Examples"). 201 for a new ruleset. ${DEFINITION_LIMIT_TEXT}`,
  access: MANAGERS_ONLY,
  params: nameParam,
  body: rulesetBodySchema,
  responses: { 200: publishedRuleset, 201: publishedRuleset },
});

function rulesetBody(row: DefinitionVersionRow) {
  const body = row.body as { ruleset: string; description?: string; rules: unknown[]; sharedConditions?: Record<string, unknown>; examples?: unknown[] };
  return {
    ruleset: row.name,
    version: row.version,
    state: row.state,
    description: body.description ?? '',
    rules: body.rules,
    sharedConditions: body.sharedConditions ?? {},
    examples: body.examples ?? [],
    examplesOverride: row.examplesOverride ?? null,
    author: row.author,
    note: row.note,
    createdAt: iso(row.createdAt),
    publishedAt: iso(row.publishedAt),
  };
}

export function rulesetRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requireRole(...STAFF));

  on(app, listRulesetsRoute, (c) => {
    const { definitions } = c.get('services');
    return c.json(
      definitions.names('ruleset').map((name) => {
        const row = definitions.version('ruleset', name, definitions.publishedVersion('ruleset', name)!)!;
        const { rules, examples, sharedConditions: _shared, ...rest } = rulesetBody(row);
        return { ...rest, rules: rules.length, examples: examples.length };
      }),
    );
  });

  on(app, getRulesetRoute, (c) => {
    const { definitions } = c.get('services');
    const name = c.req.param('name');
    const { version } = parseWith(getRulesetRoute.query, c.req.query());
    const v = version ?? definitions.publishedVersion('ruleset', name);
    const row = v === null ? undefined : definitions.version('ruleset', name, v);
    if (!row) throw new DomainError('RULESET_NOT_FOUND', `No ruleset "${name}"${version ? ` version ${version}` : ''}.`, { ruleset: name });
    const body = rulesetBody(row);
    // A notify rule's Slack/Teams URL is a credential: only those who manage the rules read it.
    return c.json(isManagerRole(c.get('principal')!.actor.role) ? body : hideNotifyUrls(body));
  });

  on(app, rulesetVersionsRoute, (c) => {
    const { definitions } = c.get('services');
    const rows = definitions.history('ruleset', c.req.param('name'));
    if (rows.length === 0) throw new DomainError('RULESET_NOT_FOUND', `No ruleset "${c.req.param('name')}".`);
    return c.json(rows.map((row) => ({ version: row.version, state: row.state, author: row.author, note: row.note, createdAt: iso(row.createdAt), publishedAt: iso(row.publishedAt) })));
  });

  on(app, putRulesetRoute, async (c) => {
    const services = c.get('services');
    const name = c.req.param('name');
    const input = parseWith(putRulesetRoute.body, await readDefinitionJson(c, 'INVALID_RULESET'));
    const actor = c.get('principal')!.actor;
    const options = input.overrideFailingExamples ? { overrideExamples: input.overrideFailingExamples } : {};
    const { version, warnings, examples: run } = await writeDefinitions(services, async (q) => {
      // A description or examples left out are kept from the version in force as the publish's
      // own transaction reads it, not from this instance's copy of the definitions, which another
      // instance's publish can outrun (PostgreSQL: the copy follows a notification).
      const previous = (await definitionInForce(q, 'ruleset', name))?.body as { description?: unknown; examples?: unknown } | undefined;
      const description = input.description ?? (typeof previous?.description === 'string' ? previous.description : '');
      const examples = input.examples ?? (Array.isArray(previous?.examples) ? previous.examples : []);
      const shared = input.sharedConditions !== undefined && Object.keys(input.sharedConditions).length > 0 ? { sharedConditions: input.sharedConditions } : {};
      // A name other than the URL's is refused by validation, at $.ruleset.
      const body = { ruleset: input.ruleset ?? name, description, rules: input.rules, ...shared, ...(examples.length > 0 ? { examples } : {}) };
      return publishChecked(q, services, 'ruleset', name, body, actor, input.note ?? 'Published through the API', null, options);
    });
    const results = run.results.map((r) => ({ name: r.name, passed: r.passed, differences: r.differences }));
    // New when the version stored is the name's first: decided in the publish's transaction, not
    // from this instance's copy of the definitions, which another instance's publish can outrun.
    return c.json({ ...rulesetBody(version), warnings, exampleResults: { passed: run.passed, failed: run.failed, results } }, version.version === 1 ? 201 : 200);
  });

  return app;
}
