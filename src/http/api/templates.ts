/**
 * `/api/v1/templates`: the mail templates (managers and admins).
 *
 *   GET    /api/v1/templates                          every template version, in force and default
 *   GET    /api/v1/templates/:name/:audience          one, with its history
 *   PUT    /api/v1/templates/:name/:audience          { subject, body } → the override (422 with every problem)
 *   DELETE /api/v1/templates/:name/:audience          back to the built-in default
 *   POST   /api/v1/templates/:name/:audience/preview  { subject?, body?, case? } → { subject, text, html, case }
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { iso } from '../../cases/case-view.js';
import { resetTemplate, saveTemplate, templateInputSchema } from '../../notifications/edit-template.js';
import { previewTemplate } from '../../notifications/preview-template.js';
import { allTemplateStates, templateHistory, templateState, type TemplateState } from '../../notifications/template-store.js';
import { jsonBody } from '../json-body.js';
import { MANAGERS, requireRole } from '../middleware/api-auth.js';
import type { AppEnv } from '../types.js';

const previewSchema = z.strictObject({
  subject: z.string().optional(),
  body: z.string().optional(),
  case: z.string().max(40).optional(),
});

function templateBody(s: TemplateState) {
  return {
    name: s.spec.name,
    audience: s.audience,
    title: s.spec.title,
    when: s.spec.when,
    customized: s.override !== null,
    subject: s.source.subject,
    body: s.source.body,
    default: s.default,
    updatedBy: s.override?.updatedBy ?? null,
    updatedAt: iso(s.override?.updatedAt ?? null),
    variables: s.variables.map((v) => ({ name: v.name, description: v.description, sectionOnly: v.sectionOnly === true })),
  };
}

export function templateRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requireRole(...MANAGERS));

  app.get('/', (c) => c.json(allTemplateStates(c.get('services').db).map(templateBody)));

  app.get('/:name/:audience', (c) => {
    const { db } = c.get('services');
    const state = templateState(db, c.req.param('name'), c.req.param('audience'));
    const history = templateHistory(db, state.spec.name, state.audience).map((h) => ({ action: h.action, subject: h.subject, body: h.body, by: h.actor, at: iso(h.at) }));
    return c.json({ ...templateBody(state), history });
  });

  app.put('/:name/:audience', async (c) => {
    const input = await jsonBody(c, templateInputSchema);
    return c.json(templateBody(saveTemplate(c.get('services'), c.req.param('name'), c.req.param('audience'), input, c.get('principal')!.actor)));
  });

  app.delete('/:name/:audience', (c) => c.json(templateBody(resetTemplate(c.get('services'), c.req.param('name'), c.req.param('audience'), c.get('principal')!.actor))));

  app.post('/:name/:audience/preview', async (c) => {
    const input = await jsonBody(c, previewSchema);
    return c.json(previewTemplate(c.get('services'), c.req.param('name'), c.req.param('audience'), input, c.get('principal')!.actor));
  });

  return app;
}
