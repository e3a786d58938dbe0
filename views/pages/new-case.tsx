/**
 * `/cases/new`: staff log a phone call or a walk-in as a case on the customer's behalf.
 * Find the customer first (name, email or phone; the search box is its own GET form, so it
 * works without JavaScript; with htmx the matches update as you type), or add a new one;
 * then channel, subject, duration and notes. The case goes through the normal intake.
 */
import type { FoundCustomer } from '../../src/cases/find-customers.js';
import { Button, CsrfField, SENDING, Field, FormError, PageHeader, RadioGroup, SelectField, type FormState, type FormValues } from '../components.js';
import { Layout } from '../layout.js';
import type { Viewer } from '../viewer.js';

export const NEW_CASE = '/cases/new';

export interface NewCaseData {
  find: string;
  found: FoundCustomer[];
}

/** The customer to file for: the matches of the search, or a new customer (name, email, phone). */
export function CustomerChoice(p: { data: NewCaseData; state?: FormState | undefined }) {
  const { find, found } = p.data;
  const chosen = p.state?.values?.customer ?? (found.length === 1 ? String(found[0]!.id) : found.length === 0 ? 'new' : '');
  const error = p.state?.errors?.customer;
  return (
    <fieldset id="customer-results" class={error ? 'field radios has-error' : 'field radios'} aria-describedby={error ? 'customer-error' : undefined}>
      <legend>Customer</legend>
      {/* The search these matches are for (a refused form shows them again). */}
      <input type="hidden" name="find" value={find} />
      {find && found.length === 0 ? <p class="hint">{`No customer matches “${find}”.`}</p> : null}
      {!find ? <p class="hint">Search above, or add a new customer.</p> : null}
      {found.map((c) => (
        <label class="radio customer-option" for={`customer-${c.id}`}>
          <input type="radio" id={`customer-${c.id}`} name="customer" value={String(c.id)} checked={chosen === String(c.id)} />
          <span>
            <strong>{c.name}</strong>
            {` · ${c.email}`}
            {c.phone ? ` · ${c.phone}` : ''}
            {c.organization ? ` · ${c.organization}` : ''}
            <span class="muted">{c.openCases === 1 ? ' · 1 open case' : c.openCases > 1 ? ` · ${c.openCases} open cases` : ''}</span>
          </span>
        </label>
      ))}
      <label class="radio" for="customer-new">
        <input type="radio" id="customer-new" name="customer" value="new" checked={chosen === 'new'} />
        A new customer
      </label>
      {error ? (
        <p class="field-error" id="customer-error">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

/**
 * The new customer's fields, outside the matches (a new search keeps what was typed here);
 * they start with what was searched for, in the field it looks like.
 */
function NewCustomerFields(p: { find: string; state?: FormState | undefined }) {
  const find = p.find;
  const guess: FormValues = find.includes('@') ? { email: find } : /^[+\d][\d\s\-.()/]{5,}$/.test(find) ? { phone: find } : find ? { name: find } : {};
  const values: FormValues = { ...guess, ...(p.state?.values ?? {}) };
  return (
    <div class="new-customer" id="new-customer" role="group" aria-label="A new customer">
      <Field id="new-name" name="name" label="Name (new customer)" maxlength={200} autocomplete="off" state={{ values, errors: p.state?.errors ?? {} }} />
      <Field id="new-email" name="email" label="Email (new customer)" type="email" maxlength={254} autocomplete="off" state={{ values, errors: p.state?.errors ?? {} }} />
      <Field id="new-phone" name="phone" label="Phone (new customer)" type="tel" hint="With the country code, e.g. +49 30 1234567. Without an email the phone number is enough." maxlength={40} autocomplete="off" state={{ values, errors: p.state?.errors ?? {} }} />
    </div>
  );
}

export function NewCaseForm(p: { data: NewCaseData; csrfToken: string; state?: FormState | undefined }) {
  const state = p.state;
  return (
    <form method="post" action={NEW_CASE} id="new-case-form" class="panel stack" hx-post={NEW_CASE} hx-target="this" hx-swap="outerHTML" data-sending={SENDING} novalidate>
      <CsrfField token={p.csrfToken} />
      <FormError state={state} />
      <CustomerChoice data={p.data} state={state} />
      <NewCustomerFields find={p.data.find} state={state} />
      <RadioGroup
        name="channel"
        legend="How did they reach us?"
        idPrefix="channel"
        value="phone"
        state={state}
        options={[
          { value: 'phone', label: 'Phone call' },
          { value: 'walk-in', label: 'Walk-in' },
        ]}
      />
      <Field id="new-subject" name="subject" label="Subject" required maxlength={200} state={state} />
      <Field id="new-duration" name="duration" label="Duration" hint="Minutes, or minutes:seconds (12:30)." maxlength={8} attrs={{ inputmode: 'numeric' }} state={state} />
      <Field id="new-notes" name="notes" label="Notes" hint="What the customer needs; becomes the case's request." required rows={6} maxlength={20000} state={state} />
      <SelectField
        id="new-priority"
        name="priority"
        label="Priority"
        state={state}
        options={[
          { value: '', label: 'Let the rules decide' },
          { value: 'urgent', label: 'Urgent' },
          { value: 'high', label: 'High' },
          { value: 'normal', label: 'Normal' },
          { value: 'low', label: 'Low' },
        ]}
      />
      <div class="form-actions">
        <Button id="new-case-submit">Create case</Button>
      </div>
    </form>
  );
}

export function NewCasePage(p: { viewer: Viewer; csrfToken: string; data: NewCaseData; state?: FormState }) {
  return (
    <Layout title="Log a call or visit" viewer={p.viewer} csrfToken={p.csrfToken} current="cases:new">
      <PageHeader title="Log a call or visit" eyebrow="New case" />
      <form method="get" action={NEW_CASE} id="customer-search" class="panel search-form" role="search">
        <label for="customer-find">Find the customer</label>
        <div class="search-row">
          <input
            type="search"
            id="customer-find"
            name="find"
            value={p.data.find}
            maxlength={200}
            placeholder="Name, email or phone"
            autocomplete="off"
            hx-get={NEW_CASE}
            hx-trigger="input changed delay:300ms, search"
            hx-target="#customer-results"
            hx-swap="outerHTML"
            hx-sync="this:replace"
          />
          <Button variant="secondary" id="customer-find-submit">
            Find
          </Button>
        </div>
      </form>
      <NewCaseForm data={p.data} csrfToken={p.csrfToken} state={p.state} />
    </Layout>
  );
}
