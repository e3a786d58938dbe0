/**
 * The life of a definition version: save a draft, publish it (with a note and the publish
 * checks), roll back to any earlier version. Versions are immutable: publishing a draft
 * stores its body as a new published version `basedOn` the draft, and a rollback publishes
 * a copy of the older body — so the history always says who did what, when, and why.
 */
import { transaction } from '../db/client.js';
import type { DefinitionKind } from '../db/schema/index.js';
import { DefinitionError, DomainError } from '../errors.js';
import type { RulesetDefinition } from '../rules/definition.js';
import { lintRuleset } from '../rules/lint.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { canonicalJson, diffLines, sameDefinition, type DiffLine } from './diff.js';
import { hasErrors, type DefinitionProblem } from './problems.js';
import type { DefinitionVersionRow } from './registry.js';

const ERROR_CODE = { workflow: 'INVALID_WORKFLOW', ruleset: 'INVALID_RULESET', sla: 'INVALID_SLA_CONFIG' } as const;

function authorOf(actor: Actor) {
  return { author: actor.name, authorId: actor.type === 'staff' ? actor.id : null };
}

/** Validation problems plus the publish checks (warnings) for a body. */
export function checkDefinition(services: Services, kind: DefinitionKind, name: string, body: unknown): DefinitionProblem[] {
  const problems = services.definitions.validate(kind, name, body);
  if (kind === 'ruleset' && !hasErrors(problems)) problems.push(...lintRuleset(body as RulesetDefinition));
  return problems;
}

function refuse(kind: DefinitionKind, name: string, problems: DefinitionProblem[]): never {
  const errors = problems.filter((p) => p.severity === 'error').length;
  throw new DefinitionError(ERROR_CODE[kind], `The ${kind} "${name}" has ${errors} problem${errors === 1 ? '' : 's'}.`, problems);
}

export function saveDraft(services: Services, kind: DefinitionKind, name: string, body: unknown, actor: Actor, note = ''): DefinitionVersionRow {
  const problems = services.definitions.validate(kind, name, body);
  if (hasErrors(problems)) refuse(kind, name, problems);
  return transaction(services.db, () =>
    services.definitions.insertVersion(kind, name, body, { state: 'draft', note, ...authorOf(actor), now: services.clock.now() }),
  );
}

export interface PublishResult {
  version: DefinitionVersionRow;
  warnings: DefinitionProblem[];
}

/**
 * The one publish path: runs every check (validation against what exists now, then the
 * publish lint for rulesets) and stores `body` as the new version in force. Refuses with
 * INVALID_RULESET / INVALID_WORKFLOW / INVALID_SLA_CONFIG listing every error; warnings
 * come back with the version. The console (drafts, rollback) and the API all publish here.
 * Runs inside the caller's transaction.
 */
export function publishChecked(services: Services, kind: DefinitionKind, name: string, body: unknown, actor: Actor, note: string, basedOn: number | null = null): PublishResult {
  const problems = checkDefinition(services, kind, name, body);
  if (hasErrors(problems)) refuse(kind, name, problems);
  const version = services.definitions.insertVersion(kind, name, body, { state: 'published', note, basedOn, ...authorOf(actor), now: services.clock.now() });
  return { version, warnings: problems.filter((p) => p.severity === 'warning') };
}

/** Publishes `body` as a new version of kind/name (creating it if new), with every publish check. */
export function publishVersion(services: Services, kind: DefinitionKind, name: string, body: unknown, actor: Actor, note: string): PublishResult {
  return transaction(services.db, () => publishChecked(services, kind, name, body, actor, note, null));
}

/** Publishes a stored draft as a new version; re-validated against what exists now. */
export function publishDraft(services: Services, kind: DefinitionKind, name: string, draftVersion: number, actor: Actor, note: string): PublishResult {
  return transaction(services.db, () => {
    const draft = services.definitions.version(kind, name, draftVersion);
    if (!draft) throw new DomainError('NOT_FOUND', `No version ${draftVersion} of the ${kind} "${name}".`);
    if (draft.state !== 'draft') throw new DomainError('CONFLICT', `Version ${draftVersion} of "${name}" is already published.`);
    return publishChecked(services, kind, name, draft.body, actor, note.trim() || `Published draft v${draftVersion}`, draftVersion);
  });
}

/** Publishes a copy of an earlier version. The rollback is itself a new version. */
export function rollbackTo(services: Services, kind: DefinitionKind, name: string, targetVersion: number, actor: Actor, note: string): PublishResult {
  return transaction(services.db, () => {
    const target = services.definitions.version(kind, name, targetVersion);
    if (!target) throw new DomainError('NOT_FOUND', `No version ${targetVersion} of the ${kind} "${name}".`);
    return publishChecked(services, kind, name, target.body, actor, note.trim() || `Rolled back to v${targetVersion}`, targetVersion);
  });
}

/** Line diff of a version against the published one (or any other version). */
export function diffVersions(services: Services, kind: DefinitionKind, name: string, version: number, against?: number): { against: number | null; lines: DiffLine[]; same: boolean } {
  const row = services.definitions.version(kind, name, version);
  if (!row) throw new DomainError('NOT_FOUND', `No version ${version} of the ${kind} "${name}".`);
  const base = against ?? services.definitions.publishedVersion(kind, name);
  const baseRow = base === null ? undefined : services.definitions.version(kind, name, base);
  const lines = diffLines(baseRow ? canonicalJson(baseRow.body) : '', canonicalJson(row.body));
  return { against: base, lines, same: baseRow !== undefined && sameDefinition(baseRow.body, row.body) };
}
