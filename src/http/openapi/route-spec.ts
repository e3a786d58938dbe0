/**
 * One description per API route, used both to register the route and to generate the
 * OpenAPI document (`document.ts`): the path, the method, who may call it, and the zod
 * schemas of its parameters, body and answers. Handlers validate with the same schemas
 * (`spec.body`, `spec.query`), so the document cannot drift from what the route accepts.
 *
 *   const caseApi = apiGroup('/cases', 'Cases');
 *   export const getCase = caseApi.route({ method: 'get', path: '/:id', summary: 'A case', access: EVERYONE, responses: { 200: caseAnswer } });
 *   on(app, getCase, (c) => …);          // registers GET /:id with the roles of `access`
 *
 * A group is mounted at its `base` (`api.route(group.base, routes())` in api/index.ts) and
 * listed in API_GROUPS there; that list is what the document describes.
 */
import type { Handler, Hono, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import type { TokenScope } from '../../auth/api-tokens.js';
import type { Role } from '../../roles.js';
import { requireRole, requireScopeOrRole } from '../middleware/api-auth.js';
import type { AppEnv } from '../types.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call a route: `public` (no token), or bearer tokens of these roles (and tokens limited to these scopes). */
export type Access = 'public' | { readonly roles: readonly Role[]; readonly scopes?: readonly TokenScope[] };

export const API_ROLES: readonly Role[] = ['customer', 'agent', 'advanced', 'manager', 'admin'];
export const EVERYONE: Access = { roles: API_ROLES };
export const STAFF_ONLY: Access = { roles: ['agent', 'advanced', 'manager', 'admin'] };
export const MANAGERS_ONLY: Access = { roles: ['manager', 'admin'] };
export const ADMINS_ONLY: Access = { roles: ['admin'] };
export const CUSTOMERS_ONLY: Access = { roles: ['customer'] };

/** An answer: a JSON schema shorthand, or the full form (another media type, headers, no body). */
export interface ResponseSpec {
  description: string;
  /** The body's schema; left out: no body (204) or a file (see `contentType`). */
  schema?: z.ZodType;
  /** Default `application/json` when a schema is given. */
  contentType?: string;
  /** Further representations of the same answer, by media type (a schema, or null for a file). */
  alternatives?: Readonly<Record<string, z.ZodType | null>>;
  headers?: Readonly<Record<string, string>>;
}

export interface HeaderSpec {
  description: string;
  schema: z.ZodType;
  required?: boolean;
}

export interface RouteSpecInput {
  method: HttpMethod;
  /** Hono path relative to the group's base, e.g. `/:id/events`. */
  path: string;
  summary: string;
  description?: string;
  access: Access;
  /** Path parameters (each a string in the URL); undescribed ones are plain strings. */
  params?: Readonly<Record<string, z.ZodType>>;
  /** The query string, as one object schema. */
  query?: z.ZodType;
  headers?: Readonly<Record<string, HeaderSpec>>;
  /** The JSON body the route validates with (see `bodyType` for other media types). */
  body?: z.ZodType;
  /** The body's media type when it is not JSON (`application/x-ndjson`, `message/rfc822`). */
  bodyType?: string;
  /** The body may be left out (`{}` then). */
  bodyOptional?: boolean;
  /** Other media types the body may come as (multipart/form-data with files…). */
  bodyAlternatives?: Readonly<Record<string, z.ZodType>>;
  /** Success answers by status. */
  responses: Readonly<Record<number, z.ZodType | ResponseSpec>>;
  /** Error statuses beyond those every route of its kind gets (401, 403, 400/413/422 with a body, 404 with path parameters, 503 on writes). */
  errors?: readonly number[];
}

export type RouteSpec<I extends RouteSpecInput = RouteSpecInput> = I & {
  /** The path under /api/v1 in Hono syntax, e.g. `/cases/:id/events`. */
  fullPath: string;
  tag: string;
};

export interface ApiGroup {
  /** The group's paths under /api/v1 begin with this ('' for the root). */
  base: string;
  /** Where its Hono app is mounted: `api.route(group.mount, routes())`. */
  mount: string;
  tag: string;
  specs: RouteSpec[];
  route<const I extends RouteSpecInput>(input: I): RouteSpec<I>;
}

export function apiGroup(base: string, tag: string): ApiGroup {
  const specs: RouteSpec[] = [];
  return {
    base,
    mount: base || '/',
    tag,
    specs,
    route(input) {
      const local = input.path === '/' && base !== '' ? '' : input.path;
      const spec = { ...input, fullPath: `${base}${local}` || '/', tag };
      specs.push(spec);
      return spec;
    },
  };
}

/** The role (and scope) check an access rule asks for, or none when every caller with a token may come. */
export function accessCheck(access: Access): MiddlewareHandler<AppEnv>[] {
  if (access === 'public') return [];
  const scope = access.scopes?.[0];
  if (scope) return [requireScopeOrRole(scope, ...access.roles)];
  if (API_ROLES.every((role) => access.roles.includes(role))) return [];
  return [requireRole(...access.roles)];
}

/** Registers the described route on a group's app: its method, its path and its access check. */
export function on<I extends RouteSpecInput>(app: Hono<AppEnv>, spec: RouteSpec<I>, handler: Handler<AppEnv, I['path']>): void {
  const register = app.on.bind(app) as (method: string, path: string, ...handlers: (MiddlewareHandler<AppEnv> | Handler<AppEnv>)[]) => unknown;
  register(spec.method.toUpperCase(), spec.path, ...accessCheck(spec.access), handler as Handler<AppEnv>);
}
