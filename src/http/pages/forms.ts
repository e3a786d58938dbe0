/** Reading urlencoded forms and turning validation problems into per-field messages. */
import type { Context } from 'hono';
import { z } from 'zod';
import { DomainError, ValidationError, type FieldIssue } from '../../errors.js';
import type { FormErrors, FormValues } from '../../../views/components.js';

/**
 * A text field as the browser's form shows it: line breaks as `\n`. Browsers send a textarea's
 * line breaks as CRLF, but count them as one character for `maxlength` — so a description the
 * form accepted at 20,000 characters arrived 100 characters longer with 100 line breaks, and the
 * server said "at most 20,000 characters" to a text the customer could not shorten to fit.
 */
function formText(value: string): string {
  return value.replace(/\r\n?/g, '\n');
}

/** The form's text fields (files and the CSRF token dropped), line breaks as `\n`. */
export async function readForm(c: Context): Promise<FormValues> {
  const type = c.req.header('Content-Type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return {};
  const body = await c.req.parseBody();
  const out: FormValues = {};
  for (const [key, value] of Object.entries(body)) {
    if (key !== '_csrf' && typeof value === 'string') out[key] = formText(value);
  }
  return out;
}

export function errorsFrom(issues: readonly FieldIssue[]): FormErrors {
  const out: FormErrors = {};
  for (const issue of issues) out[issue.path || '(form)'] ??= issue.message;
  return out;
}

export type Parsed<T> = { ok: true; data: T } | { ok: false; errors: FormErrors };

export function parseForm<S extends z.ZodType>(schema: S, values: unknown): Parsed<z.infer<S>> {
  const result = schema.safeParse(values);
  if (result.success) return { ok: true, data: result.data };
  return { ok: false, errors: errorsFrom(result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }))) };
}

/** Field errors for domain errors a form can show next to its fields; null for the rest. */
export function formErrorsOf(error: unknown): FormErrors | null {
  if (error instanceof ValidationError) return errorsFrom(error.issues);
  if (!(error instanceof DomainError)) return null;
  if (error.code === 'TRANSITION_REQUIREMENT_MISSING') {
    const missing = (error.details.missing as string[] | undefined) ?? [];
    return missing.length ? Object.fromEntries(missing.map((field) => [field, 'required'])) : { '(form)': error.message };
  }
  // A field the form does not show was sent (an edited form): say so above the form.
  if (error.code === 'TRANSITION_FIELD_NOT_ALLOWED') return { '(form)': error.message };
  if (error.code === 'QUEUE_NOT_FOUND') return { queue: error.message };
  if (error.code === 'STAFF_NOT_FOUND' || error.code === 'CAPACITY_EXCEEDED') return { assignee: error.message };
  if (error.code === 'VALIDATION_FAILED') return { '(form)': error.message };
  if (error.code === 'ATTACHMENT_TOO_LARGE' || error.code === 'TOO_MANY_ATTACHMENTS') return { files: error.message };
  return null;
}

/** Every value of every text field, in document order (checkbox groups post several), line breaks as `\n`. */
export async function readFormAll(c: Context): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const type = c.req.header('Content-Type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return out;
  const body = await c.req.parseBody({ all: true });
  for (const [key, value] of Object.entries(body)) {
    if (key === '_csrf') continue;
    const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string').map(formText);
    if (values.length > 0) out.set(key, values);
  }
  return out;
}

/** "12" (minutes), "12:30" (minutes:seconds), "1:02:03"; empty: unknown (0). */
export const durationField = z
  .string()
  .trim()
  .default('')
  .transform((v, ctx) => {
    if (v === '') return 0;
    const parts = v.split(':');
    if (parts.length > 3 || !parts.every((p) => /^\d{1,4}$/.test(p))) {
      ctx.addIssue({ code: 'custom', message: 'minutes, or minutes:seconds such as 12:30' });
      return z.NEVER;
    }
    const n = parts.map(Number);
    // "12:75" is a typo, not 13:15; nor is "1:75:00" 2:15:00.
    if (n.length > 1 && n.slice(1).some((part) => part >= 60)) {
      ctx.addIssue({ code: 'custom', message: n.length === 2 ? 'seconds from 0 to 59, such as 12:30' : 'minutes and seconds from 0 to 59, such as 1:02:03' });
      return z.NEVER;
    }
    const seconds = n.length === 1 ? n[0]! * 60 : n.length === 2 ? n[0]! * 60 + n[1]! : n[0]! * 3600 + n[1]! * 60 + n[2]!;
    if (seconds > 24 * 3600) {
      ctx.addIssue({ code: 'custom', message: 'at most 24 hours' });
      return z.NEVER;
    }
    return seconds;
  });
