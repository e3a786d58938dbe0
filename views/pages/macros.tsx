/**
 * `/macros`: the macros a staff member may use — their own and the team's shared ones — with
 * what each changes and how often it was used; one macro's editor with the variables it may
 * use and a live preview (htmx as you type, the Preview button without JavaScript). Shared
 * macros are edited by managers; agents see them read-only.
 */
import { VariableList } from '../partials/template-variables.js';
import type { FieldIssue } from '../../src/errors.js';
import { assetUrl } from '../../src/http/pages/assets.js';
import type { VariableSpec } from '../../src/notifications/template-catalog.js';
import { Alert, Badge, Button, CsrfField, EmptyState, Field, FormError, PageHeader, SelectField, Table, Time, type FormState, type Option } from '../components.js';
import { Layout } from '../layout.js';
import type { Viewer } from '../viewer.js';

export const MACROS = '/macros';

export interface MacroListItem {
  id: number;
  name: string;
  shared: boolean;
  /** The first line of the reply. */
  excerpt: string;
  planned: string[];
  usageCount: number;
  lastUsedAt: number | null;
  updatedBy: string;
  updatedAt: number;
  editable: boolean;
}

function MacroTable(p: { items: MacroListItem[]; caption: string; id: string }) {
  return (
    <Table caption={p.caption} captionHidden stack id={p.id} head={['Macro', 'Reply', 'Also changes', 'Used', 'Last changed']}>
      {p.items.map((m) => (
        <tr id={`macro-${m.id}`}>
          <td class="cell-subject" data-label="Macro">
            <a href={`${MACROS}/${m.id}`}>{m.name}</a>
          </td>
          <td class="cell-subject" data-label="Reply">
            {m.excerpt || <span class="muted">no reply</span>}
          </td>
          <td data-label="Also changes">{m.planned.length ? <ul class="plain-list">{m.planned.map((x) => <li>{x}</li>)}</ul> : <span class="muted">nothing</span>}</td>
          <td data-label="Used">
            {m.usageCount === 1 ? '1 time' : `${m.usageCount} times`}
            {m.lastUsedAt ? (
              <>
                <br />
                <span class="muted">
                  last <Time at={m.lastUsedAt} />
                </span>
              </>
            ) : null}
          </td>
          <td data-label="Last changed">
            {m.updatedBy}, <Time at={m.updatedAt} />
          </td>
        </tr>
      ))}
    </Table>
  );
}

export function MacrosPage(p: { viewer: Viewer; csrfToken: string; items: MacroListItem[]; manager: boolean; notice: string | null }) {
  const own = p.items.filter((m) => !m.shared);
  const shared = p.items.filter((m) => m.shared);
  return (
    <MacroLayout title="Macros" viewer={p.viewer} csrfToken={p.csrfToken}>
      <PageHeader eyebrow="Workspace" title="Macros" actions={<a class="button button-primary" href={`${MACROS}/new`} id="new-macro">New macro</a>} />
      <p class="lead">
        Saved replies with variables, which may also set the status, priority, tags and assignee in one step. Use them from the reply box of a case (type <kbd>#</kbd>) or on
        many cases at once from the inbox.
      </p>
      {p.notice ? (
        <Alert tone="ok" id="notice">
          <p>{p.notice}</p>
        </Alert>
      ) : null}
      <section aria-labelledby="own-macros-heading" class="macro-section">
        <h2 id="own-macros-heading">Yours</h2>
        {own.length ? <MacroTable items={own} caption="Your macros" id="own-macros" /> : <EmptyState>You have no macros of your own yet.</EmptyState>}
      </section>
      <section aria-labelledby="shared-macros-heading" class="macro-section">
        <h2 id="shared-macros-heading">Shared with the team</h2>
        <p class="muted">{p.manager ? 'You manage these: tick “Share with the team” when you write one.' : 'Managers keep these; you can use them and copy their wording into your own.'}</p>
        {shared.length ? <MacroTable items={shared} caption="Shared macros" id="shared-macros" /> : <EmptyState>No shared macros yet.</EmptyState>}
      </section>
    </MacroLayout>
  );
}

function MacroLayout(p: { title: string; viewer: Viewer; csrfToken: string; children: unknown }) {
  return (
    <Layout title={p.title} viewer={p.viewer} csrfToken={p.csrfToken} current="macros">
      <link rel="stylesheet" href={assetUrl('manage.css')} />
      <div class="manage">{p.children as never}</div>
    </Layout>
  );
}

export interface MacroFormOptions {
  transitions: Option[];
  assignees: Option[];
  variables: readonly VariableSpec[];
}

export interface MacroPreviewView {
  text: string;
  planned: string[];
}

/** The reply filled in with a sample case, and what the macro changes; or the problems that keep it from saving. */
export function MacroPreviewPanel(p: { preview: MacroPreviewView | null; problems: FieldIssue[] }) {
  return (
    <section class="panel" id="macro-preview" aria-labelledby="macro-preview-heading" aria-live="polite">
      <h2 id="macro-preview-heading">Preview</h2>
      {p.problems.length > 0 ? (
        <div class="problems">
          <p class="problems-summary">Fix these to save the macro:</p>
          <ul class="problem-list">
            {p.problems.map((problem) => (
              <li class="problem problem-error">
                <code class="problem-path">{problem.path}</code> <span class="problem-message">{problem.message}</span>
              </li>
            ))}
          </ul>
        </div>
      ) : p.preview ? (
        <>
          <p class="muted">Filled in with a sample case (C-1042, Chloe Martin). On a case, the preview uses that case.</p>
          {p.preview.text ? (
            <pre class="code-block mail-text" id="macro-preview-text">
              {p.preview.text}
            </pre>
          ) : (
            <p id="macro-preview-text">No reply: the macro only changes the case.</p>
          )}
          <h3>Also changes</h3>
          {p.preview.planned.length ? (
            <ul class="plain-list" id="macro-preview-changes">
              {p.preview.planned.map((x) => (
                <li>{x}</li>
              ))}
            </ul>
          ) : (
            <p class="muted" id="macro-preview-changes">Nothing: it only replies.</p>
          )}
        </>
      ) : (
        <p class="muted">The preview shows here.</p>
      )}
    </section>
  );
}

const PRIORITY_OPTIONS: Option[] = [
  { value: '', label: 'Leave as it is' },
  { value: 'urgent', label: 'Urgent' },
  { value: 'high', label: 'High' },
  { value: 'normal', label: 'Normal' },
  { value: 'low', label: 'Low' },
];

/** `macro`: the macro being edited (its id goes along, so the Preview button knows it); null for a new one. */
export function MacroForm(p: { csrfToken: string; form: FormState; options: MacroFormOptions; canShare: boolean; readOnly: boolean; macro: { id: number; version: number } | null }) {
  const action = p.macro ? `${MACROS}/${p.macro.id}` : MACROS;
  const typed = { 'hx-post': `${MACROS}/preview`, 'hx-trigger': 'input changed delay:400ms', 'hx-target': '#macro-preview', 'hx-swap': 'outerHTML' };
  const chosen = { ...typed, 'hx-trigger': 'change' };
  const disabled = p.readOnly ? { disabled: true } : {};
  return (
    <form id="macro-form" class="panel stack" method="post" action={action}>
      <CsrfField token={p.csrfToken} />
      {p.macro ? (
        <>
          <input type="hidden" name="macroId" value={String(p.macro.id)} />
          <input type="hidden" name="version" value={String(p.macro.version)} />
        </>
      ) : null}
      <FormError state={p.form} />
      <fieldset class="field stack" {...disabled}>
        <legend class="visually-hidden">The macro</legend>
        <Field id="macro-name" name="name" label="Name" required maxlength={100} state={p.form} hint="What you type after # to find it." />
        <Field id="macro-body" name="body" label="Reply" rows={10} maxlength={10000} state={p.form} attrs={{ ...typed, class: 'code-editor', spellcheck: false }} hint="Variables in double braces, e.g. {{customer.firstName}}. Leave empty for a macro that only changes the case." />
        <h3>When applied, also</h3>
        <SelectField id="macro-transition" name="transition" label="Status" state={p.form} attrs={chosen} options={[{ value: '', label: 'Leave as it is' }, ...p.options.transitions]} />
        <SelectField id="macro-priority" name="priority" label="Priority" state={p.form} attrs={chosen} options={PRIORITY_OPTIONS} />
        <Field id="macro-tags-add" name="tagsAdd" label="Add tags" maxlength={500} state={p.form} attrs={typed} hint="Separated by commas." />
        <Field id="macro-tags-remove" name="tagsRemove" label="Remove tags" maxlength={500} state={p.form} attrs={typed} />
        <SelectField
          id="macro-assignee"
          name="assignee"
          label="Assignee"
          state={p.form}
          attrs={chosen}
          options={[{ value: '', label: 'Leave as it is' }, { value: 'me', label: 'Whoever applies it' }, { value: 'unassign', label: 'Back to automatic assignment' }, ...p.options.assignees]}
        />
        {p.canShare ? (
          <div class="field">
            <label for="macro-shared">
              <input type="checkbox" id="macro-shared" name="shared" value="on" checked={p.form.values?.shared === 'on'} />
              {' Share with the team (everyone can use it; managers change it)'}
            </label>
          </div>
        ) : null}
      </fieldset>
      {p.readOnly ? (
        <p class="muted">A shared macro: managers change it. You can use it on any case you work.</p>
      ) : (
        <div class="button-row">
          <Button id="macro-save">Save</Button>
          <Button variant="secondary" id="macro-preview-button" attrs={{ formaction: `${MACROS}/preview`, formnovalidate: 'formnovalidate' }}>
            Preview
          </Button>
        </div>
      )}
    </form>
  );
}

function Variables({ variables }: { variables: readonly VariableSpec[] }) {
  return (
    <section class="panel" aria-labelledby="macro-variables-heading" id="macro-variables">
      <h2 id="macro-variables-heading">Variables</h2>
      <p class="muted">The reply goes to the customer: it may name only what the customer sees of the case, and you.</p>
      <VariableList variables={variables} />
    </section>
  );
}

export interface MacroPageProps {
  viewer: Viewer;
  csrfToken: string;
  /** null: a new macro. */
  macro: { id: number; name: string; shared: boolean; version: number; usageCount: number; createdBy: string; editable: boolean } | null;
  form: FormState;
  options: MacroFormOptions;
  canShare: boolean;
  preview: MacroPreviewView | null;
  problems: FieldIssue[];
  notice: string | null;
}

export function MacroPage(p: MacroPageProps) {
  const m = p.macro;
  const title = m ? m.name : 'New macro';
  const readOnly = m !== null && !m.editable;
  return (
    <MacroLayout title={title} viewer={p.viewer} csrfToken={p.csrfToken}>
      <PageHeader eyebrow={<a href={MACROS}>Macros</a>} title={title} actions={m ? <Badge tone={m.shared ? 'info' : 'muted'}>{m.shared ? 'shared' : 'yours'}</Badge> : undefined} />
      {m ? <p class="lead">{`Written by ${m.createdBy}; used ${m.usageCount === 1 ? 'once' : `${m.usageCount} times`}.`}</p> : null}
      {p.notice ? (
        <Alert tone="ok" id="notice">
          <p>{p.notice}</p>
        </Alert>
      ) : null}
      <div class="template-split">
        <div>
          <MacroForm csrfToken={p.csrfToken} form={p.form} options={p.options} canShare={m === null && p.canShare} readOnly={readOnly} macro={m ? { id: m.id, version: m.version } : null} />
          {m && !readOnly ? (
            <section class="panel danger-zone" aria-labelledby="macro-delete-heading">
              <h2 id="macro-delete-heading">Delete</h2>
              <form method="post" action={`${MACROS}/${m.id}/delete`} id="macro-delete-form" class="stack">
                <CsrfField token={p.csrfToken} />
                <p>{m.shared ? 'Nobody on the team can use it any more.' : 'You cannot use it any more.'} Cases it was applied to keep their history.</p>
                <Button variant="danger" id="macro-delete">
                  Delete this macro
                </Button>
              </form>
            </section>
          ) : null}
        </div>
        <div>
          <MacroPreviewPanel preview={p.preview} problems={p.problems} />
          <Variables variables={p.options.variables} />
        </div>
      </div>
    </MacroLayout>
  );
}
