/**
 * The version routes every definition page shares (rulesets, workflows, the SLA config),
 * below the page's own path:
 *
 *   GET  <page>                   the page (with a notice after a save, publish or rollback)
 *   POST <page>/validate          fragment: the problems of the JSON typed so far (nothing saved)
 *   POST <page>/drafts            save the JSON as a draft (422: the page again, text kept)
 *   POST <page>/publish           publish a draft with a note (publish checks; 422 on errors)
 *   POST <page>/rollback          publish a copy of an earlier version
 *   GET  <page>/versions/:version one version: meta, diff against the version in force, JSON
 *
 * The domain verbs are `saveDraft`, `publishDraft`, `rollbackTo`, `diffVersions` and
 * `checkDefinition` (src/definitions/versions.ts).
 */
import type { Child } from 'hono/jsx';
import { Hono } from 'hono';
import type { DefinitionKind } from '../../../db/schema/index.js';
import { canonicalJson } from '../../../definitions/diff.js';
import { parseDefinitionJson } from '../../../definitions/parse-json.js';
import { problem, type DefinitionProblem } from '../../../definitions/problems.js';
import type { DefinitionVersionRow } from '../../../definitions/registry.js';
import { checkDefinition, checkExamples, diffVersions, publishDraft, rollbackTo, saveDraft, type StaleEdit } from '../../../definitions/versions.js';
import { DefinitionError, DomainError } from '../../../errors.js';
import type { Services } from '../../../services.js';
import { ProblemList, type DefinitionView, type EditorState, type Notice } from '../../../../views/pages/manage/parts.js';
import { VersionPage } from '../../../../views/pages/manage/version-page.js';
import type { PageContext, PageEnv } from '../env.js';
import { readForm } from '../forms.js';
import { redirectTo, sendHtml, viewerOf } from '../render.js';
import { managerOf } from './guard.js';

type Html = ReturnType<typeof sendHtml>;

export interface VersionedArea {
  kind: DefinitionKind;
  /** Route of the page, e.g. `/manage/rules/:name`. */
  path: string;
  /** Navigation entry of the page (a MANAGE_LINKS href). */
  nav: string;
  /** The definition's name in this request. */
  nameOf(c: PageContext): string;
  /** URL of the page of `name`. */
  href(name: string): string;
  /** "Ruleset routing". */
  title(name: string): string;
  /** Link text back to the page from a version page. */
  backLabel(name: string): string;
  /** The full page. */
  render(c: PageContext, view: DefinitionView, status?: 200 | 422): Html | Promise<Html>;
  /** More about one version (e.g. its rules as sentences) on its version page. */
  versionDetails?(row: DefinitionVersionRow): Child;
  /** Out-of-band content for the validation fragment (the rule builder follows the JSON typed). */
  validated?(c: PageContext, name: string, body: unknown): Child | Promise<Child>;
}

export interface ViewOverrides {
  editor?: EditorState;
  publish?: DefinitionView['publish'];
  notice?: Notice | null;
}

/** Everything a definition page shows. NOT_FOUND when nothing by that name exists. */
export async function loadDefinitionView(services: Services, kind: DefinitionKind, name: string, base: string, overrides: ViewOverrides = {}): Promise<DefinitionView> {
  const history = services.definitions.history(kind, name);
  if (history.length === 0) throw new DomainError('NOT_FOUND', `No ${kind} named "${name}".`);
  const publishedVersion = services.definitions.publishedVersion(kind, name);
  const published = history.find((r) => r.version === publishedVersion) ?? null;
  const draft = history.find((r) => r.state === 'draft' && r.version > (publishedVersion ?? 0)) ?? null;
  const start = draft ?? published ?? history[0]!;
  return {
    kind,
    name,
    base,
    published,
    draft,
    diff: draft ? diffVersions(services, kind, name, draft.version) : null,
    checks: draft ? await checkDefinition(services, kind, name, draft.body) : [],
    examples: draft ? await checkExamples(services, kind, name, draft.body) : null,
    history,
    editor: overrides.editor ?? { text: canonicalJson(start.body), note: '', problems: null, from: start.version },
    publish: overrides.publish,
    notice: overrides.notice ?? null,
  };
}

/** Parses the editor's text: the body, or problems saying where the JSON breaks or which key it has twice. */
export function parseEditorJson(text: string): { ok: true; body: unknown } | { ok: false; problems: DefinitionProblem[] } {
  const parsed = parseDefinitionJson(text);
  return parsed.ok ? { ok: true, body: parsed.value } : parsed;
}

function positiveInt(value: string | undefined): number | null {
  return value && /^\d{1,9}$/.test(value) && Number(value) > 0 ? Number(value) : null;
}

/** The version in force a publish or rollback form showed (`inForce`, 0: none); null when the form does not say. */
function seenInForce(value: string | undefined): number | null {
  return value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : null;
}

/** The newer version of a CONFLICT from `staleEditError`, if that is what `error` is. */
export function staleOf(error: unknown): StaleEdit | null {
  return error instanceof DomainError && error.code === 'CONFLICT' && error.details.stale ? (error.details.stale as StaleEdit) : null;
}

/** The notice after a redirect (`?saved=3`, `?published=4`, `?rolledBack=5`). */
function noticeFrom(c: PageContext, view: DefinitionView): Notice | null {
  const find = (key: string) => {
    const v = positiveInt(c.req.query(key));
    return v === null ? undefined : view.history.find((r) => r.version === v);
  };
  const saved = find('saved');
  if (saved) return { tone: 'ok', text: `Draft v${saved.version} saved. Compare it, try it, then publish it below.` };
  const published = find('published');
  if (published) {
    return { tone: 'ok', text: `Published v${published.version}${published.basedOn ? ` (draft v${published.basedOn})` : ''}. It is in force from now on; cases already handled keep the version they started with.` };
  }
  const rolledBack = find('rolledBack');
  if (rolledBack) return { tone: 'ok', text: `Rolled back: v${rolledBack.version}, a copy of v${rolledBack.basedOn ?? '?'}, is in force now.` };
  return null;
}

export function versionRoutes(area: VersionedArea): Hono<PageEnv> {
  const app = new Hono<PageEnv>();
  const { kind } = area;
  const view = (c: PageContext, overrides: ViewOverrides = {}) => {
    const name = area.nameOf(c);
    return loadDefinitionView(c.get('services'), kind, name, area.href(name), overrides);
  };

  app.get(area.path, async (c) => {
    managerOf(c);
    const v = await view(c);
    v.notice = noticeFrom(c, v);
    return area.render(c, v);
  });

  app.post(`${area.path}/validate`, async (c) => {
    managerOf(c);
    const name = area.nameOf(c);
    const form = await readForm(c);
    const parsed = parseEditorJson(form.body ?? '');
    const problems = parsed.ok ? await checkDefinition(c.get('services'), kind, name, parsed.body) : parsed.problems;
    return sendHtml(
      c,
      <>
        <ProblemList problems={problems} />
        {parsed.ok ? await area.validated?.(c, name, parsed.body) : null}
      </>,
    );
  });

  app.post(`${area.path}/drafts`, async (c) => {
    const principal = managerOf(c);
    const services = c.get('services');
    const name = area.nameOf(c);
    const form = await readForm(c);
    const text = form.body ?? '';
    const note = (form.note ?? '').trim().slice(0, 2000);
    const editor = (problems: DefinitionProblem[]): EditorState => ({ text, note, problems, from: positiveInt(form.from) });
    const parsed = parseEditorJson(text);
    if (!parsed.ok) return area.render(c, await view(c, { editor: editor(parsed.problems) }), 422);
    let row: DefinitionVersionRow;
    try {
      row = await saveDraft(services, kind, name, parsed.body, principal.actor, note, { from: positiveInt(form.from) });
    } catch (error) {
      if (error instanceof DefinitionError) return area.render(c, await view(c, { editor: editor(error.problems) }), 422);
      const stale = staleOf(error);
      // The text stays as typed; it now counts as started from the newer version, so saving again keeps it.
      if (stale) return area.render(c, await view(c, { editor: { ...editor([]), problems: null, from: stale.version }, notice: { tone: 'error', text: (error as Error).message } }), 422);
      throw error;
    }
    return redirectTo(c, `${area.href(name)}?saved=${row.version}#draft`);
  });

  app.post(`${area.path}/publish`, async (c) => {
    const principal = managerOf(c);
    const services = c.get('services');
    const name = area.nameOf(c);
    const form = await readForm(c);
    const draft = positiveInt(form.draft);
    if (draft === null) throw new DomainError('VALIDATION_FAILED', 'Choose the draft to publish.');
    const note = (form.note ?? '').trim();
    const override = form.overrideExamples === 'on';
    const overrideNote = (form.overrideNote ?? '').trim();
    const values = { note: form.note ?? '', ...(override ? { overrideExamples: 'on' } : {}), overrideNote: form.overrideNote ?? '' };
    if (note === '') return area.render(c, await view(c, { publish: { values, errors: { note: 'write a note: why this change' } } }), 422);
    if (note.length > 2000) return area.render(c, await view(c, { publish: { values, errors: { note: 'at most 2,000 characters' } } }), 422);
    if (override && overrideNote === '') return area.render(c, await view(c, { publish: { values, errors: { overrideNote: 'say why it is right to publish while examples fail' } } }), 422);
    let version: number;
    try {
      const inForce = seenInForce(form.inForce);
      version = (await publishDraft(services, kind, name, draft, principal.actor, note, { ...(override ? { overrideExamples: overrideNote.slice(0, 2000) } : {}), inForce })).version.version;
    } catch (error) {
      if (staleOf(error)) {
        // The version published meanwhile is newer than the draft, so the page has no draft panel now: the draft's own page compares it with the version in force.
        const text = `${(error as Error).message} Draft v${draft}'s page shows what it changes against the version in force: ${area.href(name)}/versions/${draft}.`;
        return area.render(c, await view(c, { notice: { tone: 'error', text } }), 422);
      }
      if (error instanceof DefinitionError) {
        // Failing examples are listed with the form (and can be overridden); other problems block it.
        const problems = error.code === 'EXAMPLES_FAILED' ? undefined : error.problems;
        return area.render(c, await view(c, { publish: { values, errors: { '(form)': error.message }, ...(problems ? { problems } : {}) } }), 422);
      }
      throw error;
    }
    return redirectTo(c, `${area.href(name)}?published=${version}`);
  });

  app.post(`${area.path}/rollback`, async (c) => {
    const principal = managerOf(c);
    const services = c.get('services');
    const name = area.nameOf(c);
    const form = await readForm(c);
    const target = positiveInt(form.version);
    if (target === null) throw new DomainError('VALIDATION_FAILED', 'Choose the version to roll back to.');
    const row = services.definitions.version(kind, name, target);
    if (!row) throw new DomainError('NOT_FOUND', `No version ${target} of "${name}".`);
    if (row.state !== 'published') throw new DomainError('CONFLICT', `v${target} was never published; publish it instead.`);
    let version: number;
    try {
      const note = (form.note ?? '').slice(0, 2000);
      if (form.overrideExamples === 'on' && note.trim() === '') {
        return await area.render(c, await view(c, { notice: { tone: 'error', text: `To roll back to v${target} even though its examples fail, write a note saying why.` } }), 422);
      }
      version = (await rollbackTo(services, kind, name, target, principal.actor, note, { ...(form.overrideExamples === 'on' ? { overrideExamples: note } : {}), inForce: seenInForce(form.inForce) })).version.version;
    } catch (error) {
      if (staleOf(error)) return area.render(c, await view(c, { notice: { tone: 'error', text: (error as Error).message } }), 422);
      if (error instanceof DefinitionError) {
        return area.render(c, await view(c, { notice: { tone: 'error', text: `v${target} cannot be published again as it is: ${error.message}`, problems: error.problems } }), 422);
      }
      throw error;
    }
    return redirectTo(c, `${area.href(name)}?rolledBack=${version}`);
  });

  app.get(`${area.path}/versions/:version`, async (c) => {
    managerOf(c);
    const services = c.get('services');
    const name = area.nameOf(c);
    const number = positiveInt(c.req.param('version'));
    const row = number === null ? undefined : services.definitions.version(kind, name, number);
    if (!row) throw new DomainError('NOT_FOUND', `No version ${c.req.param('version')} of "${name}".`);
    const v = await view(c);
    v.checks = row.state === 'draft' ? await checkDefinition(services, kind, name, row.body) : [];
    v.examples = await checkExamples(services, kind, name, row.body);
    const title = `${area.title(name)} v${row.version}`;
    return sendHtml(
      c,
      <VersionPage
        view={v}
        row={row}
        diff={diffVersions(services, kind, name, row.version)}
        json={canonicalJson(row.body)}
        title={title}
        backLabel={area.backLabel(name)}
        viewer={viewerOf(c)!}
        csrfToken={c.get('csrfToken')}
        current={area.nav}
      >
        {area.versionDetails?.(row)}
      </VersionPage>,
    );
  });

  return app;
}
