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
import { apiGroup, MANAGERS_ONLY, on } from '../openapi/route-spec.js';
import { template, templatePreview, templateWithHistory } from './schemas/definitions.js';

const previewSchema = z.strictObject({
  subject: z.string().optional(),
  body: z.string().optional(),
  case: z.string().max(40).optional(),
});

export const templateApi = apiGroup('/templates', 'Mail templates');
const templateParams = { name: z.string().meta({ examples: ['case-resolved'] }), audience: z.enum(['customer', 'staff']) };

export const listTemplatesRoute = templateApi.route({ method: 'get', path: '/', summary: 'Mail templates', description: 'Every template version, the wording in force and the default.', access: MANAGERS_ONLY, responses: { 200: z.array(template) } });
export const getTemplateRoute = templateApi.route({ method: 'get', path: '/:name/:audience', summary: 'A mail template with its history', access: MANAGERS_ONLY, params: templateParams, responses: { 200: templateWithHistory } });
export const putTemplateRoute = templateApi.route({
  method: 'put',
  path: '/:name/:audience',
  summary: 'Reword a mail template',
  description: '422 with every problem (unknown variables, unbalanced sections).',
  access: MANAGERS_ONLY,
  params: templateParams,
  body: templateInputSchema,
  responses: { 200: template },
});
export const resetTemplateRoute = templateApi.route({ method: 'delete', path: '/:name/:audience', summary: 'Back to the built-in wording', access: MANAGERS_ONLY, params: templateParams, responses: { 200: template } });
export const previewTemplateRoute = templateApi.route({
  method: 'post',
  path: '/:name/:audience/preview',
  summary: 'Preview a mail template',
  description: 'The wording given (or in force) rendered for a case (`case`) or a sample.',
  access: MANAGERS_ONLY,
  params: templateParams,
  body: previewSchema,
  responses: { 200: templatePreview },
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

  on(app, listTemplatesRoute, async (c) => c.json((await c.get('services').store.query(allTemplateStates)).map(templateBody)));

  on(app, getTemplateRoute, async (c) => {
    const { state, changes } = await c.get('services').store.query(async (q) => {
      const state = await templateState(q, c.req.param('name'), c.req.param('audience'));
      return { state, changes: await templateHistory(q, state.spec.name, state.audience) };
    });
    const history = changes.map((h) => ({ action: h.action, subject: h.subject, body: h.body, by: h.actor, at: iso(h.at) }));
    return c.json({ ...templateBody(state), history });
  });

  on(app, putTemplateRoute, async (c) => {
    const input = await jsonBody(c, putTemplateRoute.body);
    return c.json(templateBody(await saveTemplate(c.get('services'), c.req.param('name'), c.req.param('audience'), input, c.get('principal')!.actor)));
  });

  on(app, resetTemplateRoute, async (c) => c.json(templateBody(await resetTemplate(c.get('services'), c.req.param('name'), c.req.param('audience'), c.get('principal')!.actor))));

  on(app, previewTemplateRoute, async (c) => {
    const input = await jsonBody(c, previewTemplateRoute.body);
    return c.json(await previewTemplate(c.get('services'), c.req.param('name'), c.req.param('audience'), input, c.get('principal')!.actor));
  });

  return app;
}
