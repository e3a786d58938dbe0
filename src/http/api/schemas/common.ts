/**
 * Building blocks of the API's answer schemas (the OpenAPI document's components): instants,
 * references, actors, and the problem+json body every error has. A schema with a `meta({ id })`
 * becomes a named component of the document.
 */
import { z } from 'zod';
import { STATUS_BY_CODE } from '../../problem.js';
import type { ErrorCode } from '../../../errors.js';

/** An instant as the API writes it (`Date#toISOString`, UTC). */
export const instant = z.iso.datetime().meta({ description: 'An instant in UTC, ISO 8601.', examples: ['2026-03-02T09:00:00.000Z'] });

/** A case reference, `C-` and the number. */
export const caseRef = z.string().regex(/^C-\d+$/).meta({ id: 'CaseRef', description: 'A case reference.', examples: ['C-1042'] });

/** A phone number as stored: E.164 (src/text/phone.ts normalises what people type). */
export const phoneNumber = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/)
  .meta({ id: 'PhoneNumber', description: 'E.164 (`+49 30 1234567` is stored as `+49301234567`).', examples: ['+49301234567'] });

/** An IANA time zone name. */
export const timeZone = z.string().meta({ id: 'TimeZone', description: 'An IANA time zone (`Europe/Berlin`); null: not set, UTC is shown.', examples: ['Europe/Berlin'] });

export const priority = z.enum(['urgent', 'high', 'normal', 'low']).meta({ id: 'Priority' });

export const stateCategory = z.enum(['new', 'open', 'pending', 'resolved', 'closed']).meta({ id: 'StateCategory', description: 'What kind of workflow state it is.' });

/** Who did something: a staff member, a customer, or Casebook itself (`system`, with the channel or job as the name). */
export const actor = z
  .object({ type: z.enum(['staff', 'customer', 'system']), id: z.number().int().nullable(), name: z.string() })
  .meta({ id: 'Actor' });

/** A field that changed, from → to. */
export const change = <T extends z.ZodType>(value: T) => z.object({ from: value, to: value });

/** Any JSON value (definitions, rule events, timeline data): described in the docs, not here. */
export const json = z.unknown();
export const jsonObject = z.record(z.string(), z.unknown());

const ERROR_CODES = Object.keys(STATUS_BY_CODE) as [ErrorCode, ...ErrorCode[]];

/** RFC 9457 problem+json, with our stable `code` and the request id. */
export const problem = z
  .looseObject({
    type: z.string().meta({ examples: ['urn:casebook:problem:case-not-found'] }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(ERROR_CODES),
    requestId: z.string(),
    instance: z.string().meta({ description: 'The path of the request.' }),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional().meta({ description: 'VALIDATION_FAILED: every field that is not valid.' }),
    problems: z.array(z.looseObject({ path: z.string(), message: z.string() })).optional().meta({ description: 'INVALID_RULESET, INVALID_WORKFLOW, INVALID_SLA_CONFIG: every problem with its JSON path.' }),
  })
  .meta({ id: 'Problem', description: 'An error (RFC 9457). Further members carry details of some codes (e.g. `missing` on TRANSITION_REQUIREMENT_MISSING).' });

/** The codes answered with `status`, from the one table that maps them (problem.ts). */
export function codesWithStatus(status: number): ErrorCode[] {
  return ERROR_CODES.filter((code) => STATUS_BY_CODE[code] === status);
}
