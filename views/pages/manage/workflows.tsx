/**
 * Workflows in the manager console: the list, and a workflow's page — its state diagram
 * (SVG drawn on the server) beside its JSON editor, the same as tables (states,
 * transitions, triggers), the draft with its diff and diagram, publish, history.
 */
import { timerAfterText, type WorkflowDefinition } from '../../../src/workflow/definition.js';
import { Badge, EmptyState, PageHeader, Time } from '../../components.js';
import type { Viewer } from '../../viewer.js';
import { DraftPanel, EditorForm, HistoryTable, InForce, ManagePage, ManageTable, NoticeAlert, type DefinitionView } from './parts.js';
import { WorkflowSvg } from './workflow-svg.js';
import { metricLabel } from '../../../src/http/pages/sla-status.js';
import { capitalized, eventClause, whenEvent } from '../../partials/event-names.js';
import { WorkflowBuilderForm, type WorkflowBuilderState, type WorkflowOptions } from './workflow-builder.js';

export const WORKFLOWS_NAV = '/manage/workflows';

export interface WorkflowSummary {
  name: string;
  description: string;
  states: number;
  transitions: number;
  isDefault: boolean;
  published: { version: number; author: string; at: number } | null;
  draft: number | null;
}

export function WorkflowsListPage(p: { viewer: Viewer; csrfToken: string; workflows: WorkflowSummary[] }) {
  return (
    <ManagePage title="Workflows" viewer={p.viewer} csrfToken={p.csrfToken} current={WORKFLOWS_NAV}>
      <PageHeader eyebrow="Manage" title="Workflows" />
      {p.workflows.length === 0 ? (
        <EmptyState>No workflows.</EmptyState>
      ) : (
        <ManageTable caption="Workflows and the version in force" captionHidden head={['Workflow', 'Description', 'States', 'Transitions', 'In force', 'Published by', 'Published', 'Draft']}>
          {p.workflows.map((w) => (
            <tr>
              <td>
                <a href={`/manage/workflows/${encodeURIComponent(w.name)}`}>{w.name}</a> {w.isDefault ? <Badge tone="info">new cases</Badge> : null}
              </td>
              <td>{w.description}</td>
              <td>{w.states}</td>
              <td>{w.transitions}</td>
              <td>{w.published ? `v${w.published.version}` : '—'}</td>
              <td>{w.published?.author ?? '—'}</td>
              <td>
                <Time at={w.published?.at} />
              </td>
              <td>{w.draft ? <Badge tone="info">{`draft v${w.draft}`}</Badge> : '—'}</td>
            </tr>
          ))}
        </ManageTable>
      )}
      <p class="muted">
        Workflows are exported to and imported from files together with the rules: see <a href="/manage/rules#rules-as-code">Rules as code</a>.
      </p>
    </ManagePage>
  );
}

function list(values: readonly string[] | undefined): string {
  return values && values.length > 0 ? values.join(', ') : '—';
}

/** What people read, with the definition's own name small beside it (what the JSON and the forms use). */
function Named({ label, name }: { label: string; name: string }) {
  return (
    <>
      {label}{' '}
      <small class="muted">
        <code>{name}</code>
      </small>
    </>
  );
}

/** The definition as tables (the diagram's text alternative): labels in words, names small beside them. */
export function WorkflowTables({ definition, idPrefix = 'wf' }: { definition: WorkflowDefinition; idPrefix?: string }) {
  const stateLabel = (name: string) => definition.states[name]?.label ?? name;
  const transitionLabel = (name: string) => definition.transitions[name]?.label ?? name;
  const clocks = (metrics: readonly string[] | undefined) => list(metrics?.map(metricLabel));
  const timers = (name: string) => (definition.states[name]?.timers ?? []).map((t) => `${timerAfterText(t)} → ${transitionLabel(t.transition)}`);
  const event = (type: string) => capitalized(eventClause(type));
  return (
    <>
      <ManageTable caption="States" head={['State', 'Category', 'Clocks started', 'Clocks paused', 'Clocks stopped', 'On entering', 'Timers']} id={`${idPrefix}-states`}>
        {Object.entries(definition.states).map(([name, s]) => (
          <tr>
            <td>
              <Named label={s.label ?? name} name={name} /> {name === definition.initial ? <Badge tone="info">initial</Badge> : null} {s.final ? <Badge tone="muted">final</Badge> : null}
            </td>
            <td>{s.category}</td>
            <td>{clocks(s.sla?.start)}</td>
            <td>{clocks(s.sla?.pause)}</td>
            <td>{clocks(s.sla?.stop)}</td>
            <td>{list(s.onEnter?.map((a) => a.action))}</td>
            <td>{list(timers(name))}</td>
          </tr>
        ))}
      </ManageTable>
      <ManageTable caption="Transitions" head={['Transition', 'From', 'To', 'Who may use it', 'Fires on', 'Requires', 'Emits']} id={`${idPrefix}-transitions`}>
        {Object.entries(definition.transitions).map(([name, t]) => (
          <tr>
            <td>
              <Named label={t.label ?? name} name={name} />
            </td>
            <td>{t.from === '*' ? 'any state but final ones' : t.from.map(stateLabel).join(', ')}</td>
            <td>{t.to === '@previous' ? 'the previous state' : stateLabel(t.to)}</td>
            <td>{t.roles?.length ? t.roles.join(', ') : 'nobody by hand'}</td>
            <td>{list(t.on?.map(event))}</td>
            <td>{list(t.requires)}</td>
            <td>{t.emits ? <Named label={event(t.emits)} name={t.emits} /> : '—'}</td>
          </tr>
        ))}
      </ManageTable>
      <ManageTable caption="Rulesets run on events" head={['Event', 'Rulesets, in order']} id={`${idPrefix}-triggers`}>
        {Object.entries(definition.triggers ?? {}).map(([type, rulesets]) => (
          <tr>
            <td>
              <Named label={capitalized(whenEvent(type))} name={type} />
            </td>
            <td>
              {rulesets.map((r, i) => (
                <>
                  {i > 0 ? ', ' : ''}
                  <a href={`/manage/rules/${encodeURIComponent(r)}`}>{r}</a>
                </>
              ))}
            </td>
          </tr>
        ))}
      </ManageTable>
    </>
  );
}

/** Zoom levels of the diagram: 100 % and up, so its 12 px text never gets smaller. */
export const ZOOMS = [1, 1.25, 1.5, 2, 2.5, 3] as const;

/** The diagram in a frame that scrolls (and, with JavaScript, pans by dragging); `zoomBase`: zoom links to that page. */
export function Diagram({ definition, id, zoom = 1, zoomBase, link }: { definition: WorkflowDefinition; id: string; zoom?: number; zoomBase?: string; link?: string }) {
  const level = Math.max(0, ZOOMS.findIndex((z) => z === zoom));
  const at = (i: number) => `${zoomBase}?zoom=${Math.round(ZOOMS[Math.min(ZOOMS.length - 1, Math.max(0, i))]! * 100)}#diagram`;
  return (
    <>
      {zoomBase !== undefined ? (
        <p class="diagram-zoom" role="group" aria-label="Zoom the diagram">
          <a href={at(level - 1)} data-zoom="out" class="button button-secondary button-small">
            − Zoom out
          </a>
          <span class="zoom-level" aria-live="polite">{`${Math.round(ZOOMS[level]! * 100)} %`}</span>
          <a href={at(level + 1)} data-zoom="in" class="button button-secondary button-small">
            + Zoom in
          </a>
          <a href={at(0)} data-zoom="reset" class="button button-link button-small">
            100 %
          </a>
          <span class="muted">Scroll or drag to move around; click a state or transition to edit it.</span>
        </p>
      ) : null}
      <figure class="diagram" tabindex={0} aria-label={`State diagram of ${definition.workflow} (scrolls)`} data-zoomable={zoomBase !== undefined ? 'true' : undefined}>
        <WorkflowSvg definition={definition} id={id} zoom={ZOOMS[level]} link={link} />
      </figure>
    </>
  );
}

export function WorkflowPage(p: { viewer: Viewer; csrfToken: string; view: DefinitionView; draftDefinition: WorkflowDefinition | null; builder: WorkflowBuilderState; options: WorkflowOptions; zoom: number; onOtherVersions: number }) {
  const { view } = p;
  const published = view.published?.body as WorkflowDefinition | undefined;
  return (
    <ManagePage title={`Workflow ${view.name}`} viewer={p.viewer} csrfToken={p.csrfToken} current={WORKFLOWS_NAV} scripts>
      <PageHeader eyebrow={<a href="/manage/workflows">Workflows</a>} title={`Workflow ${view.name}`} />
      {published?.description ? <p class="lead">{published.description}</p> : null}
      <NoticeAlert notice={view.notice} />
      <InForce view={view} />
      {p.onOtherVersions > 0 ? (
        <p id="reapply-hint">
          {`${p.onOtherVersions.toLocaleString('en')} running case${p.onOtherVersions === 1 ? ' is' : 's are'} on another version of this workflow. `}
          <a href={`${view.base}/reapply`}>Re-apply the version in force…</a>
        </p>
      ) : null}
      <DraftPanel view={view} csrfToken={p.csrfToken}>
        {p.draftDefinition && view.draft ? (
          <details class="draft-diagram">
            <summary>{`Diagram of draft v${view.draft.version}`}</summary>
            <Diagram definition={p.draftDefinition} id="draft-diagram" />
          </details>
        ) : null}
      </DraftPanel>
      <section class="panel" id="diagram" aria-labelledby="diagram-heading">
        <h2 id="diagram-heading">{view.published ? `State diagram (v${view.published.version})` : 'State diagram'}</h2>
        {published ? <Diagram definition={published} id="workflow-diagram" zoom={p.zoom} zoomBase={view.base} link="" /> : <EmptyState>Nothing published yet.</EmptyState>}
        <p class="legend">Solid arrows: transitions people use (roles listed). Dashed arrows: transitions that fire by themselves, on events or timers. A double border marks a final state. Each state and transition opens its form below.</p>
      </section>
      <section class="panel" id="builder-panel" aria-labelledby="builder-heading">
        <h2 id="builder-heading">States and transitions, as forms</h2>
        <p class="hint">{`Changes show at once and are kept in this form until you save a draft${p.builder.from !== null ? ` (started from version ${p.builder.from})` : ''}. The JSON below follows every change, and the other way round.`}</p>
        <WorkflowBuilderForm base={view.base} csrfToken={p.csrfToken} state={p.builder} options={p.options} />
      </section>
      <section class="panel" id="edit" aria-labelledby="edit-heading">
        <h2 id="edit-heading">JSON</h2>
        <EditorForm
          view={view}
          csrfToken={p.csrfToken}
          label={`Workflow ${view.name} (JSON)`}
          hint="The same workflow as JSON, for power users: edits here show in the forms above as you type (without JavaScript: Show in the forms); problems are listed below with their JSON paths."
          actions={
            <button type="submit" class="button button-secondary" id="json-to-builder" name="op" value="load" formaction={`${view.base}/builder`}>
              Show in the forms
            </button>
          }
        />
      </section>
      {published ? (
        <section class="panel" id="tables" aria-labelledby="tables-heading">
          <h2 id="tables-heading">States, transitions and triggers</h2>
          <WorkflowTables definition={published} />
        </section>
      ) : null}
      <HistoryTable view={view} csrfToken={p.csrfToken} />
    </ManagePage>
  );
}
