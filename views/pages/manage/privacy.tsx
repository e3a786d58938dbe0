/**
 * Privacy on the console (docs/privacy.md): the customer page's panel — download everything
 * held about the customer, and (admins) erase it with a typed confirmation — and the audit
 * log page `/manage/audit` (filters, newest first, pages).
 */
import type { AuditRow } from '../../../src/audit/list-audit.js';
import { AUDIT_ENTITIES } from '../../../src/audit/record-audit.js';
import { Button, CsrfField, EmptyState, Field, FormError, PageHeader, SelectField, Time, type FormState } from '../../components.js';
import type { Viewer } from '../../viewer.js';
import { ManagePage, ManageTable } from './parts.js';

export const AUDIT_PATH = '/manage/audit';

export function PrivacyPanel(p: { csrfToken: string; customer: { id: number; email: string }; erased: boolean; mayErase: boolean; state: FormState }) {
  const base = `/manage/team/customers/${p.customer.id}`;
  return (
    <section class="panel" aria-labelledby="privacy-heading" id="privacy">
      <h2 id="privacy-heading">Personal data</h2>
      <p>
        <a class="button button-secondary" href={`${base}/export`} id="export-customer" download>
          Download everything held (JSON)
        </a>
      </p>
      {p.erased ? (
        <p id="erased-note">This customer’s personal data has been erased.</p>
      ) : p.mayErase ? (
        <form method="post" action={`${base}/erase`} id="erase-form" class="danger-zone">
          <CsrfField token={p.csrfToken} />
          <FormError state={p.state} />
          <p>
            Erasing removes this customer’s name, address, requests, messages, files and mail for good, everywhere: it cannot be undone. Cases, their
            states and times stay, anonymous, so reports still add up.
          </p>
          <Field id="erase-confirm" name="confirm" label={<>Type the customer’s email address ({p.customer.email}) to confirm</>} state={p.state} required autocomplete="off" maxlength={254} />
          <Button variant="danger" id="erase-customer">
            Erase this customer
          </Button>
        </form>
      ) : (
        <p class="hint">Only admins can erase a customer.</p>
      )}
    </section>
  );
}

export interface AuditFilters {
  actor: string;
  entity: string;
  from: string;
  to: string;
}

function json(value: unknown): string {
  return value === null || value === undefined ? '—' : JSON.stringify(value, null, 1);
}

export function AuditPage(p: { viewer: Viewer; csrfToken: string; rows: AuditRow[]; filters: AuditFilters; nextHref: string | null; error: string | null }) {
  const entityOptions = [{ value: '', label: 'Everything' }, ...AUDIT_ENTITIES.map((e) => ({ value: e, label: e }))];
  return (
    <ManagePage title="Audit log" viewer={p.viewer} csrfToken={p.csrfToken} current={AUDIT_PATH}>
      <PageHeader eyebrow="Manage" title="Audit log" />
      <p class="lead">Every change to staff, roles, queues, tokens, the problem library, mailboxes, chat sites, mail templates, shared macros and definitions, and every erasure: who, when, before and after (secrets never shown).</p>
      <form class="search-form" method="get" action={AUDIT_PATH} role="search" id="audit-filters" data-url-fields>
        <Field id="audit-actor" name="actor" label="Who (name, staff:12 or system)" value={p.filters.actor} maxlength={200} />
        <SelectField id="audit-entity" name="entity" label="What" options={entityOptions} value={p.filters.entity} />
        <Field id="audit-from" name="from" type="date" label="From (UTC)" value={p.filters.from} />
        <Field id="audit-to" name="to" type="date" label="To (UTC, inclusive)" value={p.filters.to} />
        <Button variant="secondary" id="audit-filter">
          Filter
        </Button>
      </form>
      {p.error ? <p class="field-error" id="audit-error">{p.error}</p> : null}
      {p.rows.length === 0 ? (
        <EmptyState>No changes match.</EmptyState>
      ) : (
        <ManageTable caption="Audit entries, newest first" captionHidden head={['When', 'Who', 'What', 'Change', 'Before', 'After']} id="audit-table">
          {p.rows.map((r) => (
            <tr>
              <td>
                <Time at={r.at} />
              </td>
              <td>{r.actorName}</td>
              <td>
                {r.entityType} {r.entityId}
              </td>
              <td>{r.action}</td>
              <td class="cell-text">
                <details>
                  <summary>before</summary>
                  <pre>{json(r.before)}</pre>
                </details>
              </td>
              <td class="cell-text">
                <details>
                  <summary>after</summary>
                  <pre>{json(r.after)}</pre>
                </details>
              </td>
            </tr>
          ))}
        </ManageTable>
      )}
      {p.nextHref ? (
        <p>
          <a href={p.nextHref} id="audit-next" class="button button-secondary">
            Older entries
          </a>
        </p>
      ) : null}
    </ManagePage>
  );
}
