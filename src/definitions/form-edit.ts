/**
 * Editing a JSON definition through an HTML form without losing anything: the form carries
 * the document as it was rendered (a hidden field) and one field per value it shows, each
 * named by its kind and the JSON pointer of the value (`s:/rules/0/name`,
 * `l:/rules/0/conditions/any/1/value`). On a post, a field changes the document only when
 * what was posted differs from what the field showed for the value in the document — so an
 * untouched form gives back the same document, byte for byte, whatever it holds (a number
 * written as a string, a list with duplicates, keys in any order, constructs the form does
 * not know and shows as JSON).
 *
 * Kinds (the form text of a value in brackets):
 *   s   a string (as is)                         o   an optional string ('' removes the key)
 *   n   a number ('' removes the key)            t   a time in epoch ms (`YYYY-MM-DDTHH:mm`, UTC)
 *   ti  a time as an ISO 8601 string (the same)  b   true / false ('true' | 'false')
 *   ob  true / false / '' (removes the key)      en  "enabled" checkbox: unchecked writes false
 *   l   a list of strings (checkboxes + adder)   ln  a list of numbers (the same)
 *   x   a set of options (checkboxes; '*' = all; none removes the key)
 *   xr  the same, required (none gives [])       j   any JSON (a text area)
 * Checkbox kinds post a marker `?<kind>:<pointer>` so that "nothing checked" is seen; list
 * kinds add the values typed in `+<kind>:<pointer>` (comma or line separated).
 * Domain kinds (a rule's field, operator, event type…) are handled by hooks.
 */
import { canonicalJson } from './diff.js';
import { parseDefinitionJson } from './parse-json.js';

import { getAt, parsePointer, pointer, removeAt, setAt, type Doc, type Segment } from './json-pointer.js';

export { getAt, parsePointer, pointer, pointerOfJsonPath, removeAt, renameKey, setAt, type Doc, type Segment } from './json-pointer.js';

export function fieldName(kind: string, segments: readonly Segment[]): string {
  return `${kind}:${pointer(segments)}`;
}

/** An element id for a field (ids survive htmx swaps, so focus stays where it was). */
export function fieldId(kind: string, segments: readonly Segment[]): string {
  return `f-${kind}${segments.map((s) => `-${String(s).replace(/[^A-Za-z0-9_-]/g, '_')}`).join('')}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Epoch ms as a `datetime-local` value in UTC. */
export function timeText(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/**
 * A value as text: a string as is, anything else as JSON (never `String(value)`, which throws
 * on a parsed object such as `{"toString": false}`).
 */
function plainText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** What a field of `kind` shows for `value`. */
export function formText(kind: string, value: unknown): string {
  if (value === undefined) return '';
  switch (kind) {
    case 't':
      return typeof value === 'number' ? timeText(value) : plainText(value);
    case 'ti':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? timeText(Date.parse(value)) : plainText(value);
    case 'j':
      return canonicalJson(value);
    default:
      return plainText(value);
  }
}

/** The items a list field shows for a value. */
export function listItems(value: unknown): string[] {
  return Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))) : [];
}

/**
 * The items typed in a list's field: separated by commas or lines; a value in double quotes
 * (straight or curly, as a keyboard may replace them) is one item, commas included
 * (`"Acme, Inc.", Globex`). A quote left open is taken as typed.
 */
function splitItems(text: string): string[] {
  const quoted = /^\s*(?:"([^"\n]*)"|“([^”\n]*)”)\s*(?:[,\n]|$)/;
  const items: string[] = [];
  let rest = text;
  while (rest !== '') {
    const q = quoted.exec(rest);
    if (q) {
      items.push(q[1] ?? q[2]!);
      rest = rest.slice(q[0].length);
      continue;
    }
    const end = rest.search(/[\n,]/);
    items.push(end === -1 ? rest : rest.slice(0, end));
    rest = end === -1 ? '' : rest.slice(end + 1);
  }
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

function parseNumber(text: string): unknown {
  const t = text.trim();
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) : text;
}

function parseTime(text: string): unknown {
  const t = text.trim();
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2})?$/.exec(t);
  if (!m) return text;
  const ms = Date.parse(`${m[1]}${m[2] ?? ':00'}Z`);
  return Number.isNaN(ms) ? text : ms;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The posted form: every value of every name, in document order. */
export type PostedForm = Map<string, string[]>;

export interface HookContext {
  doc: Doc;
  segments: string[];
  /** The value posted (the first, for single-valued fields). */
  posted: string;
  /** Later fields at or below this pointer are ignored (their node was reset). */
  freeze(segments: readonly Segment[]): void;
  /** A message beside the field, and the text to show in it again. */
  fail(message: string, text?: string): void;
}

export interface FormHook {
  /** A checkbox kind: the hook runs for the marker `?<kind>:<pointer>`; `posted` is '' when unchecked. */
  marked?: boolean;
  /**
   * 1: before anything else (a field that changes what its node is); 2: before plain values;
   * 3: deferred (`FormEdit.deferred`), after the form's command, for changes that move
   * other values (a key renamed): the pointers of the form refer to the document as rendered.
   */
  phase: 1 | 2 | 3;
  apply(ctx: HookContext): void;
}

export interface FormEdit {
  doc: Doc;
  /** Texts that could not be applied (JSON that does not parse, a name taken), by field name: shown again as typed. */
  pending: Map<string, string>;
  /** Messages beside those fields, by field name. */
  errors: Map<string, string>;
  /** Phase-3 changes: run them after the command. */
  deferred: (() => void)[];
}

const CHECKBOX_KINDS = new Set(['en', 'l', 'ln', 'x', 'xr']);
const PLAIN_KINDS = new Set(['s', 'o', 'n', 't', 'ti', 'b', 'ob', 'j']);

function splitName(name: string): { kind: string; segments: string[] } | null {
  const colon = name.indexOf(':');
  if (colon <= 0) return null;
  const segments = parsePointer(name.slice(colon + 1));
  return segments && segments.length > 0 ? { kind: name.slice(0, colon), segments } : null;
}

/**
 * Applies the posted fields to `doc` (a copy is changed and returned). Fields whose value
 * is unchanged leave the document alone; `hooks` handle domain kinds.
 */
export function applyFields(source: Doc, form: PostedForm, hooks: Record<string, FormHook> = {}): FormEdit {
  const doc = structuredClone(source);
  const result: FormEdit = { doc, pending: new Map(), errors: new Map(), deferred: [] };
  const frozen: string[] = [];
  const isFrozen = (segments: readonly Segment[]) => {
    const p = pointer(segments);
    return frozen.some((f) => p === f || p.startsWith(`${f}/`));
  };
  const freeze = (segments: readonly Segment[]) => frozen.push(pointer(segments));
  const names = [...form.keys()];

  for (const phase of [1, 2, 3] as const) {
    for (const name of names) {
      const marker = name.startsWith('?');
      const parsed = splitName(marker ? name.slice(1) : name);
      const hook = parsed ? hooks[parsed.kind] : undefined;
      if (!parsed || !hook || hook.phase !== phase || isFrozen(parsed.segments)) continue;
      if (marker !== Boolean(hook.marked)) continue;
      const ctx: HookContext = {
        doc,
        segments: parsed.segments,
        posted: form.get(marker ? name.slice(1) : name)?.[0] ?? '',
        freeze,
        fail: (message, text) => {
          result.errors.set(name.replace(/^\?/, ''), message);
          if (text !== undefined) result.pending.set(name.replace(/^\?/, ''), text);
        },
      };
      if (phase === 3) result.deferred.push(() => hook.apply(ctx));
      else hook.apply(ctx);
    }
  }

  for (const name of names) {
    const marker = name.startsWith('?');
    const parsed = splitName(marker ? name.slice(1) : name);
    if (!parsed || isFrozen(parsed.segments)) continue;
    const { kind, segments } = parsed;
    if (marker && CHECKBOX_KINDS.has(kind)) applyCheckboxes(doc, kind, segments, form);
    else if (!marker && PLAIN_KINDS.has(kind)) applyPlain(result, name, kind, segments, form.get(name)![0] ?? '');
  }
  return result;
}

function applyPlain(result: FormEdit, name: string, kind: string, segments: string[], posted: string): void {
  const { doc } = result;
  const current = getAt(doc, segments);
  const text = posted.replace(/\r\n?/g, '\n');
  if (text === formText(kind, current)) return;
  switch (kind) {
    case 's':
      setAt(doc, segments, text.trim());
      return;
    case 'o':
      if (text.trim() === '') removeAt(doc, segments);
      else setAt(doc, segments, text.trim());
      return;
    case 'n':
      if (text.trim() === '') removeAt(doc, segments);
      else setAt(doc, segments, parseNumber(text));
      return;
    case 't':
      if (text.trim() === '') removeAt(doc, segments);
      else setAt(doc, segments, parseTime(text));
      return;
    case 'ti':
      if (text.trim() === '') removeAt(doc, segments);
      else {
        const ms = parseTime(text);
        setAt(doc, segments, typeof ms === 'number' ? new Date(ms).toISOString() : text);
      }
      return;
    case 'b':
      if (text === 'true' || text === 'false') setAt(doc, segments, text === 'true');
      return;
    case 'ob':
      if (text === 'true' || text === 'false') setAt(doc, segments, text === 'true');
      else if (text === '') removeAt(doc, segments);
      return;
    case 'j': {
      const parsed = parseDefinitionJson(text);
      if (parsed.ok) setAt(doc, segments, parsed.value);
      else {
        result.pending.set(name, posted);
        result.errors.set(name, parsed.problems.map((p) => (p.path === '$' ? p.message : `${p.path}: ${p.message}`)).join('; '));
      }
      return;
    }
  }
}

function applyCheckboxes(doc: Doc, kind: string, segments: string[], form: PostedForm): void {
  const current = getAt(doc, segments);
  const checked = form.get(`${kind}:${pointer(segments)}`) ?? [];
  if (kind === 'en') {
    const enabled = checked.length > 0;
    if (enabled === (current !== false)) return;
    if (enabled) removeAt(doc, segments);
    else setAt(doc, segments, false);
    return;
  }
  if (kind === 'x' || kind === 'xr') {
    const before = current === '*' ? ['*'] : listItems(current);
    if (new Set(before).size === new Set(checked).size && checked.every((c) => before.includes(c))) return;
    if (checked.includes('*')) setAt(doc, segments, '*');
    else if (checked.length === 0 && kind === 'x') removeAt(doc, segments);
    // What stays keeps its order; what was checked now comes after it.
    else setAt(doc, segments, [...new Set([...before.filter((c) => checked.includes(c)), ...checked.filter((c) => !before.includes(c))])]);
    return;
  }
  const added = (form.get(`+${kind}:${pointer(segments)}`) ?? []).flatMap(splitItems);
  const items = [...checked, ...added.filter((a) => !checked.includes(a))];
  if (added.length === 0 && Array.isArray(current) && sameList(listItems(current), checked)) return;
  if (current === undefined && items.length === 0) return;
  setAt(doc, segments, kind === 'ln' ? items.map(parseNumber) : items);
}
