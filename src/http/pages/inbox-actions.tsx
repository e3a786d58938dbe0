/**
 * The inbox's commands (staff):
 *
 *   POST /inbox/bulk               one action on the ticked cases: action=assign|transition|tag|macro
 *                                  (htmx: the summary; plain form: the inbox with it);
 *                                  action=confirm-macro applies macro `heldMacro` to the cases
 *                                  `heldCases` its reply was held back from (mailed to an address
 *                                  a chat visitor only typed), confirmed
 *   POST /inbox/views              save the list's filters as a view (managers may share it)
 *   POST /inbox/views/:id/delete   delete a view (one's own; shared ones: managers)
 *
 * The bulk form carries the list's filters in hidden fields, so the inbox it answers with
 * without JavaScript shows the same list.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { bulkUpdate, type BulkAction } from '../../cases/bulk-update.js';
import { parseListed } from '../../cases/bulk-listed.js';
import { caseRef, parseCaseRef } from '../../cases/case-ref.js';
import { deleteInboxView, filtersQuery, saveInboxView } from '../../cases/inbox-views.js';
import { DomainError, ValidationError } from '../../errors.js';
import { normalizeTag, tagProblem } from '../../cases/case-changes.js';
import { parseMacroId } from '../../macros/macro-store.js';
import type { FormValues } from '../../../views/components.js';
import { InboxPage, type InboxForms } from '../../../views/pages/inbox.js';
import { BulkResult } from '../../../views/partials/inbox-tools.js';
import { isHtmx, requireStaff, type PageContext, type PageEnv } from './env.js';
import { errorsFrom } from './forms.js';
import { loadInbox, parseQuery } from './inbox.js';
import { redirectTo, sendHtml, viewerOf } from './render.js';

const FILTERS = ['view', 'queue', 'status', 'priority', 'tag', 'limit', 'cursor'] as const;

/** The form's fields, with every ticked case (`cases` repeats) and what the list showed of each (`listed`). */
async function readBulkForm(c: PageContext): Promise<{ values: FormValues; cases: string[]; listed: string[] }> {
  const type = c.req.header('Content-Type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return { values: {}, cases: [], listed: [] };
  const body = await c.req.parseBody({ all: true });
  const values: FormValues = {};
  let cases: string[] = [];
  let held: string[] = [];
  let listed: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (key === '_csrf') continue;
    const list = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
    if (key === 'cases') cases = list;
    else if (key === 'heldCases') held = list;
    else if (key === 'listed') listed = list;
    else if (list.length > 0) values[key] = list.at(-1)!;
  }
  // Confirming a held-back macro reply: the cases it was held back from, not the ticked ones (nor what the list showed).
  return values.action === 'confirm-macro' ? { values, cases: held, listed: [] } : { values, cases, listed };
}

/** The inbox page the form came from (its hidden filter fields), carrying `forms`. */
async function inboxPage(c: PageContext, values: FormValues, forms: InboxForms, status: 200 | 422) {
  const raw = Object.fromEntries(FILTERS.flatMap((k) => (values[k] ? [[k, values[k]]] : [])));
  const data = await loadInbox(c, parseQuery(c, raw));
  return sendHtml(c, <InboxPage data={data} viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} pollSeconds={c.get('pageOptions').pollSeconds} forms={forms} />, status);
}

/** The bulk action the clicked button names, from the fields beside it. */
function actionOf(v: FormValues): BulkAction {
  const refuse = (path: string, message: string): never => {
    throw new ValidationError([{ path, message }], message);
  };
  switch (v.action) {
    case 'assign': {
      const a = v.assignee ?? '';
      if (a === 'me') return { type: 'assign', assignee: 'me' };
      if (a === 'auto') return { type: 'assign', assignee: null };
      if (/^\d{1,12}$/.test(a)) return { type: 'assign', assignee: Number(a) };
      return refuse('assignee', 'Choose whom to assign the cases to.');
    }
    case 'transition':
      if (!v.transition) return refuse('transition', 'Choose the status to set.');
      return { type: 'transition', transition: v.transition.slice(0, 100), text: (v.text ?? '').trim() || undefined };
    case 'tag': {
      const tag = normalizeTag(v.tag ?? '');
      if (tag === '') return refuse('tag', 'Write the tag to add.');
      const problem = tagProblem([tag]);
      return problem ? refuse('tag', problem) : { type: 'tag', tag };
    }
    case 'macro': {
      const id = parseMacroId(v.macro);
      return id === null ? refuse('macro', 'Choose the macro to apply.') : { type: 'macro', macroId: id };
    }
    case 'confirm-macro': {
      const id = parseMacroId(v.heldMacro);
      return id === null ? refuse('macro', 'Choose the macro to apply.') : { type: 'macro', macroId: id, confirmedUnverified: true };
    }
    default:
      return refuse('action', 'Choose an action: assign, set status, add tag or apply macro.');
  }
}

const saveViewForm = z.object({ name: z.string().default(''), shared: z.literal('on').optional() });

export function inboxActionPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.post('/inbox/bulk', async (c) => {
    const principal = requireStaff(c);
    const { values, cases, listed } = await readBulkForm(c);
    let forms: InboxForms;
    try {
      const summary = await bulkUpdate(c.get('services'), principal, cases, actionOf(values), parseListed(listed));
      forms = { bulk: { summary } };
    } catch (error) {
      // A request the whole batch cannot take (nothing ticked, too many, no action, a macro not theirs): said above the list.
      if (!(error instanceof DomainError) || !['VALIDATION_FAILED', 'MACRO_NOT_FOUND'].includes(error.code)) throw error;
      const issues = error instanceof ValidationError ? error.issues : [];
      const ticked = cases.map((raw) => {
        const id = parseCaseRef(raw.trim());
        return id === null ? raw : caseRef(id);
      });
      forms = { bulk: { error: error.message, state: { values, errors: errorsFrom(issues) }, ticked } };
    }
    const status = forms.bulk?.error ? 422 : 200;
    if (isHtmx(c)) {
      if (forms.bulk?.summary?.changed.length) c.header('HX-Trigger', 'case-updated');
      return sendHtml(c, <BulkResult summary={forms.bulk?.summary} error={forms.bulk?.error} />, status);
    }
    return inboxPage(c, values, forms, status);
  });

  app.post('/inbox/views', async (c) => {
    const principal = requireStaff(c);
    const { values } = await readBulkForm(c);
    const query = parseQuery(c, Object.fromEntries(FILTERS.flatMap((k) => (k !== 'cursor' && values[k] ? [[k, values[k]]] : []))));
    const form = saveViewForm.parse(values);
    try {
      await saveInboxView(c.get('services'), principal, query, { name: form.name, shared: form.shared === 'on' });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return inboxPage(c, values, { saveView: { values, errors: errorsFrom(error.issues) } }, 422);
    }
    const { cursor: _cursor, limit: _limit, ...filters } = query;
    return redirectTo(c, `/inbox?${filtersQuery(filters)}`);
  });

  app.post('/inbox/views/:id/delete', async (c) => {
    const principal = requireStaff(c);
    const raw = c.req.param('id');
    if (!/^\d{1,12}$/.test(raw)) throw new DomainError('VIEW_NOT_FOUND', `No saved view ${raw}.`);
    await deleteInboxView(c.get('services'), principal, Number(raw));
    // Back to the list the person was looking at (`back`: its filters).
    const { values } = await readBulkForm(c);
    const back = parseQuery(c, Object.fromEntries(new URLSearchParams(values.back ?? '')));
    const { cursor: _cursor, limit: _limit, ...filters } = back;
    return redirectTo(c, `/inbox?${filtersQuery(filters)}`);
  });

  return app;
}
