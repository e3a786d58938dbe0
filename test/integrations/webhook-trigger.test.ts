/**
 * The trigger that queues webhook events (`case_events_webhooks`, last recreated by migration
 * 0038 / pg 0014) fires for every timeline type `announce` turns into a webhook event
 * (src/webhooks/events.ts). Each migration that adds an announced type recreates the whole
 * trigger, so a later one written without an earlier one's type would silently stop its
 * webhooks: this test reads the types from `announce` itself and the trigger from the
 * migrated database.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(() => {
  h = createHarness();
});
afterAll(() => h.close());

/** The timeline types `announce` has a case for (its `switch (entry.type)`). */
function announcedTimelineTypes(): string[] {
  const source = fs.readFileSync(new URL('../../src/webhooks/events.ts', import.meta.url), 'utf8');
  const body = source.slice(source.indexOf('export function announce('));
  const switchBody = body.slice(0, body.indexOf('\n}\n'));
  return [...switchBody.matchAll(/^\s*case '([a-z_.]+)':/gm)].map((m) => m[1]!);
}

async function triggerDefinition(): Promise<string> {
  if (h.dialect === 'sqlite') {
    const row = await h.get<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'case_events_webhooks'");
    return row?.sql ?? '';
  }
  const row = await h.get<{ def: string }>("SELECT pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE tgname = 'case_events_webhooks'");
  return row?.def ?? '';
}

describe('the webhook trigger', () => {
  it('fires for every timeline type announce turns into a webhook event', async () => {
    const types = announcedTimelineTypes();
    expect(types).toEqual(expect.arrayContaining(['case.created', 'case.transitioned', 'case.tags_changed', 'case.subject_changed', 'case.updated']));
    const trigger = await triggerDefinition();
    expect(trigger).not.toBe('');
    const missing = types.filter((t) => !trigger.includes(`'${t}'`));
    expect(missing, 'announced by src/webhooks/events.ts but not queued by the case_events_webhooks trigger: recreate it with them in a migration').toEqual([]);
  });
});
