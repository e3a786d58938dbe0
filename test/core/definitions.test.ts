import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DefinitionFileError, loadDefinitionFiles } from '../../src/definitions/files.js';
import { builtinActions } from '../../src/compose.js';
import { ROOT, loadRepoDefinitions, tempDir } from '../support/harness.js';
import { builtServerArgs } from '../support/server.js';

/** A copy of the shipped definitions in a temp folder, to break on purpose. */
function copyDefinitions(): { workflowsDir: string; rulesDir: string } {
  const dir = tempDir();
  const workflowsDir = path.join(dir, 'workflows');
  const rulesDir = path.join(dir, 'rules');
  fs.cpSync(path.join(ROOT, 'workflows'), workflowsDir, { recursive: true });
  fs.cpSync(path.join(ROOT, 'rules'), rulesDir, { recursive: true });
  return { workflowsDir, rulesDir };
}

function edit(file: string, change: (json: any) => void): void {
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  change(json);
  fs.writeFileSync(file, JSON.stringify(json, null, 2));
}

describe('the shipped definition files', () => {
  it('all load through the production loaders without errors or warnings', () => {
    const files = loadRepoDefinitions();
    expect([...files.workflows.keys()]).toEqual(['support']);
    expect([...files.rulesets.keys()].sort()).toEqual(['escalation', 'routing']);
    const warnings = [...files.workflows.values(), ...files.rulesets.values(), files.sla].flatMap((f) => f.warnings);
    expect(warnings).toEqual([]);
  });
});

describe('loadDefinitionFiles', () => {
  const load = (dirs: { workflowsDir: string; rulesDir: string }) => loadDefinitionFiles({ ...dirs, actions: builtinActions() });

  it.each([
    ['a ruleset with an unknown operator', (d: ReturnType<typeof copyDefinitions>) => edit(path.join(d.rulesDir, 'routing.json'), (j) => (j.rules[1].conditions.any[0].operator = 'like')), 'routing.json', '$.rules[1].conditions.any[0].operator'],
    ['a ruleset naming a missing SLA policy', (d: ReturnType<typeof copyDefinitions>) => edit(path.join(d.rulesDir, 'routing.json'), (j) => (j.rules[4].event.params.policy = 'gold')), 'routing.json', '$.rules[4].event.params.policy'],
    ['a workflow with an unknown state', (d: ReturnType<typeof copyDefinitions>) => edit(path.join(d.workflowsDir, 'support.json'), (j) => (j.transitions.resolve.to = 'done')), 'support.json', '$.transitions.resolve.to'],
    ['a workflow naming a missing ruleset', (d: ReturnType<typeof copyDefinitions>) => edit(path.join(d.workflowsDir, 'support.json'), (j) => (j.triggers['case.created'] = ['routing', 'triage'])), 'support.json', '$.triggers["case.created"][1]'],
    ['an SLA config with a bad duration', (d: ReturnType<typeof copyDefinitions>) => edit(path.join(d.rulesDir, 'sla.json'), (j) => (j.policies.standard.targets.urgent.firstResponse = 'soon')), 'sla.json', '$.policies.standard.targets.urgent.firstResponse'],
    ['a workflow timer longer than a year', (d: ReturnType<typeof copyDefinitions>) => edit(path.join(d.workflowsDir, 'support.json'), (j) => (j.states.resolved.timers[0].after = '1000000000000m')), 'support.json', '$.states.resolved.timers[0].after: "1000000000000m" is too long: a state timer waits at most 365d (8760h)'],
    ['an SLA target longer than 2000h', (d: ReturnType<typeof copyDefinitions>) => edit(path.join(d.rulesDir, 'sla.json'), (j) => (j.policies.standard.targets.low.resolution = '1000000000000m')), 'sla.json', '$.policies.standard.targets.low.resolution: "1000000000000m" is too long (at most 2000h)'],
    ['an SLA warning longer than 2000h', (d: ReturnType<typeof copyDefinitions>) => edit(path.join(d.rulesDir, 'sla.json'), (j) => (j.policies.premium.warnBefore = '99999999h')), 'sla.json', '$.policies.premium.warnBefore'],
  ])('refuses %s, naming the file and the JSON path', (_name, breakIt, file, jsonPath) => {
    const dirs = copyDefinitions();
    breakIt(dirs);
    let error: unknown;
    try {
      load(dirs);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DefinitionFileError);
    expect((error as DefinitionFileError).file.endsWith(file)).toBe(true);
    expect((error as Error).message).toContain(jsonPath);
  });

  /** Adds `extra` (a member written again, as a copy-paste without renaming would) right after the text `after` in the file. */
  const insertAfter = (file: string, after: string, extra: string) => {
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain(after);
    fs.writeFileSync(file, text.replace(after, `${after}${extra}`));
  };

  it.each([
    [
      'a workflow with a transition twice',
      (d: ReturnType<typeof copyDefinitions>) => insertAfter(path.join(d.workflowsDir, 'support.json'), '"transitions": {', '\n    "resolve": { "label": "Resolve (tier 2)", "from": ["escalated"], "to": "resolved", "roles": ["advanced"], "requires": ["solution"] },'),
      'support.json',
      'error at $.transitions.resolve: duplicate key "resolve" (lines',
    ],
    ['a workflow with a state twice', (d: ReturnType<typeof copyDefinitions>) => insertAfter(path.join(d.workflowsDir, 'support.json'), '"states": {', '\n    "open": { "label": "Open", "customerLabel": "In progress", "category": "closed" },'), 'support.json', 'error at $.states.open: duplicate key "open"'],
    ['a rule with its event twice', (d: ReturnType<typeof copyDefinitions>) => insertAfter(path.join(d.rulesDir, 'routing.json'), '"rules": [\n    {', '\n      "event": { "type": "route", "params": { "queue": "general" } },'), 'routing.json', 'error at $.rules[0].event: duplicate key "event"'],
    ['an SLA config with a calendar twice', (d: ReturnType<typeof copyDefinitions>) => insertAfter(path.join(d.rulesDir, 'sla.json'), '"calendars": {', '\n    "always": { "timezone": "Europe/Berlin", "weekly": "24x7" },'), 'sla.json', 'error at $.calendars.always: duplicate key "always"'],
  ])('refuses %s (JSON.parse would keep one silently), naming the file and the JSON path', (_name, breakIt, file, expected) => {
    const dirs = copyDefinitions();
    breakIt(dirs);
    let error: unknown;
    try {
      load(dirs);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DefinitionFileError);
    expect((error as DefinitionFileError).file.endsWith(file)).toBe(true);
    expect((error as Error).message).toContain(expected);
  });

  it('reports JSON syntax errors with a line and column', () => {
    const dirs = copyDefinitions();
    fs.writeFileSync(path.join(dirs.rulesDir, 'escalation.json'), '{\n  "ruleset": "escalation",\n  "rules": [,]\n}');
    expect(() => load(dirs)).toThrow(/escalation\.json: error at \$: not valid JSON \(line 3, column 13\)/);
  });

  it('names a byte order mark or a no-break space an editor or a paste left in a file, which quoting would not show', () => {
    const dirs = copyDefinitions();
    const file = path.join(dirs.rulesDir, 'escalation.json');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, `\ufeff${text}`);
    expect(() => load(dirs)).toThrow('escalation.json: error at $: not valid JSON (line 1, column 1): expected a value, found a byte order mark (U+FEFF) at the start: save the file as UTF-8 without a BOM');
    fs.writeFileSync(file, text.replace('\n  "rules"', '\n\u00a0 "rules"'));
    expect(() => load(dirs)).toThrow('escalation.json: error at $: not valid JSON (line 4, column 1): expected a property name in double quotes, found a no-break space (U+00A0): JSON allows only ordinary spaces, tabs and line breaks between its parts');
  });
});

// The server as `npm start` runs it (the build in dist/, test/support/server.ts).
describe('start-up with a broken definition', () => {
  it('exits non-zero with the file and JSON path, before creating the database', async () => {
    const dirs = copyDefinitions();
    edit(path.join(dirs.rulesDir, 'routing.json'), (j) => (j.rules[0].event.type = 'teleport'));
    const dbPath = path.join(tempDir(), 'data', 'casebook.db');
    const result = spawnSync(process.execPath, await builtServerArgs(), {
      cwd: ROOT,
      env: { ...process.env, DATABASE_PATH: dbPath, WORKFLOWS_DIR: dirs.workflowsDir, RULES_DIR: dirs.rulesDir, PORT: '0', SEED_DEMO: 'false' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Casebook cannot start');
    expect(result.stderr).toContain(`${path.join(dirs.rulesDir, 'routing.json')}: error at $.rules[0].event.type`);
    expect(fs.existsSync(dbPath)).toBe(false);
    expect(fs.existsSync(path.dirname(dbPath))).toBe(false);
  });
  it('exits non-zero when a file escalates where no queue can take it, with the message saving it gives', async () => {
    const dirs = copyDefinitions();
    let index = -1;
    edit(path.join(dirs.rulesDir, 'escalation.json'), (j) => {
      index = j.rules.findIndex((r: any) => r.event.type === 'escalate');
      j.rules[index].event.params = { tier: 3, reason: 'Needs engineering' };
    });
    const dbPath = path.join(tempDir(), 'casebook.db');
    const result = spawnSync(process.execPath, await builtServerArgs(), {
      cwd: ROOT,
      env: { ...process.env, DATABASE_PATH: dbPath, WORKFLOWS_DIR: dirs.workflowsDir, RULES_DIR: dirs.rulesDir, PORT: '0', SEED_DEMO: 'false' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Casebook cannot start');
    expect(result.stderr).toContain(
      `${path.join(dirs.rulesDir, 'escalation.json')}: error at $.rules[${index}].event.params.tier: no active queue is at tier 3, so this escalation would fail on every case (tiers with active queues: 1, 2); name a queue or another tier`,
    );
  });
});
