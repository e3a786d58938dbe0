/**
 * `/manage/workflows/:name/reapply`: moving running cases to the version in force. A preview
 * first (what moves, each case's state, SLA clocks and timers, what cannot move and why), a map
 * for the states the new version no longer has, then a confirmation for exactly that preview.
 */
import type { WorkflowReapplyResult } from '../../../src/cases/reapply-workflow.js';
import type { WorkflowDefinition } from '../../../src/workflow/definition.js';
import { Alert, Button, CsrfField, EmptyState, PageHeader, SelectField } from '../../components.js';
import type { Viewer } from '../../viewer.js';
import { ManagePage, ManageTable } from './parts.js';
import { WORKFLOWS_NAV } from './workflows.js';

const METRIC_LABEL: Record<string, string> = { firstResponse: 'First response', nextResponse: 'Next response', resolution: 'Resolution' };
const EFFECT_LABEL = { run: 'runs', pause: 'paused', stop: 'stopped' } as const;

export interface WorkflowReapplyPageProps {
  viewer: Viewer;
  csrfToken: string;
  name: string;
  /** The version in force and its definition (the states a map may name). */
  version: number;
  definition: WorkflowDefinition;
  preview: WorkflowReapplyResult | null;
  done: WorkflowReapplyResult | null;
  stateMap: Record<string, string>;
  /** A refusal to show above the form (a stale preview, a bad map). */
  error: string | null;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
const when = (at: string) => at.slice(0, 16).replace('T', ' ') + ' UTC';

function stateLabel(definition: WorkflowDefinition, name: string): string {
  const state = Object.hasOwn(definition.states, name) ? definition.states[name] : undefined;
  return state?.label && state.label !== name ? `${state.label} (${name})` : name;
}

/** The map's form: one choice per state whose cases cannot move as they are. */
function MapForm(p: { name: string; definition: WorkflowDefinition; result: WorkflowReapplyResult; stateMap: Record<string, string> }) {
  const states = new Set([...p.result.blockedStates.map((b) => b.state), ...Object.keys(p.stateMap)]);
  if (states.size === 0) return null;
  const options = [
    { value: '', label: 'Leave these cases on their version' },
    ...Object.entries(p.definition.states)
      .filter(([, s]) => !s.final)
      .map(([value]) => ({ value, label: stateLabel(p.definition, value) })),
  ];
  return (
    <form method="get" action={`/manage/workflows/${encodeURIComponent(p.name)}/reapply`} class="stack" id="reapply-map">
      <h2>States to map</h2>
      <p class="hint">{`Cases in these states cannot move to v${p.result.version} as they are. Choose the state each takes in v${p.result.version}, then preview again.`}</p>
      {[...states].map((state, i) => {
        const blocked = p.result.blockedStates.find((b) => b.state === state);
        return (
          <div>
            <SelectField id={`map-${i}`} name={`map.${state}`} label={`${state}${blocked ? ` (${plural(blocked.cases, 'case')})` : ''}`} options={options} value={p.stateMap[state] ?? ''} />
            {blocked ? <p class="hint">{blocked.reason}</p> : null}
          </div>
        );
      })}
      <Button variant="secondary" id="reapply-map-button">
        Preview with this map
      </Button>
    </form>
  );
}

function Changes(p: { result: WorkflowReapplyResult; definition: WorkflowDefinition }) {
  if (p.result.changes.length === 0) return null;
  return (
    <ManageTable caption="What would change" head={['Case', 'From version', 'State', 'SLA clocks', 'State timers']} id="reapply-changes">
      {p.result.changes.map((c) => (
        <tr>
          <td class="cell-ref">
            <a href={`/cases/${c.caseId}`}>{c.caseId}</a>
          </td>
          <td>{`v${c.fromVersion}`}</td>
          <td>{c.state.from === c.state.to ? stateLabel(p.definition, c.state.to) : `${c.state.from} → ${stateLabel(p.definition, c.state.to)}`}</td>
          <td>
            <ul class="plain-list">
              {c.clocks.map((k) => (
                <li>{`${METRIC_LABEL[k.metric] ?? k.metric}: ${EFFECT_LABEL[k.from]} → ${EFFECT_LABEL[k.to]}`}</li>
              ))}
            </ul>
          </td>
          <td>
            <ul class="plain-list">
              {c.timers.cancelled.map((t) => (
                <li>{`${t.transition} at ${when(t.at)}: cancelled`}</li>
              ))}
              {c.timers.scheduled.map((t) => (
                <li>{`${t.transition} at ${when(t.at)}`}</li>
              ))}
            </ul>
          </td>
        </tr>
      ))}
    </ManageTable>
  );
}

function Blocked(p: { result: WorkflowReapplyResult }) {
  if (p.result.blocked.length === 0) return null;
  return (
    <ManageTable caption="Staying on their version" head={['Case', 'Version', 'State', 'Why']} id="reapply-blocked">
      {p.result.blocked.map((b) => (
        <tr>
          <td class="cell-ref">
            <a href={`/cases/${b.caseId}`}>{b.caseId}</a>
          </td>
          <td>{`v${b.fromVersion}`}</td>
          <td>{b.state}</td>
          <td>{b.reason}</td>
        </tr>
      ))}
    </ManageTable>
  );
}

export function WorkflowReapplyPage(p: WorkflowReapplyPageProps) {
  const r = p.preview;
  const href = `/manage/workflows/${encodeURIComponent(p.name)}`;
  return (
    <ManagePage title={`Re-apply workflow ${p.name}`} viewer={p.viewer} csrfToken={p.csrfToken} current={WORKFLOWS_NAV}>
      <PageHeader eyebrow={<a href={href}>{`Workflow ${p.name}`}</a>} title={`Re-apply v${p.version} to running cases`} />
      <p>
        Publishing or rolling back a workflow leaves running cases on the version they started with. Re-applying moves the cases on other versions (all but those in a final state) to the
        version in force: a case keeps its state, or takes the state you map it to; the state's SLA clocks and timers are those of the new version (a timer counts from when the case
        entered its state, or from now for a mapped state). Nothing moves until you confirm.
      </p>
      {p.error ? (
        <Alert tone="error" id="reapply-error">
          <p>{p.error}</p>
        </Alert>
      ) : null}
      {p.done ? (
        <Alert tone="ok" id="reapply-done">
          <p>{`Re-applied v${p.done.version} to ${plural(p.done.cases, 'case')}: ${p.done.changedCases.toLocaleString('en')} changed state, clocks or timers${p.done.blockedCases ? `; ${plural(p.done.blockedCases, 'case')} stayed on their version` : ''}.`}</p>
        </Alert>
      ) : null}
      {r ? (
        <div id="reapply-preview">
          <p class="reapply-counts">
            {`${plural(r.cases, 'case')} would move to v${r.version}; ${r.changedCases.toLocaleString('en')} would change state, clocks or timers${r.blockedCases ? `; ${plural(r.blockedCases, 'case')} cannot move as they are` : ''}.`}
          </p>
          <MapForm name={p.name} definition={p.definition} result={r} stateMap={p.stateMap} />
          <Changes result={r} definition={p.definition} />
          <Blocked result={r} />
          {r.truncated ? <p class="muted">{`Listing the first ${Math.max(r.changes.length, r.blocked.length)} cases; the counts are complete.`}</p> : null}
          {r.cases > 0 ? (
            <form method="post" action={`${href}/reapply`} class="stack" id="reapply-confirm">
              <CsrfField token={p.csrfToken} />
              <input type="hidden" name="version" value={String(r.version)} />
              {Object.entries(p.stateMap).map(([from, to]) => (
                <input type="hidden" name={`map.${from}`} value={to} />
              ))}
              <Button variant="danger" id="reapply-button">{`Re-apply v${r.version} to ${plural(r.cases, 'case')}`}</Button>
            </form>
          ) : (
            <EmptyState>No running case is on another version.</EmptyState>
          )}
        </div>
      ) : null}
      <p>
        <a href={href}>{`Back to workflow ${p.name}`}</a>
      </p>
    </ManagePage>
  );
}
