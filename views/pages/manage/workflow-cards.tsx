/**
 * The workflow editor's cards: a state (labels, category, final, SLA clocks started, paused
 * and stopped, actions on entering and leaving, timers), a transition (labels, from, to, who may
 * use it, events, required and allowed fields, emits, actions), the rulesets run on events.
 */
import type { Segment } from '../../../src/definitions/form-edit.js';
import { pointer } from '../../../src/definitions/form-edit.js';
import { ACTION_PARAMS, actionShape, unknownKeys } from '../../../src/workflow/builder.js';
import { own } from '../../../src/own.js';
import { CheckboxSet, Chips, Command, JsonNode, Select, TextInput, type Messages } from './builder-fields.js';
import type { WorkflowOptions } from './workflow-builder.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const yesNo = [
  { value: 'true', label: 'yes' },
  { value: 'false', label: 'no' },
];

/** What a timer's `after` counts (`businessHours`). */
const TIMER_TIME = [
  { value: 'true', label: 'business hours' },
  { value: 'false', label: 'calendar time' },
];

function ActionList({ at, list, label, options, messages }: { at: Segment[]; list: unknown; label: string; options: WorkflowOptions; messages: Messages }) {
  const items = Array.isArray(list) ? list : [];
  if (list !== undefined && !Array.isArray(list)) return <JsonNode at={at} value={list} reason="it is not a list of actions" label={`${label} (JSON)`} messages={messages} />;
  return (
    <ul class="wf-actions">
      {items.map((call, i) => {
        const cat = [...at, i];
        const shape = actionShape(call);
        if (!shape.ok) {
          return (
            <li>
              <JsonNode at={cat} value={call} reason={shape.reason} label={`${label} ${i + 1} (JSON)`} messages={messages} />
              <Command op={`remove ${pointer(cat)}`} label={`Remove ${label.toLowerCase()} ${i + 1}`} variant="link">
                Remove
              </Command>
            </li>
          );
        }
        const c = call as Record<string, unknown>;
        const params = own(ACTION_PARAMS, String(c.action)) ?? [];
        return (
          <li class="wf-action">
            <Select kind="act" at={cat} label={`${label} ${i + 1}: action`} value={c.action} choices={options.actions} messages={messages} also={[[...cat, 'action']]} />
            {params.map((p) => {
              const common = { at: [...cat, p.name], label: `${label} ${i + 1}: ${p.label.toLowerCase()}`, value: c[p.name], messages, deep: true };
              if (p.kind === 'number') return <TextInput kind="n" type="number" {...common} class="bf-narrow" />;
              if (p.kind === 'choice' && p.options) return <Select kind={p.required ? 's' : 'o'} {...common} choices={options[p.options]} empty={p.required ? undefined : '— none —'} />;
              return <TextInput kind={p.required ? 's' : 'o'} {...common} placeholder={p.label} list={p.options ? `wf-options-${p.options}` : undefined} />;
            })}
            <Command op={`remove ${pointer(cat)}`} label={`Remove ${label.toLowerCase()} ${i + 1}`} variant="link">
              Remove
            </Command>
          </li>
        );
      })}
    </ul>
  );
}

function Unknown({ value, kind }: { value: unknown; kind: 'state' | 'transition' }) {
  const keys = unknownKeys(value, kind);
  return keys.length ? <p class="json-node-note muted">{`Also has ${keys.map((k) => `"${k}"`).join(', ')}, kept as it is (edit it in the JSON).`}</p> : null;
}

export function StateCard({ name, state, doc, options, messages, focus }: { name: string; state: unknown; doc: Record<string, unknown>; options: WorkflowOptions; messages: Messages; focus: string | null }) {
  const at: Segment[] = ['states', name];
  const id = `state-${name}`;
  const l = `State ${name}`;
  const transitions = Object.keys(isObject(doc.transitions) ? doc.transitions : {}).map((t) => ({ value: t, label: t }));
  const head = (
    <div class="rule-card-head">
      <h3>
        {`State ${name}`}
        {doc.initial === name ? <span class="badge badge-info">initial</span> : null}
      </h3>
      <div class="rule-tools">
        <Command op={`remove ${pointer(at)}`} id={`${id}-remove`} label={`Remove state ${name}`} variant="danger">
          Remove
        </Command>
      </div>
    </div>
  );
  if (!isObject(state)) {
    return (
      <li class="wf-card" id={id} tabindex={-1}>
        {head}
        <JsonNode at={at} value={state} reason="it is not a state object" label={`${l} (JSON)`} messages={messages} />
      </li>
    );
  }
  const sla = isObject(state.sla) ? state.sla : {};
  const timers = Array.isArray(state.timers) ? state.timers : [];
  return (
    <li class="wf-card" id={id} tabindex={-1} autofocus={focus === id ? true : undefined}>
      {head}
      <div class="wf-fields">
        <span class="wf-field">
          <span>Name</span>
          <TextInput kind="wk" at={at} label={`${l}: name`} value={name} messages={messages} />
        </span>
        <span class="wf-field">
          <span>Label</span>
          <TextInput kind="o" at={[...at, 'label']} label={`${l}: label`} value={state.label} messages={messages} />
        </span>
        <span class="wf-field">
          <span>Customers see</span>
          <TextInput kind="o" at={[...at, 'customerLabel']} label={`${l}: label customers see`} value={state.customerLabel} messages={messages} placeholder="the label" />
        </span>
        <span class="wf-field">
          <span>Category</span>
          <Select kind="s" at={[...at, 'category']} label={`${l}: category`} value={state.category} choices={options.categories} messages={messages} />
        </span>
        <span class="wf-field">
          <span>Final</span>
          <Select kind="ob" at={[...at, 'final']} label={`${l}: final`} value={state.final} choices={yesNo} empty="no (default)" messages={messages} />
        </span>
      </div>
      <div class="wf-fields">
        <span class="wf-field wf-wide">
          <span>Description</span>
          <TextInput kind="o" at={[...at, 'description']} label={`${l}: description`} value={state.description} messages={messages} class="bf-wide" />
        </span>
      </div>
      {state.sla !== undefined && !isObject(state.sla) ? (
        <JsonNode at={[...at, 'sla']} value={state.sla} reason="its sla is not an object" label={`${l}: SLA (JSON)`} messages={messages} />
      ) : (
        <div class="wf-fields">
          <CheckboxSet kind="x" at={[...at, 'sla', 'start']} label={`${l}: SLA clocks started`} legend="SLA clocks started here (not at creation)" value={sla.start} choices={options.startMetrics} messages={messages} />
          <CheckboxSet kind="x" at={[...at, 'sla', 'pause']} label={`${l}: SLA clocks paused`} legend="SLA clocks paused here" value={sla.pause} choices={options.metrics} messages={messages} />
          <CheckboxSet kind="x" at={[...at, 'sla', 'stop']} label={`${l}: SLA clocks stopped`} legend="SLA clocks stopped (met) here" value={sla.stop} choices={options.metrics} messages={messages} />
        </div>
      )}
      <h4>On entering</h4>
      <ActionList at={[...at, 'onEnter']} list={state.onEnter} label={`${l}: on entering`} options={options} messages={messages} />
      <Command op={`addAction ${pointer(at)} onEnter`} label={`+ Action on entering state ${name}`}>
        + Action
      </Command>
      <h4>On leaving</h4>
      <ActionList at={[...at, 'onExit']} list={state.onExit} label={`${l}: on leaving`} options={options} messages={messages} />
      <Command op={`addAction ${pointer(at)} onExit`} label={`+ Action on leaving state ${name}`}>
        + Action
      </Command>
      <h4>Timers (time after entering: calendar time, or business hours on the case's SLA calendar)</h4>
      {state.timers !== undefined && !Array.isArray(state.timers) ? (
        <JsonNode at={[...at, 'timers']} value={state.timers} reason="the timers are not a list" label={`${l}: timers (JSON)`} messages={messages} />
      ) : (
        <ul class="wf-actions">
          {timers.map((timer, i) => {
            const tat = [...at, 'timers', i];
            const t = isObject(timer) ? timer : {};
            return (
              <li class="wf-action">
                <span>after</span>
                <TextInput kind="s" at={[...tat, 'after']} label={`${l}: timer ${i + 1}: after`} value={t.after} messages={messages} class="bf-narrow" placeholder="72h" />
                <Select kind="ob" at={[...tat, 'businessHours']} label={`${l}: timer ${i + 1}: counted in`} value={t.businessHours} choices={TIMER_TIME} empty="calendar time (default)" messages={messages} />
                <span>fire</span>
                <Select kind="s" at={[...tat, 'transition']} label={`${l}: timer ${i + 1}: transition`} value={t.transition} choices={transitions} messages={messages} />
                <Command op={`remove ${pointer(tat)}`} label={`Remove timer ${i + 1} of state ${name}`} variant="link">
                  Remove
                </Command>
              </li>
            );
          })}
        </ul>
      )}
      <Command op={`addTimer ${pointer(at)}`} label={`+ Timer in state ${name}`}>
        + Timer
      </Command>
      <Unknown value={state} kind="state" />
      <p class="rule-apply">
        <Command op={`refresh ${pointer(at)}`} id={`state-${name}-apply`} label={`Apply changes to state ${name}`} attrs={focus === `state-${name}-apply` ? { autofocus: true } : {}}>
          Apply changes
        </Command>
      </p>
    </li>
  );
}

export function TransitionCard({ name, transition, doc, options, messages, focus }: { name: string; transition: unknown; doc: Record<string, unknown>; options: WorkflowOptions; messages: Messages; focus: string | null }) {
  const at: Segment[] = ['transitions', name];
  const id = `transition-${name}`;
  const l = `Transition ${name}`;
  const states = Object.keys(isObject(doc.states) ? doc.states : {}).map((s) => ({ value: s, label: s }));
  const head = (
    <div class="rule-card-head">
      <h3>{`Transition ${name}`}</h3>
      <div class="rule-tools">
        <Command op={`remove ${pointer(at)}`} id={`${id}-remove`} label={`Remove transition ${name}`} variant="danger">
          Remove
        </Command>
      </div>
    </div>
  );
  if (!isObject(transition)) {
    return (
      <li class="wf-card" id={id} tabindex={-1}>
        {head}
        <JsonNode at={at} value={transition} reason="it is not a transition object" label={`${l} (JSON)`} messages={messages} />
      </li>
    );
  }
  const t = transition;
  return (
    <li class="wf-card" id={id} tabindex={-1} autofocus={focus === id ? true : undefined}>
      {head}
      <div class="wf-fields">
        <span class="wf-field">
          <span>Name</span>
          <TextInput kind="wk" at={at} label={`${l}: name`} value={name} messages={messages} />
        </span>
        <span class="wf-field">
          <span>Label</span>
          <TextInput kind="o" at={[...at, 'label']} label={`${l}: label`} value={t.label} messages={messages} />
        </span>
        <span class="wf-field wf-wide">
          <span>Description</span>
          <TextInput kind="o" at={[...at, 'description']} label={`${l}: description`} value={t.description} messages={messages} class="bf-wide" />
        </span>
      </div>
      <div class="wf-fields">
        <CheckboxSet kind="xr" at={[...at, 'from']} label={`${l}: from`} legend="From" value={t.from} choices={[{ value: '*', label: 'any state but final ones' }, ...states]} messages={messages} />
        <span class="wf-field">
          <span>To</span>
          <Select kind="s" at={[...at, 'to']} label={`${l}: to`} value={t.to} choices={[...states, { value: '@previous', label: 'the previous state' }]} messages={messages} />
        </span>
      </div>
      <div class="wf-fields">
        <CheckboxSet kind="x" at={[...at, 'roles']} label={`${l}: who may use it`} legend="Who may use it" value={t.roles} choices={options.roles} messages={messages} />
        <span class="wf-field">
          <span>Fires by itself on</span>
          <Chips kind="l" at={[...at, 'on']} label={`${l}: fires on events`} value={t.on} messages={messages} datalist="wf-options-events" placeholder="event…" />
        </span>
      </div>
      <div class="wf-fields">
        <CheckboxSet kind="x" at={[...at, 'requires']} label={`${l}: requires`} legend="Requires" value={t.requires} choices={options.fields} messages={messages} />
        <CheckboxSet kind="x" at={[...at, 'allows']} label={`${l}: allows`} legend="Allows" value={t.allows} choices={options.fields} messages={messages} />
        <span class="wf-field">
          <span>Emits</span>
          <TextInput kind="o" at={[...at, 'emits']} label={`${l}: emits event`} value={t.emits} messages={messages} list="wf-options-events" placeholder="case.resolved" />
        </span>
      </div>
      <h4>Actions</h4>
      <ActionList at={[...at, 'actions']} list={t.actions} label={`${l}: action`} options={options} messages={messages} />
      <Command op={`addAction ${pointer(at)} actions`} label={`+ Action of transition ${name}`}>
        + Action
      </Command>
      <Unknown value={t} kind="transition" />
      <p class="rule-apply">
        <Command op={`refresh ${pointer(at)}`} id={`transition-${name}-apply`} label={`Apply changes to transition ${name}`} attrs={focus === `transition-${name}-apply` ? { autofocus: true } : {}}>
          Apply changes
        </Command>
      </p>
    </li>
  );
}

export function Triggers({ doc, messages }: { doc: Record<string, unknown>; messages: Messages }) {
  if (doc.triggers !== undefined && !isObject(doc.triggers)) return <JsonNode at={['triggers']} value={doc.triggers} reason="the triggers are not an object" label="Triggers (JSON)" messages={messages} />;
  const triggers = isObject(doc.triggers) ? doc.triggers : {};
  return (
    <ul class="wf-triggers">
      {Object.entries(triggers).map(([event, rulesets]) => (
        <li class="wf-action" id={`trigger-${event.replace(/[^A-Za-z0-9_-]/g, '_')}`}>
          <span>On</span>
          <TextInput kind="wk" at={['triggers', event]} label={`Event of trigger ${event}`} value={event} messages={messages} list="wf-options-events" />
          <span>run, in order,</span>
          <Chips kind="l" at={['triggers', event]} label={`Rulesets run on ${event}`} value={rulesets} messages={messages} datalist="wf-options-rulesets" placeholder="ruleset…" />
          <Command op={`remove ${pointer(['triggers', event])}`} label={`Remove the rulesets run on ${event}`} variant="link">
            Remove
          </Command>
        </li>
      ))}
    </ul>
  );
}
