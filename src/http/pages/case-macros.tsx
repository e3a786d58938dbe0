/**
 * The macro picker's commands on a case page (staff; views/partials/macro-picker.tsx):
 *
 *   POST /cases/:id/macros/preview   Insert: the macro's reply for this case and what it will change
 *                                    (htmx: the picker panel; plain form: the page, the reply added to the message)
 *   POST /cases/:id/macros/apply     Send with macro: the message and the macro's changes in one transaction
 *
 * A refusal (the case or the macro changed since the preview, a change the case cannot take)
 * re-renders the case with the message as typed and a fresh preview, so nothing typed is lost.
 * A public reply that would be mailed to an address a chat visitor only typed comes back the
 * same way, asking to confirm (`confirmedUnverified=1`) before it is sent.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { assertCanSee, canSeeCase } from '../../cases/access.js';
import { caseRef, parseCaseRef } from '../../cases/case-ref.js';
import { loadCase, unverifiedMailAddress } from '../../cases/case-read.js';
import { DomainError } from '../../errors.js';
import { applyMacro, previewMacro, type MacroPreview } from '../../macros/apply-macro.js';
import { parseMacroId, usableMacrosIn } from '../../macros/macro-store.js';
import type { Principal } from '../types.js';
import { Alert, type FormValues } from '../../../views/components.js';
import { CasePageDocument, WorkspaceCase, type CaseForms } from '../../../views/pages/case-page.js';
import { MacroPicker, type InsertedMacro, type MacroPanelState } from '../../../views/partials/macro-picker.js';
import { loadCasePage, type StaffCasePageData } from './case-data.js';
import { isHtmx, requireStaff, type PageContext, type PageEnv } from './env.js';
import { readForm } from './forms.js';
import { clearSentDraft } from './case-drafts.js';
import { redirectTo, sendHtml, viewerOf } from './render.js';

const version = z
  .string()
  .regex(/^\d{1,12}$/)
  .transform(Number)
  .optional();

const applyForm = z.object({
  appliedMacro: z.string().regex(/^\d{1,12}$/, 'insert a macro first').transform(Number),
  macroVersion: version,
  caseVersion: version,
  body: z.string().max(20_000, 'at most 20,000 characters').default(''),
  visibility: z.enum(['public', 'internal']).default('public'),
});

interface Visible {
  principal: Principal;
  caseId: number;
}

async function visibleCase(c: PageContext): Promise<Visible> {
  const principal = requireStaff(c);
  const id = parseCaseRef(c.req.param('id') ?? '');
  if (id === null) throw new DomainError('CASE_NOT_FOUND', `No case ${c.req.param('id')}.`);
  assertCanSee(principal, await loadCase(c.get('services'), id));
  return { principal, caseId: id };
}

async function staffPage(c: PageContext, v: Visible): Promise<StaffCasePageData> {
  const services = c.get('services');
  const d = await loadCasePage(services, v.principal, await loadCase(services, v.caseId));
  if (d.audience !== 'staff') throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
  return d;
}

export function inserted(p: MacroPreview, insert?: string): InsertedMacro {
  return { id: p.macro.id, name: p.macro.name, version: p.macro.version, caseVersion: p.caseVersion, changes: p.changes.length ? p.changes.map((x) => x.text) : p.problem ? p.planned : [], problem: p.problem?.message ?? null, insert };
}

/** The case again with the composer as typed and the picker's state (422 for a refusal). */
async function casePage(c: PageContext, v: Visible, values: FormValues, macro: MacroPanelState, status: 200 | 422) {
  const d = await staffPage(c, v);
  const forms: CaseForms = { composer: { values }, macro };
  const props = { d, csrfToken: c.get('csrfToken'), pollSeconds: c.get('pageOptions').pollSeconds, forms };
  if (isHtmx(c)) return sendHtml(c, <WorkspaceCase {...props} />, status);
  return sendHtml(c, <CasePageDocument {...props} viewer={viewerOf(c)!} />, status);
}

/** Errors a person can act on from the picker: shown there, with the message kept. */
const SHOWN = new Set(['VALIDATION_FAILED', 'CONFLICT', 'INVALID_TRANSITION', 'TRANSITION_REQUIREMENT_MISSING', 'TRANSITION_FIELD_NOT_ALLOWED', 'STAFF_NOT_FOUND', 'CAPACITY_EXCEEDED', 'MACRO_NOT_FOUND']);

export function caseMacroPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.post('/cases/:id/macros/preview', async (c) => {
    const v = await visibleCase(c);
    const values = await readForm(c);
    const id = parseMacroId(values.macro);
    const body = values.body ?? '';
    const keep = { body, visibility: values.visibility ?? 'public' };
    let state: MacroPanelState = {};
    let text = '';
    if (values.clear !== '1') {
      if (id === null) {
        state = { error: 'Choose a macro first.' };
      } else {
        try {
          const p = await previewMacro(c.get('services'), v.caseId, id, v.principal.actor);
          text = p.text;
          state = { inserted: inserted(p, isHtmx(c) ? p.text : undefined) };
        } catch (error) {
          if (!(error instanceof DomainError) || error.code !== 'MACRO_NOT_FOUND') throw error;
          state = { error: 'That macro no longer exists: choose another.' };
        }
      }
    }
    if (isHtmx(c)) {
      const macros = await c.get('services').store.query((q) => usableMacrosIn(q, v.principal.actor));
      return sendHtml(c, <MacroPicker caseRef={caseRef(v.caseId)} macros={macros.map((m) => ({ id: m.id, name: m.name, shared: m.ownerId === null }))} state={state} />);
    }
    // Without JavaScript the reply is added to what was typed, and the page comes back.
    const combined = text === '' ? body : body.trim() === '' ? text : `${body.trimEnd()}\n\n${text}`;
    return casePage(c, v, { ...keep, body: combined }, state, state.error ? 422 : 200);
  });

  app.post('/cases/:id/macros/apply', async (c) => {
    const v = await visibleCase(c);
    const services = c.get('services');
    const values = await readForm(c);
    const keep = { body: values.body ?? '', visibility: values.visibility ?? 'public' };
    const parsed = applyForm.safeParse(values);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return casePage(c, v, keep, { error: issue.path[0] === 'appliedMacro' ? 'Insert a macro first, then send with it.' : `The message: ${issue.message}.` }, 422);
    }
    const input = parsed.data;
    // A public reply mailed to an address a chat visitor only typed: asked first (as the composer does), nothing refused.
    const mailTo = input.visibility === 'public' && input.body.trim() !== '' && values.confirmedUnverified !== '1' ? await services.store.query((q) => unverifiedMailAddress(q, v.caseId)) : null;
    if (mailTo) {
      try {
        return await casePage(c, v, keep, { inserted: inserted(await previewMacro(services, v.caseId, input.appliedMacro, v.principal.actor)), confirmMailTo: mailTo }, 200);
      } catch (error) {
        if (!(error instanceof DomainError) || !SHOWN.has(error.code)) throw error;
        return casePage(c, v, keep, { error: error.message }, 422);
      }
    }
    let result;
    try {
      result = await applyMacro(services, v.caseId, input.appliedMacro, { body: input.body, public: input.visibility === 'public', expectedVersion: input.caseVersion, macroVersion: input.macroVersion }, v.principal.actor);
    } catch (error) {
      if (!(error instanceof DomainError) || !SHOWN.has(error.code)) throw error;
      // A fresh preview on the case as it is now: checking it and sending again is one click.
      let again: MacroPanelState = { error: error.message };
      try {
        const p = await previewMacro(services, v.caseId, input.appliedMacro, v.principal.actor);
        again = { error: error.code === 'CONFLICT' ? `${error.message} Check what changed, then send again.` : error.message, inserted: inserted(p) };
      } catch (previewError) {
        if (!(previewError instanceof DomainError)) throw previewError;
      }
      return casePage(c, v, keep, again, 422);
    }
    // Sent: the draft it was written in is done with (src/cases/drafts.ts).
    await clearSentDraft(c, v.principal, v.caseId, values);
    await services.outbox.settle(v.caseId);
    services.outbox.kick();
    const row = await loadCase(services, v.caseId);
    // The macro (or the rules it set off) took the case out of the viewer's reach.
    if (!canSeeCase(v.principal, row)) return redirectTo(c, `/inbox?moved=${caseRef(v.caseId)}`);
    if (!isHtmx(c)) return redirectTo(c, `/cases/${caseRef(v.caseId)}`);
    c.header('HX-Trigger', 'case-updated');
    const d = await staffPage(c, v);
    const what = result.changes.length ? `: ${result.changes.map((x) => x.text).join('; ')}` : '';
    return sendHtml(
      c,
      <>
        <WorkspaceCase d={d} csrfToken={c.get('csrfToken')} pollSeconds={c.get('pageOptions').pollSeconds} />
        <div id="flash" hx-swap-oob="innerHTML">
          <Alert tone="ok">{`${result.text === '' ? 'Applied' : result.public ? 'Reply sent with' : 'Note added with'} “${result.macro.name}”${what}.`}</Alert>
        </div>
      </>,
    );
  });

  return app;
}
