/**
 * One version of a definition on its own page (`…/versions/N`): who saved it, its diff
 * against the version in force, its JSON, and what can be done with it (publish a draft,
 * roll back to an earlier version).
 */
import type { Child } from 'hono/jsx';
import type { DiffLine } from '../../../src/definitions/diff.js';
import type { DefinitionVersionRow } from '../../../src/definitions/registry.js';
import { Badge, PageHeader } from '../../components.js';
import type { Viewer } from '../../viewer.js';
import { DiffView } from './diff-view.js';
import { ManagePage, PublishForm, RollbackForm, VersionMeta, type DefinitionView } from './parts.js';

/** One version on its own: meta, diff against the version in force, the JSON, and what can be done with it (`view.checks` are this version's). */
export function VersionPage(p: {
  view: DefinitionView;
  row: DefinitionVersionRow;
  diff: { against: number | null; lines: DiffLine[]; same: boolean };
  json: string;
  title: string;
  backLabel: string;
  viewer: Viewer;
  csrfToken: string;
  current: string;
  children?: Child;
}) {
  const { view, row } = p;
  const isCurrent = view.published?.version === row.version;
  return (
    <ManagePage title={p.title} viewer={p.viewer} csrfToken={p.csrfToken} current={p.current}>
      <PageHeader
        eyebrow={<a href={view.base}>{p.backLabel}</a>}
        title={p.title}
        actions={isCurrent ? <Badge tone="ok">in force</Badge> : undefined}
      />
      <section class="panel">
        <VersionMeta row={row} />
        {row.basedOn ? <p>{`Based on v${row.basedOn}.`}</p> : null}
        {isCurrent ? null : row.state === 'draft' ? (
          <PublishForm view={view} draft={row} csrfToken={p.csrfToken} />
        ) : (
          <RollbackForm view={view} row={row} csrfToken={p.csrfToken} />
        )}
      </section>
      {isCurrent ? null : (
        <section class="panel" aria-labelledby="version-diff-heading">
          <h2 id="version-diff-heading">{p.diff.against ? `Against the version in force (v${p.diff.against})` : 'Changes'}</h2>
          {p.diff.same ? <p class="muted">Same as the version in force.</p> : <DiffView lines={p.diff.lines} caption={`v${row.version} against v${p.diff.against ?? '—'}`} />}
        </section>
      )}
      {p.children}
      <section class="panel" aria-labelledby="version-json-heading">
        <h2 id="version-json-heading">JSON</h2>
        <pre class="code-block" tabindex={0}>
          {p.json}
        </pre>
      </section>
    </ManagePage>
  );
}
