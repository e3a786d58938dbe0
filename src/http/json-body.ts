/** Reads a JSON body and validates it: 400 MALFORMED_JSON or 422 with every field path. */
import type { Context } from 'hono';
import type { z } from 'zod';
import { duplicateProblem, findDuplicateKeys } from '../definitions/parse-json.js';
import { issueMessage } from '../definitions/problems.js';
import { DefinitionError, DomainError, ValidationError, type FieldIssue } from '../errors.js';

export function fieldIssues(issues: readonly z.core.$ZodIssue[], input?: unknown): FieldIssue[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issueMessage(issue, input),
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

/**
 * A body that carries a definition (a ruleset's rules, the SLA config): as readJson, and a key
 * twice in one object is refused with `code` (422) and its JSON path in the body, where
 * JSON.parse would keep the last one and drop the other without a word.
 */
export async function readDefinitionJson(c: Context, code: 'INVALID_RULESET' | 'INVALID_SLA_CONFIG'): Promise<unknown> {
  const value = await readJson(c);
  const duplicates = findDuplicateKeys(await c.req.text()); // Hono keeps the text readJson read
  if (duplicates.length > 0) {
    const problems = duplicates.map(duplicateProblem);
    throw new DefinitionError(code, `The body has a key twice in one object (first: ${problems[0]!.path}); JSON keeps only the last one, so the other would be lost.`, problems);
  }
  return value;
}
