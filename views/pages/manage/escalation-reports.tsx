/**
 * `/manage/reports/sla`: the stored SLA escalation reports (scheduled and on demand) with
 * their delivery state, and one report rendered from its stored summary (JSON) inside the
 * console — every value escaped by hono/jsx. The stored HTML and CSV are downloads.
 */
import type { AttainmentRow, ReportSummary } from '../../../src/reports/build-report.js';
import { formatMinutes } from '../../../src/text/minutes.js';
import type { ReportRow } from '../../../src/reports/create-report.js';
import { reportTime, timeLeftText } from '../../../src/reports/time-text.js';
import { Badge, Button, CsrfField, EmptyState, PageHeader, Time, type Tone } from '../../components.js';
import type { Viewer } from '../../viewer.js';
import { ManagePage, ManageTable } from './parts.js';
import { formatPercent, METRIC_LABELS, REPORTS, ReportsNav, ReportsStyles } from './reports-parts.js';

export type ReportListRow = Omit<ReportRow, 'html' | 'csv'>;

const DELIVERY: Record<ReportRow['deliveryState'], { label: string; tone: Tone }> = {
  none: { label: 'Not emailed', tone: 'muted' },
  pending: { label: 'Sending', tone: 'info' },
  sent: { label: 'Sent', tone: 'ok' },
  failed: { label: 'Failed', tone: 'danger' },
};

function summaryOf(row: ReportListRow): ReportSummary {
  return row.summary as unknown as ReportSummary;
}

/** Times with their UTC offset, as in the report's HTML (src/reports/time-text.ts). */
const local = reportTime;

export function period(row: ReportListRow): string {
  const s = summaryOf(row);
  return `${local(s.period.from, s.timezone)} – ${local(s.period.to, s.timezone)} (${s.timezone})`;
}

function Delivery({ row }: { row: ReportListRow }) {
  const d = DELIVERY[row.deliveryState];
  return (
    <>
      <Badge tone={d.tone}>{d.label}</Badge>
      {row.deliveryAttempts > 0 ? <span class="muted">{` ${row.deliveryAttempts} attempt${row.deliveryAttempts === 1 ? '' : 's'}`}</span> : null}
      {row.deliveryError ? <p class="delivery-error">{row.deliveryError}</p> : null}
    </>
  );
}

function RetryForm({ row, csrfToken }: { row: ReportListRow; csrfToken: string }) {
  return (
    <form method="post" action={`${REPORTS}/sla/${row.id}/deliver`} class="inline-form" id={`retry-${row.id}`} hx-boost="true" hx-push-url="false">
      <CsrfField token={csrfToken} />
      <Button variant="secondary">
        Retry delivery<span class="visually-hidden">{` of report ${row.id}`}</span>
      </Button>
    </form>
  );
}

export function EscalationReportsPage(p: { viewer: Viewer; csrfToken: string; rows: ReportListRow[]; canSend: boolean; notice: string | null }) {
  return (
    <ManagePage title="SLA escalation reports" viewer={p.viewer} csrfToken={p.csrfToken} current={REPORTS}>
      <ReportsStyles />
      <PageHeader eyebrow="Manage · Reports" title="SLA escalation reports" />
      <ReportsNav current="sla" />
      {p.notice ? (
        <p class="alert alert-ok" role="status" id="notice">
          {p.notice}
        </p>
      ) : null}
      <p class="lead">Built on schedule (and on demand through the API), emailed to managers and admins when email is set up. Newest first.</p>
      {p.rows.length === 0 ? (
        <EmptyState>No SLA escalation reports yet. The first scheduled one appears after the next run of the report job.</EmptyState>
      ) : (
        <ManageTable caption="SLA escalation reports, newest first" captionHidden head={['Report', 'Period', 'Trigger', 'Breaches', 'Escalations', 'Attainment', 'Delivery', 'Files']} id="sla-reports">
          {p.rows.map((row) => {
            const t = summaryOf(row).totals;
            return (
              <tr id={`report-${row.id}`}>
                <td class="cell-ref">
                  <a href={`${REPORTS}/sla/${row.id}`}>{`Report ${row.id}`}</a>
                </td>
                <td>{period(row)}</td>
                <td>{row.trigger === 'schedule' ? 'scheduled' : 'on demand'}</td>
                <td class="num">{String(t.breaches)}</td>
                <td class="num">{String(t.escalations)}</td>
                <td class="num">{formatPercent(t.attainment)}</td>
                <td>
                  <Delivery row={row} />
                  {row.deliveryState === 'failed' && p.canSend ? <RetryForm row={row} csrfToken={p.csrfToken} /> : null}
                </td>
                <td class="actions-cell">
                  <a href={`${REPORTS}/sla/${row.id}/report.csv`} download>
                    CSV<span class="visually-hidden">{` of report ${row.id}`}</span>
                  </a>{' '}
                  ·{' '}
                  <a href={`${REPORTS}/sla/${row.id}/report.html`} download>
                    HTML<span class="visually-hidden">{` of report ${row.id}`}</span>
                  </a>
                </td>
              </tr>
            );
          })}
        </ManageTable>
      )}
    </ManagePage>
  );
}

const caseLink = (ref: string) => <a href={`/cases/${ref}`}>{ref}</a>;

function AttainmentRows(p: { caption: string; head: string; rows: AttainmentRow[] }) {
  return p.rows.length === 0 ? (
    <EmptyState>No SLA outcomes in this period.</EmptyState>
  ) : (
    <ManageTable caption={p.caption} head={[p.head, 'Met', 'Missed', 'Attainment']}>
      {p.rows.map((r) => (
        <tr>
          <td>{r.key}</td>
          <td class="num">{String(r.met)}</td>
          <td class="num">{String(r.missed)}</td>
          <td class="num">{formatPercent(r.attainment)}</td>
        </tr>
      ))}
    </ManageTable>
  );
}

const SHOWN = 200;

function More({ shown, total }: { shown: number; total: number }) {
  return total > shown ? <p class="muted">{`… and ${total - shown} more in the CSV.`}</p> : null;
}

export function EscalationReportPage(p: { viewer: Viewer; csrfToken: string; row: ReportListRow; canSend: boolean }) {
  const { row } = p;
  const s = summaryOf(row);
  const zone = s.timezone;
  const t = s.totals;
  return (
    <ManagePage title={`SLA escalation report ${row.id}`} viewer={p.viewer} csrfToken={p.csrfToken} current={REPORTS}>
      <ReportsStyles />
      <PageHeader
        eyebrow={<a href={`${REPORTS}/sla`}>SLA escalation reports</a>}
        title={`SLA escalation report ${row.id}`}
        actions={
          <>
            <a class="button button-secondary" href={`${REPORTS}/sla/${row.id}/report.csv`} download>
              CSV
            </a>
            <a class="button button-secondary" href={`${REPORTS}/sla/${row.id}/report.html`} download>
              HTML
            </a>
          </>
        }
      />
      <p class="period-note">
        {`${period(row)}; built `}
        <Time at={row.createdAt} />
        {` (${row.trigger === 'schedule' ? 'scheduled' : 'on demand'}).`}
      </p>
      <section class="panel" aria-labelledby="delivery-heading">
        <h2 id="delivery-heading">Delivery</h2>
        <Delivery row={row} />
        {row.deliveredAt ? (
          <p>
            Sent <Time at={row.deliveredAt} />
            {row.recipients?.length ? ` to ${row.recipients.join(', ')}` : ''}.
          </p>
        ) : null}
        {row.deliveryState === 'failed' && p.canSend ? <RetryForm row={row} csrfToken={p.csrfToken} /> : null}
      </section>
      <dl class="report-totals" id="report-totals">
        <div>
          <dt>Breaches</dt>
          <dd>{String(t.breaches)}</dd>
        </div>
        <div>
          <dt>Warnings</dt>
          <dd>{String(t.warnings)}</dd>
        </div>
        <div>
          <dt>Escalations</dt>
          <dd>{String(t.escalations)}</dd>
        </div>
        <div>
          <dt>{`At risk (${s.atRiskHours} business h)`}</dt>
          <dd>{String(t.atRisk)}</dd>
        </div>
        <div>
          <dt>Attainment</dt>
          <dd>{formatPercent(t.attainment)}</dd>
        </div>
        <div>
          <dt>Met / missed</dt>
          <dd>{`${t.met} / ${t.missed}`}</dd>
        </div>
      </dl>
      <section class="panel" aria-labelledby="breaches-heading">
        <h2 id="breaches-heading">Breaches</h2>
        {s.breaches.length === 0 ? (
          <EmptyState>No breaches in this period.</EmptyState>
        ) : (
          <ManageTable caption="Breaches" captionHidden head={['Case', 'Subject', 'Metric', 'Policy', 'Queue', 'Assigned to', 'Priority', 'Due', 'Breached']}>
            {s.breaches.slice(0, SHOWN).map((b) => (
              <tr>
                <td>{caseLink(b.caseId)}</td>
                <td class="cell-subject" dir="auto">{b.subject}</td>
                <td>{METRIC_LABELS[b.metric] ?? b.metric}</td>
                <td>{b.policy}</td>
                <td>{b.queue}</td>
                {/* Who held the case when it breached; absent from reports stored before it was recorded. */}
                <td>{b.assignee === undefined ? '' : (b.assignee ?? 'unassigned')}</td>
                <td>{b.priority}</td>
                <td>{b.dueAt ? local(b.dueAt, zone) : ''}</td>
                <td>{local(b.breachedAt, zone)}</td>
              </tr>
            ))}
          </ManageTable>
        )}
        <More shown={Math.min(SHOWN, s.breaches.length)} total={t.breaches} />
      </section>
      <section class="panel" aria-labelledby="escalations-heading">
        <h2 id="escalations-heading">Escalations</h2>
        {s.escalations.length === 0 ? (
          <EmptyState>No escalations in this period.</EmptyState>
        ) : (
          <>
            <ManageTable caption="Escalations by reason" head={['Reason', 'Count']}>
              {s.escalationReasons.map((r) => (
                <tr>
                  <td>{r.reason}</td>
                  <td class="num">{String(r.count)}</td>
                </tr>
              ))}
            </ManageTable>
            <ManageTable caption="Escalations" captionHidden head={['Case', 'Subject', 'When', 'From', 'To', 'Reason', 'Rule']}>
              {s.escalations.slice(0, SHOWN).map((e) => (
                <tr>
                  <td>{caseLink(e.caseId)}</td>
                  <td class="cell-subject" dir="auto">{e.subject}</td>
                  <td>{local(e.at, zone)}</td>
                  <td>{e.fromQueue ?? ''}</td>
                  <td>{`${e.queue} (tier ${e.tier})`}</td>
                  <td>{e.reason}</td>
                  <td>{e.rule ?? ''}</td>
                </tr>
              ))}
            </ManageTable>
            <More shown={Math.min(SHOWN, s.escalations.length)} total={t.escalations} />
          </>
        )}
      </section>
      <section class="panel" aria-labelledby="attainment-heading">
        <h2 id="attainment-heading">SLA attainment</h2>
        <p>Met: timers fulfilled for the first time in the period without a breach. Missed: breaches in the period.</p>
        <AttainmentRows caption="Attainment by queue" head="Queue" rows={s.attainment.byQueue} />
        <AttainmentRows caption="Attainment by policy" head="Policy" rows={s.attainment.byPolicy} />
      </section>
      <section class="panel" aria-labelledby="risk-heading">
        <h2 id="risk-heading">At risk when the report was built</h2>
        {s.atRisk.length === 0 ? (
          <EmptyState>{`Nothing was due within ${s.atRiskHours} business hours.`}</EmptyState>
        ) : (
          <ManageTable caption="At risk" captionHidden head={['Case', 'Subject', 'Metric', 'Policy', 'Queue', 'Priority', 'Due', 'Time left']}>
            {s.atRisk.slice(0, SHOWN).map((r) => (
              <tr>
                <td>{caseLink(r.caseId)}</td>
                <td class="cell-subject" dir="auto">{r.subject}</td>
                <td>{METRIC_LABELS[r.metric] ?? r.metric}</td>
                <td>{r.policy}</td>
                <td>{r.queue}</td>
                <td>{r.priority}</td>
                <td>{local(r.dueAt, zone)}</td>
                <td class="num">{timeLeftText(r)}</td>
              </tr>
            ))}
          </ManageTable>
        )}
      </section>
      <section class="panel" aria-labelledby="waiting-heading">
        <h2 id="waiting-heading">Oldest waiting when the report was built</h2>
        {s.oldestWaiting.length === 0 ? (
          <EmptyState>No customer was waiting for an answer.</EmptyState>
        ) : (
          <ManageTable caption="Oldest waiting cases" captionHidden head={['Case', 'Subject', 'Queue', 'Status', 'Assignee', 'Waiting for', 'Since', 'Waited']}>
            {s.oldestWaiting.map((w) => (
              <tr>
                <td>{caseLink(w.caseId)}</td>
                <td class="cell-subject" dir="auto">{w.subject}</td>
                <td>{w.queue}</td>
                <td>{w.status}</td>
                <td>{w.assignee ?? 'unassigned'}</td>
                <td>{`${METRIC_LABELS[w.metric] ?? w.metric}${w.state === 'breached' ? ' (breached)' : ''}`}</td>
                <td>{local(w.waitingSince, zone)}</td>
                <td class="num">{formatMinutes(w.waitedMinutes)}</td>
              </tr>
            ))}
          </ManageTable>
        )}
      </section>
    </ManagePage>
  );
}
