/** SLA clocks as badges: colour plus a word (never colour alone). */
import { metricLabel, type SlaLevel, type SlaStatus } from '../../src/http/pages/sla-status.js';
import { Badge, type Tone } from '../components.js';
import { Time } from '../time.js';

const TONES: Record<SlaLevel, Tone> = { breached: 'danger', warning: 'warning', ok: 'ok', paused: 'muted', done: 'muted' };
const WORDS: Record<SlaLevel, string> = { breached: 'Breached', warning: 'At risk', ok: 'On time', paused: 'Paused', done: 'Met' };

/** The words after the badge: time left or overdue, or why a clock is paused. */
function detail(status: SlaStatus): string {
  if (status.level === 'paused') return status.pauseReason ? `(${status.pauseReason})` : '';
  if (status.level === 'done') return '';
  return status.label;
}

export function SlaBadge({ status, withMetric }: { status: SlaStatus | null; withMetric?: boolean }) {
  if (!status) return <span class="muted">No SLA</span>;
  // The due time in the viewer's zone, where the clock still runs (or ran out).
  const due = status.dueAt !== null && (status.level === 'ok' || status.level === 'warning' || status.level === 'breached') ? status.dueAt : null;
  return (
    <span class={`sla sla-${status.level}`}>
      <Badge tone={TONES[status.level]}>
        {withMetric ? `${metricLabel(status.metric)}: ` : ''}
        {WORDS[status.level]}
      </Badge>{' '}
      <span class="sla-label">{detail(status)}</span>
      {due !== null ? (
        <span class="sla-due">
          {' · due '}
          <Time at={due} short />
        </span>
      ) : null}
    </span>
  );
}

export function SlaList({ timers }: { timers: SlaStatus[] }) {
  if (timers.length === 0) return <p class="muted">No SLA clocks on this case.</p>;
  return (
    <ul class="sla-list">
      {timers.map((t) => (
        <li>
          <SlaBadge status={t} withMetric />
        </li>
      ))}
    </ul>
  );
}
