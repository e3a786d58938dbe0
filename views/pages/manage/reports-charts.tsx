/**
 * The dashboard's charts, each beside its data table and CSV download (the tables are what
 * screen readers and the drill-down links use).
 */
import type { AttainmentGroup } from '../../../src/dashboard/attainment.js';
import type { Dashboard } from '../../../src/dashboard/dashboard.js';
import { queryString } from '../../../src/http/pages/manage/report-query.js';
import { BarChart, ChartFigure, ColumnChart, LineChart, type ChartPoint } from './charts.js';
import { ManageTable } from './parts.js';
import { Drill, formatMinutes, formatPercent, METRIC_LABELS, REPORTS } from './reports-parts.js';

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

export function Charts({ d, values }: { d: Dashboard; values: Record<string, string> }) {
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
