/**
 * The layout of a workflow's state diagram, computed from the definition alone (pure and
 * deterministic: the same definition always gives the same picture).
 *
 * - States are laid out in columns by breadth-first level from the initial state, in the
 *   order they are discovered (file order of the transitions); states that cannot be
 *   reached go in one last column.
 * - Transitions leading to the same state are drawn as one arrow labelled with each of them
 *   (its name and who may use it (roles), the events that fire it (`on`) or the state timer
 *   that does); when they start from several states, the lines from those states meet at a
 *   junction in front of the target and the label sits there, once. An arrow whose
 *   transitions all fire by themselves (no roles) is "automatic" (drawn dashed).
 * - `"to": "@previous"` is drawn as a loop over the state it leaves, labelled "→ previous state".
 *
 * Geometry only: `views/pages/manage/workflow-svg.tsx` turns it into SVG.
 */
import { PREVIOUS_STATE, timerAfterText, type WorkflowDefinition } from './definition.js';
import { fromStates } from './transition.js';
import { drawEdge, fitToMargin } from './diagram-edges.js';
import { CHAR_WIDTH, LINE_HEIGHT, round, type DiagramEdge, type DiagramNode, type DiagramTransition, type WorkflowDiagram } from './diagram-model.js';

export { CHAR_WIDTH, LINE_HEIGHT, type DiagramEdge, type DiagramNode, type DiagramTransition, type WorkflowDiagram } from './diagram-model.js';


const NODE_MIN_WIDTH = 170;
const NODE_PAD = 14;
const COLUMN_GAP = 320;
const ROW_GAP = 120;
const MARGIN = 40;
const START_GAP = 50;

/** Breadth-first levels from the initial state, in discovery order. */
function levels(def: WorkflowDefinition): Map<string, number> {
  const level = new Map<string, number>();
  const transitions = Object.values(def.transitions);
  if (def.states[def.initial]) {
    level.set(def.initial, 0);
    const queue = [def.initial];
    while (queue.length > 0) {
      const state = queue.shift()!;
      for (const t of transitions) {
        if (t.to === PREVIOUS_STATE || !def.states[t.to] || level.has(t.to)) continue;
        if (!fromStates(def, t).includes(state)) continue;
        level.set(t.to, level.get(state)! + 1);
        queue.push(t.to);
      }
    }
  }
  const last = Math.max(-1, ...level.values()) + 1;
  for (const name of Object.keys(def.states)) if (!level.has(name)) level.set(name, last);
  return level;
}

function timerOf(def: WorkflowDefinition, transition: string, from: string): string | null {
  const timer = def.states[from]?.timers?.find((t) => t.transition === transition);
  return timer ? timerAfterText(timer) : null;
}

/** A transition's label lines: its name with what fires it, then who may use it. */
/** The label lines of one transition: its name (events, timer), then who may use it. */
export function transitionLines(t: DiagramTransition): string[] {
  const first = [t.name];
  if (t.on.length > 0) first.push(`on ${t.on.join(', ')}`);
  if (t.timer) first.push(t.timer);
  const lines = [first.join(' · ')];
  if (t.roles.length > 0) lines.push(`by ${t.roles.join(', ')}`);
  return lines;
}

function nodeDetails(def: WorkflowDefinition, name: string): string[] {
  const s = def.states[name]!;
  const out: string[] = [];
  if (s.sla?.start?.length) out.push(`starts: ${s.sla.start.join(', ')}`);
  if (s.sla?.pause?.length) out.push(`paused: ${s.sla.pause.join(', ')}`);
  if (s.sla?.stop?.length) out.push(`stopped: ${s.sla.stop.join(', ')}`);
  for (const t of s.timers ?? []) out.push(`timer: ${timerAfterText(t)} → ${t.transition}`);
  return out;
}

export function layoutWorkflow(def: WorkflowDefinition): WorkflowDiagram {
  const level = levels(def);
  const columns: string[][] = [];
  // Columns keep the discovery order: walk the states in level order, then file order.
  const order = [...level.entries()].sort((a, b) => a[1] - b[1]).map(([name]) => name);
  for (const name of order) (columns[level.get(name)!] ??= []).push(name);

  const nodes = new Map<string, DiagramNode>();
  for (const name of order) {
    const s = def.states[name]!;
    const label = s.label ?? name;
    const details = nodeDetails(def, name);
    const lines = [label, `${name} · ${s.category}`, ...details];
    const width = Math.max(NODE_MIN_WIDTH, Math.ceil(Math.max(...lines.map((l) => l.length)) * CHAR_WIDTH + 2 * NODE_PAD));
    nodes.set(name, {
      name,
      label,
      category: s.category,
      initial: name === def.initial,
      final: s.final === true,
      details,
      level: level.get(name)!,
      x: 0,
      y: 0,
      width,
      height: 18 + LINE_HEIGHT * (lines.length) + 6,
    });
  }

  // Columns left to right; each column centred vertically on the tallest one.
  const columnHeight = columns.map((col) => col.reduce((sum, n) => sum + nodes.get(n)!.height, 0) + ROW_GAP * (col.length - 1));
  const tallest = Math.max(0, ...columnHeight);
  let x = MARGIN + START_GAP;
  columns.forEach((col, i) => {
    const width = Math.max(...col.map((n) => nodes.get(n)!.width));
    let y = MARGIN + (tallest - columnHeight[i]!) / 2;
    for (const name of col) {
      const node = nodes.get(name)!;
      node.x = x + width / 2;
      node.y = y + node.height / 2;
      y += node.height + ROW_GAP;
    }
    x += width + COLUMN_GAP;
  });

  // Which transitions lead from each state to each target, in file order.
  const pairs = new Map<string, { from: string; to: string; names: string[] }>();
  for (const [name, t] of Object.entries(def.transitions)) {
    for (const from of fromStates(def, t)) {
      if (!nodes.has(from) || (t.to !== PREVIOUS_STATE && !nodes.has(t.to))) continue;
      const key = `${from}\u0000${t.to}`;
      const pair = pairs.get(key) ?? { from, to: t.to, names: [] };
      pair.names.push(name);
      pairs.set(key, pair);
    }
  }
  // One arrow per target and set of transitions: several sources meet at a junction first.
  const bundles = new Map<string, { from: string[]; to: string; names: string[] }>();
  for (const pair of pairs.values()) {
    const key = `${pair.to}\u0000${pair.names.join(',')}`;
    const bundle = bundles.get(key) ?? { from: [], to: pair.to, names: pair.names };
    bundle.from.push(pair.from);
    bundles.set(key, bundle);
  }

  const edges: DiagramEdge[] = [];
  const hasPair = (from: string, to: string) => pairs.has(`${from}\u0000${to}`);
  for (const bundle of bundles.values()) {
    const transitions = bundle.names.map((name): DiagramTransition => {
      const t = def.transitions[name]!;
      const roles = t.roles ?? [];
      const timer = bundle.from.map((f) => timerOf(def, name, f)).find((x) => x !== null) ?? null;
      return { name, roles, on: t.on ?? [], timer, automatic: roles.length === 0 };
    });
    const edge: DiagramEdge = {
      from: bundle.from,
      to: bundle.to,
      transitions,
      automatic: transitions.every((t) => t.automatic),
      feeders: [],
      path: '',
      labelX: 0,
      labelY: 0,
      labelLines: transitions.flatMap(transitionLines),
    };
    edges.push(edge);
    drawEdge(edge, bundle, nodes, columns, hasPair);
  }

  const initial = nodes.get(def.initial);
  const start = initial
    ? { x: initial.x - initial.width / 2 - START_GAP + 6, y: initial.y, path: `M ${round(initial.x - initial.width / 2 - START_GAP + 12)} ${round(initial.y)} L ${round(initial.x - initial.width / 2)} ${round(initial.y)}` }
    : null;

  return fitToMargin(nodes, edges, start);
}
