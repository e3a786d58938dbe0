/**
 * Definition files seeded at start-up have their escalation targets checked against the queues,
 * as a version saved through the API is: the same message and JSON path, and nothing written
 * when one is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DefinitionFileError, type DefinitionFiles } from '../../src/definitions/files.js';
import type { RulesetDefinition } from '../../src/rules/definition.js';
import { seedDefinitionsIn } from '../../src/seed/seed-definitions.js';
import { ADMIN_TOKEN, createHarness, loadRepoDefinitions, standardQueues, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(() => {
  h = createHarness();
  standardQueues(h); // general, billing, technical (tier 1), advanced (tier 2)
});
afterAll(() => h.close());

/** The shipped files plus a ruleset `triage` whose one rule escalates with `params`. */
function withTriage(params: Record<string, unknown>): DefinitionFiles {
  const files = loadRepoDefinitions();
  const body: RulesetDefinition = {
    ruleset: 'triage',
    rules: [
      { name: 'Billing disputes', conditions: { all: [{ fact: 'case', path: '$.priority', operator: 'equal', value: 'high' }] }, event: { type: 'route', params: { queue: 'billing' } } },
      { name: 'Reopened twice', conditions: { all: [{ fact: 'case', path: '$.reopenCount', operator: 'greaterThan', value: 1 }] }, event: { type: 'escalate', params } },
    ],
  };
  files.rulesets.set('triage', { file: '/defs/rules/triage.json', name: 'triage', body, warnings: [] });
  return files;
}

const seed = (files: DefinitionFiles) => h.services.store.write((q) => seedDefinitionsIn(q, files, h.clock.now()));
const refusal = async (files: DefinitionFiles): Promise<DefinitionFileError> => {
  const error = await seed(files).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DefinitionFileError);
  return error as DefinitionFileError;
};
const triageVersions = () => h.all<{ n: number }>("SELECT count(*) AS n FROM definition_versions WHERE name = 'triage'");

describe('seeding definition files against the queues', () => {
  it('refuses a ruleset file escalating to a tier no active queue is at, with the message saving it through the API gives', async () => {
    const error = await refusal(withTriage({ tier: 3, reason: 'reopened' }));
    expect(error.file).toBe('/defs/rules/triage.json');
    expect(error.problems).toEqual([
      { path: '$.rules[1].event.params.tier', severity: 'error', message: 'no active queue is at tier 3, so this escalation would fail on every case (tiers with active queues: 1, 2); name a queue or another tier' },
    ]);
    expect(error.message).toContain('/defs/rules/triage.json: error at $.rules[1].event.params.tier: no active queue is at tier 3');
    expect(await triageVersions()).toEqual([{ n: 0 }]);

    // The API says the same of the same ruleset.
    const { rules } = withTriage({ tier: 3, reason: 'reopened' }).rulesets.get('triage')!.body;
    const res = await h.api('PUT', '/api/v1/rulesets/triage', { token: ADMIN_TOKEN, body: { rules } });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { problems: unknown[] }).problems).toEqual(error.problems);
  });

  it('refuses a workflow file escalating to a queue of another tier', async () => {
    const files = loadRepoDefinitions();
    const support = structuredClone(files.workflows.get('support')!);
    support.body.workflow = 'handoff';
    support.body.transitions.escalate!.actions = [{ action: 'escalate', tier: 2, queue: 'technical' }];
    files.workflows.set('handoff', { ...support, name: 'handoff', file: '/defs/workflows/handoff.json' });
    const error = await refusal(files);
    expect(error.file).toBe('/defs/workflows/handoff.json');
    expect(error.problems).toEqual([
      {
        path: '$.transitions.escalate.actions[0].queue',
        severity: 'error',
        message: 'the queue "technical" is at tier 1, not tier 2: the case would be marked tier 2 in a tier-1 queue; name a tier-2 queue (advanced), or escalate to tier 1',
      },
    ]);
    expect(await h.all("SELECT id FROM definition_versions WHERE name = 'handoff'")).toEqual([]);
  });

  it('seeds a file whose escalations the queues take, and leaves a stored definition’s file alone', async () => {
    expect(await seed(withTriage({ tier: 2, reason: 'reopened' }))).toMatchObject({ definitions: ['ruleset:triage'] });
    await h.services.definitions.refresh();
    expect(await triageVersions()).toEqual([{ n: 1 }]);
    // The database has triage now: its file is not read again, whatever it says.
    expect(await seed(withTriage({ tier: 3, reason: 'reopened' }))).toEqual({ definitions: [], queues: [] });
  });
});
