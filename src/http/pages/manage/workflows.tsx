/**
 * `/manage/workflows`: the workflows with the version in force, and a workflow's page (its
 * state diagram beside its JSON, drafts, publish, rollback, history: versions.tsx).
 */
import { Hono } from 'hono';
import { DomainError, ValidationError } from '../../../errors.js';
import type { Services } from '../../../services.js';
import type { WorkflowDefinition } from '../../../workflow/definition.js';
import { Diagram, WorkflowPage, WorkflowsListPage, WORKFLOWS_NAV, ZOOMS, type WorkflowSummary } from '../../../../views/pages/manage/workflows.js';
import type { PageContext, PageEnv } from '../env.js';
import { sendHtml, viewerOf } from '../render.js';
import { managerOf } from './guard.js';
import { loadDefinitionView, versionRoutes } from './versions.js';
import { workflowBuilderRoutes, workflowBuilderState, workflowBuilderStateOfText, workflowOptions } from './workflow-builder.js';
import { WorkflowBuilder, type WorkflowBuilderState } from '../../../../views/pages/manage/workflow-builder.js';
import { WorkflowReapplyPage } from '../../../../views/pages/manage/workflow-reapply.js';
import { casesOnOtherWorkflowVersions, reapplyWorkflow, type WorkflowReapplyResult } from '../../../cases/reapply-workflow.js';
import { readFormAll } from '../forms.js';
import type { DefinitionView } from '../../../../views/pages/manage/parts.js';

const PREVIEW_LIMIT = 200;

/** `map.<state>` fields: the state map (an empty choice leaves that state's cases where they are). */
function mapOf(entries: Iterable<[string, string]>): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [key, value] of entries) if (key.startsWith('map.') && key.length > 4 && value.trim() !== '') map[key.slice(4)] = value.trim();
  return map;
}

/**
 * The re-apply page after `work`: a stale version or a map naming states cases cannot take
 * is shown above a fresh preview (422 / 409), nothing moved.
 */
async function reapplyPage(c: PageContext, name: string, stateMap: Record<string, string>, work: () => Promise<{ preview?: WorkflowReapplyResult; done?: WorkflowReapplyResult }>) {
  const services = c.get('services');
  let result: { preview?: WorkflowReapplyResult; done?: WorkflowReapplyResult } = {};
  let error: string | null = null;
  let status: 200 | 409 | 422 = 200;
  try {
    result = await work();
  } catch (e) {
    if (!(e instanceof DomainError) || (e.code !== 'CONFLICT' && e.code !== 'VALIDATION_FAILED')) throw e;
    status = e.code === 'CONFLICT' ? 409 : 422;
    const issues = e instanceof ValidationError ? e.issues.map((i) => `${i.path.replace(/^stateMap\./, '')}: ${i.message}`) : [];
    error = [e.message, ...issues].join(' ');
    result = { preview: await reapplyWorkflow(services, name, { dryRun: true, limit: PREVIEW_LIMIT }) };
  }
  const { version, definition } = services.definitions.workflow(name);
  return sendHtml(
    c,
    <WorkflowReapplyPage
      viewer={viewerOf(c)!}
      csrfToken={c.get('csrfToken')}
      name={name}
      version={version}
      definition={definition}
      preview={result.preview ?? null}
      done={result.done ?? null}
      stateMap={error ? {} : stateMap}
      error={error}
    />,
    status,
  );
}

function workflowName(c: PageContext): string {
  const name = c.req.param('name') ?? '';
  if (c.get('services').definitions.history('workflow', name).length === 0) throw new DomainError('WORKFLOW_NOT_FOUND', `No workflow "${name}".`);
  return name;
}

const workflowHref = (name: string) => `/manage/workflows/${encodeURIComponent(name)}`;

function summaries(services: Services): WorkflowSummary[] {
  const { definitions } = services;
  return definitions.names('workflow').map((name) => {
    const history = definitions.history('workflow', name);
    const publishedVersion = definitions.publishedVersion('workflow', name);
    const published = history.find((r) => r.version === publishedVersion);
    const body = published?.body as WorkflowDefinition | undefined;
    const draft = history.find((r) => r.state === 'draft' && r.version > (publishedVersion ?? 0));
    return {
      name,
      description: body?.description ?? '',
      states: Object.keys(body?.states ?? {}).length,
      transitions: Object.keys(body?.transitions ?? {}).length,
      isDefault: name === services.defaultWorkflow,
      published: published ? { version: published.version, author: published.author, at: published.publishedAt ?? published.createdAt } : null,
      draft: draft?.version ?? null,
    };
  });
}

/** `?zoom=150`: the diagram at 150 % (without JavaScript; the zoom buttons do it in place). */
function zoomOf(c: PageContext): number {
  const z = Number(c.req.query('zoom')) / 100;
  return ZOOMS.find((x) => x === z) ?? 1;
}

async function renderWorkflow(c: PageContext, view: DefinitionView, status: 200 | 422, builder?: WorkflowBuilderState) {
  const services = c.get('services');
  const state = builder ?? (await workflowBuilderStateOfText(services, view.name, view.editor.text, view.editor.from));
  return sendHtml(
    c,
    <WorkflowPage
      viewer={viewerOf(c)!}
      csrfToken={c.get('csrfToken')}
      view={view}
      draftDefinition={view.draft && !view.checks.some((p) => p.severity === 'error') ? (view.draft.body as WorkflowDefinition) : null}
      builder={state}
      options={await workflowOptions(services, state.doc)}
      zoom={zoomOf(c)}
      onOtherVersions={await casesOnOtherWorkflowVersions(services, view.name)}
    />,
    status,
  );
}

export function workflowPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.route(
    '/',
    workflowBuilderRoutes(
      async (c, editor, builder, status) => {
        const name = workflowName(c);
        const view = await loadDefinitionView(c.get('services'), 'workflow', name, workflowHref(name), { editor: { text: editor.text, note: '', problems: editor.problems, from: editor.from } });
        return renderWorkflow(c, view, status, builder);
      },
      workflowName,
      workflowHref,
    ),
  );

  // Re-apply: GET previews (with `map.<state>=<state>` from the map's form), POST confirms that preview.
  app.get('/manage/workflows/:name/reapply', async (c) => {
    const principal = managerOf(c);
    const name = workflowName(c);
    const stateMap = mapOf(new URL(c.req.url).searchParams.entries());
    return reapplyPage(c, name, stateMap, async () => ({ preview: await reapplyWorkflow(c.get('services'), name, { dryRun: true, actor: principal.actor, stateMap, limit: PREVIEW_LIMIT }) }));
  });

  app.post('/manage/workflows/:name/reapply', async (c) => {
    const principal = managerOf(c);
    const name = workflowName(c);
    const form = await readFormAll(c);
    const stateMap = mapOf([...form].map(([k, v]) => [k, v[0] ?? ''] as [string, string]));
    const version = /^\d{1,9}$/.test(form.get('version')?.[0] ?? '') ? Number(form.get('version')![0]) : null;
    if (version === null) throw new DomainError('VALIDATION_FAILED', 'Preview the changes first, then confirm.');
    return reapplyPage(c, name, stateMap, async () => {
      const services = c.get('services');
      const done = await reapplyWorkflow(services, name, { actor: principal.actor, stateMap, version, limit: 0 });
      return { done, preview: await reapplyWorkflow(services, name, { dryRun: true, actor: principal.actor, stateMap, limit: PREVIEW_LIMIT }) };
    });
  });

  app.get('/manage/workflows', (c) => {
    managerOf(c);
    return sendHtml(c, <WorkflowsListPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} workflows={summaries(c.get('services'))} />);
  });

  app.route(
    '/',
    versionRoutes({
      kind: 'workflow',
      path: '/manage/workflows/:name',
      nav: WORKFLOWS_NAV,
      nameOf: workflowName,
      href: workflowHref,
      title: (name) => `Workflow ${name}`,
      backLabel: (name) => `Workflow ${name}`,
      render: (c, view, status = 200) => renderWorkflow(c, view, status),
      validated: async (c, name, body) => {
        // The JSON typed so far, shown in the forms (out of band).
        const services = c.get('services');
        const state = await workflowBuilderState(services, name, body);
        return <WorkflowBuilder state={state} options={await workflowOptions(services, state.doc)} oob />;
      },
      versionDetails: (row) => (
        <section class="panel" aria-labelledby="version-diagram-heading">
          <h2 id="version-diagram-heading">{`State diagram of v${row.version}`}</h2>
          <Diagram definition={row.body as WorkflowDefinition} id={`v${row.version}-diagram`} />
        </section>
      ),
    }),
  );

  return app;
}
