/**
 * `/manage/tokens` (admins): every account's API tokens — who holds each, its scopes, when it
 * was last used, whether it works — with revoke, one account's tokens by address, and the form
 * to issue one (the token shown once, right after). Plain forms: everything works without
 * JavaScript.
 */
import type { HeldToken } from '../../../src/auth/api-tokens.js';
import { Alert, Badge, Button, CsrfField, EmptyState, Field, FormError, PageHeader, Time, type FormState } from '../../components.js';
import type { Viewer } from '../../viewer.js';
import { ManagePage, ManageTable } from './parts.js';

export const TOKENS = '/manage/tokens';

export interface ScopeOption {
  scope: string;
  description: string;
}

/** A token just issued: its secret, shown on this page only. */
export interface IssuedView {
  token: string;
  name: string;
  holder: string;
}

export interface TokensPageProps {
  viewer: Viewer;
  csrfToken: string;
  tokens: HeldToken[];
  /** `?before=` for the next, older page; null on the last. */
  older: number | null;
  /** The address the list is narrowed to (`?email=`), if any. */
  email: string | null;
  /** No account has that address. */
  unknownEmail: boolean;
  scopes: ScopeOption[];
  state: FormState;
  chosen: string[];
  issued: IssuedView | null;
  notice: string | null;
  now: number;
}

function StateBadge({ t, now }: { t: HeldToken; now: number }) {
  if (t.revokedAt !== null) return <Badge tone="muted">revoked</Badge>;
  if (t.expiresAt !== null && t.expiresAt <= now) return <Badge tone="muted">expired</Badge>;
  if (!t.account.active) return <Badge tone="warning">account deactivated</Badge>;
  return <Badge tone="ok">live</Badge>;
}

function Holder({ t }: { t: HeldToken }) {
  const kind = t.account.type === 'customer' ? 'customer' : t.account.role;
  return (
    <>
      <bdi>{t.account.name || t.account.email}</bdi>
      <p class="muted">
        {t.account.email} · {kind}
      </p>
    </>
  );
}

function TokenRow({ t, now, csrfToken, back }: { t: HeldToken; now: number; csrfToken: string; back: string }) {
  return (
    <tr id={`token-${t.id}`}>
      <td>
        <strong>{t.name}</strong>
        <p class="muted">
          <code>{`${t.prefix}…`}</code>
        </p>
      </td>
      <td>
        <Holder t={t} />
      </td>
      <td>{t.scopes.length === 0 ? <span class="muted">the account’s rights</span> : t.scopes.join(', ')}</td>
      <td>
        <Time at={t.createdAt} />
        {t.expiresAt !== null ? (
          <p class="muted">
            {t.expiresAt <= now ? 'expired ' : 'expires '}
            <Time at={t.expiresAt} />
          </p>
        ) : null}
      </td>
      <td>{t.lastUsedAt === null ? <span class="muted">never</span> : <Time at={t.lastUsedAt} />}</td>
      <td>
        <StateBadge t={t} now={now} />
        {t.revokedAt !== null ? (
          <p class="muted">
            <Time at={t.revokedAt} />
          </p>
        ) : null}
      </td>
      <td>
        {t.live ? (
          <form method="post" action={`${TOKENS}/${t.id}/revoke`}>
            <CsrfField token={csrfToken} />
            <input type="hidden" name="back" value={back} />
            <Button variant="danger" id={`revoke-${t.id}`} attrs={{ 'aria-label': `Revoke ${t.name} (${t.prefix}…) of ${t.account.email}` }}>
              Revoke
            </Button>
          </form>
        ) : null}
      </td>
    </tr>
  );
}

function IssueForm(p: { csrfToken: string; state: FormState; scopes: ScopeOption[]; chosen: string[] }) {
  const error = p.state.errors?.scopes;
  return (
    <form id="token-form" class="panel stack" method="post" action={TOKENS}>
      <h2>Issue a token</h2>
      <CsrfField token={p.csrfToken} />
      <FormError state={p.state} />
      <Field id="token-email" name="email" type="email" label="Account e-mail" hint="A staff member or a customer: the token acts as them." required maxlength={254} state={p.state} />
      <Field id="token-name" name="name" label="Name" hint="What it is for: “Postmark inbound”, “CRM sync”." required maxlength={100} state={p.state} />
      <Field id="token-expires" name="expiresInDays" type="number" label="Expires after (days)" hint="1–3650; empty: never." state={p.state} attrs={{ min: '1', max: '3650', inputmode: 'numeric' }} />
      <fieldset class={error ? 'field has-error' : 'field'}>
        <legend>Scopes</legend>
        <p class="hint">None: the account’s own rights. A scope limits the token to its routes, nothing else.</p>
        {error ? (
          <p class="field-error" id="token-scopes-error">
            {error}
          </p>
        ) : null}
        {p.scopes.map((s) => (
          <label class="checkbox">
            <input type="checkbox" name="scopes" value={s.scope} checked={p.chosen.includes(s.scope)} /> <code>{s.scope}</code> <span class="muted">{s.description}</span>
          </label>
        ))}
      </fieldset>
      <Button id="token-issue">Issue token</Button>
    </form>
  );
}

export function TokensPage(p: TokensPageProps) {
  const back = p.email ? `${TOKENS}?email=${encodeURIComponent(p.email)}` : TOKENS;
  return (
    <ManagePage title="API tokens" viewer={p.viewer} csrfToken={p.csrfToken} current={TOKENS}>
      <PageHeader eyebrow="Manage" title="API tokens" />
      {p.notice ? (
        <Alert tone="ok" id="notice">
          <p>{p.notice}</p>
        </Alert>
      ) : null}
      {p.issued ? (
        <Alert tone="info" id="token-issued">
          <p>
            <strong>{p.issued.name}</strong> for {p.issued.holder}, shown this once — store it where it is used now: <code id="token-value">{p.issued.token}</code>
          </p>
        </Alert>
      ) : null}
      <p class="lead">
        Bearer tokens for the API (docs/api.md): integrations, scripts, a provider’s inbound mail. Casebook keeps only a hash; a lost token is revoked and issued again. A
        password change leaves an account’s tokens working: revoke them here.
      </p>
      <section class="panel stack" aria-labelledby="tokens-heading">
        <h2 id="tokens-heading">{p.email ? `Tokens of ${p.email}` : 'Every token'}</h2>
        <form method="get" action={TOKENS} class="filters" role="search">
          <div class="field">
            <label for="tokens-email">Account e-mail</label>
            <input id="tokens-email" name="email" type="email" value={p.email ?? ''} maxlength={254} />
          </div>
          <Button variant="secondary" id="tokens-find">
            Show its tokens
          </Button>
          {p.email ? <a href={TOKENS}>Every token</a> : null}
        </form>
        {p.tokens.length === 0 ? (
          <EmptyState>
            <p>{p.unknownEmail ? `No staff member or customer has the address ${p.email}.` : p.email ? 'This account holds no token.' : 'No token has been issued yet.'}</p>
          </EmptyState>
        ) : (
          <ManageTable caption="API tokens" captionHidden head={['Token', 'Held by', 'Scopes', 'Issued', 'Last used', 'State', '']} id="tokens">
            {p.tokens.map((t) => (
              <TokenRow t={t} now={p.now} csrfToken={p.csrfToken} back={back} />
            ))}
          </ManageTable>
        )}
        {p.older !== null ? (
          <p>
            <a href={`${TOKENS}?${p.email ? `email=${encodeURIComponent(p.email)}&` : ''}before=${p.older}`} id="tokens-older">
              Older tokens
            </a>
          </p>
        ) : null}
      </section>
      <IssueForm csrfToken={p.csrfToken} state={p.state} scopes={p.scopes} chosen={p.chosen} />
    </ManagePage>
  );
}
