/**
 * The dry-run of a draft ruleset in the manager console: the form (which past cases), the
 * job's progress (a fragment that polls itself every 500 ms while the job runs) and its
 * results (totals by outcome and by rule, each changed case before → after).
 */
import type { DryRunJob } from '../../../src/rules/dry-run-jobs.js';
import { NOT_REPLAYED, type DryRunChange, type DryRunMoment, type NotReplayedReason, type OutcomeField } from '../../../src/rules/dry-run.js';
import { Button, CsrfField, Field, PageHeader, SelectField, Time, type Option } from '../../components.js';
import type { Viewer } from '../../viewer.js';
import { ManagePage, ManageTable } from './parts.js';
import { ExampleResults } from './rule-examples.js';

export const RULES_NAV = '/manage/rules';

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

const MAX_COUNT = 200_000;

export function DryRunForm(p: { base: string; draft: number; csrfToken: string; queues: Option[]; values?: Record<string, string>; error?: string }) {
  const v = p.values ?? {};
  const scope = v.scope ?? 'last';
  return (
    <form
      id="dry-run-form"
      class="dry-run-form stack"
      method="post"
      action={`${p.base}/dry-runs`}
      hx-post={`${p.base}/dry-runs`}
      hx-target="#dry-run-area"
      hx-swap="innerHTML"
    >
      <CsrfField token={p.csrfToken} />
      <input type="hidden" name="draft" value={String(p.draft)} />
      <h3>{`Dry-run draft v${p.draft} against past cases`}</h3>
      <p class="hint">
        Replays the draft and the version in force over past cases — their intake, and the later events the ruleset runs on (SLA warnings and breaches, reopens…) with the case as it was
        then — and lists every case whose queue, priority, tier, SLA policy, tags or required skills would change. Nothing is written.
      </p>
      {p.error ? (
        <p class="alert alert-error" role="alert">
          {p.error}
        </p>
      ) : null}
      <fieldset class="field radios">
        <legend>Which cases</legend>
        <label class="radio" for="scope-last">
          <input type="radio" id="scope-last" name="scope" value="last" checked={scope === 'last'} />
          The most recent cases
        </label>
        <label class="radio" for="scope-range">
          <input type="radio" id="scope-range" name="scope" value="range" checked={scope === 'range'} />
          Cases created between two dates (UTC)
        </label>
        <label class="radio" for="scope-queue">
          <input type="radio" id="scope-queue" name="scope" value="queue" checked={scope === 'queue'} />
          The most recent cases of one queue
        </label>
      </fieldset>
      <div class="form-row">
        <Field id="dry-run-count" name="count" type="number" label="How many (most recent)" value={v.count ?? '1000'} attrs={{ min: 1, max: MAX_COUNT }} />
        <SelectField id="dry-run-queue" name="queue" label="Queue" options={p.queues} value={v.queue ?? p.queues[0]?.value ?? ''} />
        <Field id="dry-run-from" name="from" type="date" label="From (UTC)" value={v.from ?? ''} />
        <Field id="dry-run-to" name="to" type="date" label="To, inclusive (UTC)" value={v.to ?? ''} />
      </div>
      <Button id="dry-run-button">Run the dry-run</Button>
    </form>
  );
}

const FIELD_LABEL: Record<OutcomeField, string> = { queue: 'Queue', priority: 'Priority', tier: 'Tier', slaPolicy: 'SLA policy', tags: 'Tags', skills: 'Required skills' };

function showValue(value: unknown): string {
  if (Array.isArray(value)) return value.length ? value.join(', ') : '(none)';
  return String(value);
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

const EVENT_LABEL: Record<string, string> = {
  'case.created': 'At intake',
  'sla.warning': 'SLA warning',
  'sla.breached': 'SLA breach',
  'case.reopened': 'Reopened',
  'customer.replied': 'Customer reply',
  'customer.thanked': 'Customer thanked',
  'staff.replied': 'Agent reply',
  'case.escalated': 'Escalated',
};
const METRIC_LABEL: Record<string, string> = { firstResponse: 'first response', nextResponse: 'next response', resolution: 'resolution' };

function MomentFields({ moment }: { moment: DryRunMoment }) {
  return (
    <ul class="plain-list change-list">
      {moment.fields.map((f) => (
        <li>
          <strong>{FIELD_LABEL[f]}</strong>: <span class="before">{showValue(moment.before[f])}</span> → <span class="after">{showValue(moment.after[f])}</span>
        </li>
      ))}
    </ul>
  );
}

/** "SLA breach (first response), 3 Mar 2026, 09:00 UTC", "Entered the state open, …": which moment of the case. */
function MomentLabel({ moment }: { moment: DryRunMoment }) {
  if (moment.event === 'case.created') return <p class="moment">{EVENT_LABEL['case.created']}</p>;
  const what =
    moment.event === 'state.entered' && moment.state !== undefined
      ? `Entered the state ${moment.state}`
      : `${EVENT_LABEL[moment.event] ?? moment.event}${moment.metric ? ` (${METRIC_LABEL[moment.metric] ?? moment.metric})` : ''}`;
  return (
    <p class="moment">
      {`${what}, `}
      <Time at={moment.at} />
    </p>
  );
}

function ChangeRow({ change }: { change: DryRunChange }) {
  // A case that differs at intake only reads as before; later events say when.
  const atIntakeOnly = change.moments.length === 1 && change.moments[0]!.event === 'case.created';
  return (
    <tr>
      <td class="cell-ref">
        <a href={`/cases/${change.caseId}`}>{change.caseId}</a>
      </td>
      <td class="cell-subject" dir="auto">{change.subject}</td>
      <td>
        <Time at={change.createdAt} />
      </td>
      <td>
        {atIntakeOnly
          ? <MomentFields moment={change.moments[0]!} />
          : change.moments.map((m) => (
              <div class="dry-run-moment">
                <MomentLabel moment={m} />
                <MomentFields moment={m} />
              </div>
            ))}
      </td>
      <td>
        <ul class="plain-list">
          {change.rules.map((r) => (
            <li>{r}</li>
          ))}
        </ul>
      </td>
    </tr>
  );
}

/** Later events the ruleset runs on that the dry-run could not replay, and why. */
function NotReplayed({ counts }: { counts: Partial<Record<NotReplayedReason, number>> }) {
  const reasons = (Object.keys(counts) as NotReplayedReason[]).filter((k) => (counts[k] ?? 0) > 0);
  if (reasons.length === 0) return null;
  return (
    <div id="dry-run-not-replayed">
      <p>Not replayed:</p>
      <ul>
        {reasons.map((k) => (
          <li>{`${plural(counts[k]!, 'event')}: ${NOT_REPLAYED[k]}`}</li>
        ))}
      </ul>
    </div>
  );
}

/** A dry-run job: progress while it runs (the fragment polls itself), results when done. */
export function DryRunStatus(p: { job: DryRunJob; url: string; polling: boolean; shown?: number }) {
  const { job } = p;
  if (job.status === 'running') {
    const total = job.total ?? 0;
    const percent = total > 0 ? Math.floor((job.done / total) * 100) : 0;
    return (
      <div id="dry-run" class="dry-run" aria-busy="true" {...(p.polling ? { 'hx-get': p.url, 'hx-trigger': 'every 500ms', 'hx-swap': 'outerHTML' } : {})}>
        <p>{`Replaying ${job.label} against draft v${job.draftVersion}…`}</p>
        <p class="progress-line">
          <progress id="dry-run-progress" max={Math.max(total, 1)} value={job.done} aria-label="Dry-run progress">{`${percent}%`}</progress>{' '}
          <span>{job.total === null ? 'loading cases…' : `${job.done.toLocaleString('en')} of ${total.toLocaleString('en')} cases (${percent}%)`}</span>
        </p>
        {p.polling ? null : (
          <p>
            <a href={p.url}>Refresh</a> to see how far it got.
          </p>
        )}
      </div>
    );
  }
  if (job.status === 'failed' || !job.result) {
    return (
      <div id="dry-run" class="dry-run">
        <p class="alert alert-error" role="alert">{`The dry-run failed: ${job.error ?? 'unknown error'}`}</p>
      </div>
    );
  }
  const r = job.result;
  const shown = r.changes.slice(0, p.shown ?? 500);
  const fields = (Object.keys(r.byField) as OutcomeField[]).filter((f) => r.byField[f] > 0);
  const rules = Object.entries(r.byRule).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return (
    <div id="dry-run" class="dry-run dry-run-done">
      <h3 id="dry-run-heading">{`Dry-run of draft v${job.draftVersion}: ${plural(r.changed, 'case')} of ${r.total.toLocaleString('en')} would change`}</h3>
      <p class="muted">
        {`${job.label[0]!.toUpperCase()}${job.label.slice(1)}, replayed against v${r.baseVersion} in force${r.eventsReplayed > 0 ? `, with ${plural(r.eventsReplayed, 'later event')} the ruleset runs on` : ''}. ${seconds(r.timings.totalMs)} (loading ${seconds(r.timings.loadMs)}, evaluating ${seconds(r.timings.evaluateMs)}). Nothing was written.`}
      </p>
      <NotReplayed counts={r.notReplayed} />
      {r.examples && r.examples.results.length > 0 ? <ExampleResults run={r.examples} id="dry-run-examples" /> : null}
      {r.changed === 0 ? (
        <p id="dry-run-none">No case would be routed, prioritised, escalated or tagged differently.</p>
      ) : (
        <>
          <div class="dry-run-totals">
            <ManageTable caption="Changes by outcome" head={['Outcome', 'Cases']} id="dry-run-by-field">
              {fields.map((f) => (
                <tr>
                  <td>{FIELD_LABEL[f]}</td>
                  <td>{r.byField[f].toLocaleString('en')}</td>
                </tr>
              ))}
            </ManageTable>
            <ManageTable caption="Rules responsible" head={['Rule', 'Cases']} id="dry-run-by-rule">
              {rules.map(([rule, n]) => (
                <tr>
                  <td>{rule}</td>
                  <td>{n.toLocaleString('en')}</td>
                </tr>
              ))}
            </ManageTable>
          </div>
          <ManageTable caption="Cases that would change (before → after)" head={['Case', 'Subject', 'Created', 'Changes', 'Rules responsible']} id="dry-run-cases">
            {shown.map((change) => (
              <ChangeRow change={change} />
            ))}
          </ManageTable>
          {r.truncated || shown.length < r.changed ? <p class="muted">{`Listing the first ${shown.length.toLocaleString('en')} of ${r.changed.toLocaleString('en')} changed cases; the totals count them all.`}</p> : null}
        </>
      )}
    </div>
  );
}

export function DryRunPage(p: { viewer: Viewer; csrfToken: string; job: DryRunJob; url: string; base: string }) {
  return (
    <ManagePage title={`Dry-run of ${p.job.ruleset}`} viewer={p.viewer} csrfToken={p.csrfToken} current={RULES_NAV}>
      <PageHeader eyebrow={<a href={p.base}>{`Ruleset ${p.job.ruleset}`}</a>} title={`Dry-run of draft v${p.job.draftVersion}`} />
      <section class="panel" aria-live="polite">
        <DryRunStatus job={p.job} url={p.url} polling={false} />
      </section>
    </ManagePage>
  );
}
