/**
 * Rules in the manager console: the list of rulesets (and rules as code: export/import), and
 * a ruleset's page (each rule as a sentence beside its JSON, the editor, the draft with its
 * diff, dry-run form and publish form, the history). The dry-run's views are in dry-run.tsx.
 */
import { canonicalJson } from '../../../src/definitions/diff.js';
import type { FileChange } from '../../../src/definitions/export-import.js';
import type { RulesetDefinition } from '../../../src/rules/definition.js';
import { describeCondition, describeRule } from '../../../src/rules/describe.js';
import type { DefinitionProblem } from '../../../src/definitions/problems.js';
import { Alert, Badge, Button, CsrfField, EmptyState, PageHeader, Time, type Option } from '../../components.js';
import type { Viewer } from '../../viewer.js';
import { DryRunForm, RULES_NAV } from './dry-run.js';
import { DraftPanel, EditorForm, HistoryTable, InForce, ManagePage, ManageTable, NoticeAlert, ProblemList, type DefinitionView, type Notice } from './parts.js';
import { BuilderForm, type BuilderState } from './rule-builder.js';
import type { Options } from '../../../src/rules/catalogue.js';

export { RULES_NAV };

export interface RulesetSummary {
  name: string;
  description: string;
  rules: number;
  published: { version: number; author: string; at: number; note: string } | null;
  draft: number | null;
  /** The version in force is no longer valid, so it is not run: why. */
  refused: DefinitionProblem[] | null;
}

/** The version in force is stored but no longer valid: it is not run (see Definitions.ruleset). */
export function RefusedAlert({ version, problems }: { version: number; problems: DefinitionProblem[] }) {
  return (
    <Alert tone="error" id="refused">
      <p>{`v${version}, the version in force, is no longer valid and is not run: cases get no decisions from this ruleset (their timeline shows rules.failed) until a valid version is published.`}</p>
      <ProblemList problems={problems.filter((x) => x.severity === 'error')} />
    </Alert>
  );
}

/** The version in force runs, but not quite as written (a priority stored before whole numbers were asked for). */
export function LoadWarningsAlert({ version, problems }: { version: number; problems: DefinitionProblem[] }) {
  return (
    <Alert tone="info" id="load-warnings">
      <p>{`v${version}, the version in force, runs as json-rules-engine reads it, which is not quite as it is written. Publish a version that fixes these:`}</p>
      <ProblemList problems={problems} />
    </Alert>
  );
}

export interface ExportImportResult {
  action: 'export' | 'import';
  changes: FileChange[];
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
      {p.rulesets.some((r) => r.refused) ? (
        <Alert tone="error" id="refused">
          <p>{`Not run because the version in force is no longer valid: ${p.rulesets
            .filter((r) => r.refused)
            .map((r) => `${r.name} v${r.published?.version ?? '?'}`)
            .join(', ')}. Open the ruleset to see why, then publish a fixed version.`}</p>
        </Alert>
      ) : null}
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
              <td>
                {r.published ? `v${r.published.version}` : '—'}
                {r.refused ? (
                  <>
                    {' '}
                    <Badge tone="danger">not run: invalid</Badge>
                  </>
                ) : null}
              </td>
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
  if (!Array.isArray(definition.rules)) return <EmptyState>This version has no list of rules; see its JSON.</EmptyState>;
  if (definition.rules.length === 0) return <EmptyState>No rules.</EmptyState>;
  try {
    return ruleItems(definition, idPrefix);
  } catch {
    // A stored version that no longer validates (so is not run) may not read as sentences.
    return <EmptyState>This version cannot be shown as sentences (it is not valid); see its JSON.</EmptyState>;
  }
}

function ruleItems(definition: RulesetDefinition, idPrefix: string) {
  const shared = Object.entries(definition.sharedConditions ?? {});
  return (
    <>
      {shared.length > 0 ? (
        <section aria-labelledby={`${idPrefix}-shared`}>
          <h3 id={`${idPrefix}-shared`}>Shared conditions</h3>
          <ul class="rule-list">
            {shared.map(([name, condition]) => (
              <li class="rule">
                <div class="rule-text">
                  <h4>{name}</h4>
                  <p class="rule-sentence">{describeCondition(condition)}</p>
                  <p class="muted rule-meta">{`rules refer to it as { "condition": ${JSON.stringify(name)} }`}</p>
                </div>
                <pre class="code-block rule-json" tabindex={0}>
                  {canonicalJson(condition)}
                </pre>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
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
    </>
  );
}

export function RulesetPage(p: {
  viewer: Viewer;
  csrfToken: string;
  view: DefinitionView;
  queues: Option[];
  refused: DefinitionProblem[] | null;
  loadWarnings: DefinitionProblem[];
  builder: BuilderState;
  options: Options;
  /** A dry-run refused without JavaScript: its form with what was typed and why. */
  dryRunForm?: { values: Record<string, string>; error: string };
}) {
  const { view } = p;
  const published = view.published?.body as RulesetDefinition | undefined;
  return (
    <ManagePage title={`Ruleset ${view.name}`} viewer={p.viewer} csrfToken={p.csrfToken} current={RULES_NAV} scripts>
      <PageHeader eyebrow={<a href="/manage/rules">Rules</a>} title={`Ruleset ${view.name}`} />
      {published?.description ? <p class="lead">{published.description}</p> : null}
      <NoticeAlert notice={view.notice} />
      {p.refused && view.published ? <RefusedAlert version={view.published.version} problems={p.refused} /> : null}
      {p.loadWarnings.length > 0 && view.published ? <LoadWarningsAlert version={view.published.version} problems={p.loadWarnings} /> : null}
      <InForce view={view} />
      <DraftPanel view={view} csrfToken={p.csrfToken}>
        {view.draft ? (
          <div class="dry-run-section">
            <DryRunForm base={view.base} draft={view.draft.version} csrfToken={p.csrfToken} queues={p.queues} {...(p.dryRunForm ? { values: p.dryRunForm.values, error: p.dryRunForm.error } : {})} />
            <div id="dry-run-area" aria-live="polite"></div>
          </div>
        ) : null}
      </DraftPanel>
      <section class="panel" id="builder-panel" aria-labelledby="builder-heading">
        <h2 id="builder-heading">Rules, as forms</h2>
        <p class="hint">
          {`Each rule reads as a sentence: if its conditions hold, it does its action. Changes show at once and are kept in this form until you save a draft${p.builder.from !== null ? ` (started from version ${p.builder.from})` : ''}. The JSON below follows every change, and the other way round.`}
        </p>
        <BuilderForm base={view.base} csrfToken={p.csrfToken} state={p.builder} options={p.options} />
      </section>
      <section class="panel" id="edit" aria-labelledby="edit-heading">
        <h2 id="edit-heading">JSON</h2>
        <EditorForm
          view={view}
          csrfToken={p.csrfToken}
          label={`Ruleset ${view.name} (JSON)`}
          hint="The same ruleset as json-rules-engine JSON, for power users: edits here show in the forms above as you type (without JavaScript: Show in the forms); problems are listed below with their JSON paths."
          actions={
            <button type="submit" class="button button-secondary" id="json-to-builder" name="op" value="load" formaction={`${view.base}/builder`}>
              Show in the forms
            </button>
          }
        />
      </section>
      <section class="panel" id="rules" aria-labelledby="rules-heading">
        <h2 id="rules-heading">{view.published ? `Rules in force (v${view.published.version})` : 'Rules'}</h2>
        {published ? <RuleList definition={published} /> : <EmptyState>Nothing published yet.</EmptyState>}
      </section>
      <HistoryTable view={view} csrfToken={p.csrfToken} />
    </ManagePage>
  );
}
