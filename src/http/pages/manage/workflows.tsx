/**
 * `/manage/workflows`: the workflows with the version in force, and a workflow's page (its
 * state diagram beside its JSON, drafts, publish, rollback, history: versions.tsx).
 */
import { Hono } from 'hono';
import { DomainError } from '../../../errors.js';
import type { Services } from '../../../services.js';
import type { WorkflowDefinition } from '../../../workflow/definition.js';
import { Diagram, WorkflowPage, WorkflowsListPage, WORKFLOWS_NAV, ZOOMS, type WorkflowSummary } from '../../../../views/pages/manage/workflows.js';
import type { PageContext, PageEnv } from '../env.js';
import { sendHtml, viewerOf } from '../render.js';
import { managerOf } from './guard.js';
import { loadDefinitionView, versionRoutes } from './versions.js';
import { workflowBuilderRoutes, workflowBuilderState, workflowBuilderStateOfText, workflowOptions } from './workflow-builder.js';
import { WorkflowBuilder, type WorkflowBuilderState } from '../../../../views/pages/manage/workflow-builder.js';
import type { DefinitionView } from '../../../../views/pages/manage/parts.js';

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
