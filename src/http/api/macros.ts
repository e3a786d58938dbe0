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
import { caseView, iso, loadCase, timeline, type CaseRow } from '../../cases/case-view.js';
import { DomainError } from '../../errors.js';
import { applyMacro, applyMacroSchema, previewMacro } from '../../macros/apply-macro.js';
import { createMacro, deleteMacro, macroInputSchema, macroPatchSchema, updateMacro } from '../../macros/edit-macro.js';
import { assertMayChange, findMacro, mayChange, parseMacroId, scopeOf, usableMacros, type MacroRow } from '../../macros/macro-store.js';
import type { Actor } from '../../roles.js';
import { availableTransitions } from '../../workflow/transition.js';
import { jsonBody, parseWith } from '../json-body.js';
import { takeRateLimit } from '../limits.js';
import { STAFF, requireRole } from '../middleware/api-auth.js';
import type { AppEnv } from '../types.js';

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

function visibleCase(c: Context<AppEnv>): CaseRow {
  const id = parseCaseRef(c.req.param('id') ?? '');
  if (id === null) throw new DomainError('CASE_NOT_FOUND', `No case ${c.req.param('id')}.`);
  const row = loadCase(c.get('services'), id);
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

  app.get('/macros', (c) => c.json(usableMacros(c.get('services').db, actorOf(c)).map((m) => macroBody(m, actorOf(c)))));

  app.post('/macros', async (c) => {
    const input = await jsonBody(c, macroInputSchema);
    const created = createMacro(c.get('services'), input, actorOf(c));
    c.header('Location', `/api/v1/macros/${created.id}`);
    return c.json(macroBody(created, actorOf(c)), 201);
  });

  app.get('/macros/:id', (c) => c.json(macroBody(findMacro(c.get('services').db, macroId(c), actorOf(c)), actorOf(c))));

  app.patch('/macros/:id', async (c) => {
    const id = macroId(c);
    // Who may change it is decided before the body is looked at.
    assertMayChange(actorOf(c), findMacro(c.get('services').db, id, actorOf(c)));
    const input = await jsonBody(c, macroPatchSchema);
    return c.json(macroBody(updateMacro(c.get('services'), id, input, actorOf(c)), actorOf(c)));
  });

  app.delete('/macros/:id', (c) => {
    deleteMacro(c.get('services'), macroId(c), actorOf(c));
    return c.body(null, 204);
  });

  app.post('/cases/:id/macros/:macroId/preview', async (c) => {
    const row = visibleCase(c);
    const id = macroId(c, 'macroId');
    await optionalBody(c, z.strictObject({}));
    const p = previewMacro(c.get('services'), row.id, id, actorOf(c));
    return c.json({ case: caseRef(row.id), macro: { id: p.macro.id, name: p.macro.name }, text: p.text, planned: p.planned, changes: p.changes, problem: p.problem, caseVersion: p.caseVersion, macroVersion: p.macro.version });
  });

  app.post('/cases/:id/macros/:macroId/apply', async (c) => {
    const row = visibleCase(c);
    const id = macroId(c, 'macroId');
    const input = await optionalBody(c, applyMacroSchema);
    // A reply through the API counts against the token's message limit, as POST …/messages does.
    takeRateLimit(c, c.get('principal')!, 'messages');
    const services = c.get('services');
    const result = applyMacro(services, row.id, id, input, actorOf(c));
    await services.outbox.settle(row.id);
    services.outbox.kick();
    const settled = loadCase(services, row.id);
    const workflow = services.definitions.workflow(settled.workflow, settled.workflowVersion).definition;
    const message = result.text === '' ? null : (timeline(services, row.id, { types: ['staff.replied', 'staff.noted'] }).at(-1) ?? null);
    return c.json({
      macro: macroBody(result.macro, actorOf(c)),
      message,
      changes: result.changes,
      case: { ...caseView(services, settled), transitions: availableTransitions(workflow, settled, actorOf(c).role) },
    });
  });

  return app;
}
