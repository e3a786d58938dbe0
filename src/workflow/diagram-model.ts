/**
 * The shapes of a laid-out workflow diagram (src/workflow/diagram.ts computes them,
 * views/pages/manage/workflow-svg.tsx draws them) and the text metrics both sides share.
 */
export interface DiagramNode {
  name: string;
  label: string;
  category: string;
  initial: boolean;
  final: boolean;
  /** Detail lines under the label: clocks started, paused and stopped, timers. */
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

export function round(n: number): number {
  return Math.round(n * 10) / 10;
}
