/**
 * The rule builder's routes (views/pages/manage/rule-builder.tsx):
 *
 *   POST /manage/rules/:name/builder    a change to the builder form: apply its fields and
 *                                       command (`op`), check the result, re-render (htmx: the
 *                                       builder and, out of band, the JSON view); `op=save`
 *                                       stores a draft; `op=load` reads the JSON view instead
 *   POST /manage/rules/:name/examples   keep a past case as an example (`case`): a new draft
 *
 * Nothing is stored except by `save` and `examples`.
 */
import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { parseCaseRef } from '../../../cases/case-ref.js';
import { cases } from '../../../db/schema/index.js';
import { canonicalJson } from '../../../definitions/diff.js';
import type { Doc, PostedForm } from '../../../definitions/form-edit.js';
import type { DefinitionProblem } from '../../../definitions/problems.js';
import { checkDefinition, checkExamples, saveDraft } from '../../../definitions/versions.js';
import { DefinitionError, DomainError } from '../../../errors.js';
import { editRuleset, parseCommand } from '../../../rules/builder.js';
import { builderDefaults, builderOptions } from '../../../rules/builder-options.js';
import { exampleFromCase } from '../../../rules/examples.js';
import type { RuleExample } from '../../../rules/example-format.js';
import type { Services } from '../../../services.js';
import { Builder, type BuilderState } from '../../../../views/pages/manage/rule-builder.js';
import { JsonTextarea, ProblemList } from '../../../../views/pages/manage/parts.js';
import { isHtmx, type PageContext, type PageEnv } from '../env.js';
import { readFormAll } from '../forms.js';
import { redirectTo, sendHtml } from '../render.js';
import { managerOf } from './guard.js';
import { loadDefinitionView, parseEditorJson, staleOf } from './versions.js';

const first = (form: PostedForm, key: string) => form.get(key)?.[0];

function positiveInt(value: string | undefined): number | null {
  return value && /^\d{1,9}$/.test(value) && Number(value) > 0 ? Number(value) : null;
}

function isObject(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The builder showing `doc` (checked and its examples run), as GET shows it. */
export async function builderState(services: Services, name: string, doc: unknown, extra: Partial<BuilderState> = {}): Promise<BuilderState> {
  const usable = isObject(doc);
  return {
    doc: usable ? doc : null,
    unusable: usable ? null : 'it is not a JSON object',
    problems: usable ? await checkDefinition(services, 'ruleset', name, doc) : [],
    fieldErrors: new Map(),
    pending: new Map(),
    examples: usable ? await checkExamples(services, 'ruleset', name, doc) : { results: [], passed: 0, failed: 0 },
    note: null,
    from: null,
    draftNote: '',
    ...extra,
  };
}

/** The builder for the JSON text the editor holds (or why it cannot show it). */
export async function builderStateOfText(services: Services, name: string, text: string, from: number | null): Promise<BuilderState> {
  const parsed = parseEditorJson(text);
  if (!parsed.ok) return { ...(await builderState(services, name, null, { from })), unusable: 'its JSON does not parse' };
  return builderState(services, name, parsed.body, { from });
}

/** A past case kept as an example, or why not. */
async function exampleOfCase(services: Services, ref: string): Promise<RuleExample | string> {
  const id = parseCaseRef(ref.trim());
  const row =
    id === null
      ? undefined
      : (await services.store.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, id)).limit(1)))[0];
  if (!row) return `No case "${ref.trim().slice(0, 40)}".`;
  try {
    return await exampleFromCase(services, row);
  } catch (error) {
    if (error instanceof DomainError) return error.message;
    throw error;
  }
}

export function ruleBuilderRoutes(render: (c: PageContext, overrides: { text: string; from: number | null; problems: DefinitionProblem[] | null }, builder: BuilderState, status: 200 | 422) => Response | Promise<Response>, nameOf: (c: PageContext) => string, href: (name: string) => string): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.post('/manage/rules/:name/builder', async (c) => {
    const principal = managerOf(c);
    const services = c.get('services');
    const name = nameOf(c);
    const form = await readFormAll(c);
    const command = parseCommand(first(form, 'op'));
    const from = positiveInt(first(form, 'from'));
    const draftNote = (first(form, 'note') ?? '').slice(0, 2000);

    if (command.verb === 'load') {
      // "Show in the builder" from the JSON view: the text becomes the builder's document.
      const text = first(form, 'body') ?? '';
      const state = { ...(await builderStateOfText(services, name, text, from)), draftNote };
      const parsed = parseEditorJson(text);
      return render(c, { text, from, problems: parsed.ok ? state.problems : parsed.problems }, state, parsed.ok ? 200 : 422);
    }

    let source: unknown;
    try {
      source = JSON.parse(first(form, 'doc') ?? '');
    } catch {
      throw new DomainError('VALIDATION_FAILED', 'The builder form lost its document; reload the page.');
    }
    if (!isObject(source)) throw new DomainError('VALIDATION_FAILED', 'The builder form lost its document; reload the page.');
    // "Add from case": the reference typed beside the button; a refusal stays beside the field.
    const made = command.verb === 'addExampleFromCase' ? await exampleOfCase(services, first(form, 'fromCase') ?? '') : undefined;
    const run = made === undefined ? command : typeof made === 'string' ? { verb: 'refresh', args: [] } : { verb: 'addExample', args: [] };
    const edit = editRuleset(source, form, run, await builderDefaults(services), typeof made === 'object' ? { example: () => made } : {});
    if (typeof made === 'string') {
      edit.errors.set('fromCase', made);
      edit.pending.set('fromCase', first(form, 'fromCase') ?? '');
    }
    const state = await builderState(services, name, edit.doc, { fieldErrors: edit.errors, pending: edit.pending, note: edit.result.note ?? null, focus: edit.result.focus ?? null, from, draftNote });

    if (command.verb === 'save') {
      if (edit.errors.size === 0) {
        try {
          const row = await saveDraft(services, 'ruleset', name, edit.doc, principal.actor, draftNote.trim(), { from });
          return redirectTo(c, `${href(name)}?saved=${row.version}#builder-panel`);
        } catch (error) {
          const stale = staleOf(error);
          if (stale) {
            // Everything in the forms stays; it now counts as started from the newer version, so saving again keeps it.
            state.note = `Not saved. ${(error as Error).message}`;
            state.from = stale.version;
            return respond(c, state, render, 422);
          }
          if (!(error instanceof DefinitionError)) throw error;
          state.problems = error.problems;
        }
      }
      state.note = 'Not saved: fix the problems shown beside the fields.';
      return respond(c, state, render, 422);
    }
    return respond(c, state, render, 200);
  });

  app.post('/manage/rules/:name/examples', async (c) => {
    const principal = managerOf(c);
    const services = c.get('services');
    const name = nameOf(c);
    const form = await readFormAll(c);
    const made = await exampleOfCase(services, first(form, 'case') ?? '');
    if (typeof made === 'string') throw new DomainError('VALIDATION_FAILED', made);
    // On top of the newest draft if there is one, else the version in force.
    const view = await loadDefinitionView(services, 'ruleset', name, href(name));
    const start = structuredClone((view.draft ?? view.published ?? view.history[0]!).body) as Doc;
    const edit = editRuleset(start, new Map(), { verb: 'addExample', args: [] }, await builderDefaults(services), { example: () => made });
    let version: number;
    try {
      version = (await saveDraft(services, 'ruleset', name, edit.doc, principal.actor, `Kept ${made.fromCase ?? 'a case'} as an example`)).version;
    } catch (error) {
      if (error instanceof DefinitionError) {
        throw new DomainError('VALIDATION_FAILED', `The example cannot be added: the ruleset's newest version has problems (${error.problems[0]?.path}: ${error.problems[0]?.message}).`);
      }
      throw error;
    }
    const examples = Array.isArray(edit.doc.examples) ? edit.doc.examples.length : 1;
    return redirectTo(c, `${href(name)}?saved=${version}#example-${examples - 1}`);
  });

  return app;
}

/** htmx: the builder and, out of band, the JSON view and its problems; otherwise the page. */
async function respond(c: PageContext, state: BuilderState, render: Parameters<typeof ruleBuilderRoutes>[0], status: 200 | 422) {
  const services = c.get('services');
  const text = state.doc ? canonicalJson(state.doc) : '';
  if (!isHtmx(c)) return render(c, { text, from: state.from, problems: state.problems }, state, status);
  return sendHtml(
    c,
    <>
      <Builder state={state} options={await builderOptions(services)} />
      <JsonTextarea text={text} base={`${new URL(c.req.url).pathname.replace(/\/builder$/, '')}`} invalid={state.problems.some((p) => p.severity === 'error')} oob />
      <div id="editor-problems" class="editor-problems" aria-live="polite" hx-swap-oob="true">
        <ProblemList problems={state.problems} />
      </div>
    </>,
    status,
  );
}
