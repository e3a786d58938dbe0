/**
 * The workflow editor's route (views/pages/manage/workflow-builder.tsx):
 *
 *   POST /manage/workflows/:name/builder   a change to the editor form: apply its fields and
 *                                          command (`op`), check the result, re-render (htmx:
 *                                          the editor and, out of band, the JSON view);
 *                                          `op=save` stores a draft; `op=load` reads the JSON view
 */
import { Hono } from 'hono';
import { canonicalJson } from '../../../definitions/diff.js';
import type { Doc, PostedForm } from '../../../definitions/form-edit.js';
import type { DefinitionProblem } from '../../../definitions/problems.js';
import { checkDefinition, saveDraft } from '../../../definitions/versions.js';
import { DefinitionError, DomainError } from '../../../errors.js';
import { SLA_METRICS } from '../../../db/schema/cases.js';
import { NOTIFY_TARGETS, TEMPLATE_NAMES } from '../../../notifications/templates.js';
import { ROLES } from '../../../roles.js';
import type { Services } from '../../../services.js';
import { editWorkflow } from '../../../workflow/builder.js';
import { BUILTIN_EVENTS, STATE_CATEGORIES, STATE_STARTED_METRICS, TRANSITION_FIELDS } from '../../../workflow/definition.js';
import { WorkflowBuilder, type WorkflowBuilderState, type WorkflowOptions } from '../../../../views/pages/manage/workflow-builder.js';
import { JsonTextarea, ProblemList } from '../../../../views/pages/manage/parts.js';
import { isHtmx, type PageContext, type PageEnv } from '../env.js';
import { readFormAll } from '../forms.js';
import { redirectTo, sendHtml } from '../render.js';
import { managerOf } from './guard.js';
import { parseEditorJson, staleOf } from './versions.js';
import { activeQueuesByTier } from '../../../rules/builder-values/index.js';

const first = (form: PostedForm, key: string) => form.get(key)?.[0];
const plain = (values: Iterable<string>) => [...new Set(values)].map((v) => ({ value: v, label: v }));

function isObject(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What the editor offers: categories, metrics, roles, fields, events, rulesets, actions, queues, mails. */
export async function workflowOptions(services: Services, doc: Doc | null): Promise<WorkflowOptions> {
  const events = new Set<string>(BUILTIN_EVENTS);
  if (doc && isObject(doc.transitions)) for (const t of Object.values(doc.transitions)) if (isObject(t) && typeof t.emits === 'string') events.add(t.emits);
  const queues = await services.store.query(activeQueuesByTier);
  return {
    categories: plain(STATE_CATEGORIES),
    metrics: plain(SLA_METRICS),
    startMetrics: plain(STATE_STARTED_METRICS),
    roles: plain(ROLES.filter((r) => r !== 'system')),
    fields: plain(TRANSITION_FIELDS),
    events: plain([...events].sort()),
    rulesets: plain(services.definitions.names('ruleset')),
    actions: plain(services.actions.names()),
    queues: queues.map((q) => ({ value: q.id, label: q.name })),
    templates: plain(TEMPLATE_NAMES),
    notifyTargets: plain(NOTIFY_TARGETS),
  };
}

export async function workflowBuilderState(services: Services, name: string, doc: unknown, extra: Partial<WorkflowBuilderState> = {}): Promise<WorkflowBuilderState> {
  const usable = isObject(doc);
  return {
    doc: usable ? doc : null,
    unusable: usable ? null : 'it is not a JSON object',
    problems: usable ? await checkDefinition(services, 'workflow', name, doc) : [],
    fieldErrors: new Map(),
    pending: new Map(),
    note: null,
    focus: null,
    from: null,
    draftNote: '',
    ...extra,
  };
}

export async function workflowBuilderStateOfText(services: Services, name: string, text: string, from: number | null): Promise<WorkflowBuilderState> {
  const parsed = parseEditorJson(text);
  if (!parsed.ok) return { ...(await workflowBuilderState(services, name, null, { from })), unusable: 'its JSON does not parse' };
  return workflowBuilderState(services, name, parsed.body, { from });
}

type Render = (c: PageContext, editor: { text: string; from: number | null; problems: DefinitionProblem[] | null }, builder: WorkflowBuilderState, status: 200 | 422) => Response | Promise<Response>;

export function workflowBuilderRoutes(render: Render, nameOf: (c: PageContext) => string, href: (name: string) => string): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.post('/manage/workflows/:name/builder', async (c) => {
    const principal = managerOf(c);
    const services = c.get('services');
    const name = nameOf(c);
    const form = await readFormAll(c);
    const op = (first(form, 'op') ?? 'refresh').trim().split(/\s+/);
    const command = { verb: op[0] || 'refresh', args: op.slice(1) };
    const from = /^\d{1,9}$/.test(first(form, 'from') ?? '') ? Number(first(form, 'from')) : null;
    const draftNote = (first(form, 'note') ?? '').slice(0, 2000);

    if (command.verb === 'load') {
      const text = first(form, 'body') ?? '';
      const parsed = parseEditorJson(text);
      const state = { ...(await workflowBuilderStateOfText(services, name, text, from)), draftNote };
      return render(c, { text, from, problems: parsed.ok ? state.problems : parsed.problems }, state, parsed.ok ? 200 : 422);
    }
    let source: unknown;
    try {
      source = JSON.parse(first(form, 'doc') ?? '');
    } catch {
      source = null;
    }
    if (!isObject(source)) throw new DomainError('VALIDATION_FAILED', 'The editor form lost its document; reload the page.');
    const edit = editWorkflow(source, form, command);
    const state = await workflowBuilderState(services, name, edit.doc, { fieldErrors: edit.errors, pending: edit.pending, note: edit.result.note ?? null, focus: edit.result.focus ?? null, from, draftNote });
    if (command.verb === 'save') {
      if (edit.errors.size === 0) {
        try {
          const row = await saveDraft(services, 'workflow', name, edit.doc, principal.actor, draftNote.trim(), { from });
          return redirectTo(c, `${href(name)}?saved=${row.version}#builder-panel`);
        } catch (error) {
          const stale = staleOf(error);
          if (stale) {
            // Everything in the forms stays; it now counts as started from the newer version, so saving again keeps it.
            state.note = `Not saved. ${(error as Error).message}`;
            state.from = stale.version;
            return respond(c, services, state, render, 422);
          }
          if (!(error instanceof DefinitionError)) throw error;
          state.problems = error.problems;
        }
      }
      state.note = 'Not saved: fix the problems shown beside the fields.';
      return respond(c, services, state, render, 422);
    }
    return respond(c, services, state, render, 200);
  });

  return app;
}

async function respond(c: PageContext, services: Services, state: WorkflowBuilderState, render: Render, status: 200 | 422) {
  const text = state.doc ? canonicalJson(state.doc) : '';
  if (!isHtmx(c)) return render(c, { text, from: state.from, problems: state.problems }, state, status);
  return sendHtml(
    c,
    <>
      <WorkflowBuilder state={state} options={await workflowOptions(services, state.doc)} />
      <JsonTextarea text={text} base={new URL(c.req.url).pathname.replace(/\/builder$/, '')} invalid={state.problems.some((p) => p.severity === 'error')} oob />
      <div id="editor-problems" class="editor-problems" aria-live="polite" hx-swap-oob="true">
        <ProblemList problems={state.problems} />
      </div>
    </>,
    status,
  );
}
