/**
 * Reads the definition folders (`workflows/`, `rules/`) and validates every file before
 * anything else happens. Used at start-up (fail fast, before the database is touched),
 * by `rules:import`, and by the test that loads every shipped file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ActionRegistry } from '../workflow/registry.js';
import { validateWorkflow } from '../workflow/validate.js';
import type { WorkflowDefinition } from '../workflow/definition.js';
import { validateRuleset, type RulesetDefinition } from '../rules/definition.js';
import { validateExamples, type RuleExample } from '../rules/example-format.js';
import { validateSlaConfig, type SlaConfigJson } from '../sla/config.js';
import { escalationTargetProblems } from './escalation-target.js';
import { parseDefinitionJson } from './parse-json.js';
import { formatProblems, hasErrors, problem, type DefinitionProblem, type PathSegment } from './problems.js';

export const SLA_FILE = 'sla.json';

export interface DefinitionFile<T> {
  file: string;
  name: string;
  body: T;
  warnings: DefinitionProblem[];
}

export interface DefinitionFiles {
  workflows: Map<string, DefinitionFile<WorkflowDefinition>>;
  rulesets: Map<string, DefinitionFile<RulesetDefinition>>;
  sla: DefinitionFile<SlaConfigJson>;
}

/** A definition file that cannot be used: names the file and every problem's JSON path. */
export class DefinitionFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: DefinitionProblem[],
  ) {
    super(formatProblems(file, problems));
    this.name = 'DefinitionFileError';
  }
}

/** Parses a definition file: a syntax error (with line and column) or a key twice in one object (with its JSON path) refuses it. */
export function parseJsonFile(file: string, text: string): unknown {
  const parsed = parseDefinitionJson(text);
  if (!parsed.ok) throw new DefinitionFileError(file, parsed.problems);
  return parsed.value;
}

/** A ruleset's examples live beside it: `rules/<name>.examples.json`. */
export const EXAMPLES_SUFFIX = '.examples.json';

/** The examples file of ruleset `name`: `{ "ruleset": name, "examples": [...] }`, validated. */
function readExamplesFile(file: string, name: string): RuleExample[] {
  const json = readJson(file);
  const problems: DefinitionProblem[] = [];
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DefinitionFileError(file, [problem([], 'an examples file is an object { "ruleset": name, "examples": [...] }')]);
  }
  const doc = json as Record<string, unknown>;
  for (const key of Object.keys(doc)) if (!['ruleset', 'examples', '$schema'].includes(key)) problems.push(problem([key], `unknown key "${key}"`));
  if (doc.ruleset !== name) problems.push(problem(['ruleset'], `must be "${name}", the ruleset these examples belong to`));
  validateExamples(doc.examples, ['examples'], problems);
  if (hasErrors(problems)) throw new DefinitionFileError(file, problems);
  return doc.examples as RuleExample[];
}

function readJson(file: string): unknown {
  return parseJsonFile(file, fs.readFileSync(file, 'utf8'));
}

function jsonFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(dir, f));
}

export interface LoadDefinitionFilesOptions {
  workflowsDir: string;
  rulesDir: string;
  actions: ActionRegistry;
}

/** Loads and validates every definition file; throws DefinitionFileError on the first bad file. */
export function loadDefinitionFiles(options: LoadDefinitionFilesOptions): DefinitionFiles {
  const slaPath = path.join(options.rulesDir, SLA_FILE);
  if (!fs.existsSync(slaPath)) {
    throw new DefinitionFileError(slaPath, [problem([], 'missing: SLA calendars and policies are read from this file')]);
  }
  const slaJson = readJson(slaPath);
  const slaProblems = validateSlaConfig(slaJson);
  if (hasErrors(slaProblems)) throw new DefinitionFileError(slaPath, slaProblems);
  const sla: DefinitionFile<SlaConfigJson> = { file: slaPath, name: 'sla', body: slaJson as SlaConfigJson, warnings: slaProblems };
  const policies = new Set(Object.keys(sla.body.policies));

  const rulesets = new Map<string, DefinitionFile<RulesetDefinition>>();
  const files = jsonFiles(options.rulesDir);
  for (const file of files) {
    if (path.basename(file) === SLA_FILE || file.endsWith(EXAMPLES_SUFFIX)) continue;
    const name = path.basename(file, '.json');
    const json = readJson(file);
    const examplesFile = path.join(options.rulesDir, `${name}${EXAMPLES_SUFFIX}`);
    const examples = files.includes(examplesFile) ? readExamplesFile(examplesFile, name) : undefined;
    if (examples !== undefined && typeof json === 'object' && json !== null && Object.hasOwn(json, 'examples')) {
      throw new DefinitionFileError(file, [problem(['examples'], `the examples are in ${path.basename(examplesFile)}: keep them in one place`)]);
    }
    // A file is already written (by hand or by an export of a version in force): what json-rules-engine runs as written is not refused here (definition.ts, `stored`); importing it publishes it through every check.
    const result = validateRuleset(json, { queues: null, policies, stored: true }, name);
    if (!result.ok) throw new DefinitionFileError(file, result.problems);
    const body = examples === undefined ? result.definition : { ...result.definition, examples };
    rulesets.set(name, { file, name, body, warnings: result.problems });
  }
  for (const file of files) {
    if (!file.endsWith(EXAMPLES_SUFFIX)) continue;
    const name = path.basename(file).slice(0, -EXAMPLES_SUFFIX.length);
    if (!rulesets.has(name)) throw new DefinitionFileError(file, [problem([], `examples of a ruleset "${name}" that has no file ${name}.json`)]);
  }

  const workflows = new Map<string, DefinitionFile<WorkflowDefinition>>();
  const workflowFiles = jsonFiles(options.workflowsDir);
  if (workflowFiles.length === 0) {
    throw new DefinitionFileError(options.workflowsDir, [problem([], 'no workflow definitions (*.json) found')]);
  }
  for (const file of workflowFiles) {
    const name = path.basename(file, '.json');
    // Queues are not checked here, as for rulesets: a new database gets the queues the files name (seed-definitions.ts).
    const result = validateWorkflow(readJson(file), { actions: options.actions, rulesets: new Set(rulesets.keys()), queues: null });
    if (!result.ok) throw new DefinitionFileError(file, result.problems);
    if (result.definition.workflow !== name) {
      throw new DefinitionFileError(file, [problem(['workflow'], `the workflow is named "${result.definition.workflow}" but the file is ${name}.json`)]);
    }
    workflows.set(name, { file, name, body: result.definition, warnings: result.problems });
  }
  return { workflows, rulesets, sla };
}

/** An `escalate` in a file: its tier and queue, and the JSON path its problems are reported at (as saving reports them). */
interface FileEscalation {
  tier: number;
  queue: string | undefined;
  at: PathSegment[];
}

function rulesetEscalations(body: RulesetDefinition): FileEscalation[] {
  return body.rules.flatMap((rule, i) => {
    const params = rule.event.params as { tier?: unknown; queue?: unknown } | undefined;
    if (rule.event.type !== 'escalate' || typeof params?.tier !== 'number') return [];
    return [{ tier: params.tier, queue: typeof params.queue === 'string' ? params.queue : undefined, at: ['rules', i, 'event', 'params'] }];
  });
}

function workflowEscalations(body: WorkflowDefinition): FileEscalation[] {
  const lists: [PathSegment[], readonly { action: string; [key: string]: unknown }[] | undefined][] = [
    ...Object.entries(body.states).flatMap(([name, state]): [PathSegment[], typeof state.onEnter][] => [
      [['states', name, 'onEnter'], state.onEnter],
      [['states', name, 'onExit'], state.onExit],
    ]),
    ...Object.entries(body.transitions).map(([name, t]): [PathSegment[], typeof t.actions] => [['transitions', name, 'actions'], t.actions]),
  ];
  return lists.flatMap(([at, calls]) =>
    (calls ?? []).flatMap((call, i) => (call.action === 'escalate' && typeof call.tier === 'number' ? [{ tier: call.tier, queue: typeof call.queue === 'string' ? call.queue : undefined, at: [...at, i] }] : [])),
  );
}

/**
 * The escalation targets of the files checked against the queues, as a version saved through
 * the API or the console is (escalation-target.ts, the same messages and JSON paths): `tiers`
 * are the active queues' tiers as the database has them once the files' queues are seeded, and
 * `seeded` says which files become stored versions (a database that has a version of a
 * definition keeps it and never reads its file again). Throws DefinitionFileError for the
 * first file refused, as loading does for any other problem.
 */
export function refuseEscalationsAgainstQueues(files: DefinitionFiles, tiers: ReadonlyMap<string, number>, seeded: (kind: 'ruleset' | 'workflow', name: string) => boolean): void {
  const check = (file: string, escalations: FileEscalation[]) => {
    const problems = escalations.flatMap((e) => escalationTargetProblems(e.tier, e.queue, tiers, e.at));
    if (hasErrors(problems)) throw new DefinitionFileError(file, problems);
  };
  for (const r of files.rulesets.values()) if (seeded('ruleset', r.name)) check(r.file, rulesetEscalations(r.body));
  for (const w of files.workflows.values()) if (seeded('workflow', w.name)) check(w.file, workflowEscalations(w.body));
}
