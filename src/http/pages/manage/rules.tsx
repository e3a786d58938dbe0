/**
 * `/manage/rules`: rulesets with the version in force; rules as code (export / import);
 * a ruleset's page with the shared version routes (drafts, publish, rollback, history,
 * see versions.tsx); dry-runs of a draft over past cases as background jobs:
 *
 *   POST /manage/rules/:name/dry-runs      start (htmx: the progress fragment, which polls)
 *   GET  /manage/rules/:name/dry-runs/:id  progress or results (fragment for htmx, else a page)
 *
 * Jobs live in memory, per person: someone else's job id is answered 404.
 */
import path from 'node:path';
import { and, count, eq, gte, lt } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { activeQueuesByTier } from '../../../rules/builder-values/index.js';
import { DefinitionFileError } from '../../../definitions/files.js';
import { exportDefinitions, importDefinitions, type Folders } from '../../../definitions/export-import.js';
import type { DefinitionProblem } from '../../../definitions/problems.js';
import { DefinitionError, DomainError } from '../../../errors.js';
import type { RulesetDefinition } from '../../../rules/definition.js';
import { DryRunJobs } from '../../../rules/dry-run-jobs.js';
import { dryRun, type DryRunSelection } from '../../../rules/dry-run.js';
import type { Services } from '../../../services.js';
import type { Option } from '../../../../views/components.js';
import type { Notice } from '../../../../views/pages/manage/parts.js';
import { DryRunForm, DryRunPage, DryRunStatus } from '../../../../views/pages/manage/dry-run.js';
import { RuleList, RulesetPage, RulesListPage, RULES_NAV, type ExportImportResult, type RulesetSummary } from '../../../../views/pages/manage/rules.js';
import { isHtmx, type PageContext, type PageEnv } from '../env.js';
import { readForm } from '../forms.js';
import { redirectTo, sendHtml, viewerOf } from '../render.js';
import { managerOf } from './guard.js';
import { loadDefinitionView, versionRoutes } from './versions.js';
import { checkExamples } from '../../../definitions/versions.js';
import { builderState, builderStateOfText, ruleBuilderRoutes } from './rule-builder.js';
import { builderOptions } from '../../../rules/builder-options.js';
import { Builder, type BuilderState } from '../../../../views/pages/manage/rule-builder.js';
import type { DefinitionView } from '../../../../views/pages/manage/parts.js';

/** Most cases one dry-run replays. */
export const MAX_DRY_RUN_CASES = 200_000;
const DAY = 86_400_000;

/**
 * A definition folder as pages show it: its path below the working directory as
 * configured (`rules`), or only its own name; never where the server keeps it.
 */
export function folderLabel(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : path.basename(dir);
}

/** A file in one of the folders, as pages show it: `rules/routing.json`. */
export function fileLabel(folders: Folders, file: string): string {
  for (const dir of [folders.rulesDir, folders.workflowsDir]) {
    const relative = path.relative(dir, file);
    if (relative && !relative.startsWith('..') && !path.isAbsolute(relative)) return `${folderLabel(dir)}/${relative.split(path.sep).join('/')}`;
  }
  return path.basename(file);
}

function rulesetName(c: PageContext): string {
  const name = c.req.param('name') ?? '';
  if (c.get('services').definitions.history('ruleset', name).length === 0) throw new DomainError('RULESET_NOT_FOUND', `No ruleset "${name}".`);
  return name;
}

const rulesetHref = (name: string) => `/manage/rules/${encodeURIComponent(name)}`;

async function activeQueues(services: Services): Promise<Option[]> {
  return (await services.store.query(activeQueuesByTier)).map((q) => ({ value: q.id, label: q.name }));
}

/** How many cases match (all, one queue's, or created in [from, to)). */
function countCases(services: Services, where: { queue?: string; from?: number; to?: number }): Promise<number> {
  return services.store.query(async (q) => {
    const t = q.tables.cases;
    const conditions = [
      where.queue === undefined ? undefined : eq(t.queueId, where.queue),
      where.from === undefined ? undefined : gte(t.createdAt, where.from),
      where.to === undefined ? undefined : lt(t.createdAt, where.to),
    ].filter((c) => c !== undefined);
    const [row] = await q.db.select({ n: count() }).from(t).where(conditions.length ? and(...conditions) : undefined);
    return row?.n ?? 0;
  });
}

/** The problems of the version in force when it is no longer valid (so not run), else null. */
function refusedProblems(services: Services, name: string): DefinitionProblem[] | null {
  return services.definitions.refusedRuleset(name)?.problems ?? null;
}

function summaries(services: Services): RulesetSummary[] {
  const { definitions } = services;
  return definitions.names('ruleset').map((name) => {
    const history = definitions.history('ruleset', name);
    const publishedVersion = definitions.publishedVersion('ruleset', name);
    const published = history.find((r) => r.version === publishedVersion);
    const body = published?.body as RulesetDefinition | undefined;
    const draft = history.find((r) => r.state === 'draft' && r.version > (publishedVersion ?? 0));
    return {
      name,
      description: body?.description ?? '',
      rules: Array.isArray(body?.rules) ? body.rules.length : 0,
      published: published ? { version: published.version, author: published.author, at: published.publishedAt ?? published.createdAt, note: published.note } : null,
      draft: draft?.version ?? null,
      refused: refusedProblems(services, name),
    };
  });
}

/** A calendar date that exists (Date.parse would read 2026-02-30 as 2 March). */
function isCalendarDate(text: string): boolean {
  const ms = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

const dateText = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use a date like 2026-03-01').refine(isCalendarDate, 'no such date');
const countText = z.coerce.number({ error: 'a whole number' }).int('a whole number').min(1, 'at least 1').max(MAX_DRY_RUN_CASES, `at most ${MAX_DRY_RUN_CASES.toLocaleString('en')}`);

const dryRunForm = z.discriminatedUnion('scope', [
  z.object({ scope: z.literal('last'), count: countText }),
  z.object({ scope: z.literal('queue'), count: countText, queue: z.string().min(1, 'choose a queue') }),
  z.object({ scope: z.literal('range'), from: dateText, to: dateText }),
], { error: 'choose the last cases, a date range or a queue' });

interface ParsedSelection {
  selection: DryRunSelection;
  label: string;
  /** How many cases it selects now. */
  cases: number;
}

const fmtDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

async function selectionOf(services: Services, values: Record<string, string>): Promise<ParsedSelection | string> {
  const parsed = dryRunForm.safeParse({ ...values, scope: values.scope || 'last' });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return `${issue.path.join('.') || 'scope'}: ${issue.message}`;
  }
  const f = parsed.data;
  switch (f.scope) {
    case 'last': {
      const n = Math.min(f.count, await countCases(services, {}));
      return { selection: { kind: 'last', count: f.count }, label: `the last ${f.count.toLocaleString('en')} cases`, cases: n };
    }
    case 'queue': {
      if (!(await activeQueues(services)).some((q) => q.value === f.queue)) return `queue: unknown queue "${f.queue}"`;
      const n = Math.min(f.count, await countCases(services, { queue: f.queue }));
      return { selection: { kind: 'queue', queue: f.queue, count: f.count }, label: `the last ${f.count.toLocaleString('en')} cases in ${f.queue}`, cases: n };
    }
    case 'range': {
      const from = Date.parse(`${f.from}T00:00:00Z`);
      const to = Date.parse(`${f.to}T00:00:00Z`) + DAY;
      if (Number.isNaN(from) || Number.isNaN(to)) return 'from: not a date';
      if (to <= from) return 'to: must not be before the start date';
      const n = await countCases(services, { from, to });
      if (n > MAX_DRY_RUN_CASES) return `from: ${n.toLocaleString('en')} cases were created in that range; choose a range with at most ${MAX_DRY_RUN_CASES.toLocaleString('en')}`;
      return { selection: { kind: 'range', from, to }, label: `the cases created ${fmtDate(from)} to ${fmtDate(to - DAY)} (UTC)`, cases: n };
    }
  }
}

export function rulesPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();
  // The dry-run jobs of the services' database (every instance on it sees the same ones).
  const registries = new WeakMap<Services, DryRunJobs>();
  const jobsOf = (services: Services) => {
    let jobs = registries.get(services);
    if (!jobs) registries.set(services, (jobs = new DryRunJobs(services.store, { now: () => services.clock.now() })));
    return jobs;
  };

  const listPage = (c: PageContext, extra: { result?: ExportImportResult; notice?: Notice }, status: 200 | 422 = 200) =>
    sendHtml(
      c,
      <RulesListPage
        viewer={viewerOf(c)!}
        csrfToken={c.get('csrfToken')}
        rulesets={summaries(c.get('services'))}
        folders={{ rulesDir: folderLabel(c.get('pageOptions').definitionFolders.rulesDir), workflowsDir: folderLabel(c.get('pageOptions').definitionFolders.workflowsDir) }}
        result={extra.result ? { ...extra.result, changes: extra.result.changes.map((x) => ({ ...x, file: fileLabel(c.get('pageOptions').definitionFolders, x.file) })) } : null}
        notice={extra.notice ?? null}
      />,
      status,
    );

  app.get('/manage/rules', (c) => {
    managerOf(c);
    return listPage(c, {});
  });

  app.post('/manage/rules/export', async (c) => {
    managerOf(c);
    let changes;
    try {
      changes = await exportDefinitions(c.get('services'), c.get('pageOptions').definitionFolders);
    } catch (error) {
      if (error instanceof DefinitionError) return listPage(c, { notice: { tone: 'error', text: error.message, problems: error.problems } }, 422);
      throw error;
    }
    const written = changes.filter((x) => x.changed).length;
    return listPage(c, {
      result: { action: 'export', changes },
      notice: { tone: 'ok', text: written === 0 ? 'Exported: every file was already up to date.' : `Exported: ${written} of ${changes.length} files written.` },
    });
  });

  app.post('/manage/rules/import', async (c) => {
    const principal = managerOf(c);
    let changes;
    try {
      changes = await importDefinitions(c.get('services'), c.get('pageOptions').definitionFolders, principal.actor);
    } catch (error) {
      if (error instanceof DefinitionFileError) {
        return listPage(c, { notice: { tone: 'error', text: `Nothing was imported: ${fileLabel(c.get('pageOptions').definitionFolders, error.file)} has problems.`, problems: error.problems } }, 422);
      }
      if (error instanceof DefinitionError) {
        return listPage(c, { notice: { tone: 'error', text: `Nothing was imported: ${error.message}`, problems: error.problems } }, 422);
      }
      throw error;
    }
    const published = changes.filter((x) => x.changed).length;
    return listPage(c, {
      result: { action: 'import', changes },
      notice: { tone: 'ok', text: published === 0 ? 'Imported: the files match the versions in force; nothing was published.' : `Imported: ${published} new version${published === 1 ? '' : 's'} published.` },
    });
  });

  const renderRuleset = async (c: PageContext, view: DefinitionView, status: 200 | 422, builder?: BuilderState, dryRunForm?: { values: Record<string, string>; error: string }) => {
    const services = c.get('services');
    const state = builder ?? await builderStateOfText(services, view.name, view.editor.text, view.editor.from);
    return sendHtml(
      c,
      <RulesetPage
        viewer={viewerOf(c)!}
        csrfToken={c.get('csrfToken')}
        view={view}
        queues={await activeQueues(services)}
        refused={refusedProblems(services, view.name)}
        loadWarnings={services.definitions.rulesetWarnings(view.name)}
        builder={state}
        options={await builderOptions(services)}
        {...(dryRunForm ? { dryRunForm } : {})}
      />,
      status,
    );
  };

  app.route(
    '/',
    ruleBuilderRoutes(
      async (c, editor, builder, status) => {
        const name = rulesetName(c);
        const view = await loadDefinitionView(c.get('services'), 'ruleset', name, rulesetHref(name), { editor: { text: editor.text, note: '', problems: editor.problems, from: editor.from } });
        return renderRuleset(c, view, status, builder);
      },
      rulesetName,
      rulesetHref,
    ),
  );

  app.route(
    '/',
    versionRoutes({
      kind: 'ruleset',
      path: '/manage/rules/:name',
      nav: RULES_NAV,
      nameOf: rulesetName,
      href: rulesetHref,
      title: (name) => `Ruleset ${name}`,
      backLabel: (name) => `Ruleset ${name}`,
      render: (c, view, status = 200) => renderRuleset(c, view, status),
      validated: async (c, name, body) => {
        // The JSON typed so far, shown in the forms (out of band): the two views stay in step.
        const services = c.get('services');
        return <Builder state={await builderState(services, name, body)} options={await builderOptions(services)} oob />;
      },
      versionDetails: (row) => (
        <section class="panel" aria-labelledby="version-rules-heading">
          <h2 id="version-rules-heading">{`Rules of v${row.version}`}</h2>
          <RuleList definition={row.body as RulesetDefinition} idPrefix={`v${row.version}-rule`} />
        </section>
      ),
    }),
  );

  app.post('/manage/rules/:name/dry-runs', async (c) => {
    const principal = managerOf(c);
    const services = c.get('services');
    const name = rulesetName(c);
    const base = rulesetHref(name);
    const values = await readForm(c);
    const draftVersion = /^\d{1,9}$/.test(values.draft ?? '') ? Number(values.draft) : null;
    const row = draftVersion === null ? undefined : services.definitions.version('ruleset', name, draftVersion);
    if (!row) throw new DomainError('NOT_FOUND', `No version ${values.draft ?? ''} of the ruleset "${name}".`);
    const parsed = await selectionOf(services, values);
    if (typeof parsed === 'string') {
      const form = <DryRunForm base={base} draft={row.version} csrfToken={c.get('csrfToken')} queues={await activeQueues(services)} values={values} error={parsed} />;
      if (isHtmx(c)) {
        c.header('HX-Retarget', '#dry-run-form');
        c.header('HX-Reswap', 'outerHTML');
        return sendHtml(c, form, 422);
      }
      // Without JavaScript: the ruleset's page again, the dry-run form with what was typed and why not.
      const view = await loadDefinitionView(services, 'ruleset', name, base);
      if (view.draft?.version === row.version) return renderRuleset(c, view, 422, undefined, { values, error: parsed });
      throw new DomainError('VALIDATION_FAILED', parsed);
    }
    const job = await jobsOf(services).start(`staff:${principal.staffId}`, { ruleset: name, draftVersion: row.version, label: parsed.label, total: parsed.cases }, async (progress) => {
      try {
        const result = await dryRun(services, { ruleset: name, draft: row.body as RulesetDefinition, selection: parsed.selection, onProgress: progress, chunkSize: 2000, maxChanges: 500 });
        return { ...result, examples: await checkExamples(services, 'ruleset', name, row.body) };
      } catch (error) {
        services.logger.error('dry-run failed', { ruleset: name, draft: row.version, error });
        throw error;
      }
    });
    const url = `${base}/dry-runs/${job.id}`;
    if (!isHtmx(c)) return redirectTo(c, url);
    return sendHtml(c, <DryRunStatus job={job} url={url} polling />);
  });

  app.get('/manage/rules/:name/dry-runs/:id', async (c) => {
    const principal = managerOf(c);
    const name = rulesetName(c);
    const job = await jobsOf(c.get('services')).get(`staff:${principal.staffId}`, c.req.param('id'));
    if (!job || job.ruleset !== name) throw new DomainError('NOT_FOUND', 'No such dry-run (results are kept for a day).');
    const url = `${rulesetHref(name)}/dry-runs/${job.id}`;
    if (isHtmx(c)) return sendHtml(c, <DryRunStatus job={job} url={url} polling />);
    return sendHtml(c, <DryRunPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} job={job} url={url} base={rulesetHref(name)} />);
  });

  return app;
}
