/**
 * The workflow editor's model: states and transitions as forms over the workflow JSON
 * (src/definitions/form-edit.ts keeps an untouched form's document byte for byte), names
 * renamed in place with every reference to them (initial state, `from`, `to`, timers),
 * and the editor's commands (add and remove states, transitions, actions, timers,
 * triggers). What the forms do not know stays JSON, marked.
 */
import { applyFields, getAt, parsePointer, removeAt, renameKey, setAt, type Doc, type FormEdit, type FormHook, type PostedForm } from '../definitions/form-edit.js';
import { PREVIOUS_STATE } from './definition.js';
import { own } from '../own.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Names of states and transitions (the format's rule). */
export const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Parameters of the built-in actions, as form fields. Other actions' params stay JSON. */
export const ACTION_PARAMS: Record<string, { name: string; label: string; kind: 'number' | 'text' | 'choice'; required: boolean; options?: 'queues' | 'templates' | 'notifyTargets' | 'rulesets' }[]> = {
  assign: [],
  unassign: [{ name: 'reason', label: 'Reason', kind: 'text', required: false }],
  notify: [
    { name: 'to', label: 'Whom', kind: 'text', required: true, options: 'notifyTargets' },
    { name: 'template', label: 'Mail', kind: 'choice', required: true, options: 'templates' },
  ],
  escalate: [
    { name: 'tier', label: 'Tier', kind: 'number', required: true },
    { name: 'queue', label: 'Queue', kind: 'choice', required: false, options: 'queues' },
    { name: 'reason', label: 'Reason', kind: 'text', required: false },
  ],
  runRuleset: [{ name: 'ruleset', label: 'Ruleset', kind: 'choice', required: true, options: 'rulesets' }],
  transfer: [
    { name: 'queue', label: 'Queue', kind: 'choice', required: true, options: 'queues' },
    { name: 'reason', label: 'Reason', kind: 'text', required: false },
  ],
};

/** Whether an action call shows as fields (a known action with params of the right kinds). */
export function actionShape(call: unknown): { ok: true } | { ok: false; reason: string } {
  if (!isObject(call) || typeof call.action !== 'string') return { ok: false, reason: 'it is not an action call { "action": … }' };
  // own(): an action named like what every object inherits ("constructor", "toString") is unknown, not Object's.
  const params = own(ACTION_PARAMS, call.action);
  if (!params) return Object.keys(call).length === 1 ? { ok: true } : { ok: false, reason: `the action "${call.action}" has params the editor does not know` };
  for (const [key, value] of Object.entries(call)) {
    if (key === 'action') continue;
    const p = params.find((x) => x.name === key);
    if (!p) return { ok: false, reason: `"${key}" is not a param of ${call.action}` };
    if (p.kind === 'number' ? typeof value !== 'number' : typeof value !== 'string') return { ok: false, reason: `"${key}" is ${JSON.stringify(value)}` };
  }
  return { ok: true };
}

const STATE_KEYS = ['label', 'customerLabel', 'description', 'category', 'sla', 'onEnter', 'onExit', 'timers', 'final'];
const TRANSITION_KEYS = ['label', 'description', 'from', 'to', 'roles', 'on', 'requires', 'allows', 'emits', 'actions'];

/** Keys of a state or transition the forms do not show (they are kept; the card says so). */
export function unknownKeys(value: unknown, kind: 'state' | 'transition'): string[] {
  if (!isObject(value)) return [];
  const known = kind === 'state' ? STATE_KEYS : TRANSITION_KEYS;
  return Object.keys(value).filter((k) => !known.includes(k));
}

function uniqueKey(base: string, taken: Json): string {
  if (!Object.hasOwn(taken, base)) return base;
  for (let n = 2; ; n++) if (!Object.hasOwn(taken, `${base}${n}`)) return `${base}${n}`;
}

/** Renames a state and every reference to it. */
function renameState(doc: Doc, from: string, to: string): void {
  if (doc.initial === from) doc.initial = to;
  if (!isObject(doc.transitions)) return;
  for (const t of Object.values(doc.transitions)) {
    if (!isObject(t)) continue;
    if (Array.isArray(t.from)) t.from = t.from.map((s) => (s === from ? to : s));
    if (t.to === from) t.to = to;
  }
}

/** Renames a transition and the timers that fire it. */
function renameTransition(doc: Doc, from: string, to: string): void {
  if (!isObject(doc.states)) return;
  for (const s of Object.values(doc.states)) {
    if (!isObject(s) || !Array.isArray(s.timers)) continue;
    for (const timer of s.timers) if (isObject(timer) && timer.transition === from) timer.transition = to;
  }
}

const hooks: Record<string, FormHook> = {
  // A state's, transition's or trigger's name: renamed in place, references follow.
  wk: {
    phase: 3,
    apply({ doc, segments, posted, fail }) {
      const to = posted.trim();
      const from = segments.at(-1)!;
      const area = segments[0];
      if (to === from || segments.length !== 2) return;
      const valid = area === 'triggers' ? /^[a-z][a-zA-Z0-9]*\.[a-z][a-zA-Z0-9_]*$/.test(to) : NAME.test(to);
      if (!valid) return fail(area === 'triggers' ? 'events look like "entity.verb"' : 'use letters, digits, "-" and "_", starting with a letter', posted);
      if (!renameKey(doc, segments, to)) return fail(`"${to}" is already used`, posted);
      if (area === 'states') renameState(doc, from, to);
      if (area === 'transitions') renameTransition(doc, from, to);
    },
  },
  // An action call's action: new params for a new action.
  act: {
    phase: 1,
    apply({ doc, segments, posted, freeze }) {
      const call = getAt(doc, segments);
      if (!isObject(call) || call.action === posted || !NAME.test(posted)) return;
      const next: Json = { action: posted };
      if (posted === 'notify') Object.assign(next, { to: 'customer', template: 'case-received' });
      if (posted === 'escalate') Object.assign(next, { tier: 2 });
      setAt(doc, segments, next);
      freeze(segments);
    },
  },
};

export type Command = { verb: string; args: string[] };

export interface CommandResult {
  focus?: string;
  note?: string;
}

/** Runs an editor command; anything that does not fit the document is ignored. */
export function runWorkflowCommand(doc: Doc, command: Command): CommandResult {
  const [a, b] = command.args;
  const segments = a === undefined ? null : parsePointer(a);
  switch (command.verb) {
    case 'addState': {
      const states = isObject(doc.states) ? doc.states : (doc.states = {});
      if (!isObject(states)) return {};
      const name = uniqueKey('newState', states);
      states[name] = { label: 'New state', category: 'open' };
      return { focus: `state-${name}`, note: `State ${name} added.` };
    }
    case 'addTransition': {
      const transitions = isObject(doc.transitions) ? doc.transitions : (doc.transitions = {});
      if (!isObject(transitions)) return {};
      const name = uniqueKey('newTransition', transitions);
      const first = isObject(doc.states) ? Object.keys(doc.states)[0] : undefined;
      transitions[name] = { label: 'New transition', from: first ? [first] : [], to: first ?? '', roles: ['agent', 'advanced', 'manager', 'admin'] };
      return { focus: `transition-${name}`, note: `Transition ${name} added.` };
    }
    case 'addTrigger': {
      const triggers = isObject(doc.triggers) ? doc.triggers : (doc.triggers = {});
      if (!isObject(triggers)) return {};
      const event = ['case.reopened', 'sla.warning', 'sla.breached', 'customer.replied', 'case.escalated', 'staff.replied'].find((e) => !Object.hasOwn(triggers, e));
      if (!event) return {};
      triggers[event] = [];
      return { note: `Rulesets on ${event} added.` };
    }
    case 'remove': {
      // A state, a transition, a trigger, or an item of a list (an action, a timer).
      if (!segments || segments.length < 2 || !['states', 'transitions', 'triggers'].includes(segments[0]!)) return {};
      removeAt(doc, segments);
      const parent = getAt(doc, segments.slice(0, -1));
      if (Array.isArray(parent) && parent.length === 0 && segments.length > 2) removeAt(doc, segments.slice(0, -1));
      return { note: 'Removed.' };
    }
    case 'addAction': {
      // b: where the list is (`onEnter`, `onExit`, `actions`) below the state or transition at `a`.
      if (!segments || !['onEnter', 'onExit', 'actions'].includes(b ?? '')) return {};
      const owner = getAt(doc, segments);
      if (!isObject(owner)) return {};
      const list = Array.isArray(owner[b!]) ? (owner[b!] as unknown[]) : (owner[b!] = []);
      if (!Array.isArray(list)) return {};
      list.push({ action: 'assign' });
      return { note: 'Action added.' };
    }
    case 'addTimer': {
      if (!segments) return {};
      const state = getAt(doc, segments);
      if (!isObject(state)) return {};
      const timers = Array.isArray(state.timers) ? state.timers : (state.timers = []);
      if (!Array.isArray(timers)) return {};
      const first = isObject(doc.transitions) ? Object.keys(doc.transitions)[0] : undefined;
      timers.push({ after: '72h', transition: first ?? '' });
      return { note: 'Timer added.' };
    }
    case 'refresh':
      return a && /^\/(states|transitions)\/[A-Za-z][A-Za-z0-9_-]*$/.test(a) ? { focus: `${a.split('/')[1]!.slice(0, -1)}-${a.split('/')[2]}-apply` } : {};
    default:
      return {};
  }
}

export interface WorkflowEdit extends FormEdit {
  result: CommandResult;
}

/** Applies a posted editor form to the workflow it was rendered from, then its command. */
export function editWorkflow(source: Doc, form: PostedForm, command: Command): WorkflowEdit {
  const edit = applyFields(source, form, hooks);
  const result = runWorkflowCommand(edit.doc, command);
  for (const change of edit.deferred) change();
  return { ...edit, result };
}

export { PREVIOUS_STATE };
