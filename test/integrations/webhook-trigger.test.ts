/**
 * The trigger that queues webhook events (`case_events_webhooks`, last recreated by migration
 * 0038 / pg 0014) fires for every timeline type `announce` turns into a webhook event
 * (src/webhooks/events.ts). Each migration that adds an announced type recreates the whole
 * trigger, so a later one written without an earlier one's type would silently stop its
 * webhooks: this test reads the types from `announce` itself and the trigger from the
 * migrated database.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import { ManualClock } from '../../src/clock.js';
import { createServices } from '../../src/compose.js';
import { openDatabase } from '../../src/db/client.js';
import { triggerAwake, triggerSql } from '../../src/db/dormant-triggers.js';
import { sqliteOf } from '../../src/db/store/index.js';
import { syncWebhookTriggerOn, WEBHOOK_TRIGGER } from '../../src/webhooks/trigger.js';
import { ADMIN_TOKEN, createHarness, ok, ROOT, tempDir, type Harness } from '../support/harness.js';

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
    // Awake, or asleep while no subscription is enabled (src/webhooks/trigger.ts).
    const row = await h.get<{ sql: string }>(
      "SELECT coalesce((SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'case_events_webhooks'), (SELECT sql FROM dormant_triggers WHERE name = 'case_events_webhooks')) AS sql",
    );
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

describe('the webhook trigger on SQLite', () => {
  // SQLite runs a row trigger for every row, its condition inside it: it sleeps while no
  // subscription is enabled (src/webhooks/trigger.ts); PostgreSQL keeps its trigger.
  const SYSTEM = { type: 'system' as const, id: null, role: 'admin' as const, name: 'api' };
  let n = 0;
  const intake = () => createCase(h.services, { customer: { email: `hooked${n++}@example.com` }, subject: 'Printer on fire', description: 'It smokes.' }, SYSTEM);
  const queued = async () => (await h.get<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE type = 'webhook.event'"))!.n;
  const awake = () => triggerAwake(h.services.sqlite!.$client, WEBHOOK_TRIGGER);

  it('sleeps without a subscription, wakes with the first, and sleeps again when the last is deleted', async () => {
    if (h.dialect !== 'sqlite') return;
    expect(awake()).toBe(false);
    await intake();
    expect(await queued()).toBe(0);

    const created = (await ok(await h.api('POST', '/api/v1/webhooks', { token: ADMIN_TOKEN, body: { url: 'https://hooks.example/one', events: ['case.created'] } }), 201)) as { id: number };
    expect(awake()).toBe(true);
    await intake();
    expect(await queued()).toBe(1);

    expect((await h.api('DELETE', `/api/v1/webhooks/${created.id}`, { token: ADMIN_TOKEN })).status).toBe(204);
    expect(awake()).toBe(false);
    await intake();
    expect(await queued()).toBe(1);
    // Its SQL is kept while it sleeps, the same as the migrations wrote it.
    expect(triggerSql(h.services.sqlite!.$client, WEBHOOK_TRIGGER)).toContain("NEW.type = 'case.created'");
  });

  it('wakes when a disabled subscription is enabled again', async () => {
    if (h.dialect !== 'sqlite') return;
    const created = (await ok(await h.api('POST', '/api/v1/webhooks', { token: ADMIN_TOKEN, body: { url: 'https://hooks.example/two', events: ['case.created'] } }), 201)) as { id: number };
    // Disabled as the delivery disables a failing one, then enabled by an admin.
    await h.run('UPDATE webhook_subscriptions SET enabled = 0 WHERE id = ?', created.id);
    syncWebhookTriggerOn(h.services.sqlite!.$client);
    expect(awake()).toBe(false);
    await ok(await h.api('POST', `/api/v1/webhooks/${created.id}/enable`, { token: ADMIN_TOKEN }));
    expect(awake()).toBe(true);
    const before = await queued();
    await intake();
    expect(await queued()).toBe(before + 1);
    expect((await h.api('DELETE', `/api/v1/webhooks/${created.id}`, { token: ADMIN_TOKEN })).status).toBe(204);
  });

  it('stays asleep when the transaction that woke it rolls back', async () => {
    if (h.dialect !== 'sqlite') return;
    expect(awake()).toBe(false);
    await expect(
      h.services.store.write(async (q) => {
        await q.db.insert(q.tables.webhookSubscriptions).values({ url: 'https://hooks.example/x', description: '', events: ['case.created'], secret: 'whsec_dGVzdA==', createdBy: 'test', createdAt: h.clock.now() });
        syncWebhookTriggerOn(sqliteOf(q).$client);
        expect(triggerAwake(sqliteOf(q).$client, WEBHOOK_TRIGGER)).toBe(true);
        throw new Error('the command fails after');
      }),
    ).rejects.toThrow('the command fails after');
    expect(awake()).toBe(false);
    expect(triggerSql(h.services.sqlite!.$client, WEBHOOK_TRIGGER)).toContain('CREATE TRIGGER');
  });

  it('keeps the SQL a later migration gives it, not the one it fell asleep with', () => {
    if (h.dialect !== 'sqlite') return;
    const sqlite = h.services.sqlite!.$client;
    expect(awake()).toBe(false);
    // What a migration recreating the trigger does, while it sleeps.
    const migrated = triggerSql(sqlite, WEBHOOK_TRIGGER)!.replace("NEW.type = 'case.created'", "NEW.type = 'case.created' OR NEW.type = 'case.migrated'");
    sqlite.exec(`DROP TRIGGER IF EXISTS ${WEBHOOK_TRIGGER}; ${migrated}`);
    syncWebhookTriggerOn(sqlite);
    expect(awake()).toBe(false);
    expect(triggerSql(sqlite, WEBHOOK_TRIGGER)).toContain("'case.migrated'");
  });
});

describe('the webhook trigger at start on SQLite', () => {
  // Every start sets the trigger (createServices). Another process that enables the first
  // subscription while this one starts commits either before the start reads whether one is
  // enabled, or after the start has put the trigger to sleep (and its own write woke it): never
  // in between, or the trigger would sleep with a subscription enabled and its events be lost.
  it('is not put to sleep by a start that another process enables a subscription during', async () => {
    if (h.dialect !== 'sqlite') return;
    const file = path.join(tempDir('webhook-trigger-start'), 'casebook.db');
    // Migrated, not yet started: the trigger is awake (as after the upgrade that brought migration 0043).
    const db = openDatabase(file);
    expect(triggerAwake(db.$client, WEBHOOK_TRIGGER)).toBe(true);
    // Another process (the server, while a command-line script starts) creates the first
    // subscription in a transaction it commits a moment later.
    const other = spawn(
      process.execPath,
      [
        '-e',
        `const Database = require('better-sqlite3');
         const db = new Database(process.argv[1]);
         db.exec('BEGIN IMMEDIATE');
         db.prepare("INSERT INTO webhook_subscriptions (url, events, secret, created_by, created_at) VALUES ('https://hooks.example/start', '[\\"case.created\\"]', 'whsec_dGVzdA==', 'admin', 0)").run();
         process.stdout.write('holding\\n');
         setTimeout(() => { db.exec('COMMIT'); db.close(); }, 500);`,
        file,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => other.on('exit', resolve));
    await new Promise<void>((resolve) => other.stdout.on('data', () => resolve()));
    try {
      createServices(db, new ManualClock());
      expect(await exited).toBe(0);
      expect(db.$client.prepare('SELECT count(*) FROM webhook_subscriptions WHERE enabled = 1').pluck().get()).toBe(1);
      expect(triggerAwake(db.$client, WEBHOOK_TRIGGER)).toBe(true);
    } finally {
      other.kill();
      db.$client.close();
    }
  });
});
