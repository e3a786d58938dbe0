/**
 * Mail templates in the manager console:
 *
 *   GET  /manage/templates                            every template, default or customized
 *   GET  /manage/templates/:name/:audience            one version: editor, variables, preview, history
 *   POST /manage/templates/:name/:audience            save (422 with the problems beside the fields)
 *   POST /manage/templates/:name/:audience/preview    htmx: the preview panel; plain form: the page with it
 *   POST /manage/templates/:name/:audience/reset      back to the built-in default
 */
import { Hono } from 'hono';
import { ValidationError, type FieldIssue } from '../../../errors.js';
import { lastChangeIn, resetTemplate, saveTemplate } from '../../../notifications/edit-template.js';
import { previewTemplate, type TemplatePreview } from '../../../notifications/preview-template.js';
import { allTemplateStates, templateHistory, templateState, type TemplateState } from '../../../notifications/template-store.js';
import type { FormErrors, FormState, FormValues } from '../../../../views/components.js';
import { PreviewPanel, TEMPLATES, TemplateForm, TemplatePage, templateHref, TemplatesPage } from '../../../../views/pages/manage/templates.js';
import { isHtmx, type PageContext, type PageEnv } from '../env.js';
import { readForm } from '../forms.js';
import { redirectTo, sendForm, sendHtml, viewerOf } from '../render.js';
import { managerOf } from './guard.js';

const NOTICES: Record<string, string> = {
  saved: 'Saved: mails use your wording from now on.',
  reset: 'Reset: mails use the built-in wording again.',
};

const PATH = `${TEMPLATES}/:name/:audience`;

function stateOf(c: PageContext): Promise<TemplateState> {
  return c.get('services').store.query((q) => templateState(q, c.req.param('name') ?? '', c.req.param('audience') ?? ''));
}

const wording = (v: FormValues) => ({ subject: v.subject ?? '', body: v.body ?? '' });

/** Runs a command; the problems of a refused wording, or null when it went through. */
async function refused(run: () => Promise<unknown>): Promise<FieldIssue[] | null> {
  try {
    await run();
    return null;
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
}

/** Every problem of a field beside it (a wording can have several). */
function fieldErrors(issues: readonly FieldIssue[]): FormErrors {
  const out: FormErrors = {};
  for (const { path, message } of issues) {
    const key = path || '(form)';
    out[key] = out[key] ? `${out[key]} · ${message}` : message;
  }
  return out;
}

export function templatePages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  const page = async (c: PageContext, state: TemplateState, form: FormState, preview: TemplatePreview | null, notice: string | null = null, problems: FieldIssue[] = []) => (
    <TemplatePage
      viewer={viewerOf(c)!}
      csrfToken={c.get('csrfToken')}
      state={state}
      form={form}
      preview={preview}
      problems={problems}
      history={await c.get('services').store.query((q) => templateHistory(q, state.spec.name, state.audience))}
      notice={notice}
    />
  );

  app.get(TEMPLATES, async (c) => {
    managerOf(c);
    return sendHtml(c, <TemplatesPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} states={await c.get('services').store.query(allTemplateStates)} />);
  });

  app.get(PATH, async (c) => {
    const { actor } = managerOf(c);
    const state = await stateOf(c);
    const key = c.req.query('done') ?? '';
    const notice = Object.hasOwn(NOTICES, key) ? NOTICES[key]! : null;
    // A stored wording a later version no longer accepts shows its problems instead of a preview (mails use the default meanwhile).
    let preview: TemplatePreview | null = null;
    const issues = await refused(async () => {
      preview = await previewTemplate(c.get('services'), state.spec.name, state.audience, {}, actor);
    });
    const form: FormState = issues ? { errors: fieldErrors(issues) } : {};
    return sendHtml(c, await page(c, state, form, preview, notice, issues ?? []));
  });

  app.post(PATH, async (c) => {
    const { actor } = managerOf(c);
    const state = await stateOf(c);
    const values = await readForm(c);
    const seen = /^\d{1,12}$/.test(values.seen ?? '') ? Number(values.seen) : null;
    const issues = await refused(() => saveTemplate(c.get('services'), state.spec.name, state.audience, wording(values), actor, { seen }));
    if (issues) {
      // The form again as typed; it now counts as having seen the newest change, so saving again stores it.
      const last = (await c.get('services').store.query((q) => lastChangeIn(q, state.spec.name, state.audience)))?.id ?? 0;
      const form: FormState = { values: { ...values, seen: String(last) }, errors: fieldErrors(issues) };
      const full = await page(c, state, form, null, null, issues);
      return sendForm(c, 'template-form', () => <TemplateForm state={state} csrfToken={c.get('csrfToken')} form={form} seen={last} />, () => full, 422);
    }
    return redirectTo(c, `${templateHref(state)}?done=saved`);
  });

  app.post(`${PATH}/preview`, async (c) => {
    const { actor } = managerOf(c);
    const state = await stateOf(c);
    const values = await readForm(c);
    let preview: TemplatePreview | null = null;
    const issues = await refused(async () => {
      preview = await previewTemplate(c.get('services'), state.spec.name, state.audience, { ...wording(values), case: values.case ?? '' }, actor);
    });
    // As you type, problems show in the preview panel; the Preview button re-renders the page with them beside the fields too.
    if (isHtmx(c)) return sendHtml(c, <PreviewPanel preview={preview} problems={issues ?? []} />);
    return sendHtml(c, await page(c, state, { values, errors: issues ? fieldErrors(issues) : {} }, preview, null, issues ?? []), issues ? 422 : 200);
  });

  app.post(`${PATH}/reset`, async (c) => {
    const { actor } = managerOf(c);
    const state = await resetTemplate(c.get('services'), c.req.param('name'), c.req.param('audience'), actor);
    return redirectTo(c, `${templateHref(state)}?done=reset`);
  });

  return app;
}
