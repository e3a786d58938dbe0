/**
 * The workflow editor as forms (`/manage/workflows/:name`): each state (labels, category,
 * the SLA clocks it starts, pauses or stops, actions on entering and leaving, timers, final) and
 * each transition (labels, from, to, who may use it, the events that fire it, required and
 * allowed fields, the event it emits, actions) as a card the diagram links to; the
 * rulesets run on events. One form, like the rule builder: each change re-renders it
 * (htmx in place; without JavaScript the page), the document travels with it, and
 * whatever the forms do not know is kept and marked.
 */
import type { DefinitionProblem } from '../../../src/definitions/problems.js';
import { BuilderFormShell, BuilderSave, Command, DataList, Messages, Select, TextInput, type Choice } from './builder-fields.js';
import { ProblemList } from './parts.js';
import { StateCard, TransitionCard, Triggers } from './workflow-cards.js';

export interface WorkflowOptions {
  categories: Choice[];
  metrics: Choice[];
  /** The metrics a state may start (`sla.start`). */
  startMetrics: Choice[];
  roles: Choice[];
  fields: Choice[];
  events: Choice[];
  rulesets: Choice[];
  actions: Choice[];
  queues: Choice[];
  templates: Choice[];
  notifyTargets: Choice[];
}

export interface WorkflowBuilderState {
  doc: Record<string, unknown> | null;
  unusable: string | null;
  problems: DefinitionProblem[];
  fieldErrors: Map<string, string>;
  pending: Map<string, string>;
  note: string | null;
  focus: string | null;
  from: number | null;
  draftNote: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function WorkflowBuilder({ state, options, oob }: { state: WorkflowBuilderState; options: WorkflowOptions; oob?: boolean }) {
  const messages = new Messages(state.problems, state.fieldErrors, state.pending);
  const doc = state.doc;
  const states = doc && isObject(doc.states) ? doc.states : null;
  const transitions = doc && isObject(doc.transitions) ? doc.transitions : null;
  const errors = state.problems.filter((p) => p.severity === 'error').length;
  return (
    <div id="builder" class="builder" hx-swap-oob={oob ? 'true' : undefined}>
      <button type="submit" name="op" value="refresh" class="visually-hidden" tabindex={-1} aria-hidden="true">
        Update
      </button>
      {doc ? <input type="hidden" name="doc" value={JSON.stringify(doc)} /> : null}
      {state.from !== null ? <input type="hidden" name="from" value={String(state.from)} /> : null}
      <p id="builder-note" class="visually-hidden" role="status">
        {state.note ?? ''}
      </p>
      {(['events', 'rulesets', 'notifyTargets'] as const).map((k) => (
        <DataList id={`wf-options-${k}`} choices={options[k]} />
      ))}
      {!doc || !states || !transitions ? (
        <p class="alert alert-error" role="alert">
          {`The editor cannot show this workflow: ${state.unusable ?? 'it has no states or no transitions object'}. Fix it in the JSON below.`}
        </p>
      ) : (
        <>
          <details class="builder-problems" open={errors > 0 ? true : undefined}>
            <summary>{state.problems.length === 0 ? 'No problems found.' : `${errors} error${errors === 1 ? '' : 's'}, ${state.problems.length - errors} warning${state.problems.length - errors === 1 ? '' : 's'} (each is shown beside its field)`}</summary>
            <ProblemList problems={state.problems} />
          </details>
          <div class="wf-fields">
            <span class="wf-field">
              <span>New cases start in</span>
              <Select kind="s" at={['initial']} label="Initial state" value={doc.initial} choices={Object.keys(states).map((s) => ({ value: s, label: s }))} messages={messages} />
            </span>
            <span class="wf-field wf-wide">
              <span>Description</span>
              <TextInput kind="o" at={['description']} label="Workflow description" value={doc.description} messages={messages} class="bf-wide" />
            </span>
          </div>
          <h3 id="wf-states-heading">States</h3>
          <ol class="rule-cards" aria-labelledby="wf-states-heading">
            {Object.entries(states).map(([name, s]) => (
              <StateCard name={name} state={s} doc={doc} options={options} messages={messages} focus={state.focus} />
            ))}
          </ol>
          <Command op="addState" id="add-state" small={false}>
            + Add a state
          </Command>
          <h3 id="wf-transitions-heading">Transitions</h3>
          <ol class="rule-cards" aria-labelledby="wf-transitions-heading">
            {Object.entries(transitions).map(([name, t]) => (
              <TransitionCard name={name} transition={t} doc={doc} options={options} messages={messages} focus={state.focus} />
            ))}
          </ol>
          <Command op="addTransition" id="add-transition" small={false}>
            + Add a transition
          </Command>
          <h3 id="wf-triggers-heading">Rulesets run on events</h3>
          <Triggers doc={doc} messages={messages} />
          <Command op="addTrigger" id="add-trigger">
            + Event
          </Command>
        </>
      )}
      <BuilderSave draftNote={state.draftNote} />
    </div>
  );
}

export function WorkflowBuilderForm({ base, csrfToken, state, options }: { base: string; csrfToken: string; state: WorkflowBuilderState; options: WorkflowOptions }) {
  return (
    <BuilderFormShell base={base} csrfToken={csrfToken}>
      <WorkflowBuilder state={state} options={options} />
    </BuilderFormShell>
  );
}
