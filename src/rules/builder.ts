/**
 * The rule builder's model: which parts of a ruleset it can show as forms (everything else
 * stays JSON, marked), how its domain fields change the document (a condition's field,
 * operator and group kind, a rule's action), and its commands (add, remove, move,
 * duplicate rules, conditions, groups and examples). The builder reads and writes
 * json-rules-engine JSON through `applyFields` (src/definitions/form-edit.ts): a post that
 * changes nothing gives back the same document.
 */
import { applyFields, getAt, parsePointer, removeAt, renameKey, setAt, type Doc, type FormEdit, type FormHook, type PostedForm, type Segment } from '../definitions/form-edit.js';
import { catalogueField, catalogueFieldByKey, eventChoice, operatorChoice, OPERATORS_BY_TYPE, type FieldType, type OperatorChoice } from './catalogue.js';
import { isObject, valueFits } from './builder-shapes.js';
import type { RuleExample } from './example-format.js';

export { eventShape, leafShape, nodeShape, ruleShape, type GroupKind, type LeafShape, type NodeShape } from './builder-shapes.js';

type Json = Record<string, unknown>;

/** Values the builder picks when something new is made (the first queue…). */
export interface BuilderDefaults {
  queue: string;
  tier2Queue: string | null;
  policy: string;
}

function defaultValue(type: FieldType, shape: OperatorChoice['value']): unknown {
  if (shape === 'list') return [];
  if (type === 'number') return 0;
  if (type === 'time') return 0;
  if (type === 'boolean') return true;
  return '';
}

export function newCondition(): Json {
  return { fact: 'case', path: '$.subject', operator: 'textHasAnyWord', value: [] };
}

export function eventParams(type: string, defaults: BuilderDefaults): Json | undefined {
  switch (type) {
    case 'route':
      return { queue: defaults.queue };
    case 'setPriority':
      return { priority: 'normal' };
    case 'addTags':
      return { tags: [] };
    case 'requireSkills':
      return { skills: [] };
    case 'applySlaPolicy':
      return { policy: defaults.policy };
    case 'escalate':
      return { tier: 2, ...(defaults.tier2Queue ? { queue: defaults.tier2Queue } : {}) };
    case 'notify':
      return { to: 'customer', template: 'case-received' };
    default:
      return undefined;
  }
}

/** The builder's fields beyond form-edit's plain kinds. */
function hooks(defaults: BuilderDefaults): Record<string, FormHook> {
  return {
    // A condition's field: `fact|path`. A new field that does not fit the operator resets it.
    f: {
      phase: 1,
      apply({ doc, segments, posted, freeze }) {
        const node = getAt(doc, segments);
        if (!isObject(node) || posted === `${String(node.fact)}|${node.path === undefined ? '' : String(node.path)}`) return;
        const field = catalogueFieldByKey(posted.replace(/\|$/, '').replace('|$.', '.'));
        if (!field) return;
        node.fact = field.fact;
        if (field.path === undefined) delete node.path;
        else node.path = field.path;
        const operator = operatorChoice(field.type, node.operator) ?? OPERATORS_BY_TYPE[field.type][0]!;
        node.operator = operator.operator;
        if (!valueFits(field.type, operator.value, node.value)) node.value = defaultValue(field.type, operator.value);
        freeze(segments);
      },
    },
    // A condition's operator: a list value becomes one value and back.
    op: {
      phase: 2,
      apply({ doc, segments, posted, freeze }) {
        const node = getAt(doc, segments);
        if (!isObject(node) || posted === node.operator) return;
        const field = catalogueField(node.fact, node.path);
        const next = field ? operatorChoice(field.type, posted) : null;
        if (!field || !next) return;
        const before = operatorChoice(field.type, node.operator);
        node.operator = posted;
        if (before?.value !== next.value) {
          const items = Array.isArray(node.value) ? node.value : node.value === '' || node.value === undefined ? [] : [node.value];
          node.value = next.value === 'list' ? items : (items[0] ?? defaultValue(field.type, 'single'));
          freeze([...segments, 'value']);
        }
      },
    },
    // A rule's action: new params for a new type.
    et: {
      phase: 1,
      apply({ doc, segments, posted, freeze }) {
        const event = getAt(doc, segments);
        if (!isObject(event) || posted === event.type || !eventChoice(posted)) return;
        event.type = posted;
        const params = eventParams(posted, defaults);
        if (params === undefined) delete event.params;
        else event.params = params;
        freeze(segments);
      },
    },
    // A group's kind (all ⇄ any): a key renamed in place, after the command.
    g: {
      phase: 3,
      apply({ doc, segments, posted }) {
        const node = getAt(doc, segments);
        if (!isObject(node) || (posted !== 'all' && posted !== 'any') || Object.hasOwn(node, posted)) return;
        const from = Object.hasOwn(node, 'all') ? 'all' : Object.hasOwn(node, 'any') ? 'any' : null;
        if (from) renameKey(doc, [...segments, from], posted);
      },
    },
    // An expectation checked or not (examples): unchecked removes it.
    ck: {
      phase: 3,
      marked: true,
      apply({ doc, segments, posted }) {
        const on = posted !== '';
        const current = getAt(doc, segments);
        if (!on && current !== undefined) removeAt(doc, segments);
        if (on && current === undefined) setAt(doc, segments, []);
      },
    },
  };
}

export type Command = { verb: string; args: string[] };

/** `"addCondition /rules/0/conditions/all"` → { verb, args }. */
export function parseCommand(text: string | undefined): Command {
  const [verb = 'refresh', ...args] = (text ?? '').trim().split(/\s+/);
  return { verb: verb || 'refresh', args };
}

function arrayAt(doc: Doc, ptr: string | undefined): { list: unknown[]; segments: string[] } | null {
  const segments = ptr === undefined ? null : parsePointer(ptr);
  const list = segments ? getAt(doc, segments) : undefined;
  return segments && Array.isArray(list) ? { list, segments } : null;
}

function uniqueName(base: string, taken: Set<unknown>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base} (${n})`)) return `${base} (${n})`;
}

function ruleAt(doc: Doc, arg: string | undefined): { rules: unknown[]; i: number } | null {
  const rules = doc.rules;
  const i = Number(arg);
  return Array.isArray(rules) && Number.isInteger(i) && i >= 0 && i < rules.length ? { rules, i } : null;
}

/** What a command did, for the page to say and to keep focus near. */
export interface CommandResult {
  /** Where to put focus afterwards (an element id), if it moved. */
  focus?: string;
  /** A short note for screen readers ("Rule moved up"). */
  note?: string;
}

/**
 * Runs a builder command on the document. Unknown commands and pointers that do not lead
 * where the command expects are ignored (the page is re-rendered as it is).
 */
export function runCommand(doc: Doc, command: Command, defaults: BuilderDefaults, extras: { example?: () => RuleExample | string } = {}): CommandResult {
  const [a, b, c] = command.args;
  switch (command.verb) {
    case 'addRule': {
      if (!Array.isArray(doc.rules)) return {};
      const names = new Set(doc.rules.map((r) => (isObject(r) ? r.name : undefined)));
      doc.rules.push({ name: uniqueName('New rule', names), conditions: { all: [newCondition()] }, event: { type: 'route', params: { queue: defaults.queue } } });
      return { focus: `rule-card-${doc.rules.length - 1}`, note: 'Rule added at the end.' };
    }
    case 'removeRule': {
      const r = ruleAt(doc, a);
      if (!r) return {};
      r.rules.splice(r.i, 1);
      return { focus: 'builder-rules', note: 'Rule removed.' };
    }
    case 'duplicateRule': {
      const r = ruleAt(doc, a);
      if (!r) return {};
      const copy = structuredClone(r.rules[r.i]);
      if (isObject(copy) && typeof copy.name === 'string') copy.name = uniqueName(`${copy.name} (copy)`, new Set(r.rules.map((x) => (isObject(x) ? x.name : undefined))));
      r.rules.splice(r.i + 1, 0, copy);
      return { focus: `rule-card-${r.i + 1}`, note: 'Rule duplicated below.' };
    }
    case 'moveRule': {
      const r = ruleAt(doc, a);
      if (!r) return {};
      const to = b === 'up' ? r.i - 1 : b === 'down' ? r.i + 1 : b === 'to' ? Number(c) : NaN;
      if (!Number.isInteger(to) || to < 0 || to >= r.rules.length || to === r.i) return {};
      const [rule] = r.rules.splice(r.i, 1);
      r.rules.splice(to, 0, rule);
      return { focus: `rule-${to}-move-${b === 'down' ? 'down' : 'up'}`, note: `Rule moved to position ${to + 1} of ${r.rules.length}.` };
    }
    case 'addCondition':
    case 'addGroup': {
      const target = arrayAt(doc, a);
      if (!target) return {};
      const kind = target.segments.at(-1) === 'any' ? 'all' : 'any';
      target.list.push(command.verb === 'addCondition' ? newCondition() : { [kind]: [newCondition()] });
      return { note: command.verb === 'addCondition' ? 'Condition added.' : 'Group added.' };
    }
    case 'removeNode': {
      const segments = a === undefined ? null : parsePointer(a);
      if (!segments || segments.length < 2) return {};
      const parentKey = segments.at(-2);
      if (parentKey === 'all' || parentKey === 'any') removeAt(doc, segments);
      else if (segments.at(-1) === 'not') {
        // the only condition of a "not": the "not" goes with it
        const grand = segments.slice(0, -1);
        if (grand.at(-1) === 'conditions') setAt(doc, grand, { all: [] });
        else removeAt(doc, grand);
      }
      return { note: 'Condition removed.' };
    }
    case 'negate': {
      const segments = a === undefined ? null : parsePointer(a);
      if (!segments) return {};
      const node = getAt(doc, segments);
      if (!isObject(node)) return {};
      if (Object.keys(node).length === 1 && isObject(node.not)) setAt(doc, segments, node.not);
      else setAt(doc, segments, { not: node });
      return { note: 'Condition negated.' };
    }
    case 'addExample': {
      const made = extras.example?.();
      if (typeof made === 'string') return { note: made };
      const examples = Array.isArray(doc.examples) ? doc.examples : (doc.examples = []);
      if (!Array.isArray(examples)) return {};
      const names = new Set(examples.map((x) => (isObject(x) ? x.name : undefined)));
      const example = made ?? { name: 'New example', case: { subject: '', description: '' }, expect: { queue: defaults.queue } };
      example.name = uniqueName(example.name, names);
      examples.push(example);
      return { focus: `example-${examples.length - 1}`, note: 'Example added.' };
    }
    case 'removeExample': {
      const examples = doc.examples;
      const i = Number(a);
      if (!Array.isArray(examples) || !Number.isInteger(i) || i < 0 || i >= examples.length) return {};
      examples.splice(i, 1);
      if (examples.length === 0) delete doc.examples;
      return { focus: 'builder-examples', note: 'Example removed.' };
    }
    case 'refresh':
      // "Apply changes" of one rule: focus stays on that button.
      return a && /^\/rules\/\d+$/.test(a) ? { focus: `rule-${a.split('/')[2]}-apply` } : {};
    default:
      return {};
  }
}

export interface BuilderEdit extends FormEdit {
  result: CommandResult;
}

/** Applies a posted builder form to the document it was rendered from, then its command. */
export function editRuleset(source: Doc, form: PostedForm, command: Command, defaults: BuilderDefaults, extras: { example?: () => RuleExample | string } = {}): BuilderEdit {
  const edit = applyFields(source, form, hooks(defaults));
  const result = runCommand(edit.doc, command, defaults, extras);
  for (const change of edit.deferred) change();
  return { ...edit, result };
}

export type { Segment };
