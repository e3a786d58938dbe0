/**
 * `/manage/templates`: the mail templates — the list (default or customized, by whom), and
 * one template version's page: the editor with the variables it may use, a live preview
 * (htmx as you type; the Preview button without JavaScript), reset to the default, history.
 */
import { VariableList } from '../../partials/template-variables.js';
import type { TemplateChange, TemplateState } from '../../../src/notifications/template-store.js';
import type { TemplatePreview } from '../../../src/notifications/preview-template.js';
import type { FieldIssue } from '../../../src/errors.js';
import { Alert, Badge, Button, CsrfField, Field, FormError, PageHeader, Time, type FormState } from '../../components.js';
import type { Viewer } from '../../viewer.js';
import { ManagePage, ManageTable } from './parts.js';

export const TEMPLATES = '/manage/templates';

export function templateHref(s: Pick<TemplateState, 'audience'> & { spec: { name: string } }): string {
  return `${TEMPLATES}/${s.spec.name}/${s.audience}`;
}

const AUDIENCE_LABEL = { customer: 'Customer version', staff: 'Staff version' } as const;

function Wording({ state }: { state: TemplateState }) {
  return state.override ? (
    <>
      <Badge tone="info">customized</Badge> by {state.override.updatedBy}, <Time at={state.override.updatedAt} />
    </>
  ) : (
    <Badge tone="muted">default</Badge>
  );
}

export function TemplatesPage(p: { viewer: Viewer; csrfToken: string; states: TemplateState[] }) {
  const names = [...new Set(p.states.map((s) => s.spec.name))];
  return (
    <ManagePage title="Mail templates" viewer={p.viewer} csrfToken={p.csrfToken} current={TEMPLATES}>
      <PageHeader eyebrow="Manage" title="Mail templates" />
      <p class="lead">
        What Casebook mails, in a customer version (only what the customer may see of a case) and a staff version. Each starts with the built-in wording; yours replaces it until you reset
        it. Mails are sent through the outbox (retried, logged on the case).
      </p>
      <ManageTable caption="Mail templates" captionHidden head={['Template', 'When', 'Customer version', 'Staff version']} id="templates-table">
        {names.map((name) => {
          const versions = p.states.filter((s) => s.spec.name === name);
          const spec = versions[0]!.spec;
          const cell = (audience: 'customer' | 'staff') => {
            const s = versions.find((v) => v.audience === audience);
            return s ? (
              <td>
                <a href={templateHref(s)} id={`edit-${name}-${audience}`}>{`Edit ${audience} version`}</a> <Wording state={s} />
              </td>
            ) : (
              <td class="muted">—</td>
            );
          };
          return (
            <tr id={`template-${name}`}>
              <td class="cell-subject">
                <strong>{spec.title}</strong> <code>{name}</code>
              </td>
              <td class="cell-note">{spec.when}</td>
              {cell('customer')}
              {cell('staff')}
            </tr>
          );
        })}
      </ManageTable>
    </ManagePage>
  );
}

/** The preview of the wording as it stands, or the problems that keep it from rendering. */
export function PreviewPanel(p: { preview: TemplatePreview | null; problems?: FieldIssue[] | undefined }) {
  const problems = p.problems ?? [];
  return (
    <section class="panel" id="template-preview" aria-labelledby="template-preview-heading" aria-live="polite">
      <h2 id="template-preview-heading">Preview</h2>
      {problems.length > 0 ? (
        <div class="problems">
          <p class="problems-summary">Fix these to see the preview:</p>
          <ul class="problem-list">
            {problems.map((problem) => (
              <li class="problem problem-error">
                <code class="problem-path">{problem.path}</code> <span class="problem-message">{problem.message}</span>
              </li>
            ))}
          </ul>
        </div>
      ) : p.preview ? (
        <>
          <p class="muted">{p.preview.case ? `Filled in with case ${p.preview.case}. Rating links in previews are examples that do nothing.` : 'Filled in with a sample case. Rating links in previews are examples that do nothing.'}</p>
          <p>
            <strong>Subject:</strong> <span id="preview-subject">{p.preview.subject}</span>
          </p>
          <pre class="code-block mail-text" id="preview-text">
            {p.preview.text}
          </pre>
          <details class="disclosure">
            <summary class="button button-secondary">HTML part (derived from the text, escaped)</summary>
            <pre class="code-block" id="preview-html">
              {p.preview.html}
            </pre>
          </details>
        </>
      ) : (
        <p class="muted">The preview shows here.</p>
      )}
    </section>
  );
}

export function TemplateForm(p: { state: TemplateState; csrfToken: string; form: FormState; seen: number }) {
  const base = templateHref(p.state);
  const live = { 'hx-post': `${base}/preview`, 'hx-trigger': 'input changed delay:400ms', 'hx-target': '#template-preview', 'hx-swap': 'outerHTML' };
  return (
    <form id="template-form" class="panel stack" method="post" action={base}>
      <CsrfField token={p.csrfToken} />
      <input type="hidden" name="seen" value={String(p.seen)} />
      <FormError state={p.form} />
      <Field id="template-subject" name="subject" label="Subject" required maxlength={200} state={p.form} value={p.state.source.subject} attrs={live} hint="The case reference ([C-1042]) is added when the subject lacks it." />
      <Field id="template-body" name="body" label="Text" required rows={16} maxlength={10000} state={p.form} value={p.state.source.body} attrs={{ ...live, class: 'code-editor', spellcheck: false }} />
      <Field
        id="template-case"
        name="case"
        label="Preview with case (optional)"
        hint="A case reference such as C-1042; empty: a sample case."
        maxlength={40}
        state={p.form}
        attrs={live}
      />
      <div class="button-row">
        <Button id="template-save">Save</Button>
        <Button variant="secondary" id="template-preview-button" attrs={{ formaction: `${base}/preview` }}>
          Preview
        </Button>
      </div>
    </form>
  );
}

function Variables({ state }: { state: TemplateState }) {
  return (
    <section class="panel" aria-labelledby="variables-heading" id="template-variables">
      <h2 id="variables-heading">Variables</h2>
      <p class="muted">
        {state.audience === 'customer'
          ? 'Customer versions show only what the customer may see: the queue, the priority and reasons are refused.'
          : 'Use these in the subject or the text.'}
      </p>
      <VariableList variables={state.variables} />
    </section>
  );
}

function History({ history }: { history: TemplateChange[] }) {
  return (
    <section class="panel" aria-labelledby="template-history-heading" id="template-history">
      <h2 id="template-history-heading">History</h2>
      {history.length === 0 ? (
        <p class="muted">Never changed: the built-in wording is in force.</p>
      ) : (
        <ManageTable caption="Changes, newest first" captionHidden head={['When', 'Who', 'Change', 'Wording']}>
          {history.map((h) => (
            <tr>
              <td>
                <Time at={h.at} />
              </td>
              <td>{h.actor}</td>
              <td>{h.action === 'saved' ? 'saved' : 'reset to the default'}</td>
              <td class="cell-note">
                {h.subject !== null ? (
                  <details>
                    <summary>{h.subject}</summary>
                    <pre class="code-block">{h.body}</pre>
                  </details>
                ) : (
                  '—'
                )}
              </td>
            </tr>
          ))}
        </ManageTable>
      )}
    </section>
  );
}

export interface TemplatePageProps {
  viewer: Viewer;
  csrfToken: string;
  state: TemplateState;
  form: FormState;
  preview: TemplatePreview | null;
  /** Problems of the wording shown (refused save or preview). */
  problems: FieldIssue[];
  history: TemplateChange[];
  notice: string | null;
}

export function TemplatePage(p: TemplatePageProps) {
  const s = p.state;
  return (
    <ManagePage title={`${s.spec.title}: ${AUDIENCE_LABEL[s.audience].toLowerCase()}`} viewer={p.viewer} csrfToken={p.csrfToken} current={TEMPLATES}>
      <PageHeader eyebrow={<a href={TEMPLATES}>Mail templates</a>} title={`${s.spec.title} — ${AUDIENCE_LABEL[s.audience].toLowerCase()}`} actions={<Wording state={s} />} />
      <p class="lead">
        <code>{s.spec.name}</code> · {s.spec.when}
      </p>
      {p.notice ? (
        <Alert tone="ok" id="notice">
          <p>{p.notice}</p>
        </Alert>
      ) : null}
      <div class="template-split">
        <div>
          <TemplateForm state={s} csrfToken={p.csrfToken} form={p.form} seen={p.history[0]?.id ?? 0} />
          {s.override ? (
            <section class="panel danger-zone" aria-labelledby="reset-heading">
              <h2 id="reset-heading">Reset to the default</h2>
              <details>
                <summary>The built-in wording</summary>
                <p>
                  <strong>Subject:</strong> {s.default.subject}
                </p>
                <pre class="code-block">{s.default.body}</pre>
              </details>
              <form method="post" action={`${templateHref(s)}/reset`} id="template-reset-form" class="stack">
                <CsrfField token={p.csrfToken} />
                <p>Mails use the built-in wording again. Your wording stays in the history.</p>
                <Button variant="danger" id="template-reset">
                  Reset to the default
                </Button>
              </form>
            </section>
          ) : null}
        </div>
        <div>
          <PreviewPanel preview={p.preview} problems={p.problems} />
          <Variables state={s} />
        </div>
      </div>
      <History history={p.history} />
    </ManagePage>
  );
}
