/**
 * Macros over the API (staff; docs/ui.md "Macros"):
 *
 *   GET    /api/v1/macros                                 the macros you may use: yours, then the shared ones
 *   POST   /api/v1/macros                                 { name, body?, actions?, shared? } → 201 (shared: managers)
 *   GET    /api/v1/macros/:id                             one macro
 *   PATCH  /api/v1/macros/:id                             { name?, body?, actions?, expectedVersion? }
 *   DELETE /api/v1/macros/:id                             → 204
 *   POST   /api/v1/cases/:id/macros/:macroId/preview      → { text, planned, changes, problem, caseVersion, macroVersion }
 *   POST   /api/v1/cases/:id/macros/:macroId/apply        { body?, public?, expectedVersion?, macroVersion? } → { message, changes, case }
 *
 * Refusals are problem+json: 422 VALIDATION_FAILED with every problem of a macro (e.g.
 * `line 2: unknown variable {{customer.age}}`), 404 MACRO_NOT_FOUND (also for someone
 * else's personal macro), 403 for a shared macro changed by an agent, 409 CONFLICT when the
 * case or the macro changed since the preview, 409 INVALID_TRANSITION.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { assertCanSee } from '../../cases/access.js';
import { caseRef, parseCaseRef } from '../../cases/case-ref.js';
import { caseView, loadCase, timeline } from '../../cases/case-read.js';
import { iso, type CaseRow } from '../../cases/case-view.js';
import { DomainError } from '../../errors.js';
import { applyMacro, applyMacroSchema, previewMacro } from '../../macros/apply-macro.js';
import { createMacro, deleteMacro, macroInputSchema, macroPatchSchema, updateMacro } from '../../macros/edit-macro.js';
import { assertMayChange, findMacroIn, mayChange, parseMacroId, scopeOf, usableMacrosIn, type MacroRow } from '../../macros/macro-store.js';
import type { Actor } from '../../roles.js';
import { availableTransitions } from '../../workflow/transition.js';
import { jsonBody, parseWith } from '../json-body.js';
import { IF_MATCH_HEADER, withIfMatch } from './if-match.js';
import { RATE_LIMIT_HEADERS, takeRateLimit } from '../limits.js';
import { STAFF, requireRole } from '../middleware/api-auth.js';
import { apiGroup, on, STAFF_ONLY } from '../openapi/route-spec.js';
import { macro, macroApplied, macroPreview } from './schemas/workspace.js';
import type { AppEnv } from '../types.js';

export const macroApi = apiGroup('', 'Macros');
const macroIdParam = z.string().meta({ description: 'The macro id.' });
const caseIdParam = z.string().meta({ description: 'The case reference.', examples: ['C-1042'] });

export const listMacrosRoute = macroApi.route({ method: 'get', path: '/macros', summary: 'The macros you may use', description: 'Yours, then the shared ones.', access: STAFF_ONLY, responses: { 200: z.array(macro) } });
export const createMacroRoute = macroApi.route({
  method: 'post',
  path: '/macros',
  summary: 'Create a macro',
  description: 'Shared macros: managers. 422 lists every problem (`line 2: unknown variable {{customer.age}}`).',
  access: STAFF_ONLY,
  body: macroInputSchema,
  responses: { 201: { description: 'The macro', schema: macro, headers: { Location: 'The macro’s URL' } } },
});
export const getMacroRoute = macroApi.route({ method: 'get', path: '/macros/:id', summary: 'A macro', access: STAFF_ONLY, params: { id: macroIdParam }, responses: { 200: macro } });
export const patchMacroRoute = macroApi.route({
  method: 'patch',
  path: '/macros/:id',
  summary: 'Change a macro',
  description: 'Replaces what it names (`actions` as a whole). Agents change their own personal macros; shared ones are changed by managers (403).',
  access: STAFF_ONLY,
  params: { id: macroIdParam },
  body: macroPatchSchema,
  responses: { 200: macro },
  errors: [403, 409],
});
export const deleteMacroRoute = macroApi.route({
  method: 'delete',
  path: '/macros/:id',
  summary: 'Delete a macro',
  access: STAFF_ONLY,
  params: { id: macroIdParam },
  responses: { 204: { description: 'Deleted' } },
  errors: [403],
});
export const previewMacroRoute = macroApi.route({
  method: 'post',
  path: '/cases/:id/macros/:macroId/preview',
  summary: 'Preview a macro on a case',
  description: 'The reply rendered for the case and the changes applying it now would make (`problem` if it would fail). The body may be empty.',
  access: STAFF_ONLY,
  params: { id: caseIdParam, macroId: macroIdParam },
  body: z.strictObject({}),
  bodyOptional: true,
  responses: { 200: macroPreview },
});
export const applyMacroRoute = macroApi.route({
  method: 'post',
  path: '/cases/:id/macros/:macroId/apply',
  summary: 'Apply a macro to a case',
  description: 'The reply and every change in one transaction, usage counted; 409 CONFLICT when the case or the macro changed since the preview.',
  access: STAFF_ONLY,
  params: { id: caseIdParam, macroId: macroIdParam },
  headers: IF_MATCH_HEADER,
  body: applyMacroSchema,
  bodyOptional: true,
  responses: { 200: { description: 'The macro, the message and the changed case', schema: macroApplied, headers: { ETag: 'The case’s new version, for `If-Match`', ...RATE_LIMIT_HEADERS } } },
  errors: [409, 429],
});

function actorOf(c: Context<AppEnv>): Actor {
  return c.get('principal')!.actor;
}

export function macroBody(m: MacroRow, actor: Actor) {
  return {
    id: m.id,
    name: m.name,
    body: m.body,
    actions: m.actions,
    scope: scopeOf(m),
    version: m.version,
    usageCount: m.usageCount,
    lastUsedAt: iso(m.lastUsedAt),
    createdBy: m.createdBy,
    createdAt: iso(m.createdAt),
    updatedBy: m.updatedBy,
    updatedAt: iso(m.updatedAt),
    /** The caller may change or delete it. */
    editable: mayChange(actor, m),
  };
}

function macroId(c: Context<AppEnv>, param = 'id'): number {
  const id = parseMacroId(c.req.param(param));
  if (id === null) throw new DomainError('MACRO_NOT_FOUND', `No macro ${c.req.param(param)}.`);
  return id;
}

async function visibleCase(c: Context<AppEnv>): Promise<CaseRow> {
  const id = parseCaseRef(c.req.param('id') ?? '');
  if (id === null) throw new DomainError('CASE_NOT_FOUND', `No case ${c.req.param('id')}.`);
  const row = await loadCase(c.get('services'), id);
  assertCanSee(c.get('principal')!, row);
  return row;
}

/** A JSON body that may be empty (`{}` then). */
async function optionalBody<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.infer<S>> {
  const text = await c.req.text();
  if (text.trim() === '') return parseWith(schema, {});
  return jsonBody(c, schema);
}

export function macroRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('/macros', requireRole(...STAFF));
  app.use('/macros/*', requireRole(...STAFF));
  app.use('/cases/:id/macros/*', requireRole(...STAFF));

  on(app, listMacrosRoute, async (c) => c.json((await c.get('services').store.query((q) => usableMacrosIn(q, actorOf(c)))).map((m) => macroBody(m, actorOf(c)))));

  on(app, createMacroRoute, async (c) => {
    const input = await jsonBody(c, createMacroRoute.body);
    const created = await createMacro(c.get('services'), input, actorOf(c));
    c.header('Location', `/api/v1/macros/${created.id}`);
    return c.json(macroBody(created, actorOf(c)), 201);
  });

  on(app, getMacroRoute, async (c) => c.json(macroBody(await c.get('services').store.query((q) => findMacroIn(q, macroId(c), actorOf(c))), actorOf(c))));

  on(app, patchMacroRoute, async (c) => {
    const id = macroId(c);
    // Who may change it is decided before the body is looked at.
    assertMayChange(actorOf(c), await c.get('services').store.query((q) => findMacroIn(q, id, actorOf(c))));
    const input = await jsonBody(c, patchMacroRoute.body);
    return c.json(macroBody(await updateMacro(c.get('services'), id, input, actorOf(c)), actorOf(c)));
  });

  on(app, deleteMacroRoute, async (c) => {
    await deleteMacro(c.get('services'), macroId(c), actorOf(c));
    return c.body(null, 204);
  });

  on(app, previewMacroRoute, async (c) => {
    const row = await visibleCase(c);
    const id = macroId(c, 'macroId');
    await optionalBody(c, previewMacroRoute.body);
    const p = await previewMacro(c.get('services'), row.id, id, actorOf(c));
    return c.json({ case: caseRef(row.id), macro: { id: p.macro.id, name: p.macro.name }, text: p.text, planned: p.planned, changes: p.changes, problem: p.problem, caseVersion: p.caseVersion, macroVersion: p.macro.version });
  });

  on(app, applyMacroRoute, async (c) => {
    const row = await visibleCase(c);
    const id = macroId(c, 'macroId');
    const input = withIfMatch(c.req.header('If-Match'), await optionalBody(c, applyMacroRoute.body));
    // A reply through the API counts against the token's message limit, as POST …/messages does.
    await takeRateLimit(c, c.get('principal')!, 'messages');
    const services = c.get('services');
    const result = await applyMacro(services, row.id, id, input, actorOf(c));
    await services.outbox.settle(row.id);
    services.outbox.kick();
    const settled = await loadCase(services, row.id);
    c.header('ETag', `"${settled.version}"`);
    const workflow = services.definitions.workflow(settled.workflow, settled.workflowVersion).definition;
    const message = result.text === '' ? null : ((await timeline(services, row.id, { types: ['staff.replied', 'staff.noted'] })).at(-1) ?? null);
    return c.json({
      macro: macroBody(result.macro, actorOf(c)),
      message,
      changes: result.changes,
      case: { ...(await caseView(services, settled)), transitions: availableTransitions(workflow, settled, actorOf(c).role) },
    });
  });

  return app;
}
