/**
 * Rules as code: the published definitions are written to and read from the definition
 * folders (`rules/<name>.json`, `rules/sla.json`, `workflows/<name>.json`) in one canonical
 * format (2-space JSON), so changes can be reviewed in git. Export then import changes
 * nothing; import publishes a new version only for files that differ from what is in force,
 * all in one transaction after every file validated.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeFolder } from '../db/make-folder.js';
import type { DefinitionKind } from '../db/schema/index.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { DefinitionError } from '../errors.js';
import { rulesetNameProblem } from '../rules/definition.js';
import { canonicalJson, sameDefinition } from './diff.js';
import { problem } from './problems.js';
import { EXAMPLES_SUFFIX, loadDefinitionFiles, SLA_FILE } from './files.js';
import { SLA_CONFIG_NAME } from './registry.js';
import { checkExamples, definitionInForce, examplesError, publishChecked, writeDefinitions } from './versions.js';

export interface Folders {
  workflowsDir: string;
  rulesDir: string;
}

export interface FileChange {
  kind: DefinitionKind;
  name: string;
  file: string;
  /** Export: the file's content changed. Import: a new version was published. */
  changed: boolean;
  version: number;
}

function targets(services: Services, folders: Folders): { kind: DefinitionKind; name: string; file: string }[] {
  const { definitions } = services;
  return [
    { kind: 'sla' as const, name: SLA_CONFIG_NAME, file: path.join(folders.rulesDir, SLA_FILE) },
    ...definitions.names('ruleset').map((name) => ({ kind: 'ruleset' as const, name, file: path.join(folders.rulesDir, `${name}.json`) })),
    ...definitions.names('workflow').map((name) => ({ kind: 'workflow' as const, name, file: path.join(folders.workflowsDir, `${name}.json`) })),
  ];
}

/** A definition's name as a file name: short, and nothing a path could be made of. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Why a target cannot be written, or null: its name cannot be a file name, another target
 * already writes its file, or (a ruleset) its version in force is refused, which start-up
 * would refuse too.
 */
function unexportable(services: Services, target: { kind: DefinitionKind; name: string; file: string }, files: Map<string, string>): string | null {
  const label = `${target.kind} "${target.name.slice(0, 80)}${target.name.length > 80 ? '…' : ''}"`;
  if (target.kind === 'ruleset') {
    const problem = rulesetNameProblem(target.name);
    if (problem !== null) return `${label}: ${problem}`;
    const refused = services.definitions.refusedRuleset(target.name);
    if (refused) return `${label}: v${refused.version}, the version in force, is no longer valid (${refused.problems[0]?.path}: ${refused.problems[0]?.message}); publish a valid version first`;
  } else if (target.kind !== 'sla' && !FILE_NAME.test(target.name)) {
    return `${label}: a name written to a file is 1 to 64 letters, digits, "-" and "_"`;
  }
  const other = files.get(target.file);
  if (other !== undefined) return `${label}: ${other} is written to the same file ${path.basename(target.file)}`;
  files.set(target.file, label);
  return null;
}

/**
 * Writes the published version of every definition to its file. All or nothing: every name
 * is checked first, every changed file is written to a temporary file beside it, and only
 * then are they renamed over the old files (a rename is atomic), so a failure half-way never
 * leaves a mix of old and new files — or a file the server cannot start with.
 */
export async function exportDefinitions(services: Services, folders: Folders): Promise<FileChange[]> {
  await services.definitions.refresh(); // what is committed now (another instance may have published)
  const all = targets(services, folders);
  const files = new Map<string, string>();
  const refused = all.map((t) => unexportable(services, t, files)).filter((p) => p !== null);
  if (refused.length > 0) {
    throw new DefinitionError('INVALID_RULESET', `Nothing was exported: ${refused.length} definition${refused.length === 1 ? '' : 's'} cannot be written to a file.`, refused.map((message) => problem([], message)));
  }
  // Not mkdirSync's `recursive`: it loops for ever on a folder under /proc (make-folder.ts).
  makeFolder(folders.rulesDir);
  makeFolder(folders.workflowsDir);
  const planned = all.flatMap(({ kind, name, file }) => {
    const version = services.definitions.publishedVersion(kind, name)!;
    const body = services.definitions.version(kind, name, version)!.body;
    const files = kind === 'ruleset' ? rulesetFiles(name, file, body) : [{ kind, name, file, text: canonicalJson(body) as string | null }];
    return files.filter((f) => f.text !== null || fs.existsSync(f.file)).map((f) => ({ ...f, version, changed: f.text === null ? fs.existsSync(f.file) : !fs.existsSync(f.file) || fs.readFileSync(f.file, 'utf8') !== f.text }));
  });
  const written: string[] = [];
  try {
    for (const p of planned) {
      if (!p.changed || p.text === null) continue;
      const temp = path.join(path.dirname(p.file), `.${path.basename(p.file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
      written.push(temp);
      fs.writeFileSync(temp, p.text, { flag: 'wx' });
    }
  } catch (error) {
    for (const temp of written) fs.rmSync(temp, { force: true });
    throw error;
  }
  let next = 0;
  for (const p of planned) {
    if (!p.changed) continue;
    if (p.text === null) fs.rmSync(p.file, { force: true });
    else fs.renameSync(written[next++]!, p.file);
  }
  return planned.map(({ kind, name, file, changed, version }) => ({ kind, name, file, changed, version }));
}

/**
 * A ruleset is written as two files: `<name>.json` (the rules, json-rules-engine's format)
 * and `<name>.examples.json` (its examples), or no examples file (text null: an old one
 * is removed) when it has none.
 */
function rulesetFiles(name: string, file: string, body: unknown): { kind: DefinitionKind; name: string; file: string; text: string | null }[] {
  const { examples, ...rules } = body as { examples?: unknown[] };
  const examplesFile = path.join(path.dirname(file), `${name}${EXAMPLES_SUFFIX}`);
  return [
    { kind: 'ruleset', name, file, text: canonicalJson(rules) },
    { kind: 'ruleset', name, file: examplesFile, text: Array.isArray(examples) && examples.length > 0 ? canonicalJson({ ruleset: name, examples }) : null },
  ];
}

/** A body as files hold it: no `examples` key when there are none. */
function withoutEmptyExamples(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || !Array.isArray((body as { examples?: unknown }).examples)) return body;
  const { examples, ...rest } = body as { examples: unknown[] };
  return examples.length === 0 ? rest : body;
}

export async function importDefinitions(services: Services, folders: Folders, actor: Actor): Promise<FileChange[]> {
  const files = loadDefinitionFiles({ ...folders, actions: services.actions });
  const entries: { kind: DefinitionKind; name: string; file: string; body: unknown }[] = [
    { kind: 'sla', name: SLA_CONFIG_NAME, file: files.sla.file, body: files.sla.body },
    ...[...files.rulesets.values()].map((f) => ({ kind: 'ruleset' as const, name: f.name, file: f.file, body: f.body })),
    ...[...files.workflows.values()].map((f) => ({ kind: 'workflow' as const, name: f.name, file: f.file, body: f.body })),
  ];
  return writeDefinitions(services, async (q) => {
    const changes: FileChange[] = [];
    const rulesets: { name: string; body: unknown }[] = [];
    for (const { kind, name, file, body } of entries) {
      const current = await definitionInForce(q, kind, name);
      if (current !== null && sameDefinition(withoutEmptyExamples(current.body), body)) {
        changes.push({ kind, name, file, changed: false, version: current.version });
        continue;
      }
      const { version } = await publishChecked(q, services, kind, name, body, actor, `Imported from ${path.relative(process.cwd(), file) || file}`, null, { examplesLater: true });
      changes.push({ kind, name, file, changed: true, version: version.version });
      if (kind === 'ruleset') rulesets.push({ name, body });
    }
    // An example expects the whole intake: it runs with every file of the import in force (the
    // workflow's triggers, the other rulesets, the SLA configuration), not with what was in force
    // before, whatever order the files are stored in. Imports have no override.
    if (rulesets.length > 0) await services.definitions.refresh(); // PostgreSQL: the registry sees this transaction's versions
    for (const { name, body } of rulesets) {
      const run = await checkExamples(services, 'ruleset', name, body);
      if (run.failed > 0) throw examplesError(name, run, false);
    }
    return changes;
  });
}
