/**
 * The pure heart of the workflow engine: (definition, snapshot, input) → next state and
 * the effects to perform, in order. No I/O, no clock; `run.ts` performs the effects.
 */
import type { Role } from '../roles.js';
import {
  durationMs,
  PREVIOUS_STATE,
  TRANSITION_FIELDS,
  type ActionCall,
  type StateCategory,
  type TransitionDefinition,
  type TransitionField,
  type WorkflowDefinition,
} from './definition.js';
import { own } from '../own.js';

export { durationMs };

export interface WorkflowSnapshot {
  status: string;
  previousStatus: string | null;
}

export type WorkflowInput =
  | { kind: 'command'; transition: string; role: Role; fields?: Partial<Record<TransitionField, string>> }
  | { kind: 'event'; type: string }
  | { kind: 'timer'; transition: string };

export type Effect =
  | { type: 'action'; call: ActionCall; origin: string }
  | { type: 'enter'; from: string; to: string; transition: string; category: StateCategory }
  /** `businessHours`: `afterMs` is business time on the calendar of the case's SLA policy. */
  | { type: 'startTimer'; transition: string; afterMs: number; businessHours: boolean; state: string }
  | { type: 'emit'; event: string };

export interface TransitionOutcome {
  ok: true;
  transition: string;
  from: string;
  to: string;
  effects: Effect[];
}

export interface TransitionRefusal {
  ok: false;
  code: 'INVALID_TRANSITION' | 'TRANSITION_REQUIREMENT_MISSING' | 'TRANSITION_FIELD_NOT_ALLOWED';
  message: string;
  missing?: TransitionField[];
  refused?: TransitionField[];
}

/** Result for an event no transition listens to in the current state. */
export interface NoTransition {
  ok: true;
  transition: null;
}

/**
 * The states a transition may start from. `"*"` is every state that is not final: a final
 * state has no way out, so a catch-all (e.g. "cancel" from anywhere) never reopens a closed
 * case; only a `from` that names a final state leaves it (and validation warns about that).
 */
export function fromStates(def: WorkflowDefinition, t: TransitionDefinition): string[] {
  return t.from === '*' ? Object.entries(def.states).filter(([, state]) => !state.final).map(([name]) => name) : t.from;
}

function appliesIn(def: WorkflowDefinition, t: TransitionDefinition, state: string): boolean {
  return fromStates(def, t).includes(state);
}

function targetOf(t: TransitionDefinition, snapshot: WorkflowSnapshot): string | null {
  return t.to === PREVIOUS_STATE ? snapshot.previousStatus : t.to;
}


function plan(def: WorkflowDefinition, snapshot: WorkflowSnapshot, name: string, t: TransitionDefinition): TransitionOutcome | TransitionRefusal {
  const to = targetOf(t, snapshot);
  if (to === null || !own(def.states, to)) {
    return { ok: false, code: 'INVALID_TRANSITION', message: `"${t.label ?? name}" has no state to return to from ${own(def.states, snapshot.status)?.label ?? snapshot.status}.` };
  }
  const fromState = own(def.states, snapshot.status);
  const toState = own(def.states, to)!;
  const effects: Effect[] = [];
  for (const call of fromState?.onExit ?? []) effects.push({ type: 'action', call, origin: `states.${snapshot.status}.onExit` });
  effects.push({ type: 'enter', from: snapshot.status, to, transition: name, category: toState.category });
  for (const call of t.actions ?? []) effects.push({ type: 'action', call, origin: `transitions.${name}.actions` });
  for (const call of toState.onEnter ?? []) effects.push({ type: 'action', call, origin: `states.${to}.onEnter` });
  for (const timer of toState.timers ?? []) {
    effects.push({ type: 'startTimer', transition: timer.transition, afterMs: durationMs(timer.after), businessHours: timer.businessHours === true, state: to });
  }
  if (t.emits) effects.push({ type: 'emit', event: t.emits });
  return { ok: true, transition: name, from: snapshot.status, to, effects };
}

/**
 * Computes what happens when `input` reaches a case in `snapshot`:
 * - a command (a person or API invoking a named transition) is checked against the
 *   current state, the caller's role and the required fields;
 * - an event fires the first transition (in definition order) that listens to it in the
 *   current state, or nothing;
 * - a timer fires its named transition if it still applies.
 */
export function transition(
  def: WorkflowDefinition,
  snapshot: WorkflowSnapshot,
  input: WorkflowInput,
): TransitionOutcome | TransitionRefusal | NoTransition {
  if (input.kind === 'event') {
    for (const [name, t] of Object.entries(def.transitions)) {
      if (t.on?.includes(input.type) && appliesIn(def, t, snapshot.status)) {
        const planned = plan(def, snapshot, name, t);
        if (planned.ok) return planned;
      }
    }
    return { ok: true, transition: null };
  }

  const t = own(def.transitions, input.transition);
  const customer = input.kind === 'command' && input.role === 'customer';
  // A customer learns nothing of the transitions not open to customers: neither whether one of
  // that name exists nor its label ("Escalate to advanced support" names a tier). The refusal
  // repeats the name they sent, the same for every such name.
  if (customer && !t?.roles?.includes('customer')) {
    return { ok: false, code: 'INVALID_TRANSITION', message: `"${input.transition}" is not something you can do on this request.` };
  }
  if (!t) {
    return { ok: false, code: 'INVALID_TRANSITION', message: `The workflow "${def.workflow}" has no transition "${input.transition}".` };
  }
  // Messages name transitions and states by their labels, as people see them on the page.
  const label = t.label ?? input.transition;
  if (!appliesIn(def, t, snapshot.status)) {
    // Customers are not told internal state names (e.g. "escalated").
    return {
      ok: false,
      code: 'INVALID_TRANSITION',
      message: customer ? `"${label}" is not possible now.` : `"${label}" is not possible while the case is ${own(def.states, snapshot.status)?.label ?? snapshot.status}.`,
    };
  }
  if (input.kind === 'command') {
    if (!t.roles?.includes(input.role)) {
      return { ok: false, code: 'INVALID_TRANSITION', message: `The role ${input.role} may not use "${label}".` };
    }
    const refused = refusedFields(t, input.role, input.fields);
    if (refused.length > 0) {
      const staffOnly = refused.includes('solution') && input.role === 'customer';
      return {
        ok: false,
        code: 'TRANSITION_FIELD_NOT_ALLOWED',
        message: staffOnly
          ? `Only support staff record the solution; "${input.transition}" does not take ${refused.join(' or ')} from a customer.`
          : `"${input.transition}" does not take ${refused.join(' or ')}.`,
        refused,
      };
    }
    const missing = (t.requires ?? []).filter((field) => !input.fields?.[field]?.trim());
    if (missing.length > 0) {
      return {
        ok: false,
        code: 'TRANSITION_REQUIREMENT_MISSING',
        message: `"${label}" requires ${missing.map((field) => `a ${field}`).join(' and ')}.`,
        missing,
      };
    }
  }
  return plan(def, snapshot, input.transition, t);
}

/**
 * The fields given with a command that the transition does not take: anything it neither
 * `requires` nor `allows`, and a solution from a customer (the official solution is staff's).
 */
export function refusedFields(t: TransitionDefinition, role: Role, fields: Partial<Record<TransitionField, string>> | undefined): TransitionField[] {
  const accepted = new Set<TransitionField>([...(t.requires ?? []), ...(t.allows ?? [])]);
  return TRANSITION_FIELDS.filter((field) => fields?.[field]?.trim() && (!accepted.has(field) || (field === 'solution' && role === 'customer')));
}

export interface AvailableTransition {
  name: string;
  label: string;
  to: string;
  requires: TransitionField[];
  allows: TransitionField[];
}

/** The transitions `role` may invoke by hand now: exactly what the UI offers as buttons. */
export function availableTransitions(def: WorkflowDefinition, snapshot: WorkflowSnapshot, role: Role): AvailableTransition[] {
  const out: AvailableTransition[] = [];
  for (const [name, t] of Object.entries(def.transitions)) {
    if (!t.roles?.includes(role) || !appliesIn(def, t, snapshot.status)) continue;
    const to = targetOf(t, snapshot);
    if (to === null || !own(def.states, to)) continue;
    out.push({ name, label: t.label ?? name, to, requires: t.requires ?? [], allows: t.allows ?? [] });
  }
  return out;
}

export function isOpenCategory(category: StateCategory): boolean {
  return category !== 'resolved' && category !== 'closed';
}
