/**
 * The state diagram of a workflow as SVG, drawn on the server from the definition
 * (`layoutWorkflow` in src/workflow/diagram.ts): states as rounded boxes with their label,
 * name, category, the SLA clocks they start, pause or stop and their timers; transitions as arrows
 * labelled with their names and roles (dashed when they only fire by themselves: on events
 * or timers). Colours are presentation attributes, so the SVG also stands on its own and
 * needs no inline style (CSP). Every text is escaped by hono/jsx.
 */
import type { Child } from 'hono/jsx';
import { CHAR_WIDTH, LINE_HEIGHT, layoutWorkflow, transitionLines, type DiagramEdge, type DiagramNode } from '../../../src/workflow/diagram.js';
import type { WorkflowDefinition } from '../../../src/workflow/definition.js';

const FILL: Record<string, string> = {
  new: '#e8f0fd',
  open: '#e6f4ea',
  pending: '#fff4e0',
  resolved: '#eef2f6',
  closed: '#e4e7eb',
};
const TEXT = '#1f2933';
const MUTED = '#52606d';
const LINE = '#52606d';
const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif';

/** A link around part of the diagram, to the form that edits it (none: the part alone); its text is its name. */
function Linked({ href, children }: { href: string | undefined; children: Child }) {
  return href !== undefined ? (
    <a href={href} class="wf-link">
      {children}
    </a>
  ) : (
    <>{children}</>
  );
}

function Node({ n, link }: { n: DiagramNode; link: string | undefined }) {
  const left = n.x - n.width / 2;
  const top = n.y - n.height / 2;
  return (
    <Linked href={link !== undefined ? `${link}#state-${n.name}` : undefined}>
    <g class="wf-state" data-state={n.name}>
      <rect x={left} y={top} width={n.width} height={n.height} rx="10" ry="10" fill={FILL[n.category] ?? '#ffffff'} stroke={LINE} stroke-width={n.initial ? 2.5 : 1.5} />
      {n.final ? <rect x={left + 4} y={top + 4} width={n.width - 8} height={n.height - 8} rx="7" ry="7" fill="none" stroke={LINE} stroke-width="1" /> : null}
      <text x={n.x} y={top + 22} text-anchor="middle" font-family={FONT} font-size="14" font-weight="600" fill={TEXT}>
        {n.label}
      </text>
      <text x={n.x} y={top + 22 + LINE_HEIGHT} text-anchor="middle" font-family={FONT} font-size="12" fill={MUTED}>
        {`${n.name} · ${n.category}`}
      </text>
      {n.details.map((line, i) => (
        <text x={n.x} y={top + 22 + LINE_HEIGHT * (i + 2)} text-anchor="middle" font-family={FONT} font-size="12" fill={TEXT}>
          {line}
        </text>
      ))}
    </g>
    </Linked>
  );
}

function EdgeLine({ e, marker }: { e: DiagramEdge; marker: string }) {
  const dash = e.automatic ? '6 4' : undefined;
  return (
    <g class={e.automatic ? 'wf-edge wf-edge-auto' : 'wf-edge'} data-from={e.from.join(' ')} data-to={e.to}>
      {e.feeders.map((d) => (
        <path d={d} fill="none" stroke={LINE} stroke-width="1.5" stroke-dasharray={dash} />
      ))}
      <path d={e.path} fill="none" stroke={LINE} stroke-width="1.5" stroke-dasharray={dash} marker-end={`url(#${marker})`} />
    </g>
  );
}

function EdgeLabel({ e, link }: { e: DiagramEdge; link: string | undefined }) {
  const width = Math.max(...e.labelLines.map((l) => l.length)) * CHAR_WIDTH + 8;
  const height = e.labelLines.length * LINE_HEIGHT + 4;
  const top = e.labelY - height / 2;
  // Each transition's lines link to its form.
  let line = 0;
  return (
    <g class="wf-label">
      <rect x={e.labelX - width / 2} y={top} width={width} height={height} rx="3" ry="3" fill="#ffffff" fill-opacity="0.92" stroke="#d9e2ec" stroke-width="1" />
      {e.transitions.map((t) => {
        const lines = transitionLines(t);
        const start = line;
        line += lines.length;
        return (
          <Linked href={link !== undefined ? `${link}#transition-${t.name}` : undefined}>
            <g class="wf-transition" data-transition={t.name}>
              {lines.map((text, i) => (
                <text x={e.labelX} y={top + 2 + LINE_HEIGHT * (start + i + 1) - 4} text-anchor="middle" font-family={FONT} font-size="12" fill={TEXT}>
                  {text}
                </text>
              ))}
            </g>
          </Linked>
        );
      })}
      {e.labelLines.slice(line).map((text, i) => (
        <text x={e.labelX} y={top + 2 + LINE_HEIGHT * (line + i + 1) - 4} text-anchor="middle" font-family={FONT} font-size="12" fill={TEXT}>
          {text}
        </text>
      ))}
    </g>
  );
}

/**
 * `zoom` (1 and up) scales the drawing without changing its layout: text is 12 px or more
 * at 1, so it never gets smaller. With `link` (the page holding the forms, or '' for this
 * page) every state and transition links to its form.
 */
export function WorkflowSvg({ definition, id = 'workflow-diagram', zoom = 1, link }: { definition: WorkflowDefinition; id?: string; zoom?: number; link?: string }) {
  const d = layoutWorkflow(definition);
  const marker = `${id}-arrow`;
  const transitions = Object.keys(definition.transitions).length;
  const scale = Math.max(1, zoom);
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      class="workflow-svg"
      id={id}
      width={Math.round(d.width * scale)}
      height={Math.round(d.height * scale)}
      viewBox={`0 0 ${d.width} ${d.height}`}
      role={link === undefined ? 'img' : 'group'}
      aria-labelledby={`${id}-title ${id}-desc`}
    >
      <title id={`${id}-title`}>{`State diagram of the workflow "${definition.workflow}"`}</title>
      <desc id={`${id}-desc`}>
        {`${d.nodes.length} states and ${transitions} transitions; new cases start in "${definition.initial}". Dashed arrows fire by themselves (events or timers). The tables below list the same states and transitions.${link === undefined ? '' : ' Each state and transition links to its form.'}`}
      </desc>
      <defs>
        <marker id={marker} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" fill={LINE} />
        </marker>
      </defs>
      {d.start ? (
        <g class="wf-start">
          <circle cx={d.start.x} cy={d.start.y} r="6" fill={TEXT} />
          <path d={d.start.path} fill="none" stroke={LINE} stroke-width="1.5" marker-end={`url(#${marker})`} />
        </g>
      ) : null}
      {d.edges.map((e) => (
        <EdgeLine e={e} marker={marker} />
      ))}
      {d.nodes.map((n) => (
        <Node n={n} link={link} />
      ))}
      {d.edges.map((e) => (
        <EdgeLabel e={e} link={link} />
      ))}
    </svg>
  );
}

/** The diagram as an SVG document string (escaped text), e.g. for tests or a download. */
export function renderWorkflowSvg(definition: WorkflowDefinition, id?: string): string {
  return String(<WorkflowSvg definition={definition} id={id} />);
}
