/**
 * Staff: edit the case's subject (the customer sees it), priority and tags (they never do).
 * A plain form (POST, 303 back) that htmx swaps in place; a 422 or a version conflict
 * re-renders it with the typed values and the message. The version it was opened at rides
 * along, so a change made meanwhile by someone else is not overwritten unseen.
 */
import { PRIORITIES } from '../../src/db/schema/index.js';
import { Button, CsrfField, SENDING, Field, FormError, SelectField, type FormState } from '../components.js';
import type { FormContext } from './case-forms.js';

export interface CaseEditProps {
  ctx: FormContext;
  subject: string;
  priority: string;
  tags: readonly string[];
  version: number;
  state?: FormState | undefined;
}

export function CaseEditForm(p: CaseEditProps) {
  const url = `/cases/${p.ctx.ref}/edit`;
  return (
    <form id="edit-form" class="stack" method="post" action={url} hx-post={url} data-sending={SENDING}>
      <CsrfField token={p.ctx.csrfToken} />
      {/* After a conflict the form carries the version it was re-rendered at: saving again applies the typed values. */}
      <input type="hidden" name="expectedVersion" value={p.state?.values?.expectedVersion ?? String(p.version)} />
      {/* What the form shows: saving changes only what was changed here, so a colleague's change to another field stays. */}
      <input type="hidden" name="shownSubject" id="edit-shown-subject" value={p.state?.values?.shownSubject ?? p.subject} />
      <input type="hidden" name="shownPriority" id="edit-shown-priority" value={p.state?.values?.shownPriority ?? p.priority} />
      <input type="hidden" name="shownTags" id="edit-shown-tags" value={p.state?.values?.shownTags ?? p.tags.join(', ')} />
      <FormError state={p.state} />
      <Field id="edit-subject" name="subject" label="Subject" hint="The customer sees the subject." required maxlength={200} value={p.subject} state={p.state} />
      <SelectField id="edit-priority" name="priority" label="Priority" value={p.priority} state={p.state} options={PRIORITIES.map((x) => ({ value: x, label: x }))} />
      <Field
        id="edit-tags"
        name="tags"
        label="Tags"
        hint="Separated by commas. Customers never see the priority or the tags."
        maxlength={2000}
        value={p.tags.join(', ')}
        state={p.state}
      />
      <Button id="edit-submit">Save changes</Button>
    </form>
  );
}

export function CaseEditDisclosure(p: CaseEditProps) {
  return (
    <details class="disclosure" open={p.state !== undefined}>
      <summary class="button button-secondary">Edit case…</summary>
      <CaseEditForm {...p} />
    </details>
  );
}
