/**
 * The OpenAPI 3.1 document of `/api/v1`, generated from the route descriptions (route-spec.ts)
 * and the zod schemas the routes validate with. Nothing here describes a route by hand: a
 * route is in the document because it is in a group of API_GROUPS (api/index.ts).
 */
import { codesWithStatus, problem } from '../api/schemas/common.js';
import { SchemaComponents, type JsonSchema } from './json-schema.js';
import type { ApiGroup, ResponseSpec, RouteSpec } from './route-spec.js';
import type { z } from 'zod';

export type OpenApiDocument = Record<string, unknown> & {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema>; responses: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Record<string, string[]>[];
  'x-roles': string[];
  parameters?: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, unknown>;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

/** What an error status means, for the shared problem+json answers. */
const ERROR_STATUSES: Record<number, string> = {
  400: 'Malformed request (the body is not JSON, a header is not valid)',
  401: 'No valid token: send `Authorization: Bearer <token>` (a signed webhook without one: its signature is not valid)',
  403: 'The token may not do this (role or scope)',
  404: 'Not found, or not visible to the caller',
  409: 'Conflict with the current state (changed meanwhile, not allowed now)',
  413: 'The body is too large',
  415: 'Unsupported media type',
  422: 'Not valid: every problem is listed',
  429: 'Rate limited: retry after `Retry-After` seconds',
  503: 'The database is busy, full or unavailable: retry later (`Retry-After`)',
};

/** `/cases/:id/events` → `/cases/{id}/events`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function pathParams(honoPath: string): string[] {
  return [...honoPath.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
}

function operationId(spec: RouteSpec): string {
  const words = spec.fullPath
    .split('/')
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `by-${part.slice(1)}` : part))
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  return spec.method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/** The error statuses of a route: those of its kind, and those it names. */
export function errorStatuses(spec: RouteSpec): number[] {
  const out = new Set<number>(spec.errors ?? []);
  if (spec.access !== 'public') out.add(401);
  // Any route with a token answers 403 to a token limited to scopes that do not open it.
  if (spec.access !== 'public') out.add(403);
  if (pathParams(spec.fullPath).length > 0) out.add(404);
  if (spec.query) out.add(422);
  if (spec.body || spec.bodyType) {
    out.add(413);
    out.add(422);
    if (!spec.bodyType) out.add(400);
  }
  if (spec.method !== 'get') out.add(503);
  return [...out].sort((a, b) => a - b);
}

function describeResponse(components: SchemaComponents, status: number, entry: z.ZodType | ResponseSpec): unknown {
  const r: ResponseSpec = '_zod' in entry ? { description: status === 201 ? 'Created' : 'OK', schema: entry } : entry;
  const content: Record<string, { schema: JsonSchema }> = {};
  if (r.schema) content[r.contentType ?? 'application/json'] = { schema: components.convert(r.schema, 'output') };
  else if (r.contentType) content[r.contentType] = { schema: { type: 'string', contentMediaType: r.contentType } };
  for (const [type, schema] of Object.entries(r.alternatives ?? {})) {
    content[type] = { schema: schema ? components.convert(schema, 'output') : { type: 'string', contentMediaType: type } };
  }
  const headers = r.headers ? Object.fromEntries(Object.entries(r.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) : undefined;
  return { description: r.description, ...(headers ? { headers } : {}), ...(Object.keys(content).length ? { content } : {}) };
}

function parameters(components: SchemaComponents, spec: RouteSpec): Parameter[] {
  const out: Parameter[] = pathParams(spec.fullPath).map((name) => {
    const schema = spec.params?.[name] ? components.convert(spec.params[name], 'input') : { type: 'string' };
    const { description, ...rest } = schema as JsonSchema & { description?: string };
    return { name, in: 'path', required: true, ...(description ? { description } : {}), schema: rest };
  });
  if (spec.query) {
    const query = components.resolve(components.convert(spec.query, 'input')) as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      const { description, ...rest } = schema as JsonSchema & { description?: string };
      out.push({ name, in: 'query', required: query.required?.includes(name) ?? false, ...(description ? { description } : {}), schema: rest });
    }
  }
  for (const [name, header] of Object.entries(spec.headers ?? {})) {
    out.push({ name, in: 'header', required: header.required ?? false, description: header.description, schema: components.convert(header.schema, 'input') });
  }
  return out;
}

function requestBody(components: SchemaComponents, spec: RouteSpec): Operation['requestBody'] {
  if (!spec.body && !spec.bodyType) return undefined;
  const type = spec.bodyType ?? 'application/json';
  const content: Record<string, { schema: JsonSchema }> = {
    [type]: { schema: spec.body ? components.convert(spec.body, 'input') : { type: 'string', contentMediaType: type } },
  };
  for (const [alt, schema] of Object.entries(spec.bodyAlternatives ?? {})) content[alt] = { schema: components.convert(schema, 'input') };
  return { required: !spec.bodyOptional, content };
}

function security(spec: RouteSpec): Record<string, string[]>[] {
  if (spec.access === 'public') return [];
  const out: Record<string, string[]>[] = [{ bearer: [...spec.access.roles] }];
  if (spec.access.scopes?.length) out.push({ scopedToken: [...spec.access.scopes] });
  return out;
}

function operation(components: SchemaComponents, spec: RouteSpec, usedErrors: Set<number>): Operation {
  const params = parameters(components, spec);
  const body = requestBody(components, spec);
  const responses: Record<string, unknown> = {};
  for (const [status, entry] of Object.entries(spec.responses)) responses[status] = describeResponse(components, Number(status), entry);
  for (const status of errorStatuses(spec)) {
    usedErrors.add(status);
    responses[String(status)] ??= { $ref: `#/components/responses/Problem${status}` };
  }
  return {
    operationId: operationId(spec),
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag],
    security: security(spec),
    'x-roles': spec.access === 'public' ? [] : [...spec.access.roles],
    ...(params.length ? { parameters: params } : {}),
    ...(body ? { requestBody: body } : {}),
    responses,
  };
}

export function buildOpenApiDocument(groups: readonly ApiGroup[]): OpenApiDocument {
  const components = new SchemaComponents();
  const problemRef = components.convert(problem, 'output');
  const usedErrors = new Set<number>();
  const paths: OpenApiDocument['paths'] = {};
  for (const group of groups) {
    for (const spec of group.specs) {
      const path = openApiPath(spec.fullPath);
      (paths[path] ??= {})[spec.method] = operation(components, spec, usedErrors);
    }
  }
  const responses: Record<string, unknown> = {};
  for (const status of [...usedErrors].sort((a, b) => a - b)) {
    const codes = codesWithStatus(status);
    responses[`Problem${status}`] = {
      description: `${ERROR_STATUSES[status] ?? 'Error'}${codes.length ? ` (codes: ${codes.join(', ')})` : ''}.`,
      content: { 'application/problem+json': { schema: problemRef } },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Casebook API',
      version: '1',
      description:
        'The JSON API of Casebook. Authenticate with `Authorization: Bearer <token>` (an API token or the ADMIN_TOKEN). Errors are RFC 9457 `application/problem+json` with a stable `code` and the `requestId`. Customers see only their own cases (the customer projection), agents the cases of their queues, managers and admins all; a case you may not see answers 404.',
    },
    servers: [{ url: '/api/v1' }],
    tags: groups.map((g) => ({ name: g.tag })),
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(components.schemas).sort(([a], [b]) => a.localeCompare(b))),
      responses,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token (`POST /tokens`) or the ADMIN_TOKEN. The roles an operation admits are listed in its security requirement.' },
        scopedToken: { type: 'http', scheme: 'bearer', description: 'An API token limited to scopes (`scopes` on `POST /tokens`): it reaches only the operations of its scopes.' },
      },
    },
  };
}
