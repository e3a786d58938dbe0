/**
 * Reading the document's JSON Schemas for people (the `/api/docs` page): a one-line type
 * (`array of Case`, `"open" | "solved"`, `string | null`), the fields of an object, and an
 * example value built from the schema itself (its `examples`, enums, defaults and formats), so
 * the page's examples come from the same schemas as the document.
 */
import { COMPONENTS, type JsonSchema } from './json-schema.js';

export type Schemas = Readonly<Record<string, JsonSchema>>;

export interface Field {
  name: string;
  type: string;
  required: boolean;
  description: string | null;
  /** Fields of an inline object (or array of objects), one level down. */
  fields: Field[];
}

export function refName(schema: JsonSchema): string | null {
  const ref = schema.$ref;
  return typeof ref === 'string' && ref.startsWith(COMPONENTS) ? ref.slice(COMPONENTS.length) : null;
}

function variants(schema: JsonSchema): JsonSchema[] | null {
  const list = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  return Array.isArray(list) ? list : null;
}

export function typeLabel(schema: JsonSchema): string {
  const name = refName(schema);
  if (name) return name;
  const alternatives = variants(schema);
  if (alternatives) return alternatives.map(typeLabel).join(' | ');
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const type = schema.type;
  if (Array.isArray(type)) return type.map((t) => (t === 'array' || t === 'object' ? typeLabel({ ...schema, type: t }) : String(t))).join(' | ');
  if (type === 'array') {
    const items = schema.items as JsonSchema | undefined;
    if (Array.isArray(schema.prefixItems)) return `[${(schema.prefixItems as JsonSchema[]).map(typeLabel).join(', ')}]`;
    return `array of ${items ? typeLabel(items) : 'any'}`;
  }
  if (type === 'object') return schema.properties ? 'object' : 'object (any keys)';
  if (typeof type === 'string') return typeof schema.format === 'string' ? `${type} (${schema.format})` : type;
  if (typeof schema.contentMediaType === 'string') return schema.contentMediaType;
  return 'any';
}

function inlineObject(schema: JsonSchema): JsonSchema | null {
  if (schema.type === 'object' && schema.properties) return schema;
  if (schema.type === 'array' && schema.items && (schema.items as JsonSchema).properties) return schema.items as JsonSchema;
  const nullable = variants(schema)?.filter((v) => v.type !== 'null');
  if (nullable?.length === 1) return inlineObject(nullable[0]!);
  return null;
}

/** The fields of an object schema (a component is followed once; nested inline objects to `depth`). */
export function fieldsOf(schema: JsonSchema, schemas: Schemas, depth = 2): Field[] {
  const name = refName(schema);
  const object = name ? schemas[name] : schema;
  if (!object || !object.properties) return [];
  const required = new Set((object.required as string[] | undefined) ?? []);
  return Object.entries(object.properties as Record<string, JsonSchema>).map(([field, s]) => {
    const nested = depth > 0 ? inlineObject(s) : null;
    return {
      name: field,
      type: typeLabel(s),
      required: required.has(field),
      description: typeof s.description === 'string' ? s.description : null,
      fields: nested ? fieldsOf(nested, schemas, depth - 1) : [],
    };
  });
}

const SAMPLE_STRINGS: Record<string, string> = { 'date-time': '2026-03-02T09:00:00.000Z', email: 'pat@example.com', uri: 'https://example.com/' };

/** An example value of the schema; `$ref`s are followed to `depth` levels. */
export function sampleOf(schema: JsonSchema, schemas: Schemas, depth = 4): unknown {
  const name = refName(schema);
  if (name) return depth > 0 ? sampleOf(schemas[name] ?? {}, schemas, depth - 1) : {};
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if ('default' in schema) return schema.default;
  const alternatives = variants(schema);
  if (alternatives) return sampleOf(alternatives.find((v) => v.type !== 'null') ?? alternatives[0]!, schemas, depth);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) out[key] = sampleOf(value, schemas, depth);
      return out;
    }
    case 'array':
      if (Array.isArray(schema.prefixItems)) return (schema.prefixItems as JsonSchema[]).map((s) => sampleOf(s, schemas, depth));
      return schema.items ? [sampleOf(schema.items as JsonSchema, schemas, depth)] : [];
    case 'string':
      return SAMPLE_STRINGS[String(schema.format)] ?? 'string';
    case 'integer':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'number':
      return 0;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return null;
  }
}
