/** `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of this API, public (no token). */
import { Hono } from 'hono';
import { z } from 'zod';
import { buildOpenApiDocument, type OpenApiDocument } from '../openapi/document.js';
import { apiGroup, on, type ApiGroup } from '../openapi/route-spec.js';
import type { AppEnv } from '../types.js';

export const openApiGroup = apiGroup('', 'API description');

export const openApiRoute = openApiGroup.route({
  method: 'get',
  path: '/openapi.json',
  summary: 'This document',
  description: 'The OpenAPI 3.1 description of the API, generated from the schemas the routes validate with. Readable at `/api/docs`.',
  access: 'public',
  responses: { 200: z.looseObject({ openapi: z.literal('3.1.0') }) },
});

const built = new WeakMap<readonly ApiGroup[], OpenApiDocument>();

/** The document of these groups, built on first use (route descriptions do not change while the process runs). */
export function openApiDocument(groups: readonly ApiGroup[]): OpenApiDocument {
  let document = built.get(groups);
  if (!document) built.set(groups, (document = buildOpenApiDocument(groups)));
  return document;
}

export function openApiRoutes(document: () => OpenApiDocument): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  on(app, openApiRoute, (c) => c.json(document()));
  return app;
}
