/**
 * `If-Match` on the commands that change a case (docs/api.md "Case versions"): the version the
 * `ETag` gave, the header form of the body's `expectedVersion`. Every command that takes
 * `expectedVersion` reads the header too, so a client that sends it back is never silently
 * ignored: a stale version is 409 CONFLICT and nothing is done.
 */
import { z } from 'zod';
import { ValidationError } from '../../errors.js';
import type { HeaderSpec } from '../openapi/route-spec.js';

export const IF_MATCH_HEADER: Readonly<Record<string, HeaderSpec>> = {
  'If-Match': { description: 'The case version, as the `ETag` of GET gave it: 409 CONFLICT, and nothing done, when the case changed since.', schema: z.string().meta({ examples: ['"7"'] }) },
};

/** `If-Match: "7"` (or `W/"7"`, `7`) → 7; absent or `*` (any version): undefined; anything else 422. */
export function versionFromIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '' || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,12})"?\s*$/.exec(header);
  if (!match) throw new ValidationError([{ path: 'If-Match', message: 'the case version as the ETag gave it, e.g. "7"' }]);
  return Number(match[1]);
}

/** The body with `expectedVersion` from `If-Match` when the body gives none (the body's wins). */
export function withIfMatch<T extends { expectedVersion?: number | undefined }>(header: string | undefined, body: T): T {
  const version = versionFromIfMatch(header);
  return body.expectedVersion === undefined && version !== undefined ? { ...body, expectedVersion: version } : body;
}
