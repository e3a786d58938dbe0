/**
 * Errors become responses here, in one place: domain codes map to HTTP statuses, JSON
 * clients get RFC 9457 problem+json with `code` and `requestId`.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { DatabaseFaults } from '../db/faults.js';
import { databaseFault } from '../db/store/errors.js';
import { DefinitionError, DomainError, VALIDATION_FAILED_MESSAGE, ValidationError, type ErrorCode, type FieldIssue } from '../errors.js';

export const STATUS_BY_CODE: Record<ErrorCode, ContentfulStatusCode> = {
  VALIDATION_FAILED: 422,
  MALFORMED_JSON: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CASE_NOT_FOUND: 404,
  RULESET_NOT_FOUND: 404,
  WORKFLOW_NOT_FOUND: 404,
  TEMPLATE_NOT_FOUND: 404,
  MACRO_NOT_FOUND: 404,
  VIEW_NOT_FOUND: 404,
  QUEUE_NOT_FOUND: 422,
  STAFF_NOT_FOUND: 422,
  MAILBOX_NOT_FOUND: 404,
  WEBHOOK_NOT_FOUND: 404,
  CHANNELS_KEY_MISSING: 409,
  PHONE_CHANNEL_DISABLED: 503,
  INVALID_SIGNATURE: 401,
  INVALID_TRANSITION: 409,
  TRANSITION_REQUIREMENT_MISSING: 422,
  TRANSITION_FIELD_NOT_ALLOWED: 422,
  CONFLICT: 409,
  CAPACITY_EXCEEDED: 409,
  MERGE_REFUSED: 409,
  MERGE_CONFIRMATION_REQUIRED: 422,
  NO_SOLUTION_OFFERED: 409,
  EMAIL_TAKEN: 409,
  INVALID_RULESET: 422,
  INVALID_WORKFLOW: 422,
  INVALID_SLA_CONFIG: 422,
  EXAMPLES_FAILED: 422,
  CSRF_REJECTED: 403,
  TOO_MANY_REQUESTS: 429,
  MAIL_UNAVAILABLE: 503,
  ATTACHMENT_TOO_LARGE: 422,
  TOO_MANY_ATTACHMENTS: 422,
  DATABASE_BUSY: 503,
  DATABASE_UNAVAILABLE: 503,
  DATABASE_GONE: 503,
  STORAGE_FULL: 503,
  IDEMPOTENCY_KEY_INVALID: 400,
  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_IN_PROGRESS: 409,
  CHAT_ENDED: 409,
  CHAT_SESSION_INVALID: 403,
  CHAT_ORIGIN_REJECTED: 403,
  CHAT_UNAVAILABLE: 409,
  INTERNAL: 500,
};

const TITLES: Partial<Record<ErrorCode, string>> = {
  VALIDATION_FAILED: 'The request is not valid',
  MALFORMED_JSON: 'The body is not valid JSON',
  UNAUTHENTICATED: 'Authentication required',
  FORBIDDEN: 'Not allowed',
  INVALID_TRANSITION: 'Transition not allowed now',
  CONFLICT: 'Changed by someone else',
  CAPACITY_EXCEEDED: 'The agent is at capacity',
  MERGE_REFUSED: 'The cases cannot be merged',
  MERGE_CONFIRMATION_REQUIRED: 'Merging cases of different customers needs confirmation',
  NO_SOLUTION_OFFERED: 'No solution is waiting for an answer',
  MAIL_UNAVAILABLE: 'Mail cannot be sent',
  ATTACHMENT_TOO_LARGE: 'The attachments are too large',
  TOO_MANY_ATTACHMENTS: 'Too many attachments',
  CHANNELS_KEY_MISSING: 'No key to store secrets with',
  PHONE_CHANNEL_DISABLED: 'The phone channel is off',
  INVALID_SIGNATURE: 'The signature is not valid',
  EXAMPLES_FAILED: 'Examples of the ruleset fail',
  DATABASE_BUSY: 'The database is busy',
  DATABASE_UNAVAILABLE: 'The database cannot be written',
  DATABASE_GONE: 'The database file is gone',
  STORAGE_FULL: 'Storage is full',
  IDEMPOTENCY_KEY_INVALID: 'The Idempotency-Key header is not valid',
  IDEMPOTENCY_KEY_REUSED: 'Idempotency-Key reused for another request',
  IDEMPOTENCY_IN_PROGRESS: 'A request with this Idempotency-Key is in progress',
  INTERNAL: 'Internal error',
};

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  instance: string;
  [extension: string]: unknown;
}

/** Seconds a client is asked to wait before retrying a write refused for lack of space. */
export const STORAGE_FULL_RETRY_AFTER_S = 30;

/** Seconds a client is asked to wait before retrying while PostgreSQL cannot be reached (a restart takes seconds). */
export const DATABASE_UNREACHABLE_RETRY_AFTER_S = 5;

/**
 * Normalises anything thrown into a DomainError (unknown errors become INTERNAL). With the
 * connection's faults, a write refused because the file is gone or damaged says so.
 */
export function asDomainError(error: unknown, faults?: DatabaseFaults): DomainError {
  if (error instanceof DomainError) return error;
  switch (databaseFault(error)) {
    case 'busy':
      return new DomainError('DATABASE_BUSY', 'The database is busy; please retry shortly.');
    case 'storageFull':
      return new DomainError('STORAGE_FULL', 'The disk is full; nothing was saved. Please retry later.');
    case 'unavailable':
      // The database became read-only, damaged or unreadable after start-up (GET /health says why).
      return faults?.refusalError() ?? new DomainError('DATABASE_UNAVAILABLE', 'The database cannot be written right now; nothing was saved. Please retry later.');
    case 'timeout':
      // PostgreSQL did not answer within DATABASE_STATEMENT_TIMEOUT_MS (a lock held by another
      // session, a stalled server) or no pooled connection was free in time: the request is cut
      // rather than left waiting while requests pile up behind it.
      return new DomainError('DATABASE_UNAVAILABLE', 'The database did not answer in time (it is busy, or a lock is held). Please retry in a moment.', { retryAfterSeconds: DATABASE_UNREACHABLE_RETRY_AFTER_S, timedOut: true });
    case 'unreachable':
      // PostgreSQL restarting, out of reach or out of connections: the request is not at fault, and a
      // retry in a moment usually succeeds. (A connection lost during COMMIT leaves its outcome
      // unknown, so this does not promise that nothing was saved: a retry with the same
      // Idempotency-Key is the safe one.)
      return new DomainError('DATABASE_UNAVAILABLE', 'The database cannot be reached right now. Please retry in a moment.', { retryAfterSeconds: DATABASE_UNREACHABLE_RETRY_AFTER_S });
    case null:
      return new DomainError('INTERNAL', 'Something went wrong on our side. Quote the request id if you contact us.');
  }
}

/** Fields named in a generic validation `detail` (all of them are in `errors`). */
const DETAIL_ISSUES = 3;

/**
 * The `detail` of a ValidationError: its own message, or, when it has none, the fields that are
 * not valid (`subject: required; priority: one of …`), so a client that logs only `detail` knows what to fix.
 */
function validationDetail(error: ValidationError): string {
  if (error.message !== VALIDATION_FAILED_MESSAGE || error.issues.length === 0) return error.message;
  const named = error.issues.slice(0, DETAIL_ISSUES).map((issue: FieldIssue) => `${issue.path}: ${issue.message.replace(/\.$/, '')}`);
  const more = error.issues.length - named.length;
  return `The request is not valid: ${named.join('; ')}${more > 0 ? ` (and ${more} more in \`errors\`)` : ''}.`;
}

export function problemBody(error: DomainError, requestId: string, instance: string): ProblemBody {
  const status = STATUS_BY_CODE[error.code];
  const body: ProblemBody = {
    type: `urn:casebook:problem:${error.code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[error.code] ?? error.code.toLowerCase().replaceAll('_', ' '),
    status,
    detail: error instanceof ValidationError ? validationDetail(error) : error.message,
    code: error.code,
    requestId,
    instance,
  };
  if (error instanceof ValidationError) {
    body.errors = error.issues;
    // What a refusal names beyond the fields (`existingCustomer` of an address another customer has).
    for (const [k, v] of Object.entries(error.details)) if (k !== 'issues' && !(k in body)) body[k] = v;
  } else if (error instanceof DefinitionError) {
    body.problems = error.problems;
    if (error.details.examples) body.examples = error.details.examples;
  }
  else for (const [k, v] of Object.entries(error.details)) if (!(k in body)) body[k] = v;
  return body;
}

export function problemResponse(c: Context, error: DomainError): Response {
  const body = problemBody(error, c.get('requestId') ?? '', new URL(c.req.url).pathname);
  const headers: Record<string, string> = { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store' };
  if (error.code === 'DATABASE_BUSY' || error.code === 'IDEMPOTENCY_IN_PROGRESS') headers['Retry-After'] = '1';
  if (error.code === 'STORAGE_FULL') headers['Retry-After'] = String(STORAGE_FULL_RETRY_AFTER_S);
  if (error.code === 'DATABASE_UNAVAILABLE' && typeof error.details.retryAfterSeconds === 'number') headers['Retry-After'] = String(error.details.retryAfterSeconds);
  if (error.code === 'TOO_MANY_REQUESTS') headers['Retry-After'] = String(error.details.retryAfterSeconds ?? 60);
  if (error.code === 'UNAUTHENTICATED') headers['WWW-Authenticate'] = 'Bearer';
  return c.body(JSON.stringify(body), body.status as ContentfulStatusCode, headers);
}
