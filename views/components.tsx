/**
 * Small view components shared by every page (and by later pages such as the manager
 * console): page header, form fields with their error, buttons, badges, tables, alerts,
 * times. All text goes through hono/jsx auto-escaping.
 */
import type { Child, PropsWithChildren } from 'hono/jsx';
import { formatBytes } from '../src/attachments/settings.js';

export type FormValues = Record<string, string>;
export type FormErrors = Record<string, string>;

export interface FormState {
  values?: FormValues;
  errors?: FormErrors;
}

/** Times: in the viewer's zone, with the zone named (views/time.tsx). */
export { formatTime, Time } from './time.js';

export function PageHeader(props: { title: Child; eyebrow?: Child; actions?: Child; id?: string }) {
  return (
    <header class="page-header" id={props.id}>
      <div>
        {props.eyebrow ? <p class="eyebrow">{props.eyebrow}</p> : null}
        <h1 dir="auto">{props.title}</h1>
      </div>
      {props.actions ? <div class="page-actions">{props.actions}</div> : null}
    </header>
  );
}

export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

interface FieldProps {
  id: string;
  name: string;
  label: Child;
  state?: FormState | undefined;
  /** Value when the form state has none. */
  value?: string;
  type?: string;
  hint?: Child;
  required?: boolean;
  autocomplete?: string;
  /** Renders a textarea with this many rows. */
  rows?: number;
  maxlength?: number;
  minlength?: number;
  attrs?: Record<string, string | number | boolean | undefined>;
}

/** Inputs whose text takes its own direction (`dir="auto"`); addresses, numbers and passwords stay left to right. */
const TEXT_TYPES = new Set(['text', 'search']);

/** A labelled input or textarea with its hint and error message wired for assistive tech. */
export function Field(p: FieldProps) {
  const error = p.state?.errors?.[p.name];
  const value = p.state?.values?.[p.name] ?? p.value ?? '';
  const describedBy = [p.hint ? `${p.id}-hint` : '', error ? `${p.id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id: p.id,
    name: p.name,
    required: p.required,
    'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': describedBy,
    maxlength: p.maxlength,
    minlength: p.minlength,
    autocomplete: p.autocomplete,
    ...focusFirstError(p.state, p.name),
    // Typed text runs in its own direction: Arabic or Hebrew right to left, the rest left to right.
    dir: p.rows || TEXT_TYPES.has(p.type ?? 'text') ? 'auto' : undefined,
    ...(p.attrs ?? {}),
  };
  return (
    <div class={error ? 'field has-error' : 'field'}>
      <label for={p.id}>
        {p.label}
        {p.required ? <span class="required-mark"> (required)</span> : null}
      </label>
      {p.hint ? (
        <p class="hint" id={`${p.id}-hint`}>
          {p.hint}
        </p>
      ) : null}
      {p.rows ? <textarea rows={p.rows} {...common}>{value}</textarea> : <input type={p.type ?? 'text'} value={value} {...common} />}
      {error ? (
        <p class="field-error" id={`${p.id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

export interface Option {
  value: string;
  label: string;
}

export function SelectField(p: { id: string; name: string; label: Child; options: Option[]; state?: FormState | undefined; value?: string; attrs?: Record<string, string | undefined> }) {
  const error = p.state?.errors?.[p.name];
  const selected = p.state?.values?.[p.name] ?? p.value ?? '';
  return (
    <div class={error ? 'field has-error' : 'field'}>
      <label for={p.id}>{p.label}</label>
      <select id={p.id} name={p.name} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? `${p.id}-error` : undefined} {...focusFirstError(p.state, p.name)} {...(p.attrs ?? {})}>
        {p.options.map((o) => (
          <option value={o.value} selected={o.value === selected}>
            {o.label}
          </option>
        ))}
      </select>
      {error ? (
        <p class="field-error" id={`${p.id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** A group of radio buttons in a fieldset with a legend. */
export function RadioGroup(p: { name: string; legend: Child; options: Option[]; state?: FormState | undefined; value?: string; idPrefix: string }) {
  const error = p.state?.errors?.[p.name];
  const selected = p.state?.values?.[p.name] ?? p.value ?? '';
  return (
    <fieldset class={error ? 'field radios has-error' : 'field radios'} aria-describedby={error ? `${p.idPrefix}-error` : undefined}>
      <legend>{p.legend}</legend>
      {p.options.map((o) => (
        <label class="radio" for={`${p.idPrefix}-${o.value}`}>
          <input type="radio" id={`${p.idPrefix}-${o.value}`} name={p.name} value={o.value} checked={o.value === selected} />
          {o.label}
        </label>
      ))}
      {error ? (
        <p class="field-error" id={`${p.idPrefix}-error`}>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

/**
 * A form-level error (not tied to one field) — or, when only fields have errors, a line that
 * says so: a form that comes back (htmx swaps it in place, the focus lost with the old one)
 * was otherwise silent for a screen reader, its messages only beside the fields.
 */
/** `data-sending` of a staff form posted by htmx: read-only until its answer comes (public/app.js). */
export const SENDING = 'Sending… The form is read-only until the answer comes.';

export function FormError({ state }: { state?: FormState | undefined }) {
  const error = state?.errors?.['(form)'];
  const fields = fieldErrorNames(state).length;
  const text = error ?? (fields === 0 ? null : fields === 1 ? 'Please check the field marked below.' : `Please check the ${fields} fields marked below.`);
  return text ? (
    <p class="alert alert-error" role="alert">
      {text}
    </p>
  ) : null;
}

/** The fields with an error, in the order the form's checks found them. */
function fieldErrorNames(state: FormState | undefined): string[] {
  return Object.keys(state?.errors ?? {}).filter((name) => name !== '(form)');
}

/**
 * `autofocus` for the first field with an error, so the form that comes back puts the keyboard
 * there (htmx focuses the swapped content's `autofocus` element; a page load does too).
 */
function focusFirstError(state: FormState | undefined, name: string): { autofocus?: true } {
  return fieldErrorNames(state)[0] === name ? { autofocus: true } : {};
}

type ButtonVariant = 'primary' | 'secondary' | 'danger' | 'link';

export function Button(p: PropsWithChildren<{ variant?: ButtonVariant; type?: 'submit' | 'button'; id?: string; name?: string; value?: string; attrs?: Record<string, string | undefined> }>) {
  return (
    <button type={p.type ?? 'submit'} class={`button button-${p.variant ?? 'primary'}`} id={p.id} name={p.name} value={p.value} {...(p.attrs ?? {})}>
      {p.children}
    </button>
  );
}

export type Tone = 'neutral' | 'info' | 'ok' | 'warning' | 'danger' | 'muted';

export function Badge(p: PropsWithChildren<{ tone?: Tone; title?: string }>) {
  return (
    <span class={`badge badge-${p.tone ?? 'neutral'}`} title={p.title}>
      {p.children}
    </span>
  );
}

/**
 * A table in a wrapper that scrolls sideways when the table is wider than its panel. With
 * `scrollLabel` the wrapper takes keyboard focus, so it scrolls without a mouse. With
 * `stack` each row becomes a card on a phone; its cells then need `data-label` (the column).
 */
export function Table(p: PropsWithChildren<{ caption: Child; head: Child[]; id?: string; captionHidden?: boolean; scrollLabel?: string; stack?: boolean }>) {
  return (
    <div class="table-wrap" {...(p.scrollLabel ? { tabindex: 0, role: 'group', 'aria-label': p.scrollLabel } : {})}>
      <table id={p.id} class={p.stack ? 'table-stack' : undefined}>
        <caption class={p.captionHidden ? 'visually-hidden' : undefined}>{p.caption}</caption>
        <thead>
          <tr>
            {p.head.map((h) => (
              <th scope="col">{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>{p.children}</tbody>
      </table>
    </div>
  );
}

export function Alert(p: PropsWithChildren<{ tone: 'error' | 'ok' | 'info'; id?: string }>) {
  return (
    <div class={`alert alert-${p.tone}`} id={p.id} role={p.tone === 'error' ? 'alert' : 'status'}>
      {p.children}
    </div>
  );
}

export function EmptyState(p: PropsWithChildren) {
  return <p class="empty">{p.children}</p>;
}

/** The attachment limits a file field states (from ATTACHMENT_MAX_*). */
export interface UploadLimits {
  maxBytes: number;
  maxCount: number;
  maxTotalBytes: number;
}

/**
 * `<input type=file multiple>` with its label, the limits as a hint and its error. The form
 * around it must be `enctype="multipart/form-data"` (htmx then sends it as multipart too).
 */
/**
 * The form value naming the files a form was sent with when it comes back (an error, a
 * question): a browser cannot fill a file field again, so FileField says which files were
 * not sent and must be chosen again. Set by `withFilesNotSent`.
 */
export const FILES_NOT_SENT = '(files not sent)';

/** `values` with the names of the files sent along (at most five named), for a form that comes back unsent. */
export function withFilesNotSent(values: FormValues, names: readonly string[]): FormValues {
  if (names.length === 0) return values;
  const shown = names.slice(0, 5).map((n) => `“${n}”`);
  const more = names.length > 5 ? ` and ${names.length - 5} more` : '';
  return { ...values, [FILES_NOT_SENT]: `${shown.join(', ')}${more}` };
}

export function FileField(p: { id: string; name: string; label: Child; limits: UploadLimits; state?: FormState | undefined }) {
  const error = p.state?.errors?.[p.name];
  const notSent = p.state?.values?.[FILES_NOT_SENT];
  const describedBy = [`${p.id}-hint`, error ? `${p.id}-error` : '', notSent ? `${p.id}-again` : ''].filter(Boolean).join(' ');
  return (
    <div class={error || notSent ? 'field has-error' : 'field'}>
      <label for={p.id}>{p.label}</label>
      <p class="hint" id={`${p.id}-hint`}>
        {`Optional: up to ${p.limits.maxCount} files, ${formatBytes(p.limits.maxBytes)} each, ${formatBytes(p.limits.maxTotalBytes)} together.`}
      </p>
      <input type="file" id={p.id} name={p.name} multiple aria-invalid={error ? 'true' : undefined} aria-describedby={describedBy} {...focusFirstError(p.state, p.name)} />
      {error ? (
        <p class="field-error" id={`${p.id}-error`}>
          {error}
        </p>
      ) : null}
      {notSent ? (
        <p class="field-error" id={`${p.id}-again`}>
          {`Not sent yet: ${notSent}. A browser cannot keep files in a form that comes back: choose them again.`}
        </p>
      ) : null}
    </div>
  );
}
