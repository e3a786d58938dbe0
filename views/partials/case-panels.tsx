/** The side panels of the workspace case page (the "why" panel: why-panel.tsx) and the status/priority badges. */
import type { StaffCasePageData } from '../../src/http/pages/case-data.js';
import type { StateCategory } from '../../src/workflow/definition.js';
import { PROFILE_FIELDS, type ProfileChanges } from '../../src/db/schema/index.js';
import { Badge, Time, type FormState, type Tone } from '../components.js';
import { CallerEmailDisclosure, CustomerEditDisclosure } from './case-forms.js';
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
      {d.canEditCustomer ? (
        <CustomerEditDisclosure ctx={{ ref: d.ref, csrfToken, uploads: d.uploads }} customer={c} state={state} />
      ) : d.canSetCallerEmail ? (
        <CallerEmailDisclosure ctx={{ ref: d.ref, csrfToken, uploads: d.uploads }} customer={c} state={state} />
      ) : null}
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
              <a href={`/cases/${o.ref}`}>
                {`${o.ref}: `}
                <bdi>{o.subject}</bdi>
              </a> <StatusBadge label={o.status} category={o.category} />
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

