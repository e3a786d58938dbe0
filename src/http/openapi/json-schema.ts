/**
 * zod → JSON Schema (2020-12, OpenAPI 3.1's dialect) with shared components: every schema
 * with `meta({ id })` is hoisted to `#/components/schemas/<id>`, whichever route uses it.
 * Request schemas are converted as input (defaults make a field optional), answers as output
 * (objects are closed: `additionalProperties: false` unless declared loose).
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;
export type Io = 'input' | 'output';

const DEFS = '#/$defs/';
export const COMPONENTS = '#/components/schemas/';

function rewriteRefs(value: unknown, rename: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, rename));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === '$ref' && typeof v === 'string' && v.startsWith(DEFS)) {
      const name = v.slice(DEFS.length);
      out[key] = `${COMPONENTS}${rename.get(name) ?? name}`;
    } else out[key] = rewriteRefs(v, rename);
  }
  return out;
}

export class SchemaComponents {
  readonly schemas: Record<string, JsonSchema> = {};

  /** The JSON Schema of `schema`; named parts land in `schemas` and are referenced. */
  convert(schema: z.ZodType, io: Io): JsonSchema {
    const converted = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', cycles: 'ref', reused: 'inline' }) as JsonSchema;
    const { $schema: _dialect, $defs, ...root } = converted;
    const defs = ($defs ?? {}) as Record<string, JsonSchema>;
    const identity = new Map(Object.keys(defs).map((name) => [name, name]));
    // An id converted as input may differ from its answer form (defaults): then it is `<id>Input`.
    const rename = new Map<string, string>();
    for (const [name, def] of Object.entries(defs)) {
      const existing = this.schemas[name];
      const same = existing === undefined || isDeepStrictEqual(existing, rewriteRefs(def, identity));
      rename.set(name, same || io === 'output' ? name : `${name}Input`);
    }
    for (const [name, def] of Object.entries(defs)) this.schemas[rename.get(name)!] = rewriteRefs(def, rename) as JsonSchema;
    // A root schema with an id is itself a component.
    const id = (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id;
    const body = rewriteRefs(root, rename) as JsonSchema;
    if (typeof body.$ref === 'string' && Object.keys(body).length === 1) return body;
    if (id && io === 'output') {
      this.schemas[id] = body;
      return { $ref: `${COMPONENTS}${id}` };
    }
    return body;
  }

  /** Follows a `$ref` to its component (other schemas are returned as they are). */
  resolve(schema: JsonSchema): JsonSchema {
    const ref = schema.$ref;
    return typeof ref === 'string' && ref.startsWith(COMPONENTS) ? (this.schemas[ref.slice(COMPONENTS.length)] ?? {}) : schema;
  }
}
