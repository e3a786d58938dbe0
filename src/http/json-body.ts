/** Reads a JSON body and validates it: 400 MALFORMED_JSON or 422 with every field path. */
import type { Context } from 'hono';
import type { z } from 'zod';
import { DomainError, ValidationError, type FieldIssue } from '../errors.js';

/** The value at an issue's path in what was validated (undefined when a step is missing). */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * zod's issues as field issues. Given the validated input, a field that is missing says
 * `required` (zod's own wording is "Invalid input: expected string, received undefined").
 */
export function fieldIssues(issues: readonly z.core.$ZodIssue[], input?: unknown): FieldIssue[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: input !== undefined && issue.code === 'invalid_type' && issue.path.length > 0 && valueAt(input, issue.path) === undefined ? 'required' : issue.message,
  }));
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(fieldIssues(result.error.issues, value));
  return result.data;
}

export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') throw new DomainError('MALFORMED_JSON', 'The request body is empty; send a JSON object.');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new DomainError('MALFORMED_JSON', `The request body is not valid JSON: ${(error as Error).message}`);
  }
}

export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  return parseWith(schema, await readJson(c));
}
