/**
 * `/manage/reports`: the dashboard for a period and queue — headline numbers that link to
 * the cases (or customers) behind them, SVG charts with their CSV and data tables — and the
 * drill-down page. Definitions: docs/manager-console.md ("Reports").
 */
import type { AttainmentGroup } from '../../../src/dashboard/attainment.js';
import type { Dashboard, Drill } from '../../../src/dashboard/dashboard.js';
import type { DurationMetric } from '../../../src/dashboard/durations.js';
import type { Summary } from '../../../src/dashboard/stats.js';
import { assetUrl } from '../../../src/http/pages/assets.js';
import { queryString } from '../../../src/http/pages/manage/report-query.js';
import { Button, EmptyState, Field, PageHeader, SelectField, type FormState, type Option } from '../../components.js';
import type { Viewer } from '../../viewer.js';
import { BarChart, ChartFigure, ColumnChart, LineChart, type ChartPoint } from './charts.js';
import { ManagePage, ManageTable } from './parts.js';

export const REPORTS = '/manage/reports';

export const METRIC_LABELS: Record<string, string> = { firstResponse: 'First response', nextResponse: 'Next response', resolution: 'Resolution' };

export function formatMinutes(minutes: number | null): string {
  if (minutes === null) return '–';
  if (minutes > 0 && minutes < 0.5) return '< 1 min';
  const total = Math.round(minutes);
  if (total < 60) return `${total} min`;
  const h = Math.floor(total / 60);
  const m = total % 60;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
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

function PeriodForm(p: { state: FormState; queues: Option[] }) {
  return (
    <form id="period-form" class="period-form" method="get" action={REPORTS} hx-get={REPORTS} hx-target="#reports-body" hx-swap="outerHTML" hx-push-url="true">
      <Field id="period-from" name="from" label="From" type="date" required state={p.state} />
      <Field id="period-to" name="to" label="To (included)" type="date" required state={p.state} />
      <SelectField id="period-queue" name="queue" label="Queue" options={[{ value: '', label: 'All queues' }, ...p.queues]} state={p.state} />
      <Field id="period-tz" name="tz" label="Time zone" maxlength={64} state={p.state} attrs={{ spellcheck: 'false' }} />
      <Button id="period-apply">Show</Button>
    </form>
  );
}

/** A number that links to the list behind it. */
function Drill(p: { values: Record<string, string>; params: Record<string, string | number>; children: string; label: string }) {
  return (
    <a href={`${REPORTS}/drill?${queryString(p.values, p.params)}`} aria-label={p.label}>
      {p.children}
    </a>
  );
}

/** "median 42 h · p90 47 h" for calendar time, and the same in business hours. */
function TimesLines(p: { metric: DurationMetric; id: string; average: boolean }) {
  const line = (s: Summary) => [p.average ? `average ${formatMinutes(s.mean)}` : null, `median ${formatMinutes(s.median)}`, `p90 ${formatMinutes(s.p90)}`].filter(Boolean).join(' · ');
  return (
    <ul class="kpi-times" id={p.id}>
      <li>
        <span class="kpi-basis">Calendar:</span> {line(p.metric.calendar)}
      </li>
      <li>
        <span class="kpi-basis">Business hours:</span> {line(p.metric.business)}
      </li>
    </ul>
  );
}

function Kpis({ d, values }: { d: Dashboard; values: Record<string, string> }) {
  const a = d.attainment.total;
  return (
    <dl class="kpis" id="kpis">
      <div class="kpi" id="kpi-csat">
        <dt>CSAT</dt>
        <dd class="kpi-value">{formatPercent(d.csat.percent)}</dd>
        <dd class="kpi-detail">
          <Drill values={values} params={{ metric: 'csat-satisfied' }} label={`${d.csat.satisfied} satisfied ratings: list the cases`}>
            {`${d.csat.satisfied} satisfied`}
          </Drill>{' '}
          of{' '}
          <Drill values={values} params={{ metric: 'csat' }} label={`${d.csat.ratings} ratings: list the cases`}>
            {`${d.csat.ratings} rating${d.csat.ratings === 1 ? '' : 's'}`}
          </Drill>
        </dd>
      </div>
      <div class="kpi" id="kpi-churn">
        <dt>Churn</dt>
        <dd class="kpi-value">{formatPercent(d.churn.percent)}</dd>
        <dd class="kpi-detail">
          <Drill values={values} params={{ metric: 'churn' }} label={`${d.churn.churned} churned customers: list them`}>
            {`${d.churn.churned} churned`}
          </Drill>{' '}
          {`of ${d.churn.customers} customer${d.churn.customers === 1 ? '' : 's'} at the start`}
        </dd>
      </div>
      <div class="kpi" id="kpi-attainment">
        <dt>SLA attainment</dt>
        <dd class="kpi-value">{formatPercent(a.attainment)}</dd>
        <dd class="kpi-detail">
          <Drill values={values} params={{ metric: 'attainment', group: 'all', key: 'all', outcome: 'met' }} label={`${a.met} met: list the cases whose SLA targets were met`}>
            {`${a.met} met`}
          </Drill>
          ,{' '}
          <Drill values={values} params={{ metric: 'attainment', group: 'all', key: 'all', outcome: 'missed' }} label={`${a.missed} missed: list the cases whose SLA targets were missed`}>
            {`${a.missed} missed`}
          </Drill>
        </dd>
      </div>
      <div class="kpi" id="kpi-processing">
        <dt>Processing time (average)</dt>
        <dd class="kpi-value">{formatMinutes(d.processing.calendar.mean)}</dd>
        <dd class="kpi-detail">
          {'over '}
          <Drill values={values} params={{ metric: 'processing' }} label={`${d.processing.count} resolved cases: list them`}>
            {`${d.processing.count} resolved case${d.processing.count === 1 ? '' : 's'}`}
          </Drill>
          <TimesLines metric={d.processing} id="times-processing" average={true} />
        </dd>
      </div>
      <div class="kpi" id="kpi-first-response">
        <dt>First response (median)</dt>
        <dd class="kpi-value">{formatMinutes(d.firstResponse.calendar.median)}</dd>
        <dd class="kpi-detail">
          {'over '}
          <Drill values={values} params={{ metric: 'first-response' }} label={`${d.firstResponse.count} first responses: list the cases`}>
            {`${d.firstResponse.count} first response${d.firstResponse.count === 1 ? '' : 's'}`}
          </Drill>
          <TimesLines metric={d.firstResponse} id="times-first-response" average={false} />
        </dd>
      </div>
    </dl>
  );
}

function SeriesTable(p: { caption: string; unit: string; column: string; points: { label: string; value: number }[]; values: Record<string, string>; metric: 'backlog' | 'escalations' }) {
  return (
    <ManageTable caption={p.caption} head={[p.unit === 'week' ? 'Week starting' : 'Day', p.column]}>
      {p.points.map((pt, i) => (
        <tr>
          <td>{pt.label}</td>
          <td class="num">
            <Drill values={p.values} params={{ metric: p.metric, bucket: i }} label={`${pt.value} on ${pt.label}: list the cases`}>
              {String(pt.value)}
            </Drill>
          </td>
        </tr>
      ))}
    </ManageTable>
  );
}

function AttainmentTable(p: { caption: string; head: string; group: 'metric' | 'policy'; rows: AttainmentGroup[]; values: Record<string, string> }) {
  return (
    <ManageTable caption={p.caption} head={[p.head, 'Met', 'Missed', 'Attainment']}>
      {p.rows.map((g) => {
        const name = p.group === 'metric' ? (METRIC_LABELS[g.key] ?? g.key) : g.key;
        return (
          <tr>
            <th scope="row">{name}</th>
            <td class="num">
              <Drill values={p.values} params={{ metric: 'attainment', group: p.group, key: g.key, outcome: 'met' }} label={`${g.met} met for ${name}: list the cases`}>
                {String(g.met)}
              </Drill>
            </td>
            <td class="num">
              <Drill values={p.values} params={{ metric: 'attainment', group: p.group, key: g.key, outcome: 'missed' }} label={`${g.missed} missed for ${name}: list the cases`}>
                {String(g.missed)}
              </Drill>
            </td>
            <td class="num">{formatPercent(g.attainment)}</td>
          </tr>
        );
      })}
    </ManageTable>
  );
}

function timePoints(d: Dashboard): ChartPoint[] {
  const rows: [string, number | null][] = [
    ['First response, median', d.firstResponse.calendar.median],
    ['First response, p90', d.firstResponse.calendar.p90],
    ['First response, median (business)', d.firstResponse.business.median],
    ['First response, p90 (business)', d.firstResponse.business.p90],
    ['Processing, average', d.processing.calendar.mean],
    ['Processing, median', d.processing.calendar.median],
    ['Processing, p90', d.processing.calendar.p90],
    ['Processing, average (business)', d.processing.business.mean],
    ['Processing, median (business)', d.processing.business.median],
    ['Processing, p90 (business)', d.processing.business.p90],
  ];
  return rows.filter((r): r is [string, number] => r[1] !== null).map(([label, minutes]) => ({ label, value: minutes / 60, display: formatMinutes(minutes) }));
}

function Charts({ d, values }: { d: Dashboard; values: Record<string, string> }) {
  const csv = (name: string) => `${REPORTS}/csv/${name}?${queryString(values)}`;
  const backlog = d.backlog.points.map((p) => ({ label: p.bucket.label, value: p.value }));
  const escalations = d.escalations.points.map((p) => ({ label: p.bucket.label, value: p.value }));
  const per = d.backlog.unit === 'week' ? 'week' : 'day';
  const pct = (groups: AttainmentGroup[], label: (k: string) => string) =>
    groups.filter((g) => g.attainment !== null).map((g) => ({ label: label(g.key), value: g.attainment!, display: formatPercent(g.attainment) }));
  const times = timePoints(d);
  return (
    <div class="charts">
      <ChartFigure
        id="chart-backlog"
        caption={`Backlog: open cases at the end of each ${per}`}
        csv={csv('backlog')}
        chart={<LineChart id="svg-backlog" title={`Open cases at the end of each ${per}`} points={backlog} unit="cases" />}
        table={<SeriesTable caption="Open cases" unit={d.backlog.unit} column="Open cases" points={backlog} values={values} metric="backlog" />}
      />
      <ChartFigure
        id="chart-escalations"
        caption={`Escalations per ${per}`}
        csv={csv('escalations')}
        chart={<ColumnChart id="svg-escalations" title={`Escalations to advanced support per ${per}`} points={escalations} unit="cases" />}
        table={<SeriesTable caption="Escalations" unit={d.escalations.unit} column="Escalations" points={escalations} values={values} metric="escalations" />}
      />
      <ChartFigure
        id="chart-attainment-metric"
        caption="SLA attainment per metric"
        csv={csv('attainment-by-metric')}
        chart={<BarChart id="svg-attainment-metric" title="SLA attainment per metric, percent of targets met" points={pct(d.attainment.byMetric, (k) => METRIC_LABELS[k] ?? k)} max={100} />}
        table={<AttainmentTable caption="SLA attainment per metric" head="Metric" group="metric" rows={d.attainment.byMetric} values={values} />}
      />
      <ChartFigure
        id="chart-attainment-policy"
        caption="SLA attainment per policy"
        csv={csv('attainment-by-policy')}
        chart={<BarChart id="svg-attainment-policy" title="SLA attainment per policy, percent of targets met" points={pct(d.attainment.byPolicy, (k) => k)} max={100} />}
        table={<AttainmentTable caption="SLA attainment per policy" head="Policy" group="policy" rows={d.attainment.byPolicy} values={values} />}
      />
      <ChartFigure
        id="chart-times"
        caption="First-response and processing times"
        csv={csv('times')}
        chart={<BarChart id="svg-times" title="First-response and processing times, in hours" points={times} />}
        table={
          <ManageTable caption="First-response and processing times" head={['Measure', 'Cases', 'Average', 'Median', 'p90']}>
            {(
              [
                ['First response (calendar)', d.firstResponse, d.firstResponse.calendar],
                ['First response (business hours)', d.firstResponse, d.firstResponse.business],
                ['Processing (calendar)', d.processing, d.processing.calendar],
                ['Processing (business hours)', d.processing, d.processing.business],
              ] as const
            ).map(([label, m, s]) => (
              <tr>
                <th scope="row">{label}</th>
                <td class="num">{String(m.count)}</td>
                <td class="num">{formatMinutes(s.mean)}</td>
                <td class="num">{formatMinutes(s.median)}</td>
                <td class="num">{formatMinutes(s.p90)}</td>
              </tr>
            ))}
          </ManageTable>
        }
      />
    </div>
  );
}

/** The form and, when it is valid, the dashboard: the part htmx swaps. */
export function ReportsBody(p: { state: FormState; queues: Option[]; dashboard: Dashboard | null; queueName: string | null }) {
  const values = p.state.values ?? {};
  const d = p.dashboard;
  return (
    <div id="reports-body">
      <PeriodForm state={p.state} queues={p.queues} />
      {d ? (
        <section id="dashboard" aria-labelledby="dashboard-heading">
          <h2 id="dashboard-heading" class="visually-hidden">
            Numbers for the period
          </h2>
          <p class="period-note">
            {`${values.from} to ${values.to} (${values.tz}), ${p.queueName ? `queue ${p.queueName}` : 'all queues'}. `}
            <a href={`${REPORTS}/csv/summary?${queryString(values)}`} download>
              Download the numbers as CSV
            </a>
          </p>
          <Kpis d={d} values={values} />
          <Charts d={d} values={values} />
        </section>
      ) : null}
    </div>
  );
}

export function ReportsPage(p: { viewer: Viewer; csrfToken: string; state: FormState; queues: Option[]; dashboard: Dashboard | null; queueName: string | null }) {
  return (
    <ManagePage title="Reports" viewer={p.viewer} csrfToken={p.csrfToken} current={REPORTS}>
      <ReportsStyles />
      <PageHeader eyebrow="Manage" title="Reports" />
      <ReportsNav current="dashboard" />
      <ReportsBody state={p.state} queues={p.queues} dashboard={p.dashboard} queueName={p.queueName} />
    </ManagePage>
  );
}

export function DrillPage(p: { viewer: Viewer; csrfToken: string; drill: Drill; values: Record<string, string>; csv: string }) {
  const { drill, values } = p;
  return (
    <ManagePage title={drill.title} viewer={p.viewer} csrfToken={p.csrfToken} current={REPORTS}>
      <ReportsStyles />
      <PageHeader
        eyebrow={<a href={`${REPORTS}?${queryString(values)}`}>Back to the dashboard</a>}
        title={drill.title}
        actions={
          <a class="button button-secondary" href={p.csv} download>
            CSV
          </a>
        }
      />
      <p class="period-note">{`${values.from} to ${values.to} (${values.tz}), ${values.queue ? `queue ${values.queue}` : 'all queues'}: ${drill.rows.length} listed.`}</p>
      {drill.rows.length === 0 ? (
        <EmptyState>Nothing behind this number in the period.</EmptyState>
      ) : drill.kind === 'customers' ? (
        <ManageTable caption={drill.title} captionHidden head={['Customer', 'Email', 'Organization', 'Churned since']} id="drill-table">
          {drill.rows.map((r) => (
            <tr>
              <td>
                <a href={`/manage/team/customers/${r.id}`}>{r.name}</a>
              </td>
              <td>{r.email}</td>
              <td>{r.organization ?? ''}</td>
              <td>{r.churnedAt === null ? 'not churned now' : new Date(r.churnedAt).toISOString().slice(0, 10)}</td>
            </tr>
          ))}
        </ManageTable>
      ) : (
        <ManageTable caption={drill.title} captionHidden head={['Case', 'Subject', 'Customer', 'Queue', 'Status', 'What counted']} id="drill-table">
          {drill.rows.map((r) => (
            <tr>
              <td class="cell-ref">
                <a href={`/cases/${r.ref}`}>{r.ref}</a>
              </td>
              <td class="cell-subject">{r.subject}</td>
              <td>{r.customer}</td>
              <td>{r.queue}</td>
              <td>{r.status}</td>
              <td>{r.detail}</td>
            </tr>
          ))}
        </ManageTable>
      )}
    </ManagePage>
  );
}
