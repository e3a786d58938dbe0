/**
 * Rules as code: the published definitions are written to and read from the definition
 * folders (`rules/<name>.json`, `rules/sla.json`, `workflows/<name>.json`) in one canonical
 * format (2-space JSON), so changes can be reviewed in git. Export then import changes
 * nothing; import publishes a new version only for files that differ from what is in force,
 * all in one transaction after every file validated.
 */
import fs from 'node:fs';
import path from 'node:path';
import { transaction } from '../db/client.js';
import type { DefinitionKind } from '../db/schema/index.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { canonicalJson, sameDefinition } from './diff.js';
import { loadDefinitionFiles, SLA_FILE } from './files.js';
import { SLA_CONFIG_NAME } from './registry.js';

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

export function exportDefinitions(services: Services, folders: Folders): FileChange[] {
  fs.mkdirSync(folders.rulesDir, { recursive: true });
  fs.mkdirSync(folders.workflowsDir, { recursive: true });
  return targets(services, folders).map(({ kind, name, file }) => {
    const version = services.definitions.publishedVersion(kind, name)!;
    const text = canonicalJson(services.definitions.version(kind, name, version)!.body);
    const changed = !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text;
    if (changed) fs.writeFileSync(file, text);
    return { kind, name, file, changed, version };
  });
}

export function importDefinitions(services: Services, folders: Folders, actor: Actor): FileChange[] {
  const files = loadDefinitionFiles({ ...folders, actions: services.actions });
  const entries: { kind: DefinitionKind; name: string; file: string; body: unknown }[] = [
    { kind: 'sla', name: SLA_CONFIG_NAME, file: files.sla.file, body: files.sla.body },
    ...[...files.rulesets.values()].map((f) => ({ kind: 'ruleset' as const, name: f.name, file: f.file, body: f.body })),
    ...[...files.workflows.values()].map((f) => ({ kind: 'workflow' as const, name: f.name, file: f.file, body: f.body })),
  ];
  const now = services.clock.now();
  return transaction(services.db, () =>
    entries.map(({ kind, name, file, body }) => {
      const current = services.definitions.publishedVersion(kind, name);
      const currentBody = current === null ? undefined : services.definitions.version(kind, name, current)!.body;
      if (currentBody !== undefined && sameDefinition(currentBody, body)) return { kind, name, file, changed: false, version: current! };
      const row = services.definitions.createVersion(kind, name, body, {
        state: 'published',
        note: `Imported from ${path.relative(process.cwd(), file) || file}`,
        author: actor.name,
        authorId: actor.type === 'staff' ? actor.id : null,
        now,
      });
      return { kind, name, file, changed: true, version: row.version };
    }),
  );
}
