/**
 * 405 for a known path asked with a method it does not take: the methods a path takes,
 * derived from route patterns (the API's route specs, the pages' Hono route table) rather
 * than a hand list. Patterns are Hono paths: `:name` (one segment), `:name{regex}`, `*`.
 */
import type { Context } from 'hono';
import { DomainError } from '../errors.js';

export interface RoutePattern {
  method: string;
  path: string;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The regular expression of one Hono path pattern (whole path). */
export function patternRegex(path: string): RegExp {
  const parts = path.split('/').map((segment) => {
    if (segment === '*') return '.*';
    const param = /^:[A-Za-z0-9_]+(?:\{(.+)\})?(\?)?$/.exec(segment);
    if (param) return `(?:${param[1] ?? '[^/]+'})${param[2] ?? ''}`;
    return escape(segment);
  });
  return new RegExp(`^${parts.join('/')}$`);
}

/** A function from a request path to the methods its routes take (sorted; HEAD with GET), empty for an unknown path. */
export function methodsByPath(routes: Iterable<RoutePattern>): (path: string) => string[] {
  const compiled = new Map<string, { regex: RegExp; methods: Set<string> }>();
  for (const route of routes) {
    const method = route.method.toUpperCase();
    if (method === 'ALL') continue; // middleware, not a route
    let entry = compiled.get(route.path);
    if (!entry) compiled.set(route.path, (entry = { regex: patternRegex(route.path), methods: new Set() }));
    entry.methods.add(method);
    if (method === 'GET') entry.methods.add('HEAD');
  }
  const entries = [...compiled.values()];
  return (path) => {
    const out = new Set<string>();
    for (const entry of entries) if (entry.regex.test(path)) for (const m of entry.methods) out.add(m);
    return [...out].sort();
  };
}

/**
 * The 405 error for a request no route answered, when its path is known with other methods
 * (the `Allow` header set on `c`); null when the path is unknown or takes this method (a
 * handler's own 404), which stay 404.
 */
export function methodNotAllowed(c: Context, allowed: string[]): DomainError | null {
  if (allowed.length === 0 || allowed.includes(c.req.method.toUpperCase())) return null;
  c.header('Allow', allowed.join(', '));
  return new DomainError('METHOD_NOT_ALLOWED', `${c.req.method} is not allowed on ${c.req.path}; it takes ${allowed.join(', ')}.`, { allow: allowed });
}
