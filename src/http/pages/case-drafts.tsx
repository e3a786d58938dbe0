/**
 * `POST /cases/:id/draft` (staff who may see the case): the composer's draft (src/cases/drafts.ts).
 * htmx saves it a second after typing stops and answers the drafts line (`#composer-draft`);
 * without JavaScript *Save draft* posts the whole composer and the case comes back with it,
 * restored. `draft=discard` deletes it. The draft is saved under the mode chosen
 * (`visibility`); the text came from the draft of `draftMode`: a reply moved into note mode
 * (or back) moves its draft, but never over the other mode's own saved text — that is refused,
 * saying so, and nothing is lost. A text over 20,000 characters is refused as a send would be.
 * Customers get a 404: they have no drafts.
 */
import { Hono } from 'hono';
import { caseRef } from '../../cases/case-ref.js';
import { deleteDraft, DRAFT_MAX_LENGTH, saveDraft, type DraftKind } from '../../cases/drafts.js';
import { DomainError } from '../../errors.js';
import { parseMacroId } from '../../macros/macro-store.js';
import type { FormErrors, FormValues } from '../../../views/components.js';
import { composerWithDraft, ctxOf } from '../../../views/pages/case-page.js';
import { Composer } from '../../../views/partials/case-forms.js';
import { DraftStatus } from '../../../views/partials/composer-parts.js';
import { loadCase } from '../../cases/case-read.js';
import { fullPage, visibleCase, type Visible } from './case-commands.js';
import { loadCasePage, type StaffCasePageData } from './case-data.js';
import { isHtmx, type PageContext, type PageEnv } from './env.js';
import type { Principal } from '../types.js';
import { readForm } from './forms.js';
import { redirectTo, sendHtml } from './render.js';

const kindOf = (visibility: string | undefined): DraftKind => (visibility === 'internal' ? 'note' : 'reply');
const NAMES: Record<DraftKind, string> = { reply: 'reply', note: 'internal note' };

async function staffPage(c: PageContext, v: Visible): Promise<StaffCasePageData> {
  const services = c.get('services');
  const d = await loadCasePage(services, v.principal, await loadCase(services, v.row.id));
  if (d.audience !== 'staff') throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
  return d;
}

/** The drafts line (htmx), or the case with the composer as posted and the message (no JavaScript). */
async function answer(c: PageContext, v: Visible, values: FormValues, error: string | undefined, status: 200 | 422) {
  const d = await staffPage(c, v);
  if (isHtmx(c)) return sendHtml(c, <DraftStatus caseRef={d.ref} drafts={composerWithDraft(d, { values }, error).drafts} />, status);
  const errors: FormErrors = error ? { body: error, '(form)': `Draft not saved: ${error}` } : {};
  const state = { values, errors };
  return sendHtml(c, fullPage(c, d, { composer: state }), status);
}

/**
 * After a message is sent from the composer: its draft is deleted — the one its text came from
 * (`draftMode`; a hand-made post: the mode it was sent in). The other mode's draft stays.
 */
export async function clearSentDraft(c: PageContext, principal: Principal, caseId: number, values: { visibility?: string | undefined; draftMode?: string | undefined }): Promise<void> {
  if (principal.actor.type !== 'staff' || principal.staffId === null) return;
  await deleteDraft(c.get('services'), { caseId, staffId: principal.staffId }, kindOf(values.draftMode ?? values.visibility));
}

export function caseDraftPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.post('/cases/:id/draft', async (c) => {
    const v = await visibleCase(c);
    if (v.principal.actor.type !== 'staff' || v.principal.staffId === null) throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
    const services = c.get('services');
    const owner = { caseId: v.row.id, staffId: v.principal.staffId };
    const values = await readForm(c);
    const kind = kindOf(values.visibility);
    // The draft the text came from: the mode the composer was shown in (a hand-made post: the mode chosen).
    const from = values.draftMode === undefined ? kind : kindOf(values.draftMode);
    const ref = caseRef(v.row.id);

    if (values.draft === 'discard') {
      await deleteDraft(services, owner, from);
      if (!isHtmx(c)) return redirectTo(c, `/cases/${ref}?mode=${from === 'note' ? 'note' : 'public'}`);
      // The composer again, empty, in the mode whose draft was discarded (saying what the posted page showed: `seen`).
      const d = await staffPage(c, v);
      const { state, drafts } = composerWithDraft(d, { values: { visibility: from === 'note' ? 'internal' : 'public' } });
      const seen = /^\d{1,15}$/.test(values.seen ?? '') ? Number(values.seen) : d.lastEventId;
      return sendHtml(
        c,
        <Composer ctx={ctxOf(d, c.get('csrfToken'))} state={state} transitions={d.transitions} mentionable={d.mentionable} macros={d.macros} seen={seen} chat={d.chat != null} drafts={drafts} />,
      );
    }

    const body = values.body ?? '';
    if (body.length > DRAFT_MAX_LENGTH) return answer(c, v, values, `at most ${DRAFT_MAX_LENGTH.toLocaleString('en')} characters`, 422);
    if (from !== kind) {
      // Moving the text to the other mode: not over that mode's own saved text.
      const d = await staffPage(c, v);
      const there = d.drafts[kind];
      if (there && there.body !== body && body.trim() !== '') {
        return answer(c, v, values, `you already have an unsent ${NAMES[kind]} on this case. Open it (the link below) and send or discard it first, or switch back.`, 422);
      }
    }
    const macroId = parseMacroId(values.appliedMacro);
    const seen = /^\d{1,15}$/.test(values.seen ?? '') ? Number(values.seen) : undefined;
    await saveDraft(services, owner, { kind, body, macroId, seen });
    if (from !== kind) await deleteDraft(services, owner, from);
    if (!isHtmx(c)) return redirectTo(c, `/cases/${ref}?mode=${kind === 'note' ? 'note' : 'public'}#composer`);
    return answer(c, v, { ...values, draftMode: values.visibility === 'internal' ? 'internal' : 'public' }, undefined, 200);
  });

  return app;
}
