/**
 * The rule builder (`/manage/rules/:name`): each rule as a form that reads as a sentence —
 * "If [all ▾] of: [Subject ▾] [has any of the words ▾] [refund, invoice] … then [route to
 * queue ▾] [billing ▾]" — with its name, priority and an on/off switch; rules reordered,
 * duplicated and removed with buttons (Alt+↑/↓ from the keyboard with JavaScript); the
 * ruleset's examples below. One form: every change is a post that re-renders the builder
 * (htmx swaps it in place; without JavaScript the page comes back). The document travels
 * in a hidden field, so what the builder does not show is never lost.
 */
import type { DefinitionProblem } from '../../../src/definitions/problems.js';
import { pointer, type Segment } from '../../../src/definitions/form-edit.js';
import { eventShape, ruleShape } from '../../../src/rules/builder.js';
import { EVENT_CHOICES, eventChoice, type OptionSource, type Options } from '../../../src/rules/catalogue.js';
import { describeRule } from '../../../src/rules/describe.js';
import type { RuleJson } from '../../../src/rules/definition.js';
import type { ExampleRun } from '../../../src/rules/examples.js';
import { BuilderFormShell, BuilderSave, Chips, Command, DataList, JsonNode, Messages, Select, Switch, TextInput } from './builder-fields.js';
import { ConditionNode, type ConditionContext } from './rule-conditions.js';
import { ExampleList, ExampleResults } from './rule-examples.js';
import { ProblemList } from './parts.js';

export interface BuilderState {
  /** The ruleset document as the builder shows it (may be invalid while editing). */
  doc: Record<string, unknown> | null;
  /** Why the document cannot be shown at all (it is not a ruleset object). */
  unusable: string | null;
  problems: DefinitionProblem[];
  fieldErrors: Map<string, string>;
  pending: Map<string, string>;
  examples: ExampleRun;
  /** What the last command did, said to screen readers. */
  note: string | null;
  /** The version the document started from. */
  from: number | null;
  /** The draft note typed so far. */
  draftNote: string;
  /** The element to focus after a command (a moved rule's button…): rendered with `autofocus`. */
  focus?: string | null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sentence(rule: unknown): string | null {
  try {
    return describeRule(rule as RuleJson);
  } catch {
    return null;
  }
}

function EventFields({ at, event, ctx }: { at: Segment[]; event: Record<string, unknown>; ctx: ConditionContext }) {
  const choice = eventChoice(event.type)!;
  const params = isObject(event.params) ? event.params : {};
  return (
    <div class="rule-then">
      <strong class="rule-word">then</strong>
      <Select
        kind="et"
        at={at}
        label={`${ctx.rule}: action`}
        value={event.type}
        choices={EVENT_CHOICES.map((e) => ({ value: e.type, label: e.label }))}
        messages={ctx.messages}
        also={[[...at, 'type']]}
      />
      {choice.params.map((param) => {
        const pat = [...at, 'params', param.name];
        const common = { at: pat, label: `${ctx.rule}: ${param.label.toLowerCase()}`, value: params[param.name], messages: ctx.messages, deep: true };
        const source: OptionSource | undefined = param.options;
        if (param.kind === 'list') return <Chips kind="l" {...common} datalist={source ? `options-${source}` : undefined} />;
        if (param.kind === 'number') return <TextInput kind="n" type="number" {...common} class="bf-narrow" />;
        if (param.kind === 'choice') {
          const choices = source ? ctx.options[source] : [];
          if (source === 'notifyTargets') return <TextInput kind="s" {...common} list="options-notifyTargets" />;
          return <Select kind={param.required ? 's' : 'o'} {...common} choices={choices} empty={param.required ? undefined : '— none —'} />;
        }
        return <TextInput kind={param.required ? 's' : 'o'} {...common} placeholder={param.label} />;
      })}
      {ctx.messages.at([...at, 'params']).map((m) => (
        <span class="field-error">{m}</span>
      ))}
    </div>
  );
}

export function RuleCard({ i, rule, count, options, messages, focus }: { i: number; rule: unknown; count: number; options: Options; messages: Messages; focus?: string | null | undefined }) {
  const af = (id: string) => (focus === id ? { autofocus: true } : {});
  const at: Segment[] = ['rules', i];
  const title = isObject(rule) && typeof rule.name === 'string' && rule.name !== '' ? rule.name : `Rule ${i + 1}`;
  const ctx: ConditionContext = { options, messages, rule: `Rule ${i + 1}` };
  const shape = ruleShape(rule);
  const r = isObject(rule) ? rule : {};
  const off = r.enabled === false;
  const said = shape.ok ? sentence(rule) : null;
  return (
    <li class={`rule-card${off ? ' rule-off' : ''}`} id={`rule-card-${i}`} data-rule-index={String(i)} tabindex={-1} aria-labelledby={`rule-${i}-title`} {...af(`rule-card-${i}`)}>
      <div class="rule-card-head">
        <h3 id={`rule-${i}-title`}>
          <span class="rule-number">{`${i + 1}.`}</span> {title}
          {off ? <span class="badge badge-muted">switched off</span> : null}
        </h3>
        <div class="rule-tools" role="group" aria-label={`Rule ${i + 1}: order and copies`}>
          <Command op={`moveRule ${i} up`} id={`rule-${i}-move-up`} attrs={af(`rule-${i}-move-up`)} label={`↑ Up: move rule ${i + 1} up`} variant="secondary">
            ↑ Up
          </Command>
          <Command op={`moveRule ${i} down`} id={`rule-${i}-move-down`} attrs={af(`rule-${i}-move-down`)} label={`↓ Down: move rule ${i + 1} down`} variant="secondary">
            ↓ Down
          </Command>
          <Command op={`duplicateRule ${i}`} id={`rule-${i}-duplicate`} attrs={af(`rule-${i}-duplicate`)} label={`Duplicate rule ${i + 1}`}>
            Duplicate
          </Command>
          <Command op={`removeRule ${i}`} id={`rule-${i}-remove`} attrs={af(`rule-${i}-remove`)} label={`Remove rule ${i + 1}`} variant="danger">
            Remove
          </Command>
        </div>
      </div>
      {messages.at(at).map((m) => (
        <p class="field-error">{m}</p>
      ))}
      {!shape.ok ? (
        <JsonNode at={at} value={rule} reason={shape.reason} label={`Rule ${i + 1} (JSON)`} messages={messages} />
      ) : (
        <>
          <div class="rule-meta-fields">
            <label class="bf-label" for={`f-s-rules-${i}-name`}>
              Name
            </label>
            <TextInput kind="s" at={[...at, 'name']} label={`Rule ${i + 1}: name`} value={r.name} messages={messages} class="bf-name" />
            <label class="bf-label" for={`f-n-rules-${i}-priority`}>
              Priority
            </label>
            <TextInput kind="n" type="number" whole at={[...at, 'priority']} label={`Rule ${i + 1}: rule priority (a whole number, 1 or more; higher wins; empty is 1)`} value={r.priority} messages={messages} class="bf-narrow" placeholder="1" />
            <Switch kind="en" at={[...at, 'enabled']} label={`Rule ${i + 1}: on`} value={r.enabled} on={!off} text="On" messages={messages} />
          </div>
          {said ? <p class="rule-sentence muted">{said}</p> : null}
          <div class="rule-if">
            <ConditionNode at={[...at, 'conditions']} node={r.conditions} ctx={ctx} top />
          </div>
          {eventShape(r.event).ok ? (
            <EventFields at={[...at, 'event']} event={r.event as Record<string, unknown>} ctx={ctx} />
          ) : (
            <div class="rule-then">
              <strong class="rule-word">then</strong>
              <JsonNode at={[...at, 'event']} value={r.event} reason={(eventShape(r.event) as { reason: string }).reason} label={`Rule ${i + 1}: action (JSON)`} messages={messages} />
            </div>
          )}
        </>
      )}
      <p class="rule-apply">
        <Command op={`refresh /rules/${i}`} id={`rule-${i}-apply`} attrs={af(`rule-${i}-apply`)} label={`Apply changes to rule ${i + 1}`}>
          Apply changes
        </Command>
        <span class="muted">{` rules[${i}] of ${count}`}</span>
      </p>
    </li>
  );
}

const DATALISTS: OptionSource[] = ['queues', 'tags', 'skills', 'tiers', 'notifyTargets'];

/** The builder's content: swapped as a whole after each change. */
export function Builder({ state, options, oob }: { state: BuilderState; options: Options; oob?: boolean }) {
  const messages = new Messages(state.problems, state.fieldErrors, state.pending);
  const doc = state.doc;
  const rules = doc && Array.isArray(doc.rules) ? doc.rules : null;
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
      {DATALISTS.map((source) => (
        <DataList id={`options-${source}`} choices={options[source]} />
      ))}
      {state.unusable || !doc || !rules ? (
        <p class="alert alert-error" role="alert">
          {`The builder cannot show this ruleset: ${state.unusable ?? 'it has no list of rules'}. Fix it in the JSON below.`}
        </p>
      ) : (
        <div class="builder-layout">
          <div class="builder-main">
          <details class="builder-problems" open={errors > 0 ? true : undefined}>
            <summary>{state.problems.length === 0 ? 'No problems found.' : `${errors} error${errors === 1 ? '' : 's'}, ${state.problems.length - errors} warning${state.problems.length - errors === 1 ? '' : 's'} (each is shown beside its field)`}</summary>
            <ProblemList problems={state.problems} />
          </details>
          <ol class="rule-cards" id="builder-rules" tabindex={-1} aria-label="Rules, in order" autofocus={state.focus === 'builder-rules' ? true : undefined}>
            {rules.map((rule, i) => (
              <RuleCard i={i} rule={rule} count={rules.length} options={options} messages={messages} focus={state.focus} />
            ))}
          </ol>
          <p>
            <Command op="addRule" id="add-rule" small={false}>
              + Add a rule
            </Command>
          </p>
          <ExampleList doc={doc} run={state.examples} options={options} messages={messages} focus={state.focus ?? null} />
          </div>
          <aside class="builder-aside" aria-label="Example results">
            <ExampleResults run={state.examples} />
          </aside>
        </div>
      )}
      <BuilderSave draftNote={state.draftNote} hint="Saving stores a new draft (nothing is published) and runs the examples." />
    </div>
  );
}

/** The builder's form; `#builder` inside it is what each change replaces. */
export function BuilderForm({ base, csrfToken, state, options }: { base: string; csrfToken: string; state: BuilderState; options: Options }) {
  return (
    <BuilderFormShell base={base} csrfToken={csrfToken}>
      <Builder state={state} options={options} />
    </BuilderFormShell>
  );
}

export { pointer };
