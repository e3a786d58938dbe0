/**
 * Rules in the manager console: the list of rulesets (and rules as code: export/import),
 * a ruleset's page (each rule as a sentence beside its JSON, the editor, the draft with its
 * diff, dry-run and publish form, the history), and the dry-run's progress and results.
 */
import { canonicalJson } from '../../../src/definitions/diff.js';
import type { FileChange } from '../../../src/definitions/export-import.js';
import type { DryRunJob } from '../../../src/rules/dry-run-jobs.js';
import type { DryRunChange, OutcomeField } from '../../../src/rules/dry-run.js';
import type { RulesetDefinition } from '../../../src/rules/definition.js';
import { describeRule } from '../../../src/rules/describe.js';
import { Badge, Button, CsrfField, EmptyState, Field, PageHeader, SelectField, Time, type Option } from '../../components.js';
import type { Viewer } from '../../viewer.js';
import { DraftPanel, EditorForm, HistoryTable, InForce, ManagePage, ManageTable, NoticeAlert, type DefinitionView, type Notice } from './parts.js';

export const RULES_NAV = '/manage/rules';

export interface RulesetSummary {
  name: string;
  description: string;
  rules: number;
  published: { version: number; author: string; at: number; note: string } | null;
  draft: number | null;
}

export interface ExportImportResult {
  action: 'export' | 'import';
  changes: FileChange[];
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

/** Rules as code: write the published definitions to the folders, or publish what the folders hold. */
export function RulesAsCode(p: { csrfToken: string; folders: { rulesDir: string; workflowsDir: string }; result?: ExportImportResult | null }) {
  return (
    <section class="panel" id="rules-as-code" aria-labelledby="rules-as-code-heading">
      <h2 id="rules-as-code-heading">Rules as code</h2>
      <p>
        Export writes every published ruleset, workflow and the SLA configuration to <code>{p.folders.rulesDir}</code> and <code>{p.folders.workflowsDir}</code> (the same as{' '}
        <code>npm run rules:export</code>), so changes can be reviewed in git. Import publishes each file that differs from the version in force (<code>npm run rules:import</code>);
        export then import changes nothing.
      </p>
      <div class="button-row">
        <form method="post" action="/manage/rules/export" class="inline-form" hx-boost="true" hx-push-url="false">
          <CsrfField token={p.csrfToken} />
          <Button variant="secondary" id="export-button">
            Export to files
          </Button>
        </form>
        <form method="post" action="/manage/rules/import" class="inline-form" hx-boost="true" hx-push-url="false">
          <CsrfField token={p.csrfToken} />
          <Button variant="secondary" id="import-button">
            Import from files
          </Button>
        </form>
      </div>
      {p.result ? (
        <ManageTable
          id="files-result"
          caption={p.result.action === 'export' ? 'Exported files' : 'Imported files'}
          head={['Definition', 'File', p.result.action === 'export' ? 'File' : 'Version']}
        >
          {p.result.changes.map((c) => (
            <tr>
              <td>{`${c.kind} ${c.name}`}</td>
              <td>
                <code>{c.file}</code>
              </td>
              <td>
                {p.result!.action === 'export' ? (
                  c.changed ? <Badge tone="info">{`written (v${c.version})`}</Badge> : <Badge tone="muted">{`unchanged (v${c.version})`}</Badge>
                ) : c.changed ? (
                  <Badge tone="info">{`published v${c.version}`}</Badge>
                ) : (
                  <Badge tone="muted">{`unchanged (v${c.version})`}</Badge>
                )}
              </td>
            </tr>
          ))}
        </ManageTable>
      ) : null}
    </section>
  );
}

export function RulesListPage(p: {
  viewer: Viewer;
  csrfToken: string;
  rulesets: RulesetSummary[];
  folders: { rulesDir: string; workflowsDir: string };
  result?: ExportImportResult | null;
  notice?: Notice | null;
}) {
  return (
    <ManagePage title="Rules" viewer={p.viewer} csrfToken={p.csrfToken} current={RULES_NAV}>
      <PageHeader eyebrow="Manage" title="Rules" />
      <NoticeAlert notice={p.notice} />
      {p.rulesets.length === 0 ? (
        <EmptyState>No rulesets yet.</EmptyState>
      ) : (
        <ManageTable caption="Rulesets and the version in force" captionHidden head={['Ruleset', 'Description', 'Rules', 'In force', 'Published by', 'Published', 'Draft']}>
          {p.rulesets.map((r) => (
            <tr>
              <td>
                <a href={`/manage/rules/${encodeURIComponent(r.name)}`}>{r.name}</a>
              </td>
              <td>{r.description}</td>
              <td>{r.rules}</td>
              <td>{r.published ? `v${r.published.version}` : '—'}</td>
              <td>{r.published?.author ?? '—'}</td>
              <td>
                <Time at={r.published?.at} />
              </td>
              <td>{r.draft ? <Badge tone="info">{`draft v${r.draft}`}</Badge> : '—'}</td>
            </tr>
          ))}
        </ManageTable>
      )}
      <RulesAsCode csrfToken={p.csrfToken} folders={p.folders} result={p.result ?? null} />
    </ManagePage>
  );
}

/** Each rule as a sentence beside its JSON. */
export function RuleList({ definition, idPrefix = 'rule' }: { definition: RulesetDefinition; idPrefix?: string }) {
  if (definition.rules.length === 0) return <EmptyState>No rules.</EmptyState>;
  return (
    <ol class="rule-list">
      {definition.rules.map((rule, i) => (
        <li class="rule" id={`${idPrefix}-${i}`}>
          <div class="rule-text">
            <h3>{rule.name ?? `Rule ${i + 1}`}</h3>
            <p class="rule-sentence">{describeRule(rule)}</p>
            <p class="muted rule-meta">{`rules[${i}] · priority ${rule.priority ?? 1}`}</p>
          </div>
          <pre class="code-block rule-json" tabindex={0}>
            {canonicalJson(rule)}
          </pre>
        </li>
      ))}
    </ol>
  );
}

const MAX_COUNT = 200_000;

export function DryRunForm(p: { base: string; draft: number; csrfToken: string; queues: Option[]; values?: Record<string, string>; error?: string }) {
  const v = p.values ?? {};
  const scope = v.scope ?? 'last';
  return (
    <form
      id="dry-run-form"
      class="dry-run-form stack"
      method="post"
      action={`${p.base}/dry-runs`}
      hx-post={`${p.base}/dry-runs`}
      hx-target="#dry-run-area"
      hx-swap="innerHTML"
    >
      <CsrfField token={p.csrfToken} />
      <input type="hidden" name="draft" value={String(p.draft)} />
      <h3>{`Dry-run draft v${p.draft} against past cases`}</h3>
      <p class="hint">Replays the draft and the version in force over past cases and lists every case whose queue, priority, tier, SLA policy or tags would change. Nothing is written.</p>
      {p.error ? (
        <p class="alert alert-error" role="alert">
          {p.error}
        </p>
      ) : null}
      <fieldset class="field radios">
        <legend>Which cases</legend>
        <label class="radio" for="scope-last">
          <input type="radio" id="scope-last" name="scope" value="last" checked={scope === 'last'} />
          The most recent cases
        </label>
        <label class="radio" for="scope-range">
          <input type="radio" id="scope-range" name="scope" value="range" checked={scope === 'range'} />
          Cases created between two dates (UTC)
        </label>
        <label class="radio" for="scope-queue">
          <input type="radio" id="scope-queue" name="scope" value="queue" checked={scope === 'queue'} />
          The most recent cases of one queue
        </label>
      </fieldset>
      <div class="form-row">
        <Field id="dry-run-count" name="count" type="number" label="How many (most recent)" value={v.count ?? '1000'} attrs={{ min: 1, max: MAX_COUNT }} />
        <SelectField id="dry-run-queue" name="queue" label="Queue" options={p.queues} value={v.queue ?? p.queues[0]?.value ?? ''} />
        <Field id="dry-run-from" name="from" type="date" label="From (UTC)" value={v.from ?? ''} />
        <Field id="dry-run-to" name="to" type="date" label="To, inclusive (UTC)" value={v.to ?? ''} />
      </div>
      <Button id="dry-run-button">Run the dry-run</Button>
    </form>
  );
}

const FIELD_LABEL: Record<OutcomeField, string> = { queue: 'Queue', priority: 'Priority', tier: 'Tier', slaPolicy: 'SLA policy', tags: 'Tags' };

function showValue(value: unknown): string {
  if (Array.isArray(value)) return value.length ? value.join(', ') : '(none)';
  return String(value);
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

function ChangeRow({ change }: { change: DryRunChange }) {
  return (
    <tr>
      <td class="cell-ref">
        <a href={`/cases/${change.caseId}`}>{change.caseId}</a>
      </td>
      <td class="cell-subject">{change.subject}</td>
      <td>
        <Time at={change.createdAt} />
      </td>
      <td>
        <ul class="plain-list change-list">
          {change.fields.map((f) => (
            <li>
              <strong>{FIELD_LABEL[f]}</strong>: <span class="before">{showValue(change.before[f])}</span> → <span class="after">{showValue(change.after[f])}</span>
            </li>
          ))}
        </ul>
      </td>
      <td>
        <ul class="plain-list">
          {change.rules.map((r) => (
            <li>{r}</li>
          ))}
        </ul>
      </td>
    </tr>
  );
}

/** A dry-run job: progress while it runs (the fragment polls itself), results when done. */
export function DryRunStatus(p: { job: DryRunJob; url: string; polling: boolean; shown?: number }) {
  const { job } = p;
  if (job.status === 'running') {
    const total = job.total ?? 0;
    const percent = total > 0 ? Math.floor((job.done / total) * 100) : 0;
    return (
      <div id="dry-run" class="dry-run" aria-busy="true" {...(p.polling ? { 'hx-get': p.url, 'hx-trigger': 'every 500ms', 'hx-swap': 'outerHTML' } : {})}>
        <p>{`Replaying ${job.label} against draft v${job.draftVersion}…`}</p>
        <p class="progress-line">
          <progress id="dry-run-progress" max={Math.max(total, 1)} value={job.done} aria-label="Dry-run progress">{`${percent}%`}</progress>{' '}
          <span>{job.total === null ? 'loading cases…' : `${job.done.toLocaleString('en')} of ${total.toLocaleString('en')} cases (${percent}%)`}</span>
        </p>
        {p.polling ? null : (
          <p>
            <a href={p.url}>Refresh</a> to see how far it got.
          </p>
        )}
      </div>
    );
  }
  if (job.status === 'failed' || !job.result) {
    return (
      <div id="dry-run" class="dry-run">
        <p class="alert alert-error" role="alert">{`The dry-run failed: ${job.error ?? 'unknown error'}`}</p>
      </div>
    );
  }
  const r = job.result;
  const shown = r.changes.slice(0, p.shown ?? 500);
  const fields = (Object.keys(r.byField) as OutcomeField[]).filter((f) => r.byField[f] > 0);
  const rules = Object.entries(r.byRule).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return (
    <div id="dry-run" class="dry-run dry-run-done">
      <h3 id="dry-run-heading">{`Dry-run of draft v${job.draftVersion}: ${plural(r.changed, 'case')} of ${r.total.toLocaleString('en')} would change`}</h3>
      <p class="muted">
        {`${job.label[0]!.toUpperCase()}${job.label.slice(1)}, replayed against v${r.baseVersion} in force. ${seconds(r.timings.totalMs)} (loading ${seconds(r.timings.loadMs)}, evaluating ${seconds(r.timings.evaluateMs)}). Nothing was written.`}
      </p>
      {r.changed === 0 ? (
        <p id="dry-run-none">No case would be routed, prioritised or tagged differently.</p>
      ) : (
        <>
          <div class="dry-run-totals">
            <ManageTable caption="Changes by outcome" head={['Outcome', 'Cases']} id="dry-run-by-field">
              {fields.map((f) => (
                <tr>
                  <td>{FIELD_LABEL[f]}</td>
                  <td>{r.byField[f].toLocaleString('en')}</td>
                </tr>
              ))}
            </ManageTable>
            <ManageTable caption="Rules responsible" head={['Rule', 'Cases']} id="dry-run-by-rule">
              {rules.map(([rule, n]) => (
                <tr>
                  <td>{rule}</td>
                  <td>{n.toLocaleString('en')}</td>
                </tr>
              ))}
            </ManageTable>
          </div>
          <ManageTable caption="Cases that would change (before → after)" head={['Case', 'Subject', 'Created', 'Changes', 'Rules responsible']} id="dry-run-cases">
            {shown.map((change) => (
              <ChangeRow change={change} />
            ))}
          </ManageTable>
          {r.truncated || shown.length < r.changed ? <p class="muted">{`Listing the first ${shown.length.toLocaleString('en')} of ${r.changed.toLocaleString('en')} changed cases; the totals count them all.`}</p> : null}
        </>
      )}
    </div>
  );
}

export function DryRunPage(p: { viewer: Viewer; csrfToken: string; job: DryRunJob; url: string; base: string }) {
  return (
    <ManagePage title={`Dry-run of ${p.job.ruleset}`} viewer={p.viewer} csrfToken={p.csrfToken} current={RULES_NAV}>
      <PageHeader eyebrow={<a href={p.base}>{`Ruleset ${p.job.ruleset}`}</a>} title={`Dry-run of draft v${p.job.draftVersion}`} />
      <section class="panel" aria-live="polite">
        <DryRunStatus job={p.job} url={p.url} polling={false} />
      </section>
    </ManagePage>
  );
}

export function RulesetPage(p: { viewer: Viewer; csrfToken: string; view: DefinitionView; queues: Option[] }) {
  const { view } = p;
  const published = view.published?.body as RulesetDefinition | undefined;
  return (
    <ManagePage title={`Ruleset ${view.name}`} viewer={p.viewer} csrfToken={p.csrfToken} current={RULES_NAV}>
      <PageHeader eyebrow={<a href="/manage/rules">Rules</a>} title={`Ruleset ${view.name}`} />
      {published?.description ? <p class="lead">{published.description}</p> : null}
      <NoticeAlert notice={view.notice} />
      <InForce view={view} />
      <DraftPanel view={view} csrfToken={p.csrfToken}>
        {view.draft ? (
          <div class="dry-run-section">
            <DryRunForm base={view.base} draft={view.draft.version} csrfToken={p.csrfToken} queues={p.queues} />
            <div id="dry-run-area" aria-live="polite"></div>
          </div>
        ) : null}
      </DraftPanel>
      <section class="panel" id="edit" aria-labelledby="edit-heading">
        <h2 id="edit-heading">Edit</h2>
        <EditorForm view={view} csrfToken={p.csrfToken} label={`Ruleset ${view.name} (JSON)`} />
      </section>
      <section class="panel" id="rules" aria-labelledby="rules-heading">
        <h2 id="rules-heading">{view.published ? `Rules in force (v${view.published.version})` : 'Rules'}</h2>
        {published ? <RuleList definition={published} /> : <EmptyState>Nothing published yet.</EmptyState>}
      </section>
      <HistoryTable view={view} csrfToken={p.csrfToken} />
    </ManagePage>
  );
}
