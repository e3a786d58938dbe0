/**
 * Form fields of the definition builders (rules, workflows), named and filled by
 * src/definitions/form-edit.ts: each field shows a value of the document at a JSON pointer,
 * with its validation messages right beside it (`aria-describedby`). A value the builder
 * cannot show as a form is shown as JSON, marked, and stays editable.
 */
import type { Child } from 'hono/jsx';
import type { DefinitionProblem } from '../../../src/definitions/problems.js';
import { fieldId, fieldName, formText, listItems, pointer, pointerOfJsonPath, type Segment } from '../../../src/definitions/form-edit.js';
import { Badge, CsrfField, Field } from '../../components.js';

export interface Choice {
  value: string;
  label: string;
}

/** Validation problems (by JSON pointer) and field messages (by field name), for the fields to show beside them. */
export class Messages {
  readonly #byPointer = new Map<string, DefinitionProblem[]>();
  readonly #fields: Map<string, string>;
  readonly pending: Map<string, string>;

  constructor(problems: readonly DefinitionProblem[], fieldErrors = new Map<string, string>(), pending = new Map<string, string>()) {
    for (const p of problems) {
      const at = pointerOfJsonPath(p.path);
      const list = this.#byPointer.get(at);
      if (list) list.push(p);
      else this.#byPointer.set(at, [p]);
    }
    this.#fields = fieldErrors;
    this.pending = pending;
  }

  /** Messages about exactly this value (and, with `deep`, anything inside it). */
  at(segments: readonly Segment[], deep = false): string[] {
    const p = pointer(segments);
    const out: string[] = [];
    for (const [at, list] of this.#byPointer) {
      if (at === p || (deep && at.startsWith(`${p}/`))) out.push(...list.map((x) => (x.severity === 'warning' ? `warning: ${x.message}` : x.message)));
    }
    return out;
  }

  field(name: string): string | undefined {
    return this.#fields.get(name);
  }
}

/** Messages beside a field; the field points at them with `aria-describedby`. */
export function FieldMessages({ id, messages }: { id: string; messages: string[] }) {
  if (messages.length === 0) return null;
  return (
    <ul class="field-messages" id={id}>
      {messages.map((m) => (
        <li class={m.startsWith('warning: ') ? 'field-warning' : 'field-error'}>{m}</li>
      ))}
    </ul>
  );
}

interface InputBase {
  kind: string;
  at: Segment[];
  label: string;
  value: unknown;
  messages: Messages;
  /** Extra problem pointers shown beside this field (e.g. a condition's fact and path beside its field select). */
  also?: Segment[][];
  deep?: boolean;
  class?: string;
}

function wiring(p: InputBase) {
  const id = fieldId(p.kind, p.at);
  const name = fieldName(p.kind, p.at);
  const messages = [...p.messages.at(p.at, p.deep), ...(p.also ?? []).flatMap((a) => p.messages.at(a, p.deep))];
  const own = p.messages.field(name);
  if (own) messages.unshift(own);
  const errorId = `${id}-messages`;
  return {
    id,
    name,
    messages,
    errorId,
    attrs: { id, name, 'aria-label': p.label, 'aria-invalid': messages.some((m) => !m.startsWith('warning: ')) ? 'true' : undefined, 'aria-describedby': messages.length ? errorId : undefined },
  };
}

/** `whole`: a number field that takes whole numbers from 1 (a rule's priority: json-rules-engine parseInt's it). */
export function TextInput(p: InputBase & { type?: 'text' | 'number' | 'datetime-local'; whole?: boolean; list?: string; placeholder?: string; size?: number }) {
  const w = wiring(p);
  const value = p.messages.pending.get(w.name) ?? formText(p.kind, p.value);
  const number = p.type !== 'number' ? {} : p.whole ? { step: '1', min: '1', inputmode: 'numeric' as const } : { step: 'any' };
  return (
    <span class={`bf ${p.class ?? ''} ${w.messages.length ? 'has-error' : ''}`}>
      <input type={p.type ?? 'text'} value={value} {...w.attrs} list={p.list} placeholder={p.placeholder} {...number} size={p.size} />
      <FieldMessages id={w.errorId} messages={w.messages} />
    </span>
  );
}

/** The HTML parser drops one newline right after `<textarea>`: a value that starts with one gets another. */
function keepLeadingNewline(text: string): string {
  return text.startsWith('\n') ? `\n${text}` : text;
}

export function TextArea(p: InputBase & { rows?: number }) {
  const w = wiring(p);
  return (
    <span class={`bf bf-wide ${p.class ?? ''} ${w.messages.length ? 'has-error' : ''}`}>
      <textarea rows={p.rows ?? 3} {...w.attrs}>
        {keepLeadingNewline(p.messages.pending.get(w.name) ?? formText(p.kind, p.value))}
      </textarea>
      <FieldMessages id={w.errorId} messages={w.messages} />
    </span>
  );
}

/** A select; a current value that is not among the choices is kept as a choice of its own. */
export function Select(p: InputBase & { choices: Choice[]; empty?: string }) {
  const w = wiring(p);
  const current = formText(p.kind, p.value);
  const choices = [...(p.empty !== undefined ? [{ value: '', label: p.empty }] : []), ...p.choices];
  if (!choices.some((c) => c.value === current)) choices.push({ value: current, label: current === '' ? '— choose —' : `${current} (unknown)` });
  return (
    <span class={`bf ${p.class ?? ''} ${w.messages.length ? 'has-error' : ''}`}>
      <select {...w.attrs}>
        {choices.map((c) => (
          <option value={c.value} selected={c.value === current}>
            {c.label}
          </option>
        ))}
      </select>
      <FieldMessages id={w.errorId} messages={w.messages} />
    </span>
  );
}

/**
 * A list as chips: each value a checkbox (uncheck to remove it), and a text field to add
 * more (comma separated, a value with a comma in "quotes"; Enter or leaving the field adds
 * them). `kind` is `l` or `ln`.
 */
export function Chips(p: InputBase & { datalist?: string; placeholder?: string }) {
  const w = wiring(p);
  const items = listItems(p.value);
  const adder = `+${w.name}`;
  return (
    <span class={`bf chips ${w.messages.length ? 'has-error' : ''}`} role="group" aria-label={p.label} id={`${w.id}-chips`}>
      <input type="hidden" name={`?${w.name}`} value="" />
      {items.map((item, i) => (
        <label class="chip" for={`${w.id}-${i}`}>
          <input type="checkbox" id={`${w.id}-${i}`} name={w.name} value={item} checked aria-describedby={w.messages.length ? w.errorId : undefined} />
          <span>{item}</span>
          <span class="visually-hidden"> (uncheck to remove)</span>
        </label>
      ))}
      <input
        type="text"
        class="chip-adder"
        id={`${w.id}-add`}
        name={adder}
        value={p.messages.pending.get(adder) ?? ''}
        aria-label={`${p.label}: add (comma separated)`}
        title={`Comma separated; a value with a comma in "quotes"`}
        placeholder={p.placeholder ?? (items.length ? 'add…' : 'type, then Enter')}
        list={p.datalist}
        aria-invalid={w.messages.length ? 'true' : undefined}
        aria-describedby={w.messages.length ? w.errorId : undefined}
      />
      <FieldMessages id={w.errorId} messages={w.messages} />
    </span>
  );
}

/** Checkboxes for a set of options (`x`: none removes the key; `xr`: required). */
export function CheckboxSet(p: InputBase & { choices: Choice[]; legend: Child }) {
  const w = wiring(p);
  const current = p.value === '*' ? ['*'] : listItems(p.value);
  const choices = [...p.choices];
  for (const c of current) if (!choices.some((x) => x.value === c)) choices.push({ value: c, label: `${c} (unknown)` });
  return (
    <fieldset class={`bf bf-set ${w.messages.length ? 'has-error' : ''}`} aria-describedby={w.messages.length ? w.errorId : undefined}>
      <legend>{p.legend}</legend>
      <input type="hidden" name={`?${w.name}`} value="" />
      {choices.map((c, i) => (
        <label class="check" for={`${w.id}-${i}`}>
          <input type="checkbox" id={`${w.id}-${i}`} name={w.name} value={c.value} checked={current.includes(c.value)} />
          {c.label}
        </label>
      ))}
      <FieldMessages id={w.errorId} messages={w.messages} />
    </fieldset>
  );
}

/** A checkbox that switches something on (`en`: absent or true = on; `ck`: the key exists). */
export function Switch(p: InputBase & { on: boolean; text: Child }) {
  const w = wiring(p);
  return (
    <span class={`bf switch ${w.messages.length ? 'has-error' : ''}`}>
      <input type="hidden" name={`?${w.name}`} value="" />
      <label class="check" for={w.id}>
        <input type="checkbox" id={w.id} name={w.name} value="on" checked={p.on} aria-describedby={w.messages.length ? w.errorId : undefined} />
        {p.text}
      </label>
      <FieldMessages id={w.errorId} messages={w.messages} />
    </span>
  );
}

/** A part the builder cannot show as a form: its JSON, editable, with why. */
export function JsonNode(p: { at: Segment[]; value: unknown; reason: string; label: string; messages: Messages }) {
  const w = wiring({ kind: 'j', at: p.at, label: p.label, value: p.value, messages: p.messages, deep: true });
  const text = p.messages.pending.get(w.name) ?? formText('j', p.value);
  return (
    <div class={`json-node ${w.messages.length ? 'has-error' : ''}`} data-json-node={pointer(p.at)}>
      <p class="json-node-note">
        <Badge tone="warning">shown as JSON</Badge> <span>{`The builder cannot show this as a form: ${p.reason}. It is kept exactly as it is; edit it here.`}</span>
      </p>
      <textarea class="code-editor json-node-text" rows={Math.min(14, Math.max(3, text.split('\n').length))} spellcheck={false} {...w.attrs}>
        {text}
      </textarea>
      <FieldMessages id={w.errorId} messages={w.messages} />
    </div>
  );
}

/** A command button of the builder form (`op`), e.g. "Add condition". */
export function Command(p: { op: string; children: Child; id?: string; variant?: 'secondary' | 'danger' | 'link' | 'primary'; label?: string; small?: boolean; attrs?: Record<string, boolean | string | undefined> }) {
  return (
    <button type="submit" name="op" value={p.op} id={p.id ?? `cmd-${p.op.replace(/[^A-Za-z0-9]+/g, '-')}`} class={`button button-${p.variant ?? 'secondary'}${p.small === false ? '' : ' button-small'}`} aria-label={p.label} formnovalidate {...(p.attrs ?? {})}>
      {p.children}
    </button>
  );
}

/** A datalist of choices, for text fields that suggest what exists. */
export function DataList({ id, choices }: { id: string; choices: Choice[] }) {
  return (
    <datalist id={id}>
      {choices.map((c) => (
        <option value={c.value}>{c.label === c.value ? undefined : c.label}</option>
      ))}
    </datalist>
  );
}

/** A builder's save footer: the draft's note and the save command (`hint` beside it, when given). */
export function BuilderSave({ draftNote, hint }: { draftNote: string | undefined; hint?: string }) {
  return (
    <div class="builder-save">
      <Field id="builder-note-field" name="note" label="Note for the draft saved from the forms (optional)" value={draftNote} maxlength={2000} />
      <Command op="save" id="builder-save" variant="primary" small={false}>
        Save the forms as a draft
      </Command>
      {hint ? <span class="muted">{` ${hint}`}</span> : null}
    </div>
  );
}

/** The form around a builder (rules or workflow): every change posts it, `#builder` inside it is what comes back. */
export function BuilderFormShell({ base, csrfToken, children }: { base: string; csrfToken: string; children: Child }) {
  return (
    <form
      id="builder-form"
      class="builder-form"
      method="post"
      action={`${base}/builder`}
      hx-post={`${base}/builder`}
      hx-trigger="change, submit"
      hx-target="#builder"
      hx-swap="outerHTML"
      hx-sync="this:replace"
      hx-push-url="false"
      novalidate
    >
      <CsrfField token={csrfToken} />
      {children}
    </form>
  );
}
