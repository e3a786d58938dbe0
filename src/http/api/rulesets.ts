/** `/api/v1/rulesets`: read rulesets; managers and admins publish new versions. */
import { Hono } from 'hono';
import { z } from 'zod';
import { iso } from '../../cases/case-view.js';
import type { DefinitionVersionRow } from '../../definitions/registry.js';
import { publishVersion } from '../../definitions/versions.js';
import { DomainError } from '../../errors.js';
import { jsonBody, parseWith } from '../json-body.js';
import { MANAGERS, STAFF, requireRole } from '../middleware/api-auth.js';
import type { AppEnv } from '../types.js';

const putSchema = z.strictObject({
  rules: z.array(z.unknown()),
  description: z.string().max(2_000).optional(),
  note: z.string().max(2_000).optional(),
});

const versionQuery = z.strictObject({ version: z.coerce.number().int().positive().optional() });

function rulesetBody(row: DefinitionVersionRow) {
  const body = row.body as { ruleset: string; description?: string; rules: unknown[] };
  return {
    ruleset: row.name,
    version: row.version,
    state: row.state,
    description: body.description ?? '',
    rules: body.rules,
    author: row.author,
    note: row.note,
    createdAt: iso(row.createdAt),
    publishedAt: iso(row.publishedAt),
  };
}

export function rulesetRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requireRole(...STAFF));

  app.get('/', (c) => {
    const { definitions } = c.get('services');
    return c.json(
      definitions.names('ruleset').map((name) => {
        const row = definitions.version('ruleset', name, definitions.publishedVersion('ruleset', name)!)!;
        const { rules, ...rest } = rulesetBody(row);
        return { ...rest, rules: rules.length };
      }),
    );
  });

  app.get('/:name', (c) => {
    const { definitions } = c.get('services');
    const name = c.req.param('name');
    const { version } = parseWith(versionQuery, c.req.query());
    const v = version ?? definitions.publishedVersion('ruleset', name);
    const row = v === null ? undefined : definitions.version('ruleset', name, v);
    if (!row) throw new DomainError('RULESET_NOT_FOUND', `No ruleset "${name}"${version ? ` version ${version}` : ''}.`, { ruleset: name });
    return c.json(rulesetBody(row));
  });

  app.get('/:name/versions', (c) => {
    const { definitions } = c.get('services');
    const rows = definitions.history('ruleset', c.req.param('name'));
    if (rows.length === 0) throw new DomainError('RULESET_NOT_FOUND', `No ruleset "${c.req.param('name')}".`);
    return c.json(rows.map((row) => ({ version: row.version, state: row.state, author: row.author, note: row.note, createdAt: iso(row.createdAt), publishedAt: iso(row.publishedAt) })));
  });

  app.put('/:name', requireRole(...MANAGERS), async (c) => {
    const services = c.get('services');
    const { definitions } = services;
    const name = c.req.param('name');
    const input = await jsonBody(c, putSchema);
    const isNew = definitions.history('ruleset', name).length === 0;
    const published = definitions.publishedVersion('ruleset', name);
    const previous = published === null ? undefined : (definitions.version('ruleset', name, published)?.body as { description?: unknown } | undefined);
    const description = input.description ?? (typeof previous?.description === 'string' ? previous.description : '');
    const body = { ruleset: name, description, rules: input.rules };
    const { version, warnings } = publishVersion(services, 'ruleset', name, body, c.get('principal')!.actor, input.note ?? 'Published through the API');
    return c.json({ ...rulesetBody(version), warnings }, isNew ? 201 : 200);
  });

  return app;
}
