/** Team forms: refused commands become messages on the form; ids in paths. */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError, ValidationError } from '../../../errors.js';
import type { FormErrors } from '../../../../views/components.js';
import type { PageContext } from '../env.js';
import { errorsFrom } from '../forms.js';

/** Field errors for a refused team command, or null when it is not about the form. */
export function teamFormErrors(error: unknown): { errors: FormErrors; status: ContentfulStatusCode } | null {
  if (error instanceof ValidationError) return { errors: errorsFrom(error.issues), status: 422 };
  if (error instanceof DomainError && (error.code === 'CONFLICT' || error.code === 'FORBIDDEN')) return { errors: { '(form)': error.message }, status: error.code === 'CONFLICT' ? 409 : 403 };
  return null;
}

/** Runs a command; a refusal about the form re-renders it (`render`), anything else is thrown. */
export async function attempt<T>(run: () => T | Promise<T>, render: (errors: FormErrors, status: ContentfulStatusCode) => Response | Promise<Response>): Promise<{ ok: true; value: T } | { ok: false; response: Response | Promise<Response> }> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    const refused = teamFormErrors(error);
    if (!refused) throw error;
    return { ok: false, response: render(refused.errors, refused.status) };
  }
}

/** A path parameter that must be a positive integer id (404 otherwise). */
export function idParam(c: PageContext, what: string): number {
  const raw = c.req.param('id') ?? '';
  if (!/^\d{1,9}$/.test(raw)) throw new DomainError('NOT_FOUND', `No ${what} ${raw}.`);
  return Number(raw);
}
