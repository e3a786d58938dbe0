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
import { PREVIOUS_STATE, type WorkflowDefinition } from './definition.js';
import { fromStates } from './transition.js';

export interface DiagramNode {
  name: string;
  label: string;
  category: string;
  initial: boolean;
  final: boolean;
  /** Detail lines under the label: clocks paused and stopped, timers. */
  details: string[];
  level: number;
  /** Centre and size. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DiagramTransition {
  name: string;
  roles: string[];
  on: string[];
  /** "after 72h" when a state timer fires it. */
  timer: string | null;
  automatic: boolean;
}

export interface DiagramEdge {
  /** One state, or several whose arrows meet at a junction before the target. */
  from: string[];
  /** A state name, or "@previous". */
  to: string;
  transitions: DiagramTransition[];
  /** Every transition fires by itself (no roles): drawn dashed. */
  automatic: boolean;
  /** The arrow into the target (SVG path data). */
  path: string;
  /** Lines from each source to the junction (no arrowheads); loops for further `@previous` sources. */
  feeders: string[];
  labelX: number;
  labelY: number;
  labelLines: string[];
}

export interface WorkflowDiagram {
  width: number;
  height: number;
  nodes: DiagramNode[];
  edges: DiagramEdge[];
  /** Where the initial-state marker (a dot with an arrow) is drawn. */
  start: { x: number; y: number; path: string } | null;
}

/** Approximate text widths for the label boxes (12 px sans-serif: drawn at its own size, never scaled down). */
export const CHAR_WIDTH = 7;
export const LINE_HEIGHT = 16;
const NODE_MIN_WIDTH = 170;
const NODE_PAD = 14;
const COLUMN_GAP = 320;
const ROW_GAP = 120;
const MARGIN = 40;
const START_GAP = 50;
const JUNCTION = 38;

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

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
  return timer ? `after ${timer.after}` : null;
}

/** A transition's label lines: its name with what fires it, then who may use it. */
function transitionLines(t: DiagramTransition): string[] {
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
  if (s.sla?.pause?.length) out.push(`paused: ${s.sla.pause.join(', ')}`);
  if (s.sla?.stop?.length) out.push(`stopped: ${s.sla.stop.join(', ')}`);
  for (const t of s.timers ?? []) out.push(`timer: after ${t.after} → ${t.transition}`);
  return out;
}

/** The point where the line from the rectangle's centre towards (tx, ty) leaves it. */
function boundary(n: DiagramNode, tx: number, ty: number): [number, number] {
  const dx = tx - n.x;
  const dy = ty - n.y;
  if (dx === 0 && dy === 0) return [n.x, n.y];
  const sx = dx === 0 ? Infinity : n.width / 2 / Math.abs(dx);
  const sy = dy === 0 ? Infinity : n.height / 2 / Math.abs(dy);
  const s = Math.min(sx, sy);
  return [n.x + dx * s, n.y + dy * s];
}

function curve(p0: [number, number], c: [number, number], p2: [number, number]): { path: string; mid: [number, number] } {
  const mid: [number, number] = [0.25 * p0[0] + 0.5 * c[0] + 0.25 * p2[0], 0.25 * p0[1] + 0.5 * c[1] + 0.25 * p2[1]];
  return { path: `M ${round(p0[0])} ${round(p0[1])} Q ${round(c[0])} ${round(c[1])} ${round(p2[0])} ${round(p2[1])}`, mid };
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
      if (def.states[from]?.final && t.from === '*') continue;
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
    const labelHeight = edge.labelLines.length * LINE_HEIGHT;

    if (bundle.to === PREVIOUS_STATE) {
      // A loop over each state it leaves; the label over the first one.
      edge.labelLines.push('→ previous state');
      bundle.from.forEach((name, i) => {
        const a = nodes.get(name)!;
        const top = a.y - a.height / 2;
        const loop = `M ${round(a.x - 24)} ${round(top)} C ${round(a.x - 50)} ${round(top - 46)} ${round(a.x + 50)} ${round(top - 46)} ${round(a.x + 24)} ${round(top)}`;
        if (i === 0) {
          edge.path = loop;
          edge.labelX = a.x;
          edge.labelY = top - 40 - (edge.labelLines.length * LINE_HEIGHT) / 2;
        } else {
          edge.feeders.push(loop);
        }
      });
      continue;
    }

    const b = nodes.get(bundle.to)!;
    if (bundle.from.length > 1) {
      // Junction: out from the target towards the sources' centre, then one arrow in.
      const cx = bundle.from.reduce((sum, f) => sum + nodes.get(f)!.x, 0) / bundle.from.length;
      const cy = bundle.from.reduce((sum, f) => sum + nodes.get(f)!.y, 0) / bundle.from.length;
      const [bx, by] = boundary(b, cx, cy);
      const dx = bx - b.x;
      const dy = by - b.y;
      const length = Math.hypot(dx, dy) || 1;
      const j: [number, number] = [bx + (dx / length) * JUNCTION, by + (dy / length) * JUNCTION];
      edge.path = `M ${round(j[0])} ${round(j[1])} L ${round(bx)} ${round(by)}`;
      for (const f of bundle.from) {
        const a = nodes.get(f)!;
        const [ax, ay] = boundary(a, j[0], j[1]);
        edge.feeders.push(`M ${round(ax)} ${round(ay)} L ${round(j[0])} ${round(j[1])}`);
      }
      // The label beside the junction, away from the target.
      const width = Math.max(...edge.labelLines.map((l) => l.length)) * CHAR_WIDTH;
      edge.labelX = j[0] + (dx / length) * (width / 2 + 10) * Math.min(1, Math.abs(dx / length) * 1.5);
      edge.labelY = j[1] + (dy / length) * (labelHeight / 2 + 10);
      continue;
    }

    const a = nodes.get(bundle.from[0]!)!;
    if (a === b) {
      edge.path = `M ${round(a.x + a.width / 2)} ${round(a.y - 8)} C ${round(a.x + a.width / 2 + 60)} ${round(a.y - 40)} ${round(a.x + a.width / 2 + 60)} ${round(a.y + 40)} ${round(a.x + a.width / 2)} ${round(a.y + 8)}`;
      edge.labelX = a.x + a.width / 2 + 60;
      edge.labelY = a.y;
      continue;
    }
    const between = a.level === b.level && columns[a.level]!.some((n) => {
      const m = nodes.get(n)!;
      return m !== a && m !== b && m.y > Math.min(a.y, b.y) && m.y < Math.max(a.y, b.y);
    });
    if (between) {
      // Same column with states in between: bulge right going down, left going up.
      const side = b.y > a.y ? 1 : -1;
      const x = a.x + (side * Math.max(a.width, b.width)) / 2;
      const c: [number, number] = [x + side * 70, (a.y + b.y) / 2];
      const drawn = curve([a.x + (side * a.width) / 2, a.y], c, [b.x + (side * b.width) / 2, b.y]);
      edge.path = drawn.path;
      // The label outside the bulge, clear of the column.
      const width = Math.max(...edge.labelLines.map((l) => l.length)) * CHAR_WIDTH;
      edge.labelX = drawn.mid[0] + side * (width / 2 + 10);
      edge.labelY = drawn.mid[1];
      continue;
    }
    const reverse = hasPair(bundle.to, bundle.from[0]!);
    const backwards = b.level < a.level;
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const length = Math.hypot(dx, dy);
    const offset = backwards ? 60 : reverse ? 24 : 0;
    const c: [number, number] = [(a.x + b.x) / 2 + (-dy / length) * offset, (a.y + b.y) / 2 + (dx / length) * offset];
    const drawn = curve(boundary(a, c[0], c[1]), c, boundary(b, c[0], c[1]));
    edge.path = drawn.path;
    [edge.labelX, edge.labelY] = drawn.mid;
  }

  const initial = nodes.get(def.initial);
  const start = initial
    ? { x: initial.x - initial.width / 2 - START_GAP + 6, y: initial.y, path: `M ${round(initial.x - initial.width / 2 - START_GAP + 12)} ${round(initial.y)} L ${round(initial.x - initial.width / 2)} ${round(initial.y)}` }
    : null;

  // Move everything so the drawing (nodes, loops, label boxes) starts at the margin.
  let left = Infinity;
  let top = Infinity;
  let right = -Infinity;
  let bottom = -Infinity;
  const include = (x0: number, y0: number, x1: number, y1: number) => {
    left = Math.min(left, x0);
    top = Math.min(top, y0);
    right = Math.max(right, x1);
    bottom = Math.max(bottom, y1);
  };
  for (const n of nodes.values()) include(n.x - n.width / 2, n.y - n.height / 2, n.x + n.width / 2, n.y + n.height / 2);
  for (const e of edges) {
    const w = Math.max(...e.labelLines.map((l) => l.length)) * CHAR_WIDTH + 8;
    const h = e.labelLines.length * LINE_HEIGHT + 4;
    include(e.labelX - w / 2, e.labelY - h / 2, e.labelX + w / 2, e.labelY + h / 2);
  }
  if (start) include(start.x - 8, start.y - 8, start.x + 8, start.y + 8);
  if (nodes.size === 0) return { width: 2 * MARGIN, height: 2 * MARGIN, nodes: [], edges: [], start: null };
  const dx = MARGIN - left;
  const dy = MARGIN - top;
  for (const n of nodes.values()) {
    n.x = round(n.x + dx);
    n.y = round(n.y + dy);
  }
  for (const e of edges) {
    e.labelX = round(e.labelX + dx);
    e.labelY = round(e.labelY + dy);
    e.path = shiftPath(e.path, dx, dy);
  }
  if (start) {
    start.x = round(start.x + dx);
    start.y = round(start.y + dy);
    start.path = shiftPath(start.path, dx, dy);
  }
  return { width: Math.ceil(right - left + 2 * MARGIN), height: Math.ceil(bottom - top + 2 * MARGIN), nodes: [...nodes.values()], edges, start };
}

/** Moves a path made of "M x y", "Q …", "C …", "L …" coordinate pairs. */
function shiftPath(path: string, dx: number, dy: number): string {
  let coordinate = 0;
  return path
    .split(' ')
    .map((token) => {
      if (/^[A-Z]$/.test(token)) return token;
      coordinate++;
      return String(round(Number(token) + (coordinate % 2 === 1 ? dx : dy)));
    })
    .join(' ');
}
