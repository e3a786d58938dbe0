/**
 * The geometry of a workflow diagram's arrows: where each arrow runs (straight, curved, a loop,
 * a junction where several sources meet), where its label sits, and the final shift that puts
 * the whole drawing at the margin. Called by `layoutWorkflow` (diagram.ts).
 */
import { PREVIOUS_STATE } from './definition.js';
import { CHAR_WIDTH, LINE_HEIGHT, round, type DiagramEdge, type DiagramNode, type WorkflowDiagram } from './diagram-model.js';

const MARGIN = 40;
const JUNCTION = 38;

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

/** Draws one arrow (its path, feeders and label position) between laid-out nodes. */
export function drawEdge(
  edge: DiagramEdge,
  bundle: { from: string[]; to: string },
  nodes: ReadonlyMap<string, DiagramNode>,
  columns: readonly string[][],
  hasPair: (from: string, to: string) => boolean,
): void {
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
    return;
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
    return;
  }

  const a = nodes.get(bundle.from[0]!)!;
  if (a === b) {
    edge.path = `M ${round(a.x + a.width / 2)} ${round(a.y - 8)} C ${round(a.x + a.width / 2 + 60)} ${round(a.y - 40)} ${round(a.x + a.width / 2 + 60)} ${round(a.y + 40)} ${round(a.x + a.width / 2)} ${round(a.y + 8)}`;
    edge.labelX = a.x + a.width / 2 + 60;
    edge.labelY = a.y;
    return;
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
    return;
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

/** Moves everything so the drawing (nodes, loops, label boxes) starts at the margin, and sizes it. */
export function fitToMargin(nodes: ReadonlyMap<string, DiagramNode>, edges: DiagramEdge[], start: WorkflowDiagram['start']): WorkflowDiagram {
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
