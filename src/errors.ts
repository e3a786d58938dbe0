import type { DefinitionProblem } from './definitions/problems.js';

/**
 * Domain errors carry a stable SCREAMING_SNAKE `code`. The HTTP layer maps codes
 * to statuses in one place (`src/http/problem.ts`); the domain never throws HTTP errors.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'MALFORMED_JSON'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CASE_NOT_FOUND'
  | 'RULESET_NOT_FOUND'
  | 'WORKFLOW_NOT_FOUND'
  | 'TEMPLATE_NOT_FOUND'
  | 'MACRO_NOT_FOUND'
  | 'VIEW_NOT_FOUND'
  | 'QUEUE_NOT_FOUND'
  | 'STAFF_NOT_FOUND'
  | 'MAILBOX_NOT_FOUND'
  | 'WEBHOOK_NOT_FOUND'
  | 'CHANNELS_KEY_MISSING'
  | 'PHONE_CHANNEL_DISABLED'
  | 'INVALID_SIGNATURE'
  | 'INVALID_TRANSITION'
  | 'TRANSITION_REQUIREMENT_MISSING'
  | 'TRANSITION_FIELD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'CAPACITY_EXCEEDED'
  | 'MERGE_REFUSED'
  | 'MERGE_CONFIRMATION_REQUIRED'
  | 'NO_SOLUTION_OFFERED'
  | 'EMAIL_TAKEN'
  | 'INVALID_RULESET'
  | 'INVALID_WORKFLOW'
  | 'INVALID_SLA_CONFIG'
  | 'EXAMPLES_FAILED'
  | 'CSRF_REJECTED'
  | 'TOO_MANY_REQUESTS'
  | 'MAIL_UNAVAILABLE'
  | 'ATTACHMENT_TOO_LARGE'
  | 'TOO_MANY_ATTACHMENTS'
  | 'DATABASE_BUSY'
  | 'DATABASE_UNAVAILABLE'
  | 'DATABASE_GONE'
  | 'STORAGE_FULL'
  | 'IDEMPOTENCY_KEY_INVALID'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_IN_PROGRESS'
  | 'INTERNAL'
  | 'CHAT_ENDED'
  | 'CHAT_SESSION_INVALID'
  | 'CHAT_ORIGIN_REJECTED'
  | 'CHAT_UNAVAILABLE';

export interface FieldIssue {
  path: string;
  message: string;
}

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }
}

/** The message of a ValidationError that was given none of its own (problem+json then names the fields). */
export const VALIDATION_FAILED_MESSAGE = 'The request is not valid.';

export class ValidationError extends DomainError {
  readonly issues: FieldIssue[];

  constructor(issues: FieldIssue[], message = VALIDATION_FAILED_MESSAGE) {
    super('VALIDATION_FAILED', message, { issues });
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

/** A definition (workflow, ruleset, SLA config) was refused; every problem has a JSON path. */
export class DefinitionError extends DomainError {
  readonly problems: DefinitionProblem[];

  constructor(
    code: 'INVALID_RULESET' | 'INVALID_WORKFLOW' | 'INVALID_SLA_CONFIG' | 'EXAMPLES_FAILED',
    message: string,
    problems: DefinitionProblem[],
  ) {
    super(code, message, { problems });
    this.name = 'DefinitionError';
    this.problems = problems;
  }
}
