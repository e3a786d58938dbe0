/**
 * SLA in the manager console: policies (targets by priority × metric, live-chat targets in
 * seconds: sla-chat.tsx, warning, calendar)
 * and calendars (weekly hours, holidays) as they are in force; the due-time calculator;
 * re-applying the config in force to open cases (preview, then confirm); the JSON editor,
 * draft, publish and history shared with the other definitions.
 */
import type { CalcAnswer } from '../../../src/http/pages/manage/sla-calculator.js';
import { formatInZone, offsetInZone } from '../../../src/http/pages/manage/sla-calculator.js';
import type { ReapplyResult } from '../../../src/sla/reapply.js';
import type { CalendarDefinition, Holiday, LocalInterval } from '../../../src/sla/calendar.js';
import { METRICS, PRIORITIES, type SlaConfigJson } from '../../../src/sla/config.js';
import { Alert, Badge, Button, CsrfField, EmptyState, Field, FormError, PageHeader, SelectField, type FormState, type Option } from '../../components.js';
import { Time } from '../../time.js';
import type { Viewer } from '../../viewer.js';
import { ChatTargets } from './sla-chat.js';
import { DraftPanel, EditorForm, HistoryTable, InForce, ManagePage, ManageTable, NoticeAlert, type DefinitionView } from './parts.js';

export const SLA_NAV = '/manage/sla';

const METRIC_LABEL: Record<string, string> = { firstResponse: 'First response', nextResponse: 'Next response', resolution: 'Resolution' };
const DAYS = [
  ['mon', 'Monday'],
  ['tue', 'Tuesday'],
  ['wed', 'Wednesday'],
  ['thu', 'Thursday'],
  ['fri', 'Friday'],
  ['sat', 'Saturday'],
  ['sun', 'Sunday'],
] as const;

export function PoliciesView({ config }: { config: SlaConfigJson }) {
  return (
    <div class="sla-grid" id="policies">
      {Object.entries(config.policies).map(([name, policy]) => (
        <section class="panel" aria-labelledby={`policy-${name}-heading`} id={`policy-${name}`}>
          <h3 id={`policy-${name}-heading`}>
            {`Policy ${name} `}
            {config.default === name ? <Badge tone="info">default</Badge> : null}
          </h3>
          {policy.description ? <p>{policy.description}</p> : null}
          <dl class="facts">
            <dt>Calendar</dt>
            <dd>
              <a href={`#calendar-${policy.calendar}`}>{policy.calendar}</a>
              {config.calendars[policy.calendar] ? ` (${config.calendars[policy.calendar]!.timezone})` : ''}
            </dd>
            <dt>Warn before</dt>
            <dd>{policy.warnBefore}</dd>
          </dl>
          <ManageTable caption={`Targets of ${name} (business time)`} head={['Priority', ...METRICS.map((m) => METRIC_LABEL[m]!)]}>
            {PRIORITIES.map((priority) => (
              <tr>
                <th scope="row">{priority}</th>
                {METRICS.map((metric) => (
                  <td>{policy.targets[priority]?.[metric] ?? '—'}</td>
                ))}
              </tr>
            ))}
          </ManageTable>
          <ChatTargets name={name} policy={policy} labels={METRIC_LABEL} />
        </section>
      ))}
    </div>
  );
}

/** "09:00–17:00"; a shift past midnight says where it ends ("22:00–06:00 (to Tuesday)"). */
function intervalText([from, to]: LocalInterval, nextDay: string): string {
  return to < from ? `${from}–${to} (to ${nextDay})` : `${from}–${to}`;
}

function WeeklyHours({ calendar }: { calendar: CalendarDefinition }) {
  if (calendar.weekly === '24x7') return <p>Open around the clock (24×7).</p>;
  const weekly = calendar.weekly;
  return (
    <dl class="facts">
      {DAYS.map(([key, label], i) => (
        <>
          <dt>{label}</dt>
          <dd>{weekly[key]?.length ? weekly[key]!.map((interval) => intervalText(interval, DAYS[(i + 1) % DAYS.length]![1])).join(', ') : 'closed'}</dd>
        </>
      ))}
    </dl>
  );
}

/** "2026-12-25", "12-25 every year", "2026-12-24 (open 09:00–12:00)", "2026-12-24 to 2027-01-01", "12-24 to 01-01 every year". */
function holidayText(holiday: Holiday): string {
  const [from, to] = typeof holiday === 'string' ? [holiday, holiday] : 'date' in holiday ? [holiday.date, holiday.date] : [holiday.from, holiday.to];
  const days = from === to ? from : `${from} to ${to}`;
  const when = /^\d{2}-\d{2}$/.test(from) ? `${days} every year` : days;
  if (typeof holiday === 'string' || !holiday.hours?.length) return when;
  return `${when} (open ${holiday.hours.map((interval) => intervalText(interval, 'the next day')).join(', ')})`;
}

export function CalendarsView({ config }: { config: SlaConfigJson }) {
  return (
    <div class="sla-grid" id="calendars">
      {Object.entries(config.calendars).map(([name, calendar]) => (
        <section class="panel" aria-labelledby={`calendar-${name}-heading`} id={`calendar-${name}`}>
          <h3 id={`calendar-${name}-heading`}>{`Calendar ${name}`}</h3>
          <p>
            Time zone <strong>{calendar.timezone}</strong>
          </p>
          <WeeklyHours calendar={calendar} />
          <h4>Holidays</h4>
          {calendar.holidays?.length ? <p class="holidays">{calendar.holidays.map(holidayText).join(', ')}</p> : <p class="muted">None.</p>}
        </section>
      ))}
    </div>
  );
}

export interface CalcState extends FormState {
  answer?: CalcAnswer | null;
  /** The versions it can compute with (the one in force, a newer draft) and the one chosen, with its config. */
  versions?: { options: Option[]; chosen: number; label: string; config: SlaConfigJson };
}

/** What the calculator did with a local time that is skipped or repeated by a clock change, in words. */
function LocalTimeNote({ a }: { a: CalcAnswer }) {
  const lt = a.localTime;
  if (!lt) return null;
  const asked = lt.asked.replace('T', ' ');
  const used = `${formatInZone(a.createdAt, a.timezone)} (UTC${lt.used}, ${formatInZone(a.createdAt, 'UTC')} UTC)`;
  const text =
    lt.kind === 'skipped'
      ? `${asked} does not exist in ${a.timezone}: the clocks go forward over it (UTC${lt.other} to UTC${lt.used}). The calculator used ${used}, as far past the change as the time asked for.`
      : `${asked} happens twice in ${a.timezone}: the clocks go back (UTC${lt.used}, then UTC${lt.other}). The calculator used the first one, at UTC${lt.used}: ${used}.`;
  return (
    <p class="calc-note" id="calc-local-time">
      {text}
    </p>
  );
}

function Answer({ a, version }: { a: CalcAnswer; version: string | null }) {
  const { input } = a;
  const under = `policy ${input.policy}${version ? ` (${version})` : ''}`;
  const when = `${formatInZone(a.createdAt, a.timezone)} (${a.timezone})`;
  if (!a.target) {
    return (
      <div class="calc-result" id="calc-answer" role="status">
        <LocalTimeNote a={a} />
        <p>{`Under ${under}, priority ${input.priority} has no ${METRIC_LABEL[input.metric]!.toLowerCase()} target: a case created at ${when} gets no such timer.`}</p>
      </div>
    );
  }
  const t = a.target;
  return (
    <div class="calc-result" id="calc-answer" role="status">
      <LocalTimeNote a={a} />
      <p class="calc-sentence">
        {`A case created at ${when} with priority ${input.priority} under ${under} is due (${METRIC_LABEL[input.metric]!.toLowerCase()}, ${t.text} of business time) at `}
        <strong id="calc-due">{formatInZone(t.dueAt, a.timezone)}</strong>
        {` ${a.timezone}.`}
      </p>
      <dl class="facts">
        <dt>Due</dt>
        <dd>
          <span id="calc-due-local">{`${formatInZone(t.dueAt, a.timezone)} (${a.timezone}, UTC${offsetInZone(t.dueAt, a.timezone)})`}</span>
          <br />
          <span id="calc-due-utc">{`${formatInZone(t.dueAt, 'UTC')} UTC`}</span>
        </dd>
        <dt>Warning</dt>
        <dd>
          <span id="calc-warn-local">{`${formatInZone(t.warnAt, a.timezone)} (${a.timezone})`}</span>
          <br />
          <span id="calc-warn-utc">{`${formatInZone(t.warnAt, 'UTC')} UTC`}</span>
          {` — ${Number(t.warnOffsetMinutes.toFixed(2))} business minutes before the due time`}
        </dd>
        <dt>Calendar</dt>
        <dd>{`${a.calendar} (${a.timezone})`}</dd>
      </dl>
    </div>
  );
}

export function Calculator(p: { config: SlaConfigJson; state: CalcState }) {
  const versions = p.state.versions;
  const config = versions?.config ?? p.config;
  const policies: Option[] = Object.keys(config.policies).map((name) => ({ value: name, label: name }));
  const zones = Object.entries(config.policies)
    .map(([name, policy]) => `${name}: ${config.calendars[policy.calendar]?.timezone ?? '?'}`)
    .join('; ');
  return (
    <form
      id="calculator"
      class="stack"
      method="get"
      action="/manage/sla/calculator"
      hx-get="/manage/sla/calculator"
      hx-target="this"
      hx-swap="outerHTML"
      data-keep-typed
    >
      <FormError state={p.state} />
      <div class="form-row">
        <Field
          id="calc-created"
          name="created"
          type="datetime-local"
          label="Created at"
          hint={`In the time zone of the policy's calendar (${zones}).`}
          state={p.state}
          required
        />
        {versions && versions.options.length > 1 ? (
          <SelectField id="calc-version" name="version" label="Configuration" options={versions.options} state={p.state} value={String(versions.chosen)} />
        ) : null}
        <SelectField id="calc-policy" name="policy" label="Policy" options={policies} state={p.state} value={config.default} />
        <SelectField id="calc-priority" name="priority" label="Priority" options={PRIORITIES.map((x) => ({ value: x, label: x }))} state={p.state} value="normal" />
        <SelectField id="calc-metric" name="metric" label="Metric" options={METRICS.map((m) => ({ value: m, label: METRIC_LABEL[m]! }))} state={p.state} value="firstResponse" />
      </div>
      <Button variant="secondary" id="calc-button">
        Calculate the due time
      </Button>
      {p.state.answer ? <Answer a={p.state.answer} version={versions && versions.options.length > 1 ? versions.label : null} /> : null}
    </form>
  );
}

export interface ReapplyState {
  /** Open cases on another SLA config version. */
  pending: number;
  version: number;
  preview?: ReapplyResult | null;
  done?: ReapplyResult | null;
}

/** A due time before or after re-applying, in the viewer's zone as every time on a page. */
function Due({ at }: { at: string | null }) {
  return at ? <Time at={at} /> : <>no due time</>;
}

export function ReapplyPreview({ result, csrfToken }: { result: ReapplyResult; csrfToken: string }) {
  return (
    <div id="reapply-preview">
      <p class="reapply-counts">
        {`${result.cases.toLocaleString('en')} open case${result.cases === 1 ? '' : 's'} would move to v${result.version}; ${result.changedCases.toLocaleString('en')} would change (${result.changedTimers.toLocaleString('en')} timer${result.changedTimers === 1 ? '' : 's'}).`}
      </p>
      {result.changes.length > 0 ? (
        <ManageTable caption="What would change" head={['Case', 'From version', 'Policy', 'Timers: due before → after']} id="reapply-changes">
          {result.changes.map((c) => (
            <tr>
              <td class="cell-ref">
                <a href={`/cases/${c.caseId}`}>{c.caseId}</a>
              </td>
              <td>{c.fromVersion === null ? '—' : `v${c.fromVersion}`}</td>
              <td>{c.policy.from === c.policy.to ? c.policy.to : `${c.policy.from ?? '—'} → ${c.policy.to}`}</td>
              <td>
                <ul class="plain-list">
                  {c.timers.map((t) => (
                    <li>
                      <strong>{METRIC_LABEL[t.metric] ?? t.metric}</strong>
                      {t.from ? (
                        <>
                          {': '}
                          <Due at={t.from.dueAt} />
                          {` (${t.from.targetMinutes} min) → `}
                        </>
                      ) : (
                        <>
                          {': no timer → started from '}
                          {t.startedAt ? <Time at={t.startedAt} /> : '—'}
                          {` with ${t.usedMinutes ?? 0} min used, `}
                        </>
                      )}
                      {t.to ? (
                        <>
                          <Due at={t.to.dueAt} />
                          {` (${t.to.targetMinutes} min)`}
                        </>
                      ) : (
                        'cancelled: no target any more'
                      )}
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </ManageTable>
      ) : null}
      {result.truncated ? <p class="muted">{`Listing the first ${result.changes.length} changed cases; the counts are complete.`}</p> : null}
      {result.cases > 0 ? (
        <form method="post" action="/manage/sla/reapply" class="stack" id="reapply-confirm" hx-boost="true" hx-push-url="false">
          <CsrfField token={csrfToken} />
          <input type="hidden" name="version" value={String(result.version)} />
          <Button variant="danger" id="reapply-button">{`Re-apply v${result.version} to ${result.cases.toLocaleString('en')} open case${result.cases === 1 ? '' : 's'}`}</Button>
        </form>
      ) : null}
    </div>
  );
}

export function ReapplySection(p: { state: ReapplyState; csrfToken: string }) {
  const s = p.state;
  return (
    <section class="panel" id="reapply" aria-labelledby="reapply-heading">
      <h2 id="reapply-heading">Re-apply to open cases</h2>
      <p>
        Publishing a new SLA configuration leaves running cases on the version they started with. Re-applying moves every open case on another version to the version in force
        (v{s.version}): minutes already used are kept, the rest counts against the new targets.
      </p>
      {s.done ? (
        <Alert tone="ok" id="reapply-done">
          <p>{`Re-applied v${s.done.version} to ${s.done.cases.toLocaleString('en')} open case${s.done.cases === 1 ? '' : 's'}: ${s.done.changedCases.toLocaleString('en')} changed, ${s.done.changedTimers.toLocaleString('en')} timer${s.done.changedTimers === 1 ? '' : 's'} re-targeted.`}</p>
        </Alert>
      ) : null}
      <p id="reapply-pending">{`${s.pending.toLocaleString('en')} open case${s.pending === 1 ? ' is' : 's are'} on another SLA version.`}</p>
      <form method="get" action="/manage/sla/reapply" hx-get="/manage/sla/reapply" hx-target="#reapply-area" hx-swap="innerHTML">
        <Button variant="secondary" id="reapply-preview-button">
          Preview the changes
        </Button>
      </form>
      <div id="reapply-area" aria-live="polite">
        {s.preview ? <ReapplyPreview result={s.preview} csrfToken={p.csrfToken} /> : null}
      </div>
    </section>
  );
}

export function SlaPage(p: { viewer: Viewer; csrfToken: string; view: DefinitionView; calc: CalcState; reapply: ReapplyState }) {
  const { view } = p;
  const config = view.published?.body as SlaConfigJson | undefined;
  return (
    <ManagePage title="SLA" viewer={p.viewer} csrfToken={p.csrfToken} current={SLA_NAV}>
      <PageHeader eyebrow="Manage" title="SLA policies and calendars" />
      <NoticeAlert notice={view.notice} />
      <InForce view={view} />
      {config ? (
        <>
          <section aria-labelledby="policies-heading">
            <h2 id="policies-heading">Policies</h2>
            <PoliciesView config={config} />
          </section>
          <section aria-labelledby="calendars-heading">
            <h2 id="calendars-heading">Calendars</h2>
            <CalendarsView config={config} />
          </section>
          <section class="panel" id="calc" aria-labelledby="calc-heading">
            <h2 id="calc-heading">Due-time calculator</h2>
            <p class="hint">Uses the same business-time code as the SLA timers, on the version in force — or on the draft, to see what it changes before publishing it.</p>
            <Calculator config={config} state={p.calc} />
          </section>
          <ReapplySection state={p.reapply} csrfToken={p.csrfToken} />
        </>
      ) : (
        <EmptyState>Nothing published yet.</EmptyState>
      )}
      <DraftPanel view={view} csrfToken={p.csrfToken} />
      <section class="panel" id="edit" aria-labelledby="edit-heading">
        <h2 id="edit-heading">Edit</h2>
        <EditorForm view={view} csrfToken={p.csrfToken} label="SLA configuration (JSON)" />
      </section>
      <HistoryTable view={view} csrfToken={p.csrfToken} />
    </ManagePage>
  );
}
