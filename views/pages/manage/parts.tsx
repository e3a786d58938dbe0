/**
 * The pieces every versioned definition page of the manager console shares (rulesets,
 * workflows, the SLA config): the page frame, the JSON editor with validation as you
 * type, problems with their JSON paths, the draft with its diff against the published
 * version, the publish form with its checks, and the history with rollback.
 */
import type { Child, PropsWithChildren } from 'hono/jsx';
import type { DefinitionKind } from '../../../src/db/schema/index.js';
import type { DiffLine } from '../../../src/definitions/diff.js';
import type { DefinitionProblem } from '../../../src/definitions/problems.js';
import type { DefinitionVersionRow } from '../../../src/definitions/registry.js';
import { assetUrl } from '../../../src/http/pages/assets.js';
import { Alert, Badge, Button, CsrfField, Field, FormError, Table, Time, type FormState } from '../../components.js';
import { Layout } from '../../layout.js';
import type { Viewer } from '../../viewer.js';
import type { ExampleRun } from '../../../src/rules/examples.js';
import { DiffView } from './diff-view.js';
import { ExampleResults } from './rule-examples.js';

export const KIND_LABEL: Record<DefinitionKind, string> = { ruleset: 'ruleset', workflow: 'workflow', sla: 'SLA configuration' };

export interface Notice {
  tone: 'ok' | 'info' | 'error';
  text: string;
  problems?: DefinitionProblem[];
}

export interface EditorState {
  text: string;
  note: string;
  /** null: not validated yet (nothing to show). */
  problems: DefinitionProblem[] | null;
  /** The version the text started from. */
  from: number | null;
}

export interface DefinitionView {
  kind: DefinitionKind;
  name: string;
  /** URL of the definition's page; the version routes hang below it. */
  base: string;
  published: DefinitionVersionRow | null;
  /** The newest draft saved after the published version, if any. */
  draft: DefinitionVersionRow | null;
  /** The draft against the published version. */
  diff: { against: number | null; lines: DiffLine[]; same: boolean } | null;
  /** Validation and publish checks of the draft, as they stand now. */
  checks: DefinitionProblem[];
  history: DefinitionVersionRow[];
  editor: EditorState;
  /** Problems of a publish that was refused; the note typed. */
  publish?: FormState & { problems?: DefinitionProblem[] };
  /** The draft's examples, run (rulesets). */
  examples?: ExampleRun | null;
  notice?: Notice | null;
}

/** The console's tables: wide, so their scrolling wrapper takes keyboard focus. */
export function ManageTable(p: PropsWithChildren<{ caption: string; head: Child[]; id?: string; captionHidden?: boolean }>) {
  return (
    <Table caption={p.caption} head={p.head} id={p.id} captionHidden={p.captionHidden} scrollLabel={p.caption}>
      {p.children}
    </Table>
  );
}

/** Every manager-console page: the layout, the console's stylesheet, the navigation entry; `scripts`: the builders' small script. */
export function ManagePage(p: PropsWithChildren<{ title: string; viewer: Viewer; csrfToken: string; current: string; scripts?: boolean }>) {
  return (
    <Layout title={p.title} viewer={p.viewer} csrfToken={p.csrfToken} current={`manage:${p.current}`}>
      <link rel="stylesheet" href={assetUrl('manage.css')} />
      {p.scripts ? <script src={assetUrl('manage.js')} defer></script> : null}
      <div class="manage">{p.children}</div>
    </Layout>
  );
}

export function NoticeAlert({ notice }: { notice: Notice | null | undefined }) {
  return notice ? (
    <Alert tone={notice.tone} id="notice">
      <p>{notice.text}</p>
      {notice.problems ? <ProblemList problems={notice.problems} /> : null}
    </Alert>
  ) : null;
}

/** "version 3 · published by Maria on 2 Mar 2026 09:00 UTC · note". */
export function VersionMeta({ row }: { row: DefinitionVersionRow }) {
  return (
    <p class="version-meta">
      <Badge tone={row.state === 'published' ? 'ok' : 'info'}>{`v${row.version} ${row.state}`}</Badge> by <strong>{row.author}</strong> on{' '}
      <Time at={row.publishedAt ?? row.createdAt} />
      {row.note ? <span class="version-note"> — {row.note}</span> : null}
    </p>
  );
}

function count(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** Problems with their JSON paths, errors first. An empty list says so. */
export function ProblemList({ problems, id, empty = 'No problems found.' }: { problems: DefinitionProblem[]; id?: string; empty?: string }) {
  if (problems.length === 0) {
    return (
      <p class="problems-ok" id={id}>
        {empty}
      </p>
    );
  }
  const errors = problems.filter((p) => p.severity === 'error');
  const warnings = problems.filter((p) => p.severity === 'warning');
  return (
    <div class="problems" id={id}>
      <p class="problems-summary">
        {[errors.length ? count(errors.length, 'error') : '', warnings.length ? count(warnings.length, 'warning') : ''].filter(Boolean).join(', ')}
      </p>
      <ul class="problem-list">
        {[...errors, ...warnings].map((p) => (
          <li class={`problem problem-${p.severity}`}>
            <Badge tone={p.severity === 'error' ? 'danger' : 'warning'}>{p.severity}</Badge> <code class="problem-path">{p.path}</code>{' '}
            <span class="problem-message">{p.message}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The JSON text area of the editor (also sent out of band when a builder changes the document). */
export function JsonTextarea(p: { text: string; base: string; invalid: boolean; oob?: boolean }) {
  return (
    <textarea
      id="definition-json"
      name="body"
      class="code-editor"
      rows={28}
      spellcheck={false}
      autocomplete="off"
      aria-describedby="definition-json-hint editor-problems"
      aria-invalid={p.invalid ? 'true' : undefined}
      hx-post={`${p.base}/validate`}
      hx-trigger="input changed delay:400ms"
      hx-target="#editor-problems"
      hx-swap="innerHTML"
      hx-swap-oob={p.oob ? 'true' : undefined}
    >
      {p.text}
    </textarea>
  );
}

/** The JSON editor: problems appear as you type (htmx), saving stores a draft; `actions` adds buttons beside Save. */
export function EditorForm(p: { view: DefinitionView; csrfToken: string; label: string; hint?: Child; actions?: Child }) {
  const { view } = p;
  const e = view.editor;
  const invalid = e.problems?.some((x) => x.severity === 'error') ?? false;
  return (
    <form id="editor-form" class="editor stack" method="post" action={`${view.base}/drafts`} hx-boost="true" hx-push-url="false">
      <CsrfField token={p.csrfToken} />
      {e.from !== null ? <input type="hidden" name="from" value={String(e.from)} /> : null}
      <div class={invalid ? 'field has-error' : 'field'}>
        <label for="definition-json">{p.label}</label>
        <p class="hint" id="definition-json-hint">
          {p.hint ?? 'Edit the JSON; problems are listed below as you type, each with its JSON path.'}
          {e.from !== null ? ` Started from version ${e.from}.` : ''}
        </p>
        <JsonTextarea text={e.text} base={view.base} invalid={invalid} />
      </div>
      <div id="editor-problems" class="editor-problems" aria-live="polite">
        {e.problems ? <ProblemList problems={e.problems} /> : <p class="muted">Problems will show here as you type.</p>}
      </div>
      <Field id="draft-note" name="note" label="Note for this draft (optional)" value={e.note} maxlength={2000} />
      <div class="button-row">
        <Button id="save-draft">Save draft</Button>
        {p.actions}
      </div>
    </form>
  );
}

/** Publishing the draft: its checks (errors block, warnings inform), a note, the button. */
export function PublishForm(p: { view: DefinitionView; draft: DefinitionVersionRow; csrfToken: string }) {
  const { view, draft } = p;
  const problems = view.publish?.problems ?? view.checks;
  const blocked = problems.some((x) => x.severity === 'error');
  return (
    <form id="publish-form" class="stack" method="post" action={`${view.base}/publish`} hx-boost="true" hx-push-url="false">
      <CsrfField token={p.csrfToken} />
      <input type="hidden" name="draft" value={String(draft.version)} />
      <input type="hidden" name="inForce" value={String(view.published?.version ?? 0)} />
      <h3>{`Publish draft v${draft.version}`}</h3>
      <FormError state={view.publish} />
      <div id="publish-checks">
        <ProblemList problems={problems} empty="Checks passed: no errors, no warnings." />
      </div>
      {blocked ? <p class="muted">Fix the errors in a new draft before publishing.</p> : null}
      {view.examples && view.examples.results.length > 0 ? <ExampleResults run={view.examples} id="publish-examples" /> : null}
      <Field id="publish-note" name="note" label="Note (why this change)" required maxlength={2000} state={view.publish} />
      {view.examples && view.examples.failed > 0 ? <OverrideFields state={view.publish} idPrefix="publish" /> : null}
      <Button id="publish-button" attrs={blocked ? { disabled: 'disabled' } : undefined}>{`Publish v${draft.version}`}</Button>
    </form>
  );
}

/** Publishing over failing examples: an explicit choice and why, recorded with the version. */
export function OverrideFields({ state, idPrefix }: { state?: FormState | undefined; idPrefix: string }) {
  const checked = state?.values?.overrideExamples === 'on';
  return (
    <fieldset class="override-examples field">
      <legend>Failing examples</legend>
      <p class="hint">Publishing is refused while an example fails. Change the rules or the example in a new draft — or publish anyway and say why; the reason is recorded with the version.</p>
      <label class="check" for={`${idPrefix}-override`}>
        <input type="checkbox" id={`${idPrefix}-override`} name="overrideExamples" value="on" checked={checked} />
        Publish even though examples fail
      </label>
      <Field id={`${idPrefix}-override-note`} name="overrideNote" label="Why publish with failing examples (recorded)" maxlength={2000} state={state} value={state?.values?.overrideNote ?? ''} />
    </fieldset>
  );
}

/** The draft waiting to be published: who saved it, what changed, the publish form; `children` in between (dry-run). */
export function DraftPanel(p: PropsWithChildren<{ view: DefinitionView; csrfToken: string }>) {
  const { view } = p;
  const draft = view.draft;
  if (!draft) {
    return (
      <section class="panel" id="draft" aria-labelledby="draft-heading">
        <h2 id="draft-heading">Draft</h2>
        <p class="muted">No draft. Edit the JSON below and save a draft to compare and publish it.</p>
      </section>
    );
  }
  return (
    <section class="panel" id="draft" aria-labelledby="draft-heading">
      <h2 id="draft-heading">{`Draft v${draft.version}`}</h2>
      <VersionMeta row={draft} />
      <h3>{view.diff?.against ? `Changes against the published v${view.diff.against}` : 'Changes'}</h3>
      {view.diff && view.diff.same ? (
        <p class="muted">The draft is the same as the published version.</p>
      ) : view.diff ? (
        <DiffView lines={view.diff.lines} caption={`Draft v${draft.version} against published v${view.diff.against ?? '—'}`} id="draft-diff" />
      ) : null}
      {p.children}
      <PublishForm view={view} draft={draft} csrfToken={p.csrfToken} />
    </section>
  );
}

/** Every version, newest first; earlier published versions can be rolled back to. */
export function HistoryTable(p: { view: DefinitionView; csrfToken: string }) {
  const { view } = p;
  const current = view.published?.version ?? null;
  return (
    <section class="panel" id="history" aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      <ManageTable caption={`Versions of the ${KIND_LABEL[view.kind]} ${view.name}, newest first`} captionHidden head={['Version', 'State', 'Who', 'When', 'Note', 'Based on', 'Actions']}>
        {view.history.map((row) => (
          <tr id={`version-${row.version}`}>
            <td>
              <a href={`${view.base}/versions/${row.version}`}>{`v${row.version}`}</a>
            </td>
            <td>
              {row.version === current ? (
                <Badge tone="ok">in force</Badge>
              ) : (
                <Badge tone={row.state === 'published' ? 'muted' : 'info'}>{row.state}</Badge>
              )}
            </td>
            <td>{row.author}</td>
            <td>
              <Time at={row.publishedAt ?? row.createdAt} />
            </td>
            <td class="cell-note">
              {row.note}
              {row.examplesOverride ? (
                <p class="override-record">
                  <Badge tone="warning">examples overridden</Badge>
                  {` ${row.examplesOverride.note} (failing: ${row.examplesOverride.failed.map((f) => f.name).join(', ')})`}
                </p>
              ) : null}
            </td>
            <td>{row.basedOn ? `v${row.basedOn}` : '—'}</td>
            <td>{row.state === 'published' && row.version !== current ? <RollbackForm view={view} row={row} csrfToken={p.csrfToken} /> : null}</td>
          </tr>
        ))}
      </ManageTable>
    </section>
  );
}

export function RollbackForm(p: { view: DefinitionView; row: DefinitionVersionRow; csrfToken: string }) {
  const v = p.row.version;
  return (
    <details class="disclosure">
      <summary class="button button-secondary">{`Roll back to v${v}…`}</summary>
      <form id={`rollback-${v}`} method="post" action={`${p.view.base}/rollback`} class="stack" hx-boost="true" hx-push-url="false">
        <CsrfField token={p.csrfToken} />
        <input type="hidden" name="version" value={String(v)} />
        <input type="hidden" name="inForce" value={String(p.view.published?.version ?? 0)} />
        <p>{`Publishes a copy of v${v} as a new version. Cases already routed keep their version.`}</p>
        <Field id={`rollback-note-${v}`} name="note" label="Note (why)" maxlength={2000} />
        {p.view.kind === 'ruleset' ? (
          <label class="check" for={`rollback-override-${v}`}>
            <input type="checkbox" id={`rollback-override-${v}`} name="overrideExamples" value="on" />
            Even if its examples fail (the note is recorded as the reason)
          </label>
        ) : null}
        <Button variant="danger">{`Roll back to v${v}`}</Button>
      </form>
    </details>
  );
}

/** The published version line under a page title. */
export function InForce({ view }: { view: DefinitionView }) {
  return view.published ? (
    <div class="in-force">
      <h2 class="visually-hidden">In force</h2>
      <VersionMeta row={view.published} />
    </div>
  ) : (
    <p class="muted">Nothing published yet.</p>
  );
}
