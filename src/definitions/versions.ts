/**
 * The life of a definition version: save a draft, publish it (with a note and the publish
 * checks), roll back to any earlier version. Versions are immutable: publishing a draft
 * stores its body as a new published version `basedOn` the draft, and a rollback publishes
 * a copy of the older body — so the history always says who did what, when, and why.
 */
import { and, desc, eq } from 'drizzle-orm';
import { auditIn } from '../audit/record-audit.js';
import type { DefinitionKind } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { DefinitionError, DomainError } from '../errors.js';
import type { ExamplesOverride } from '../db/schema/index.js';
import type { RulesetDefinition } from '../rules/definition.js';
import { runExamples, type ExampleRun } from '../rules/examples.js';
import { lintRuleset } from '../rules/lint.js';
import { lintRulesetOrder } from '../rules/lint-order.js';
import type { KnownValues } from '../rules/lint-values.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { canonicalJson, diffLines, sameDefinition, type DiffLine } from './diff.js';
import { hasErrors, problem, type DefinitionProblem } from './problems.js';
import type { DefinitionVersionRow } from './registry.js';
import { newestVersionIn, versionIn } from './version-rows.js';

const ERROR_CODE = { workflow: 'INVALID_WORKFLOW', ruleset: 'INVALID_RULESET', sla: 'INVALID_SLA_CONFIG' } as const;

function authorOf(actor: Actor) {
  return { author: actor.name, authorId: actor.type === 'staff' ? actor.id : null };
}

/** Validation problems plus the publish checks (warnings) for a body, against what `q` sees. */
export async function checkDefinitionIn(q: Handle, services: Services, kind: DefinitionKind, name: string, body: unknown): Promise<DefinitionProblem[]> {
  const problems = await services.definitions.validate(q, kind, name, body);
  if (kind === 'ruleset' && !hasErrors(problems)) {
    problems.push(...lintRuleset(body as RulesetDefinition, await knownValuesIn(q, services)), ...lintRulesetOrder(services, name, body as RulesetDefinition));
  }
  return problems;
}

/** What a condition may compare a queue or a state with: every queue (active or not), every state of any workflow version. */
async function knownValuesIn(q: Handle, services: Services): Promise<KnownValues> {
  const queues = (await q.db.select({ id: q.tables.queues.id }).from(q.tables.queues)).map((r) => r.id);
  const states = new Set<string>();
  for (const name of services.definitions.names('workflow')) {
    for (const row of services.definitions.history('workflow', name)) {
      const body = row.body as { states?: unknown } | null;
      if (body && typeof body.states === 'object' && body.states !== null) for (const state of Object.keys(body.states)) states.add(state);
    }
  }
  return { queues, states: [...states].sort() };
}

/** Validation problems plus the publish checks (warnings) for a body. */
export function checkDefinition(services: Services, kind: DefinitionKind, name: string, body: unknown): Promise<DefinitionProblem[]> {
  return services.store.query((q) => checkDefinitionIn(q, services, kind, name, body));
}

function refuse(kind: DefinitionKind, name: string, problems: DefinitionProblem[]): never {
  const errors = problems.filter((p) => p.severity === 'error').length;
  throw new DefinitionError(ERROR_CODE[kind], `The ${kind} "${name}" has ${errors} problem${errors === 1 ? '' : 's'}.`, problems);
}

/** The examples of a ruleset body, run (none for other kinds). */
export async function checkExamples(services: Services, kind: DefinitionKind, name: string, body: unknown): Promise<ExampleRun> {
  if (kind !== 'ruleset' || body === null || typeof body !== 'object') return { results: [], passed: 0, failed: 0 };
  return runExamples(services, name, body as RulesetDefinition);
}

/** Publishing over failing examples needs a note saying why; it is stored with the version. */
export interface PublishOptions {
  /** Publish even though examples fail: the reason, recorded (`examples_override`). */
  overrideExamples?: string;
  /** How the audit log names the change (default `published`; a rollback says so). */
  auditAction?: 'published' | 'rolled-back';
  /** Import: the caller runs the examples once every file is stored (importDefinitions), not this publish. */
  examplesLater?: boolean;
}

/** Publishing and rolling back from a page: the version in force the page showed (0: none). */
export interface SeenOptions {
  /** When another version is in force by now, nothing is published (CONFLICT, `staleEditError`). Left out: no check. */
  inForce?: number | null;
}

/** A version as the audit log keeps it. */
export function auditedVersion(row: DefinitionVersionRow) {
  return { version: row.version, state: row.state, note: row.note, basedOn: row.basedOn, body: row.body };
}

/** The version in force before a change (null for a new definition), as `q` sees it. */
export async function definitionInForce(q: Handle, kind: DefinitionKind, name: string) {
  const t = q.tables.definitionVersions;
  const [row] = await q.db
    .select()
    .from(t)
    .where(and(eq(t.kind, kind), eq(t.name, name), eq(t.state, 'published')))
    .orderBy(desc(t.version))
    .limit(1);
  return row ? auditedVersion(row) : null;
}

/** EXAMPLES_FAILED: the examples that failed, each with what differed (a problem per example). */
export function examplesError(name: string, run: ExampleRun, overridable = true): DefinitionError {
  const failed = run.results.filter((r) => !r.passed);
  const problems = failed.map((r) => problem(['examples', r.index], `example "${r.name}" fails: ${r.differences.join('; ')}`));
  const error = new DefinitionError(
    'EXAMPLES_FAILED',
    `${failed.length} of ${run.results.length} example${run.results.length === 1 ? '' : 's'} of the ruleset "${name}" fail${failed.length === 1 ? 's' : ''}: ${failed.map((r) => `"${r.name}" (${r.differences.join('; ')})`).join(', ')}. ${overridable ? 'Change the rules or the examples, or publish with a note overriding them.' : 'Change the rules or the examples in the files (an import cannot override them).'}`,
    problems,
  );
  error.details.examples = failed.map((r) => ({ name: r.name, index: r.index, differences: r.differences }));
  return error;
}

/** `fn` as a write that stores versions; the registry follows once it has ended (committed or not). */
export async function writeDefinitions<T>(services: Services, fn: (q: Handle) => Promise<T>): Promise<T> {
  try {
    return await services.store.write(fn);
  } finally {
    await services.definitions.refresh();
  }
}

/** Who stored a version the person editing did not see, for `StaleEdit`. */
export interface StaleEdit {
  /** The version the page showed: the one an editor started from, or the one in force (0: none). */
  seen: number;
  /** Which of the two `seen` is. */
  seenAs: 'started from' | 'in force';
  version: number;
  state: 'draft' | 'published';
  author: string;
  at: number;
}

const KIND_WORD: Record<DefinitionKind, string> = { ruleset: 'ruleset', workflow: 'workflow', sla: 'SLA configuration' };

function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * CONFLICT (`details.stale`): someone stored a version after the page this change comes from
 * was drawn. Two managers editing at once would otherwise drop each other's work without a
 * word: a later draft hides an earlier one, and a draft published over a newer version in
 * force takes that version's changes back out.
 */
export function staleEditError(kind: DefinitionKind, name: string, stale: StaleEdit, what: string): DomainError {
  const did = stale.state === 'published' ? 'published' : 'saved';
  return new DomainError(
    'CONFLICT',
    `${stale.author} ${did} v${stale.version} of the ${KIND_WORD[kind]} "${name}" on ${utc(stale.at)}, ${stale.seenAs === 'started from' ? `after this page started from v${stale.seen}` : stale.seen === 0 ? 'after this page showed nothing in force' : `after this page showed v${stale.seen} in force`}. ${what}`,
    { stale },
  );
}

/** The newer version, if someone stored one after `from` (the version an editor started from). */
async function newerThan(q: Handle, kind: DefinitionKind, name: string, from: number): Promise<StaleEdit | null> {
  const newest = await newestVersionIn(q, kind, name);
  if (!newest || newest.version <= from) return null;
  return { seen: from, seenAs: 'started from', version: newest.version, state: newest.state, author: newest.author, at: newest.createdAt };
}

/** The version in force, if it is not `seen` (0: none was) any more. */
async function inForceIfNot(q: Handle, kind: DefinitionKind, name: string, seen: number): Promise<StaleEdit | null> {
  const current = await definitionInForce(q, kind, name);
  if ((current?.version ?? 0) === seen || !current) return null;
  const row = await versionIn(q, kind, name, current.version);
  return { seen, seenAs: 'in force', version: current.version, state: 'published', author: row?.author ?? 'someone', at: row?.publishedAt ?? row?.createdAt ?? 0 };
}

export interface SaveDraftOptions {
  /**
   * The version the text or forms started from (the page's "started from version N"): when a
   * newer version exists by now, nothing is stored (CONFLICT, `staleEditError`). Left out: no check.
   */
  from?: number | null;
}

export function saveDraft(services: Services, kind: DefinitionKind, name: string, body: unknown, actor: Actor, note = '', options: SaveDraftOptions = {}): Promise<DefinitionVersionRow> {
  return writeDefinitions(services, async (q) => {
    const problems = await services.definitions.validate(q, kind, name, body);
    if (hasErrors(problems)) refuse(kind, name, problems);
    if (options.from !== undefined && options.from !== null) {
      const stale = await newerThan(q, kind, name, options.from);
      if (stale) throw staleEditError(kind, name, stale, 'Your changes were not saved, so as not to hide theirs: they are still here. Look at theirs, then save again to keep yours as the newest draft.');
    }
    const before = await definitionInForce(q, kind, name);
    const row = await services.definitions.insertVersion(q, kind, name, body, { state: 'draft', note, ...authorOf(actor), now: services.clock.now() });
    await auditIn(q, services.clock, actor, 'definition', `${kind}/${name}`, 'draft-saved', before, auditedVersion(row));
    return row;
  });
}

export interface PublishResult {
  version: DefinitionVersionRow;
  warnings: DefinitionProblem[];
  /** The examples run before publishing (rulesets). */
  examples: ExampleRun;
}

/**
 * The one publish path: runs every check (validation against what exists now, then the
 * publish lint for rulesets) and stores `body` as the new version in force. Refuses with
 * INVALID_RULESET / INVALID_WORKFLOW / INVALID_SLA_CONFIG listing every error; warnings
 * come back with the version. The console (drafts, rollback) and the API all publish here.
 * Runs inside the caller's transaction (`q`); the caller refreshes the registry after it.
 */
export async function publishChecked(q: Handle, services: Services, kind: DefinitionKind, name: string, body: unknown, actor: Actor, note: string, basedOn: number | null = null, options: PublishOptions = {}): Promise<PublishResult> {
  const problems = await checkDefinitionIn(q, services, kind, name, body);
  if (hasErrors(problems)) refuse(kind, name, problems);
  const examples = options.examplesLater ? { results: [], passed: 0, failed: 0 } : await checkExamples(services, kind, name, body);
  let examplesOverride: ExamplesOverride | null = null;
  if (examples.failed > 0) {
    const reason = options.overrideExamples?.trim() ?? '';
    if (reason === '') throw examplesError(name, examples);
    examplesOverride = { note: reason.slice(0, 2000), failed: examples.results.filter((r) => !r.passed).map((r) => ({ name: r.name, differences: r.differences })) };
  }
  const before = await definitionInForce(q, kind, name);
  const version = await services.definitions.insertVersion(q, kind, name, body, { state: 'published', note, basedOn, examplesOverride, ...authorOf(actor), now: services.clock.now() });
  await auditIn(q, services.clock, actor, 'definition', `${kind}/${name}`, options.auditAction ?? 'published', before, auditedVersion(version));
  return { version, warnings: problems.filter((p) => p.severity === 'warning'), examples };
}

/** Publishes `body` as a new version of kind/name (creating it if new), with every publish check. */
export function publishVersion(services: Services, kind: DefinitionKind, name: string, body: unknown, actor: Actor, note: string, options: PublishOptions = {}): Promise<PublishResult> {
  return writeDefinitions(services, (q) => publishChecked(q, services, kind, name, body, actor, note, null, options));
}

/** Publishes a stored draft as a new version; re-validated against what exists now. */
export function publishDraft(services: Services, kind: DefinitionKind, name: string, draftVersion: number, actor: Actor, note: string, options: PublishOptions & SeenOptions = {}): Promise<PublishResult> {
  return writeDefinitions(services, async (q) => {
    const draft = await versionIn(q, kind, name, draftVersion);
    if (!draft) throw new DomainError('NOT_FOUND', `No version ${draftVersion} of the ${kind} "${name}".`);
    if (draft.state !== 'draft') throw new DomainError('CONFLICT', `Version ${draftVersion} of "${name}" is already published.`);
    await refuseIfInForceChanged(q, kind, name, options.inForce, `Draft v${draftVersion} was not published: compare it with v{version} first — publishing it as it is would take out what v{version} changed.`);
    return publishChecked(q, services, kind, name, draft.body, actor, note.trim() || `Published draft v${draftVersion}`, draftVersion, options);
  });
}

async function refuseIfInForceChanged(q: Handle, kind: DefinitionKind, name: string, seen: number | null | undefined, what: string): Promise<void> {
  if (seen === undefined || seen === null) return;
  const stale = await inForceIfNot(q, kind, name, seen);
  if (stale) throw staleEditError(kind, name, stale, what.replaceAll('{version}', String(stale.version)));
}

/** Publishes a copy of an earlier version. The rollback is itself a new version. */
export function rollbackTo(services: Services, kind: DefinitionKind, name: string, targetVersion: number, actor: Actor, note: string, options: PublishOptions & SeenOptions = {}): Promise<PublishResult> {
  return writeDefinitions(services, async (q) => {
    const target = await versionIn(q, kind, name, targetVersion);
    if (!target) throw new DomainError('NOT_FOUND', `No version ${targetVersion} of the ${kind} "${name}".`);
    await refuseIfInForceChanged(q, kind, name, options.inForce, `Nothing was rolled back: v{version} is in force now, and rolling back to v${targetVersion} would undo it too. Check the history, then roll back again if that is still what you want.`);
    return publishChecked(q, services, kind, name, target.body, actor, note.trim() || `Rolled back to v${targetVersion}`, targetVersion, { ...options, auditAction: 'rolled-back' });
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
