/** Shared bits of the team verbs: input parsing into field issues, and who may call them. */
import type { z } from 'zod';
import { issueMessage } from '../definitions/problems.js';
import { DomainError, ValidationError } from '../errors.js';
import { isManagerRole, type Actor } from '../roles.js';

/** Parses `raw` with `schema`; a ValidationError with one issue per field otherwise. */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new ValidationError(result.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(form)', message: issueMessage(i, raw) })));
}

/** The team is managed by managers and admins (and the admin token). */
export function assertManager(actor: Actor): void {
  if (!isManagerRole(actor.role)) throw new DomainError('FORBIDDEN', 'Only managers and admins can change the team.');
}

/** A single-field validation error. */
export function fieldError(path: string, message: string): ValidationError {
  return new ValidationError([{ path, message }]);
}
