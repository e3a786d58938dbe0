/**
 * What the reports pages share: their paths, labels and number formats, the reports
 * sub-navigation and style sheet, and the link from a number to the cases behind it.
 */
import { assetUrl } from '../../../src/http/pages/assets.js';
import { queryString } from '../../../src/http/pages/manage/report-query.js';
import { formatMinutes as formatDuration } from '../../../src/text/minutes.js';

export const REPORTS = '/manage/reports';

export const METRIC_LABELS: Record<string, string> = { firstResponse: 'First response', nextResponse: 'Next response', resolution: 'Resolution' };

/** Durations beside the charts (in hours): hours and minutes, "30 h 20 min" (src/text/minutes.ts). */
export function formatMinutes(minutes: number | null): string {
  return minutes === null ? '–' : formatDuration(minutes, { days: false });
}

export function formatPercent(value: number | null): string {
  return value === null ? '–' : `${value.toFixed(1)} %`;
}

export function ReportsNav({ current }: { current: 'dashboard' | 'sla' }) {
  return (
    <nav aria-label="Reports">
      <ul class="subnav">
        <li>
          <a href={REPORTS} aria-current={current === 'dashboard' ? 'page' : undefined}>
            Dashboard
          </a>
        </li>
        <li>
          <a href={`${REPORTS}/sla`} aria-current={current === 'sla' ? 'page' : undefined}>
            SLA escalation reports
          </a>
        </li>
      </ul>
    </nav>
  );
}

export function ReportsStyles() {
  return <link rel="stylesheet" href={assetUrl('manage-reports.css')} />;
}

/** A number that links to the list behind it. */
export function Drill(p: { values: Record<string, string>; params: Record<string, string | number>; children: string; label: string }) {
  return (
    <a href={`${REPORTS}/drill?${queryString(p.values, p.params)}`} aria-label={p.label}>
      {p.children}
    </a>
  );
}
