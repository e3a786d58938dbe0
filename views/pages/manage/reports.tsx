/**
 * `/manage/reports`: the dashboard for a period and queue — headline numbers that link to
 * the cases (or customers) behind them, SVG charts with their CSV and data tables — and the
 * drill-down page. Definitions: docs/manager-console.md ("Reports").
 */
import type { Dashboard, Drill as DrillList } from '../../../src/dashboard/dashboard.js';
import type { DurationMetric } from '../../../src/dashboard/durations.js';
import type { Summary } from '../../../src/dashboard/stats.js';
import { queryString } from '../../../src/http/pages/manage/report-query.js';
import { Button, EmptyState, Field, PageHeader, SelectField, type FormState, type FormValues, type Option } from '../../components.js';
import type { Viewer } from '../../viewer.js';
import { AgentsSection } from './reports-agents.js';
import { Charts } from './reports-charts.js';
import { Drill, formatMinutes, formatPercent, REPORTS, ReportsNav, ReportsStyles } from './reports-parts.js';
import { ManagePage, ManageTable } from './parts.js';

/**
 * `defaults`: what the fields show for the bare address (the last 30 days, the report zone), for
 * Back and Forward (`data-url-fields`: the fields follow the address, public/app.js).
 */
function PeriodForm(p: { state: FormState; queues: Option[]; defaults: FormValues }) {
  const byDefault = (name: string) => ({ 'data-url-default': p.defaults[name] });
  // A queue in the address that does not exist is shown as chosen (with why it is refused), not as "All queues".
  const asked = p.state.values?.queue ?? '';
  const unknown = asked !== '' && !p.queues.some((q) => q.value === asked) ? [{ value: asked, label: `${asked} (no such queue)` }] : [];
  return (
    <form id="period-form" class="period-form" method="get" action={REPORTS} hx-get={REPORTS} hx-target="#reports-body" hx-swap="outerHTML" hx-push-url="true" data-url-fields data-keep-typed>
      <Field id="period-from" name="from" label="From" type="date" required state={p.state} attrs={byDefault('from')} />
      <Field id="period-to" name="to" label="To (included)" type="date" required state={p.state} attrs={byDefault('to')} />
      <SelectField id="period-queue" name="queue" label="Queue" options={[{ value: '', label: 'All queues' }, ...p.queues, ...unknown]} state={p.state} />
      <Field id="period-tz" name="tz" label="Time zone" maxlength={64} state={p.state} attrs={{ spellcheck: 'false', ...byDefault('tz') }} />
      <Button id="period-apply">Show</Button>
    </form>
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

/** The form and, when it is valid, the dashboard: the part htmx swaps. */
export function ReportsBody(p: { state: FormState; queues: Option[]; dashboard: Dashboard | null; queueName: string | null; defaults: FormValues }) {
  const values = p.state.values ?? {};
  const d = p.dashboard;
  return (
    <div id="reports-body">
      <PeriodForm state={p.state} queues={p.queues} defaults={p.defaults} />
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
          <AgentsSection agents={d.agents} values={values} />
        </section>
      ) : null}
    </div>
  );
}

export function ReportsPage(p: { viewer: Viewer; csrfToken: string; state: FormState; queues: Option[]; dashboard: Dashboard | null; queueName: string | null; defaults: FormValues }) {
  return (
    <ManagePage title="Reports" viewer={p.viewer} csrfToken={p.csrfToken} current={REPORTS}>
      <ReportsStyles />
      <PageHeader eyebrow="Manage" title="Reports" />
      <ReportsNav current="dashboard" />
      <ReportsBody state={p.state} queues={p.queues} dashboard={p.dashboard} queueName={p.queueName} defaults={p.defaults} />
    </ManagePage>
  );
}

export function DrillPage(p: { viewer: Viewer; csrfToken: string; drill: DrillList; values: Record<string, string>; csv: string }) {
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
              <td class="cell-subject" dir="auto">{r.subject}</td>
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
