/** The side panels of the workspace case page and the status/priority badges. */
import type { StaffCasePageData } from '../../src/http/pages/case-data.js';
import type { StateCategory } from '../../src/workflow/definition.js';
import { PROFILE_FIELDS, type ProfileChanges } from '../../src/db/schema/index.js';
import { Badge, CsrfField, Time, type FormState, type Tone } from '../components.js';
import { CustomerEditDisclosure } from './case-forms.js';
import { SlaList } from './sla.js';
import { inFieldOrder } from './timeline-text.js';
import { eventChoice } from '../../src/rules/catalogue.js';
import { templateSpec } from '../../src/notifications/template-catalog.js';

const CATEGORY_TONES: Record<StateCategory, Tone> = { new: 'info', open: 'info', pending: 'warning', resolved: 'ok', closed: 'muted' };

export function StatusBadge({ label, category }: { label: string; category: StateCategory | undefined }) {
  return <Badge tone={category ? CATEGORY_TONES[category] : 'neutral'}>{label}</Badge>;
}

const PRIORITY_TONES: Record<string, Tone> = { urgent: 'danger', high: 'warning', normal: 'neutral', low: 'muted' };

/** `short`: the word alone, for a column already headed "Priority". */
export function PriorityBadge({ priority, short }: { priority: string; short?: boolean }) {
  return <Badge tone={PRIORITY_TONES[priority] ?? 'neutral'}>{short ? priority : `${priority} priority`}</Badge>;
}

/** `tier standard → enterprise; organization — → Acme` */
export function describeProfileChanges(changes: ProfileChanges): string {
  // In PROFILE_FIELDS's order, the order editCustomer records them in.
  return inFieldOrder(changes, PROFILE_FIELDS)
    .map(([field, change]) => `${field} ${change?.from ?? '—'} → ${change?.to ?? '—'}`)
    .join('; ');
}

/** "route to queue Billing", "add tags vip, after-hours": a rule event in the builder's words, queues and mails by their names. */
export function describeRuleEvent(event: unknown, queues: Record<string, string> = {}): string {
  const { type, params } = (event ?? {}) as { type?: string; params?: Record<string, unknown> };
  const choice = eventChoice(type);
  const shown = (value: unknown, options: string | undefined): string => {
    const text = Array.isArray(value) ? value.map(String).join(', ') : String(value);
    if (options === 'queues') return queues[text] ?? text;
    if (options === 'templates') return templateSpec(text)?.title ?? text;
    return text;
  };
  if (!choice) {
    const parts = Object.entries(params ?? {}).map(([key, value]) => `${key} ${shown(value, undefined)}`);
    return parts.length ? `${type ?? ''}: ${parts.join('; ')}` : (type ?? '');
  }
  const [first, ...rest] = choice.params;
  const given = (p: { name: string }) => params?.[p.name] !== undefined && params[p.name] !== '';
  const head = first && given(first) ? `${choice.label} ${shown(params![first.name], first.options)}` : choice.label;
  const more = rest.filter(given).map((p) => `${p.label.replace(/ \(.*\)$/, '').toLowerCase()} ${shown(params![p.name], p.options)}`);
  return [head, ...more].join('; ');
}

/** "Keep this as an example": one click adds the case, with what happened to it, to a ruleset's examples (a new draft). */
function KeepAsExample({ d, csrfToken }: { d: StaffCasePageData; csrfToken: string }) {
  if (d.exampleRulesets.length === 0) return null;
  return (
    <form method="post" action={`/manage/rules/${encodeURIComponent(d.exampleRulesets[0]!)}/examples`} class="keep-example" id="keep-example">
      <CsrfField token={csrfToken} />
      <input type="hidden" name="case" value={d.ref} />
      <span class="keep-example-label">Keep this case as an example of the rules:</span>{' '}
      {d.exampleRulesets.map((name, i) => (
        <button type="submit" class="button button-secondary button-small" formaction={`/manage/rules/${encodeURIComponent(name)}/examples`} id={`keep-example-${i}`}>
          {name}
        </button>
      ))}
    </form>
  );
}

export function WhyPanel({ d, oob, csrfToken }: { d: StaffCasePageData; oob?: boolean; csrfToken?: string }) {
  const v = d.view;
  const paused = d.timers.filter((t) => t.level === 'paused');
  return (
    <section class="panel" id="case-why" aria-labelledby="why-heading" hx-swap-oob={oob ? 'true' : undefined}>
      <h2 id="why-heading">Why is this case here?</h2>
      <dl class="facts">
        <dt>Queue</dt>
        <dd>{`${d.timelineNames.queues?.[v.queue] ?? v.queue} (tier ${v.tier})`}</dd>
        <dt>Routing</dt>
        <dd>
          {v.routing ? `${v.routing.ruleset} ruleset, version ${v.routing.version}` : 'Not routed by rules'}
          {v.routing?.error ? <p class="field-error">{`Rules failed: ${v.routing.error}`}</p> : null}
          {v.routing?.defaultQueue ? <p class="muted">{`Came in through ${v.routing.mailbox ? `the mailbox ${v.routing.mailbox}` : 'an intake path'}, whose default queue is ${d.timelineNames.queues?.[v.routing.defaultQueue] ?? v.routing.defaultQueue}: it applies unless a rule routes the case.`}</p> : null}
        </dd>
        <dt>Rules that fired</dt>
        <dd>
          {v.routing && v.routing.fired.length > 0 ? (
            <ul class="plain-list">
              {v.routing.fired.map((f) => (
                <li>
                  <strong>{f.rule}</strong>
                  {` → ${describeRuleEvent(f.event, d.timelineNames.queues)}`}
                </li>
              ))}
            </ul>
          ) : (
            v.routing?.defaultQueue ? 'None: the case went to its default queue with its requested priority.' : 'None: the case went to the fallback queue with its requested priority.'
          )}
        </dd>
        <dt>SLA policy</dt>
        <dd>{v.slaPolicy ? `${v.slaPolicy} (SLA config version ${d.row.slaConfigVersion ?? '—'})` : 'None'}</dd>
        <dt>SLA clocks</dt>
        <dd>
          <SlaList timers={d.timers} />
        </dd>
        {paused.length > 0 ? (
          <>
            <dt>Paused because</dt>
            <dd>{paused.map((t) => t.pauseReason ?? 'paused by the workflow state').join('; ')}</dd>
          </>
        ) : null}
        {v.skills.length > 0 ? (
          <>
            <dt>Required skills</dt>
            <dd>{v.skills.join(', ')}</dd>
          </>
        ) : null}
        {v.waitingSince ? (
          <>
            <dt>Waiting</dt>
            <dd>
              For an available agent since <Time at={v.waitingSince} />
            </dd>
          </>
        ) : null}
        <dt>Escalations</dt>
        <dd>
          {d.escalations.length === 0 ? (
            'None'
          ) : (
            <ul class="plain-list">
              {d.escalations.map((e) => (
                <li>
                  {`To ${d.timelineNames.queues?.[String(e.data.queue ?? '')] ?? String(e.data.queue ?? '')} (tier ${String(e.data.tier ?? '')})`}
                  {e.data.reason ? `: ${String(e.data.reason)}` : ''}
                  {e.data.rule ? ` (rule “${String(e.data.rule)}”)` : ` by ${e.actor.name}`}
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>Workflow</dt>
        <dd>{`${v.workflow.name} version ${v.workflow.version}, state ${v.statusLabel}`}</dd>
      </dl>
      {csrfToken ? <KeepAsExample d={d} csrfToken={csrfToken} /> : null}
    </section>
  );
}

export function CustomerPanel({ d, csrfToken, state }: { d: StaffCasePageData; csrfToken: string; state?: FormState | undefined }) {
  const c = d.view.customer;
  return (
    <section class="panel" aria-labelledby="customer-heading">
      <h2 id="customer-heading">Customer</h2>
      <p>
        <strong>{c.name}</strong>
        <br />
        <span>{c.email}</span>
        <br />
        {c.phone ? (
          <>
            <a href={`tel:${c.phone}`} id="customer-phone-link">
              {c.phone}
            </a>
            <br />
          </>
        ) : null}
        <span class="muted">{[`${c.tier} tier`, c.organization].filter(Boolean).join(' · ')}</span>
      </p>
      {c.crm ? (
        <dl class="facts" id="customer-crm" aria-label="From the CRM">
          <dt>CRM plan</dt>
          <dd>{c.crm.plan ?? '—'}</dd>
          <dt>MRR</dt>
          <dd>{c.crm.mrr === null ? '—' : String(c.crm.mrr)}</dd>
          <dt>Account owner</dt>
          <dd>{c.crm.accountOwner ?? '—'}</dd>
          {c.crm.churned ? (
            <>
              <dt>CRM status</dt>
              <dd>churned</dd>
            </>
          ) : null}
        </dl>
      ) : null}
      {d.canEditCustomer ? <CustomerEditDisclosure ctx={{ ref: d.ref, csrfToken, uploads: d.uploads }} customer={c} state={state} /> : null}
      {d.profileHistory.length > 0 ? (
        <>
          <h3>Profile changes</h3>
          <ul class="plain-list">
            {d.profileHistory.map((entry) => (
              <li>
                {`${entry.by.name} ${entry.via === 'intake' ? 'filled in' : 'changed'} ${describeProfileChanges(entry.changes)}`} <Time at={entry.at} />
                {entry.reason ? <span class="muted">{` (${entry.reason})`}</span> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h3>Other cases</h3>
      {d.view.chat && !d.view.chat.emailVerified ? <p class="hint">The chat visitor did not verify this address: these cases may be someone else’s. Don’t discuss them in the chat.</p> : null}
      {d.otherCases.length === 0 ? (
        <p class="muted">None you can see.</p>
      ) : (
        <ul class="plain-list">
          {d.otherCases.map((o) => (
            <li>
              <a href={`/cases/${o.ref}`}>{`${o.ref}: ${o.subject}`}</a> <StatusBadge label={o.status} category={o.category} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function Suggestions({ d }: { d: StaffCasePageData }) {
  return (
    <section class="panel" aria-labelledby="suggestions-heading">
      <h2 id="suggestions-heading">Suggested solutions</h2>
      {d.suggestions.length === 0 ? (
        <p class="muted">No known problem matches this request.</p>
      ) : (
        d.suggestions.map((s) => (
          <details class="suggestion">
            <summary>{s.title}</summary>
            <p>{s.solution}</p>
          </details>
        ))
      )}
    </section>
  );
}

