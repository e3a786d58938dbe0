/**
 * Definitions in force: every version of every workflow, ruleset and SLA config lives in
 * `definition_versions`; this registry validates new versions before they are stored and
 * hands out compiled definitions, cached per version (one rules engine per ruleset
 * version). Which version is published is cached too, and forgotten when this process
 * publishes one (at once, and again when that transaction ends, committed or not) or when
 * another process has written to the database (`PRAGMA data_version` changes, checked on each
 * use: a fraction of a microsecond inside a transaction), so a version published by another
 * process (e.g. `npm run rules:import`) still takes effect at once.
 */
import { and, asc, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { definitionVersions, queues, type DefinitionKind, type DefinitionState, type ExamplesOverride } from '../db/schema/index.js';
import { DefinitionError, DomainError } from '../errors.js';
import { prepareRuleset } from '../rules/compile.js';
import type { CompiledRuleset } from '../rules/engine.js';
import { enabledRules, validateRuleset, type RuleJson } from '../rules/definition.js';
import { compileSlaConfig, validateSlaConfig, type SlaConfig, type SlaConfigJson } from '../sla/config.js';
import type { WorkflowDefinition } from '../workflow/definition.js';
import type { ActionRegistry } from '../workflow/registry.js';
import { validateWorkflow } from '../workflow/validate.js';
import { hasErrors, problem, type DefinitionProblem } from './problems.js';

export const SLA_CONFIG_NAME = 'sla';

export type DefinitionVersionRow = typeof definitionVersions.$inferSelect;

export interface NewVersionOptions {
  state: DefinitionState;
  note?: string;
  author?: string;
  authorId?: number | null;
  basedOn?: number | null;
  /** A publish over failing examples: who said why (rulesets). */
  examplesOverride?: ExamplesOverride | null;
  now: number;
}

const ERROR_CODE = { workflow: 'INVALID_WORKFLOW', ruleset: 'INVALID_RULESET', sla: 'INVALID_SLA_CONFIG' } as const;
const NOT_FOUND = { workflow: 'WORKFLOW_NOT_FOUND', ruleset: 'RULESET_NOT_FOUND', sla: 'NOT_FOUND' } as const;

/** A stored ruleset version that no longer passes validation: it is never run. */
export interface RefusedRuleset {
  name: string;
  version: number;
  problems: DefinitionProblem[];
}

/** What start-up logs about a refused version: which one, and every problem with its JSON path. */
export function describeRefusedRuleset(refused: RefusedRuleset): { msg: string; problems: string[] } {
  return {
    msg: `The ruleset "${refused.name}" v${refused.version} (the published version) is no longer valid and will not run until a valid version is published`,
    problems: refused.problems.filter((p) => p.severity === 'error').map((p) => `${p.path}: ${p.message}`),
  };
}

/** Thrown when a refused ruleset version is asked for; the rules that would run are none. */
export class RefusedRulesetError extends DefinitionError {
  constructor(readonly refused: RefusedRuleset) {
    const errors = refused.problems.filter((p) => p.severity === 'error');
    super(
      'INVALID_RULESET',
      `The ruleset "${refused.name}" v${refused.version} is not run: it is no longer valid (${errors.length} problem${errors.length === 1 ? '' : 's'}; first: ${errors[0]?.path}: ${errors[0]?.message}).`,
      refused.problems,
    );
    this.name = 'RefusedRulesetError';
  }
}

export class Definitions {
  readonly #db: Db;
  readonly #actions: ActionRegistry;
  readonly #workflows = new Map<string, WorkflowDefinition>();
  readonly #rulesets = new Map<string, CompiledRuleset | RefusedRuleset>();
  readonly #sla = new Map<string, SlaConfig>();
  readonly #publishedVersion;
  readonly #body;
  readonly #dataVersion;
  /** Published version by `kind:name`, valid while `#seenDataVersion` is the database's. */
  readonly #published = new Map<string, number | null>();
  #seenDataVersion = -1;
  /** This process published inside a transaction not yet ended: lookups in it bypass the cache. */
  #publishing = false;

  constructor(db: Db, actions: ActionRegistry) {
    this.#db = db;
    this.#actions = actions;
    this.#publishedVersion = db.$client.prepare<[string, string], { version: number }>(
      `SELECT version FROM definition_versions WHERE kind = ? AND name = ? AND state = 'published' ORDER BY version DESC LIMIT 1`,
    );
    this.#dataVersion = db.$client.prepare<[], number>('PRAGMA data_version').pluck();
    this.#body = db.$client.prepare<[string, string, number], { body: string }>(
      `SELECT body FROM definition_versions WHERE kind = ? AND name = ? AND version = ?`,
    );
  }

  get actions(): ActionRegistry {
    return this.#actions;
  }

  publishedVersion(kind: DefinitionKind, name: string): number | null {
    const inTransaction = this.#db.$client.inTransaction;
    if (this.#publishing && !inTransaction) {
      this.#publishing = false;
      this.#published.clear();
    }
    const dataVersion = this.#dataVersion.get()!;
    if (dataVersion !== this.#seenDataVersion) {
      this.#seenDataVersion = dataVersion;
      this.#published.clear();
    }
    const key = `${kind}:${name}`;
    const cached = this.#published.get(key);
    if (cached !== undefined) return cached;
    const version = this.#publishedVersion.get(kind, name)?.version ?? null;
    if (!(this.#publishing && inTransaction)) this.#published.set(key, version);
    return version;
  }

  /** The given (or the published) version of a definition, compiled once and cached. */
  #compiled<T>(cache: Map<string, T>, kind: DefinitionKind, name: string, version: number | undefined, compile: (body: unknown, version: number) => T) {
    const v = version ?? this.publishedVersion(kind, name);
    if (v === null) throw new DomainError(NOT_FOUND[kind], `No published ${kind} named "${name}".`, { name });
    const key = `${name}@${v}`;
    let value = cache.get(key);
    if (value === undefined) {
      const row = this.#body.get(kind, name, v);
      if (!row) throw new DomainError(NOT_FOUND[kind], `No version ${v} of the ${kind} "${name}".`, { name, version: v });
      value = compile(JSON.parse(row.body), v);
      cache.set(key, value);
    }
    return { version: v, value };
  }

  workflow(name: string, version?: number): { version: number; definition: WorkflowDefinition } {
    const { version: v, value } = this.#compiled(this.#workflows, 'workflow', name, version, (body) => body as WorkflowDefinition);
    return { version: v, definition: value };
  }

  /**
   * The given (or the published) version of a ruleset, compiled. A stored version is
   * validated again before it is compiled (rules get stricter over time: a version stored
   * before a check existed must not run around it); one that fails is never compiled and
   * every request for it throws RefusedRulesetError. References (queues, SLA policies) are
   * not re-checked here: they change at run time and are handled when decisions apply.
   */
  ruleset(name: string, version?: number): CompiledRuleset {
    const { value } = this.#compiled(this.#rulesets, 'ruleset', name, version, (body, v) => {
      const result = validateRuleset(body, { queues: null, policies: null }, name);
      // Rules switched off ("enabled": false) stay in the stored body but are not compiled.
      return result.ok ? prepareRuleset(enabledRules(result.definition), v) : { name, version: v, problems: result.problems };
    });
    if (!('engine' in value)) throw new RefusedRulesetError(value);
    return value;
  }

  /** The published version of `name` when it is stored but no longer valid (so not run), else null. */
  refusedRuleset(name: string): RefusedRuleset | null {
    try {
      this.ruleset(name);
      return null;
    } catch (error) {
      if (error instanceof RefusedRulesetError) return error.refused;
      if (error instanceof DomainError && error.code === 'RULESET_NOT_FOUND') return null;
      throw error;
    }
  }

  /** Published ruleset versions that are stored but no longer valid, so not run. */
  refusedRulesets(): RefusedRuleset[] {
    return this.names('ruleset')
      .map((name) => this.refusedRuleset(name))
      .filter((r) => r !== null);
  }

  /** The rules of the published version of a ruleset; none when it is refused. */
  publishedRules(name: string): RuleJson[] {
    try {
      return this.ruleset(name).definition.rules;
    } catch (error) {
      if (error instanceof RefusedRulesetError) return [];
      throw error;
    }
  }

  sla(version?: number): { version: number; config: SlaConfig } {
    const { version: v, value } = this.#compiled(this.#sla, 'sla', SLA_CONFIG_NAME, version, (body) => compileSlaConfig(body));
    return { version: v, config: value };
  }

  /** Names with at least one published version. */
  names(kind: DefinitionKind): string[] {
    return this.#db
      .selectDistinct({ name: definitionVersions.name })
      .from(definitionVersions)
      .where(and(eq(definitionVersions.kind, kind), eq(definitionVersions.state, 'published')))
      .orderBy(asc(definitionVersions.name))
      .all()
      .map((r) => r.name);
  }

  history(kind: DefinitionKind, name: string): DefinitionVersionRow[] {
    return this.#db
      .select()
      .from(definitionVersions)
      .where(and(eq(definitionVersions.kind, kind), eq(definitionVersions.name, name)))
      .orderBy(desc(definitionVersions.version))
      .all();
  }

  version(kind: DefinitionKind, name: string, version: number): DefinitionVersionRow | undefined {
    return this.#db
      .select()
      .from(definitionVersions)
      .where(and(eq(definitionVersions.kind, kind), eq(definitionVersions.name, name), eq(definitionVersions.version, version)))
      .get();
  }

  /** Every problem with `body` as a new version of kind/name, checked against what exists now. */
  validate(kind: DefinitionKind, name: string, body: unknown): DefinitionProblem[] {
    switch (kind) {
      case 'ruleset':
        return validateRuleset(body, { queues: this.queueIds(), policies: this.#policyNames() }, name).problems;
      case 'workflow': {
        const problems = validateWorkflow(body, { actions: this.#actions, rulesets: new Set(this.names('ruleset')) }).problems;
        const named = (body as { workflow?: unknown } | null)?.workflow;
        if (typeof named === 'string' && named !== name) {
          problems.push(problem(['workflow'], `the workflow is named "${named}" but is stored as "${name}"`));
        }
        return problems;
      }
      case 'sla':
        return [...validateSlaConfig(body), ...this.#policiesStillUsed(body)];
    }
  }

  /** Validates and stores a new version. Throws DefinitionError listing every problem. */
  createVersion(kind: DefinitionKind, name: string, body: unknown, options: NewVersionOptions): DefinitionVersionRow {
    const problems = this.validate(kind, name, body);
    if (hasErrors(problems)) {
      throw new DefinitionError(ERROR_CODE[kind], `The ${kind} "${name}" has ${problems.filter((p) => p.severity === 'error').length} problem(s).`, problems);
    }
    return this.insertVersion(kind, name, body, options);
  }

  /** Stores a version without validation: only for bodies validated by the caller. */
  insertVersion(kind: DefinitionKind, name: string, body: unknown, options: NewVersionOptions): DefinitionVersionRow {
    const last = this.#db.$client
      .prepare<[string, string], { v: number | null }>('SELECT max(version) AS v FROM definition_versions WHERE kind = ? AND name = ?')
      .get(kind, name);
    const version = (last?.v ?? 0) + 1;
    if (options.state === 'published') {
      this.#published.delete(`${kind}:${name}`);
      if (this.#db.$client.inTransaction) this.#publishing = true;
    }
    return this.#db
      .insert(definitionVersions)
      .values({
        kind,
        name,
        version,
        state: options.state,
        body,
        note: options.note ?? '',
        author: options.author ?? 'system',
        authorId: options.authorId ?? null,
        basedOn: options.basedOn ?? null,
        examplesOverride: options.examplesOverride ?? null,
        createdAt: options.now,
        publishedAt: options.state === 'published' ? options.now : null,
      })
      .returning()
      .get();
  }

  queueIds(): Set<string> {
    return new Set(this.#db.select({ id: queues.id }).from(queues).where(eq(queues.active, true)).all().map((q) => q.id));
  }

  #policyNames(): Set<string> | null {
    return this.publishedVersion('sla', SLA_CONFIG_NAME) === null ? null : new Set(this.sla().config.policyNames);
  }

  /** A new SLA config must keep every policy the published rulesets apply. */
  #policiesStillUsed(body: unknown): DefinitionProblem[] {
    const policies = (body as SlaConfigJson | null)?.policies;
    if (typeof policies !== 'object' || policies === null) return [];
    const out: DefinitionProblem[] = [];
    for (const name of this.names('ruleset')) {
      this.publishedRules(name).forEach((rule) => {
        const policy = rule.event.type === 'applySlaPolicy' ? (rule.event.params?.policy as string | undefined) : undefined;
        if (policy && !Object.hasOwn(policies, policy)) {
          out.push(problem(['policies'], `the policy "${policy}" is used by the published ruleset "${name}" (rule "${rule.name ?? '?'}")`));
        }
      });
    }
    return out;
  }
}
