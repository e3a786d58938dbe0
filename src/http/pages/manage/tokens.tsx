/**
 * `/manage/tokens` (admins only, as `/api/v1/tokens`: a token acts as its account).
 *
 *   GET  /manage/tokens              every account's tokens, newest first (`?before=` for older ones), or one account's (`?email=`); the form to issue one
 *   POST /manage/tokens              issue: the same page with the new token shown once (no redirect: it is never where a GET could show it again)
 *   POST /manage/tokens/:id/revoke   revoke (audited); back to the list it was revoked from
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { accountByEmail, issueApiToken, listAllApiTokens, revokeApiTokenAudited, scopeHolderWords, TOKEN_SCOPES, type TokenScope } from '../../../auth/api-tokens.js';
import { normalizeEmail } from '../../../cases/customers.js';
import { DomainError, ValidationError } from '../../../errors.js';
import { emailField } from '../../../text/email-address.js';
import type { FormState } from '../../../../views/components.js';
import { TOKENS, TokensPage, type IssuedView } from '../../../../views/pages/manage/tokens.js';
import type { PageContext, PageEnv } from '../env.js';
import { errorsFrom, parseForm, readFormAll } from '../forms.js';
import { redirectTo, sendHtml, viewerOf } from '../render.js';
import { managerOf } from './guard.js';
import { idParam } from './team-forms.js';

/** Tokens a page lists. */
const PAGE = 100;

/** What each scope opens; who may hold it comes from SCOPE_HOLDERS (scopeHolderWords), as issuing checks. */
const OPENS: Record<TokenScope, string> = {
  inbound: 'only posts mail to /api/v1/inbound/email (a provider’s inbound webhook)',
  churn: 'only marks customers churned (a CRM or billing system)',
};
const SCOPES = TOKEN_SCOPES.map((scope) => ({ scope, description: `${OPENS[scope]}; for ${scopeHolderWords(scope)}` }));

const NOTICES: Record<string, string> = { revoked: 'Token revoked: it no longer works.', 'not-live': 'That token was already revoked or expired.' };

const issueSchema = z.object({
  email: emailField('a valid e-mail address'),
  name: z.string().trim().min(1, 'give the token a name').max(100, 'at most 100 characters'),
  expiresInDays: z
    .string()
    .trim()
    .regex(/^(\d{1,4})?$/, 'a whole number of days, or empty')
    .transform((v) => (v === '' ? undefined : Number(v)))
    .refine((v) => v === undefined || (v >= 1 && v <= 3650), 'between 1 and 3650 days'),
  scopes: z.array(z.enum(TOKEN_SCOPES, 'an unknown scope')),
});

function adminOf(c: PageContext) {
  const principal = managerOf(c);
  if (principal.actor.role !== 'admin') throw new DomainError('FORBIDDEN', 'Only admins manage API tokens.');
  return principal;
}

/** `?email=` when it is an address; a malformed one lists nothing rather than everything. */
function emailQuery(c: PageContext): string | null {
  const raw = (c.req.query('email') ?? '').trim();
  return raw === '' ? null : normalizeEmail(raw);
}

async function listPage(c: PageContext, options: { state?: FormState; chosen?: string[]; issued?: IssuedView | null; status?: 200 | 422 } = {}) {
  const services = c.get('services');
  const now = services.clock.now();
  const email = emailQuery(c);
  const before = /^\d{1,15}$/.test(c.req.query('before') ?? '') ? Number(c.req.query('before')) : undefined;
  const listed = await services.store.query(async (q) => {
    if (email === null) return { ...(await listAllApiTokens(q, now, { limit: PAGE, before })), unknown: false };
    const holder = await accountByEmail(q, email, { deactivated: 'include' }).catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'NOT_FOUND') return null;
      throw error;
    });
    if (!holder) return { tokens: [], older: null, unknown: true };
    return { ...(await listAllApiTokens(q, now, { limit: PAGE, before, holder: { type: holder.type, id: holder.id } })), unknown: false };
  });
  return sendHtml(
    c,
    <TokensPage
      viewer={viewerOf(c)!}
      csrfToken={c.get('csrfToken')}
      tokens={listed.tokens}
      older={listed.older}
      email={email}
      unknownEmail={listed.unknown}
      scopes={SCOPES}
      state={options.state ?? {}}
      chosen={options.chosen ?? []}
      issued={options.issued ?? null}
      notice={NOTICES[c.req.query('done') ?? ''] ?? null}
      now={now}
    />,
    options.status ?? 200,
  );
}

export function tokenPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.get(TOKENS, (c) => {
    adminOf(c);
    return listPage(c);
  });

  app.post(TOKENS, async (c) => {
    const { actor } = adminOf(c);
    const form = await readFormAll(c);
    const values = { email: form.get('email')?.[0] ?? '', name: form.get('name')?.[0] ?? '', expiresInDays: form.get('expiresInDays')?.[0] ?? '' };
    const chosen = form.get('scopes') ?? [];
    const parsed = parseForm(issueSchema, { ...values, scopes: chosen });
    if (!parsed.ok) return listPage(c, { state: { values, errors: parsed.errors }, chosen, status: 422 });
    const input = parsed.data;
    const email = normalizeEmail(input.email);
    let issued;
    try {
      issued = await issueApiToken(c.get('services'), actor, { email, name: input.name, expiresInDays: input.expiresInDays, scopes: [...new Set(input.scopes)] });
    } catch (error) {
      // A scope the account may not hold (at the scopes), no such account or a deactivated one (at the address).
      const errors = error instanceof ValidationError ? errorsFrom(error.issues) : error instanceof DomainError && (error.code === 'NOT_FOUND' || error.code === 'FORBIDDEN') ? { email: error.message } : null;
      if (!errors) throw error;
      return listPage(c, { state: { values, errors }, chosen, status: 422 });
    }
    return listPage(c, { issued: { token: issued.token, name: input.name, holder: email } });
  });

  app.post(`${TOKENS}/:id/revoke`, async (c) => {
    const { actor } = adminOf(c);
    const id = idParam(c, 'token');
    const form = await readFormAll(c);
    const revoked = await revokeApiTokenAudited(c.get('services'), actor, id);
    // Back to the list it was revoked from: every token, or one account's.
    const back = form.get('back')?.[0] ?? '';
    const to = back === TOKENS || back.startsWith(`${TOKENS}?email=`) ? back : TOKENS;
    return redirectTo(c, `${to}${to.includes('?') ? '&' : '?'}done=${revoked ? 'revoked' : 'not-live'}`);
  });

  return app;
}
