/**
 * Automatic transitions that would fire each other for ever: a transition that `emits` an
 * event which, in the state it leads to, fires a transition that emits … the first event
 * again in the first state (a transition that re-triggers itself is the shortest such cycle).
 *
 * Only what the definition decides on its own is followed: `on`, `from`, `to` and `emits`.
 * A step ends where the case decides — a transition to "@previous" — and events that actions
 * raise (case.assigned, case.escalated…) are not followed; such cycles are stopped at run
 * time instead (CaseContext, `workflow.cycleStopped`).
 */
import { problem, type DefinitionProblem } from '../definitions/problems.js';
import { PREVIOUS_STATE, type TransitionDefinition, type WorkflowDefinition } from './definition.js';
import { fromStates } from './transition.js';
import { own } from '../own.js';

/** A case in `state` when `event` happens. */
interface Step {
  state: string;
  event: string;
}

/** The transition `event` fires in `state`, as the definition alone decides: none where it depends on the case ("@previous"). */
function firedBy(def: WorkflowDefinition, { state, event }: Step): [string, TransitionDefinition] | null {
  for (const entry of Object.entries(def.transitions)) {
    const [, t] = entry;
    if (!t.on?.includes(event) || !fromStates(def, t).includes(state)) continue;
    return t.to === PREVIOUS_STATE || !own(def.states, t.to) ? null : entry;
  }
  return null;
}

/** Where the case is, and what is raised, after the transition a step fires; null when the chain ends there. */
function next(def: WorkflowDefinition, step: Step): { name: string; step: Step } | null {
  const fired = firedBy(def, step);
  if (!fired) return null;
  const [name, t] = fired;
  return t.emits ? { name, step: { state: t.to, event: t.emits } } : null;
}

/** One problem per cycle, at the `emits` of its transition that comes first in the file. */
export function eventCycleProblems(def: WorkflowDefinition): DefinitionProblem[] {
  const order = Object.keys(def.transitions);
  const key = (s: Step) => `${s.state}\u0000${s.event}`;
  const settled = new Set<string>();
  const problems: DefinitionProblem[] = [];
  for (const t of Object.values(def.transitions)) {
    if (!t.emits || t.to === PREVIOUS_STATE || !own(def.states, t.to)) continue;
    // Each step leads to at most one next step: follow the chain until it ends, meets a known one, or comes back.
    const path: { step: Step; name: string }[] = [];
    const onPath = new Map<string, number>();
    let step: Step | null = { state: t.to, event: t.emits };
    while (step && !settled.has(key(step))) {
      if (onPath.has(key(step))) {
        const cycle = path.slice(onPath.get(key(step)));
        const first = cycle.reduce((a, b) => (order.indexOf(b.name) < order.indexOf(a.name) ? b : a));
        problems.push(problem(['transitions', first.name, 'emits'], describe(def, cycle, first)));
        break;
      }
      const after = next(def, step);
      if (!after) break;
      onPath.set(key(step), path.length);
      path.push({ step, name: after.name });
      step = after.step;
    }
    for (const visited of onPath.keys()) settled.add(visited);
  }
  return problems;
}

/** `"ping" emits "desk.loop", which fires "ping" again in "working": …`, starting at `first`. */
function describe(def: WorkflowDefinition, cycle: { step: Step; name: string }[], first: { name: string }): string {
  const at = cycle.findIndex((c) => c.name === first.name);
  const ordered = [...cycle.slice(at), ...cycle.slice(0, at)];
  const links = ordered.map((c, i) => {
    const fired = ordered[(i + 1) % ordered.length]!;
    const again = i === ordered.length - 1 ? ' again' : '';
    return `"${c.name}" emits "${def.transitions[c.name]!.emits}", which fires "${fired.name}"${again} in "${fired.step.state}"`;
  });
  return `${links.join('; ')}: these automatic transitions would set each other off for ever; drop one "emits" or narrow one "from"`;
}
