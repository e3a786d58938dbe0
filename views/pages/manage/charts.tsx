/**
 * Charts drawn on the server as SVG (no script, no chart library, no CDN): a line chart, a
 * column chart and horizontal bars. Each is an image for assistive tech (`role="img"`, an
 * `aria-label`, `<title>` and `<desc>` saying what it shows and its numbers); the figure
 * around it carries the caption, the CSV download of exactly the chart's data and a data
 * table with the same numbers (and drill-down links). Colours come from classes in
 * manage-reports.css; text is escaped by hono/jsx like everywhere else.
 */
import type { Child } from 'hono/jsx';

export interface ChartPoint {
  label: string;
  value: number;
  /** The value as text (units, rounding). */
  display?: string;
}

const W = 640;
const H = 240;
const M = { top: 16, right: 16, bottom: 40, left: 48 };

/** A round upper bound for the axis: 1, 2, 5 × 10^n at or above `max` (at least 1). */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

function describe(points: readonly ChartPoint[]): string {
  return points.map((p) => `${p.label}: ${p.display ?? fmt(p.value)}`).join('; ');
}

/** Every n-th label on the x axis so they do not overlap (at most about 10). */
function labelStep(count: number): number {
  return Math.max(1, Math.ceil(count / 10));
}

/** The accessible SVG around every chart: title, description (the data as text), empty state. */
function Frame(p: { id: string; title: string; points: readonly ChartPoint[]; height?: number; children: Child }) {
  const height = p.height ?? H;
  const empty = p.points.length === 0;
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      class="chart"
      role="img"
      aria-label={p.title}
      aria-labelledby={`${p.id}-title ${p.id}-desc`}
      viewBox={`0 0 ${W} ${height}`}
      preserveAspectRatio="xMidYMid meet"
      id={p.id}
    >
      <title id={`${p.id}-title`}>{p.title}</title>
      <desc id={`${p.id}-desc`}>{empty ? 'No data in this period.' : describe(p.points)}</desc>
      {empty ? (
        <text x={W / 2} y={height / 2} text-anchor="middle" class="chart-empty">
          No data in this period
        </text>
      ) : null}
      {p.children}
    </svg>
  );
}

function YAxis({ max, unit }: { max: number; unit: string }) {
  const ticks = [0, max / 2, max];
  const y = (v: number) => M.top + (H - M.top - M.bottom) * (1 - v / max);
  return (
    <g class="chart-axis" aria-hidden="true">
      {ticks.map((t) => (
        <>
          <line class="chart-grid" x1={M.left} x2={W - M.right} y1={y(t)} y2={y(t)} />
          <text x={M.left - 6} y={y(t) + 4} text-anchor="end">
            {fmt(t)}
          </text>
        </>
      ))}
      <text x={M.left - 6} y={M.top - 4} text-anchor="end" class="chart-unit">
        {unit}
      </text>
    </g>
  );
}

function XLabels({ points, x }: { points: readonly ChartPoint[]; x: (i: number) => number }) {
  const step = labelStep(points.length);
  return (
    <g class="chart-axis" aria-hidden="true">
      <line class="chart-baseline" x1={M.left} x2={W - M.right} y1={H - M.bottom} y2={H - M.bottom} />
      {points.map((p, i) =>
        i % step === 0 ? (
          <text x={x(i)} y={H - M.bottom + 16} text-anchor="middle">
            {p.label.slice(5)}
          </text>
        ) : null,
      )}
    </g>
  );
}

/** Values over time as a line with dots. */
export function LineChart(p: { id: string; title: string; points: readonly ChartPoint[]; unit: string }) {
  const max = niceMax(Math.max(0, ...p.points.map((pt) => pt.value)));
  const inner = W - M.left - M.right;
  const x = (i: number) => M.left + (p.points.length <= 1 ? inner / 2 : (inner * i) / (p.points.length - 1));
  const y = (v: number) => M.top + (H - M.top - M.bottom) * (1 - v / max);
  return (
    <Frame id={p.id} title={p.title} points={p.points}>
      <YAxis max={max} unit={p.unit} />
      <XLabels points={p.points} x={x} />
      {p.points.length > 1 ? <polyline class="chart-line" fill="none" points={p.points.map((pt, i) => `${x(i)},${y(pt.value)}`).join(' ')} /> : null}
      {p.points.map((pt, i) => (
        <circle class="chart-dot" cx={x(i)} cy={y(pt.value)} r="3.5">
          <title>{`${pt.label}: ${pt.display ?? fmt(pt.value)}`}</title>
        </circle>
      ))}
    </Frame>
  );
}

/** Values over time as columns. */
export function ColumnChart(p: { id: string; title: string; points: readonly ChartPoint[]; unit: string }) {
  const max = niceMax(Math.max(0, ...p.points.map((pt) => pt.value)));
  const inner = W - M.left - M.right;
  const slot = inner / Math.max(1, p.points.length);
  const x = (i: number) => M.left + slot * i + slot / 2;
  const h = (v: number) => (H - M.top - M.bottom) * (v / max);
  return (
    <Frame id={p.id} title={p.title} points={p.points}>
      <YAxis max={max} unit={p.unit} />
      {p.points.map((pt, i) => (
        <rect class="chart-bar" x={x(i) - slot * 0.35} y={H - M.bottom - h(pt.value)} width={slot * 0.7} height={h(pt.value)}>
          <title>{`${pt.label}: ${pt.display ?? fmt(pt.value)}`}</title>
        </rect>
      ))}
      <XLabels points={p.points} x={x} />
    </Frame>
  );
}

/** One horizontal bar per row (percentages or durations), the value written beside it. */
export function BarChart(p: { id: string; title: string; points: readonly ChartPoint[]; max?: number }) {
  const rowH = 28;
  const height = Math.max(60, p.points.length * rowH + 24);
  const labelW = 250;
  const max = p.max ?? niceMax(Math.max(0, ...p.points.map((pt) => pt.value)));
  const inner = W - labelW - 90;
  return (
    <Frame id={p.id} title={p.title} points={p.points} height={height}>
      {p.points.map((pt, i) => {
        const y = 12 + i * rowH;
        const w = max > 0 ? (inner * Math.min(pt.value, max)) / max : 0;
        return (
          <g>
            <text x={labelW - 8} y={y + 15} text-anchor="end" class="chart-label">
              {pt.label}
            </text>
            <rect class="chart-track" x={labelW} y={y + 2} width={inner} height={rowH - 10} />
            <rect class="chart-bar" x={labelW} y={y + 2} width={w} height={rowH - 10}>
              <title>{`${pt.label}: ${pt.display ?? fmt(pt.value)}`}</title>
            </rect>
            <text x={labelW + inner + 6} y={y + 15} class="chart-value">
              {pt.display ?? fmt(pt.value)}
            </text>
          </g>
        );
      })}
    </Frame>
  );
}

/** A chart with its caption, CSV download and the data table fallback. */
export function ChartFigure(p: { id: string; caption: string; csv: string; chart: Child; table: Child }) {
  return (
    <figure class="chart-figure" aria-labelledby={`${p.id}-caption`}>
      <figcaption id={`${p.id}-caption`}>
        <span class="chart-caption">{p.caption}</span>
        <a class="chart-csv" href={p.csv} download>
          CSV<span class="visually-hidden">{` of ${p.caption}`}</span>
        </a>
      </figcaption>
      <div class="chart-scroll" tabindex={0} role="group" aria-label={`${p.caption}: chart`}>
        {p.chart}
      </div>
      <details class="chart-data">
        <summary>{`Data table: ${p.caption}`}</summary>
        {p.table}
      </details>
    </figure>
  );
}
