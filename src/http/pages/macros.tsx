/**
 * Macros in the workspace (staff):
 *
 *   GET  /macros               your macros and the shared ones, with what they change and their use
 *   GET  /macros/new           the editor for a new macro (managers may share it)
 *   POST /macros               create (422 with the problems beside the fields)
 *   POST /macros/preview       htmx: the preview panel as you type; plain form: the page with it
 *   GET  /macros/:id           one macro: the editor (read-only for a shared macro unless a manager)
 *   POST /macros/:id           save
 *   POST /macros/:id/delete    delete
 */
import { asc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { DomainError, ValidationError, type FieldIssue } from '../../errors.js';
import { assigneeNamesIn, checkActions, compactActions, describeActions, macroActionsSchema, macroTransitions } from '../../macros/macro-actions.js';
import { createMacro, deleteMacro, updateMacro, type MacroInput } from '../../macros/edit-macro.js';
import { checkMacroBody, MACRO_VARIABLES, renderMacroBody } from '../../macros/macro-language.js';
import { findMacroIn, mayChange, parseMacroId, scopeOf, usableMacrosIn, type MacroRow } from '../../macros/macro-store.js';
import { isManagerRole } from '../../roles.js';
import type { FormErrors, FormState, FormValues } from '../../../views/components.js';
import { MACROS, MacroForm, MacroPage, MacroPreviewPanel, MacrosPage, type MacroFormOptions, type MacroPageProps, type MacroPreviewView } from '../../../views/pages/macros.js';
import { isHtmx, requireStaff, type PageContext, type PageEnv } from './env.js';
import { readForm } from './forms.js';
import { redirectTo, sendForm, sendHtml, viewerOf } from './render.js';

const NOTICES: Record<string, string> = {
  created: 'Saved: the macro is ready to use on cases.',
  saved: 'Saved.',
  deleted: 'The macro was deleted.',
};

/** A form field for each problem path of a macro. */
const FIELD_OF: Record<string, string> = {
  'actions.transition': 'transition',
  'actions.priority': 'priority',
  'actions.tags': 'tagsAdd',
  'actions.tags.add': 'tagsAdd',
  'actions.tags.remove': 'tagsRemove',
  'actions.assignee': 'assignee',
  shared: '(form)',
};

function fieldErrors(issues: readonly FieldIssue[]): FormErrors {
  const out: FormErrors = {};
  for (const { path, message } of issues) {
    const key = FIELD_OF[path] ?? (path || '(form)');
    out[key] = out[key] ? `${out[key]} · ${message}` : message;
  }
  return out;
}

/** The form as the domain's input. */
function inputOf(v: FormValues): MacroInput & { actions: Record<string, unknown> } {
  const actions: Record<string, unknown> = {};
  if (v.transition) actions.transition = v.transition;
  if (v.priority) actions.priority = v.priority;
  if ((v.tagsAdd ?? '').trim() || (v.tagsRemove ?? '').trim()) actions.tags = { add: v.tagsAdd ?? '', remove: v.tagsRemove ?? '' };
  if (v.assignee) actions.assignee = /^\d{1,12}$/.test(v.assignee) ? Number(v.assignee) : v.assignee;
  return { name: v.name ?? '', body: v.body ?? '', actions, shared: v.shared === 'on' };
}

/** A stored macro as the form's values. */
function valuesOf(m: MacroRow): FormValues {
  const a = m.actions;
  return {
    name: m.name,
    body: m.body,
    transition: a.transition ?? '',
    priority: a.priority ?? '',
    tagsAdd: a.tags?.add.join(', ') ?? '',
    tagsRemove: a.tags?.remove.join(', ') ?? '',
    assignee: a.assignee === undefined ? '' : String(a.assignee),
  };
}

async function formOptions(c: PageContext): Promise<MacroFormOptions> {
  const services = c.get('services');
  const people = await services.store.query((q) => {
    const t = q.tables.staff;
    return q.db.select({ id: t.id, name: t.name }).from(t).where(eq(t.active, true)).orderBy(asc(t.name));
  });
  return {
    transitions: macroTransitions(services).map((t) => ({ value: t.name, label: t.requires.length ? `${t.label} (the reply is the ${t.requires.join(' and ')})` : t.label })),
    assignees: people.map((s) => ({ value: String(s.id), label: s.name })),
    variables: MACRO_VARIABLES,
  };
}

const SAMPLE = { ref: 'C-1042', subject: 'Invoice 2026-03 charged twice', customer: 'Chloe Martin' };

/** The macro as it would be saved, filled in with a sample case; or its problems. */
async function previewOf(c: PageContext, v: FormValues): Promise<{ preview: MacroPreviewView | null; problems: FieldIssue[] }> {
  const services = c.get('services');
  const { actor } = requireStaff(c);
  const input = inputOf(v);
  const body = (input.body ?? '').replace(/\r\n?/g, '\n');
  const parsed = macroActionsSchema.safeParse(input.actions);
  const problems: FieldIssue[] = [...checkMacroBody(body)];
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => ({ path: ['actions', ...i.path.map(String)].join('.'), message: i.message })));
  const actions = parsed.success ? compactActions(parsed.data) : {};
  if (parsed.success) problems.push(...(await services.store.query((q) => checkActions(q, services, actions, body))));
  if (problems.length > 0) return { preview: null, problems };
  const names = await services.store.query((q) => assigneeNamesIn(q, [actions]));
  const values = new Map<string, string | null>([
    ['case.id', SAMPLE.ref],
    ['case.subject', SAMPLE.subject],
    ['case.status', 'In progress'],
    ['case.url', `${services.publicUrl}/cases/${SAMPLE.ref}`],
    ['customer.name', SAMPLE.customer],
    ['customer.firstName', 'Chloe'],
    ['customer.email', 'chloe@example.com'],
    ['agent.name', actor.name],
    ['agent.firstName', actor.name.trim().split(/\s+/)[0] ?? ''],
  ]);
  return { preview: { text: renderMacroBody(body, values).trim(), planned: describeActions(services, actions, names) }, problems: [] };
}

/** Runs a command; the problems of a refused macro, or null when it went through. */
async function refused(run: () => Promise<unknown>): Promise<FieldIssue[] | null> {
  try {
    await run();
    return null;
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    // Someone saved it meanwhile: say so above the form, keeping what was typed.
    if (error instanceof DomainError && error.code === 'CONFLICT') return [{ path: '(form)', message: error.message }];
    throw error;
  }
}

function macroOf(c: PageContext): Promise<MacroRow> {
  const id = parseMacroId(c.req.param('id'));
  if (id === null) throw new DomainError('MACRO_NOT_FOUND', `No macro ${c.req.param('id')}.`);
  return c.get('services').store.query((q) => findMacroIn(q, id, requireStaff(c).actor));
}

export function macroPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  const page = async (c: PageContext, macro: MacroRow | null, form: FormState, extra: Partial<MacroPageProps> = {}) => {
    const { actor } = requireStaff(c);
    const shown = await previewOf(c, form.values ?? (macro ? valuesOf(macro) : {}));
    const options = await formOptions(c);
    return (
      <MacroPage
        viewer={viewerOf(c)!}
        csrfToken={c.get('csrfToken')}
        macro={macro ? { id: macro.id, name: macro.name, shared: scopeOf(macro) === 'shared', version: macro.version, usageCount: macro.usageCount, createdBy: macro.createdBy, editable: mayChange(actor, macro) } : null}
        form={form}
        options={options}
        canShare={isManagerRole(actor.role)}
        preview={shown.preview}
        problems={shown.problems}
        notice={null}
        {...extra}
      />
    );
  };

  const notice = (c: PageContext) => {
    const key = c.req.query('done') ?? '';
    return Object.hasOwn(NOTICES, key) ? NOTICES[key]! : null;
  };

  app.get(MACROS, async (c) => {
    const { actor } = requireStaff(c);
    const services = c.get('services');
    const { macros, names } = await services.store.query(async (q) => {
      const macros = await usableMacrosIn(q, actor);
      return { macros, names: await assigneeNamesIn(q, macros.map((m) => m.actions)) };
    });
    const items = macros.map((m) => ({
      id: m.id,
      name: m.name,
      shared: m.ownerId === null,
      excerpt: m.body.split('\n').find((line) => line.trim() !== '')?.slice(0, 120) ?? '',
      planned: describeActions(services, m.actions, names),
      usageCount: m.usageCount,
      lastUsedAt: m.lastUsedAt,
      updatedBy: m.updatedBy,
      updatedAt: m.updatedAt,
      editable: mayChange(actor, m),
    }));
    return sendHtml(c, <MacrosPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} items={items} manager={isManagerRole(actor.role)} notice={notice(c)} />);
  });

  app.get(`${MACROS}/new`, async (c) => sendHtml(c, await page(c, null, { values: { body: 'Hi {{customer.firstName}},\n\n\n\nBest regards,\n{{agent.firstName}}' } })));

  app.post(MACROS, async (c) => {
    const { actor } = requireStaff(c);
    const values = await readForm(c);
    let created: MacroRow | null = null;
    const issues = await refused(async () => {
      created = await createMacro(c.get('services'), inputOf(values), actor);
    });
    if (issues || !created) {
      const form: FormState = { values, errors: fieldErrors(issues ?? []) };
      const options = await formOptions(c);
      const full = await page(c, null, form);
      return sendForm(c, 'macro-form', () => <MacroForm csrfToken={c.get('csrfToken')} form={form} options={options} canShare={isManagerRole(actor.role)} readOnly={false} macro={null} />, () => full, 422);
    }
    return redirectTo(c, `${MACROS}/${(created as MacroRow).id}?done=created`);
  });

  app.post(`${MACROS}/preview`, async (c) => {
    requireStaff(c);
    const values = await readForm(c);
    const shown = await previewOf(c, values);
    if (isHtmx(c)) return sendHtml(c, <MacroPreviewPanel preview={shown.preview} problems={shown.problems} />);
    const id = parseMacroId(values.macroId);
    const macro = id === null ? null : await c.get('services').store.query((q) => findMacroIn(q, id, requireStaff(c).actor));
    return sendHtml(c, await page(c, macro, { values, errors: fieldErrors(shown.problems) }), shown.problems.length ? 422 : 200);
  });

  app.get(`${MACROS}/:id`, async (c) => {
    const macro = await macroOf(c);
    return sendHtml(c, await page(c, macro, { values: valuesOf(macro) }, { notice: notice(c) }));
  });

  app.post(`${MACROS}/:id`, async (c) => {
    const { actor } = requireStaff(c);
    const macro = await macroOf(c);
    const values = await readForm(c);
    const { shared: _shared, ...input } = inputOf(values);
    const expectedVersion = parseMacroId(values.version) ?? undefined;
    const issues = await refused(() => updateMacro(c.get('services'), macro.id, { ...input, ...(expectedVersion ? { expectedVersion } : {}) }, actor));
    if (issues) {
      const form: FormState = { values, errors: fieldErrors(issues) };
      const options = await formOptions(c);
      const full = await page(c, macro, form);
      return sendForm(c, 'macro-form', () => <MacroForm csrfToken={c.get('csrfToken')} form={form} options={options} canShare={false} readOnly={false} macro={macro} />, () => full, 422);
    }
    return redirectTo(c, `${MACROS}/${macro.id}?done=saved`);
  });

  app.post(`${MACROS}/:id/delete`, async (c) => {
    const { actor } = requireStaff(c);
    await deleteMacro(c.get('services'), (await macroOf(c)).id, actor);
    return redirectTo(c, `${MACROS}?done=deleted`);
  });

  return app;
}
