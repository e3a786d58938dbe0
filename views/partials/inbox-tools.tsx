/**
 * The inbox's working tools: saved views (with their counts, and saving the current filters
 * as one) and bulk actions on the selected cases (assign, set status, add a tag, apply a
 * macro) with the summary of what changed and what failed, and why. Plain forms; htmx and
 * public/workspace.js add select-all, the selection count and in-place answers.
 */
import type { BulkSummary } from '../../src/cases/bulk-update.js';
import { BULK_MAX } from '../../src/cases/bulk-update.js';
import type { SavedView } from '../../src/cases/inbox-views.js';
import { Alert, Button, CsrfField, Field, FormError, SelectField, type FormState, type Option } from '../components.js';
import { formatCount } from './staff-nav.js';

export interface InboxTools {
  assignees: Option[];
  transitions: Option[];
  macros: Option[];
  /** Managers and admins may share a view with the team. */
  canShare: boolean;
}

/**
 * The saved views with their counts; `current` is the list's own query string. Counting
 * costs a query per view, so the list's 5-second poll leaves them alone: they refresh after
 * the viewer's own commands (`case-updated`) and once a minute.
 */
export function SavedViews(p: { views: SavedView[]; current: string; csrfToken: string; oob?: boolean }) {
  const refresh = `/inbox/views?${new URLSearchParams({ current: p.current }).toString()}`;
  return (
    <nav
      id="saved-views"
      class="saved-views"
      aria-label="Saved views"
      hx-get={refresh}
      hx-trigger="case-updated from:body, every 60s"
      hx-target="this"
      hx-swap="outerHTML"
      hx-swap-oob={p.oob ? 'true' : undefined}
    >
      {p.views.length === 0 ? (
        <p class="muted">No saved views yet: set filters below, then “Save as a view”.</p>
      ) : (
        <ul class="view-list">
          {p.views.map((v) => (
            <li class={v.shared ? 'view view-shared' : 'view'}>
              <a href={`/inbox?${v.query}`} id={`view-${v.id}`} aria-current={v.query === p.current ? 'page' : undefined}>
                <span>{v.name}</span>
                {v.shared ? <span class="visually-hidden"> (shared)</span> : null}
                <span class="count">
                  {formatCount(v.count)}
                  <span class="visually-hidden">{v.count === 1 ? ' case' : ' cases'}</span>
                </span>
              </a>
              {v.mayDelete ? (
                <form method="post" action={`/inbox/views/${v.id}/delete`} class="inline-form">
                  <CsrfField token={p.csrfToken} />
                  <input type="hidden" name="back" value={p.current} />
                  <button type="submit" class="button button-link view-delete" id={`view-${v.id}-delete`} aria-label={`Delete the view “${v.name}”`} title="Delete this view">
                    ×
                  </button>
                </form>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </nav>
  );
}

/**
 * The list's filters as hidden fields of a form beside the list; swapped out-of-band when
 * htmx changes the list, so the form always carries the filters on screen.
 */
export function HiddenFilters(p: { id: string; filters: Record<string, string | undefined>; oob?: boolean }) {
  return (
    <div id={p.id} hidden hx-swap-oob={p.oob ? 'true' : undefined}>
      {Object.entries(p.filters).map(([name, value]) => (value ? <input type="hidden" name={name} value={value} /> : null))}
    </div>
  );
}

/** Saves the list's filters under a name (hidden fields carry the filters). */
export function SaveViewForm(p: { filters: Record<string, string | undefined>; csrfToken: string; canShare: boolean; state?: FormState | undefined }) {
  return (
    <details class="disclosure save-view" open={p.state !== undefined}>
      <summary class="button button-secondary">Save as a view…</summary>
      <form id="save-view-form" method="post" action="/inbox/views" class="stack">
        <CsrfField token={p.csrfToken} />
        <HiddenFilters id="save-view-filters" filters={p.filters} />
        <FormError state={p.state} />
        <Field id="save-view-name" name="name" label="Name of the view" required maxlength={60} state={p.state} />
        {p.canShare ? (
          <div class="field">
            <label for="save-view-shared">
              <input type="checkbox" id="save-view-shared" name="shared" value="on" checked={p.state?.values?.shared === 'on'} />
              {' Share with the team'}
            </label>
          </div>
        ) : null}
        <Button id="save-view-submit">Save view</Button>
      </form>
    </details>
  );
}

/** What the last bulk action did: counts, then every failure with its reason. */
export function BulkResult(p: { summary?: BulkSummary | null | undefined; error?: string | null | undefined }) {
  if (p.error) {
    return (
      <div id="bulk-summary">
        <Alert tone="error">
          <p>{p.error}</p>
        </Alert>
      </div>
    );
  }
  const s = p.summary;
  if (!s) return <div id="bulk-summary"></div>;
  const parts = [`${s.changed.length} changed`, ...(s.unchanged.length ? [`${s.unchanged.length} already so`] : []), ...(s.failed.length ? [`${s.failed.length} failed`] : [])];
  return (
    <div id="bulk-summary">
      <Alert tone={s.failed.length ? (s.changed.length ? 'info' : 'error') : 'ok'}>
        <p>
          <strong>{parts.join(', ')}</strong>
          {s.failed.length ? ':' : '.'}
        </p>
        {s.failed.length ? (
          <ul class="bulk-failures">
            {s.failed.map((f) => (
              <li>
                <strong>{f.ref}</strong>
                {` — ${f.message}`}
              </li>
            ))}
          </ul>
        ) : null}
        {s.held ? <HeldReplies held={s.held} /> : null}
      </Alert>
    </div>
  );
}

/** Confirming a macro's reply held back from cases whose chat visitor only typed the address: it goes to those cases alone. */
function HeldReplies({ held }: { held: NonNullable<BulkSummary['held']> }) {
  return (
    <div id="bulk-held" class="stack">
      <input type="hidden" name="heldMacro" value={String(held.macroId)} />
      {held.refs.map((ref) => (
        <input type="hidden" name="heldCases" value={ref} />
      ))}
      <p class="hint">Whoever reads those addresses may not be the person who chatted.</p>
      <div>
        <Button variant="secondary" name="action" value="confirm-macro" id="bulk-confirm-macro">
          {`Apply “${held.macro}” to ${held.refs.length <= 3 ? held.refs.join(', ') : `these ${held.refs.length} cases`} anyway (e-mail the reply)`}
        </Button>
      </div>
    </div>
  );
}

/** The action bar of the bulk form: each action its own button (`action=…`). */
export function BulkBar(p: { tools: InboxTools; state?: FormState | undefined }) {
  const t = p.tools;
  const choose = (label: string, options: Option[]) => [{ value: '', label }, ...options];
  return (
    <fieldset class="bulk-bar" id="bulk-bar" aria-describedby="bulk-hint">
      <legend>
        With the selected cases <span id="bulk-count" class="bulk-count" aria-live="polite"></span>
      </legend>
      <p class="hint" id="bulk-hint">{`Tick cases in the list (at most ${BULK_MAX}), then choose what to do. Each case is changed on its own; the ones that cannot be are listed with why.`}</p>
      <div class="bulk-actions">
        <div class="bulk-action">
          <SelectField id="bulk-assignee" name="assignee" label="Assign to" state={p.state} options={choose('Choose…', [{ value: 'me', label: 'Me' }, { value: 'auto', label: 'Automatic assignment' }, ...t.assignees])} />
          <Button variant="secondary" name="action" value="assign" id="bulk-assign">
            Assign
          </Button>
        </div>
        <div class="bulk-action">
          <SelectField id="bulk-transition" name="transition" label="Set status" state={p.state} options={choose('Choose…', t.transitions)} />
          <Field id="bulk-text" name="text" label="Solution, reason or note (when asked)" maxlength={20000} state={p.state} />
          <Button variant="secondary" name="action" value="transition" id="bulk-set-status">
            Set status
          </Button>
        </div>
        <div class="bulk-action">
          <Field id="bulk-tag" name="tag" label="Add tag" maxlength={64} state={p.state} />
          <Button variant="secondary" name="action" value="tag" id="bulk-add-tag">
            Add tag
          </Button>
        </div>
        {t.macros.length ? (
          <div class="bulk-action">
            <SelectField id="bulk-macro" name="macro" label="Apply macro" state={p.state} options={choose('Choose…', t.macros)} />
            <Button variant="secondary" name="action" value="macro" id="bulk-apply-macro">
              Apply macro
            </Button>
          </div>
        ) : null}
      </div>
    </fieldset>
  );
}
