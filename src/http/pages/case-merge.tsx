/**
 * `/cases/:id/merge` (staff): choose the case a duplicate goes into, confirm, merge
 * (src/cases/merge-case.ts; views/pages/case-merge.tsx). `GET ?into=C-1042` shows what the
 * merge will do, or why it cannot be; `POST` merges (CSRF-checked like every page form) and
 * leads to the kept case; a refusal re-renders the page with the reason (422).
 */
import { inArray } from 'drizzle-orm';
import { Hono } from 'hono';
import { canSeeCase } from '../../cases/access.js';
import { caseRef } from '../../cases/case-ref.js';
import type { CaseRow } from '../../cases/case-view.js';
import { mergeCandidates, mergeCase, previewMerge, type MergePreview } from '../../cases/merge-case.js';
import { DomainError } from '../../errors.js';
import type { Services } from '../../services.js';
import type { Principal } from '../types.js';
import { MergePage, mergeSummary, type MergeCaseSummary } from '../../../views/pages/case-merge.js';
import type { FormState } from '../../../views/components.js';
import { visibleCase, type Visible } from './case-commands.js';
import type { PageContext, PageEnv } from './env.js';
import { readForm } from './forms.js';
import { redirectTo, sendHtml, viewerOf } from './render.js';

/** Refusals the page explains on the form (anything else is an error page). */
const SHOWN = new Set(['MERGE_REFUSED', 'MERGE_CONFIRMATION_REQUIRED', 'CASE_NOT_FOUND', 'VALIDATION_FAILED', 'CONFLICT']);

function staffOnly(c: PageContext, v: Visible): void {
  if (v.principal.actor.type !== 'staff') throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
}

async function summaries(services: Services, rows: CaseRow[]): Promise<MergeCaseSummary[]> {
  const ids = [...new Set(rows.map((r) => r.customerId))];
  const names = await services.store.query(async (q) => {
    const { customers } = q.tables;
    const found = await q.db.select({ id: customers.id, name: customers.name }).from(customers).where(inArray(customers.id, ids));
    return new Map(found.map((r) => [r.id, r.name]));
  });
  return rows.map((r) => {
    const workflow = services.definitions.workflow(r.workflow, r.workflowVersion).definition;
    return mergeSummary(r, workflow.states[r.status]?.label ?? r.status, names.get(r.customerId) ?? 'Customer');
  });
}

async function render(c: PageContext, v: Visible, state: FormState | undefined, status: 200 | 422) {
  const services = c.get('services');
  const principal: Principal = v.principal;
  const canSee = (row: CaseRow) => canSeeCase(principal, row);
  const into = state?.values?.into?.trim() ?? '';
  let preview: MergePreview | null = null;
  let errors = state?.errors ?? {};
  if (into !== '' && !errors['(form)']) {
    try {
      preview = await previewMerge(services, v.row.id, into, principal.actor, { canSee });
      if (preview.already) {
        errors = { '(form)': `${caseRef(v.row.id)} is already merged into ${caseRef(preview.into.id)}.` };
        preview = null;
      }
    } catch (error) {
      if (!(error instanceof DomainError) || !SHOWN.has(error.code)) throw error;
      errors = { '(form)': error.message };
    }
  }
  const candidates = (await services.store.query((q) => mergeCandidates(q, v.row))).filter(canSee);
  const [source, ...others] = await summaries(services, [v.row, ...candidates, ...(preview ? [preview.into] : [])]);
  const target = preview ? others.at(-1)! : null;
  const listed = preview ? others.slice(0, -1) : others;
  return sendHtml(
    c,
    <MergePage
      viewer={viewerOf(c)!}
      csrfToken={c.get('csrfToken')}
      source={source!}
      candidates={listed}
      confirm={preview && target ? { into: target, differentCustomer: preview.differentCustomer, entries: preview.entries } : null}
      state={{ values: state?.values ?? {}, errors }}
    />,
    Object.keys(errors).length > 0 ? 422 : status,
  );
}

export function caseMergePages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.get('/cases/:id/merge', async (c) => {
    const v = await visibleCase(c);
    staffOnly(c, v);
    const into = c.req.query('into') ?? '';
    return render(c, v, into.trim() !== '' ? { values: { into } } : undefined, 200);
  });

  app.post('/cases/:id/merge', async (c) => {
    const v = await visibleCase(c);
    staffOnly(c, v);
    const values = await readForm(c);
    const services = c.get('services');
    const principal = v.principal;
    try {
      const { into } = await mergeCase(
        services,
        v.row.id,
        { into: values.into ?? '', confirmDifferentCustomer: values.confirmDifferentCustomer === 'yes', ...(values.note?.trim() ? { note: values.note.trim().slice(0, 2_000) } : {}) },
        principal.actor,
        { canSee: (row) => canSeeCase(principal, row) },
      );
      return redirectTo(c, `/cases/${caseRef(into.id)}`);
    } catch (error) {
      if (!(error instanceof DomainError) || !SHOWN.has(error.code)) throw error;
      const field = error.code === 'MERGE_CONFIRMATION_REQUIRED' ? 'confirmDifferentCustomer' : '(form)';
      // A confirmation missing keeps the confirmation step (the target is fine); anything else is said above the form.
      if (field === 'confirmDifferentCustomer') return render(c, v, { values, errors: { confirmDifferentCustomer: 'Tick this to merge cases of different customers.' } }, 422);
      return render(c, v, { values, errors: { '(form)': error.message } }, 422);
    }
  });

  return app;
}
