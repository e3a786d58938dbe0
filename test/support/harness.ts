/**
 * Test harness: a real SQLite file with the real migrations, definitions seeded from the
 * repository's `workflows/` and `rules/` through the production loader, a manual clock,
 * and helpers to add queues, staff and customers. No mocks of things we own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { newTokenRow } from '../../src/auth/api-tokens.js';
import { ManualClock } from '../../src/clock.js';
import { openDatabase, type Db } from '../../src/db/client.js';
import { apiTokens, customers, queues, staff, staffQueues, type StaffRole } from '../../src/db/schema/index.js';
import { loadDefinitionFiles, type DefinitionFiles } from '../../src/definitions/files.js';
import { createApp } from '../../src/http/app.js';
import type { Actor } from '../../src/roles.js';
import { seedDefinitionsSync } from '../../src/seed/seed-definitions.js';
import { createServices } from '../../src/compose.js';
import { type ServiceOptions, type Services } from '../../src/services.js';
import { builtinActions } from '../../src/compose.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const ADMIN: Actor = { type: 'system', id: null, role: 'admin', name: 'admin token' };

const tempDirs: string[] = [];
process.once('exit', () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp folder, removed when the process exits. */
/** The JSON body of an answer that must have `status` (a setup step: anything else throws with the body). */
export async function ok(res: Response, status = 200): Promise<Record<string, unknown>> {
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== status) throw new Error(`${res.status}: ${JSON.stringify(body)}`);
  return body;
}

export function tempDir(prefix = 'casebook-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function loadRepoDefinitions(dirs: { workflowsDir?: string; rulesDir?: string } = {}): DefinitionFiles {
  return loadDefinitionFiles({
    workflowsDir: dirs.workflowsDir ?? path.join(ROOT, 'workflows'),
    rulesDir: dirs.rulesDir ?? path.join(ROOT, 'rules'),
    actions: builtinActions(),
  });
}

export type TestActor = Actor & { id: number };

export interface AgentOptions {
  name?: string;
  email?: string;
  role?: StaffRole;
  queues?: string[];
  skills?: string[];
  capacity?: number;
  available?: boolean;
}

export interface Harness {
  db: Db;
  clock: ManualClock;
  services: Services;
  dbPath: string;
  app: ReturnType<typeof createApp>;
  /** Adds (or re-activates) a queue. */
  queue(id: string, tier?: number): string;
  /** Adds a staff member; returns their actor. */
  agent(options?: AgentOptions): TestActor;
  customer(options: { email: string; name?: string; tier?: string; organization?: string }): TestActor;
  /**
   * An API token for a staff member or customer; the ADMIN_TOKEN for the system actor.
   * Synchronous: the row goes straight into the harness's SQLite file (its values from
   * newTokenRow, the token format's one place). After moveToPostgres make tokens first, or
   * through the API.
   */
  tokenFor(actor: { type: 'staff' | 'customer' | 'system'; id: number | null }): string;
  /** Calls the API with an optional bearer token and JSON body. */
  api(method: string, url: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  close(): void;
}

export interface HarnessOptions {
  /** Clock start; default Monday 2026-03-02 09:00Z (10:00 in Berlin, inside office hours). */
  start?: string | number;
  files?: DefinitionFiles;
  services?: ServiceOptions;
  busyTimeoutMs?: number;
}

export function createHarness(options: HarnessOptions = {}): Harness {
  const dir = tempDir();
  const dbPath = path.join(dir, 'casebook.db');
  const db = openDatabase(dbPath, { busyTimeoutMs: options.busyTimeoutMs ?? 5000 });
  const clock = new ManualClock(options.start ?? '2026-03-02T09:00:00Z');
  const services = createServices(db, clock, options.services);
  seedDefinitionsSync(services, options.files ?? loadRepoDefinitions());
  // The console's export/import works on copies: no test rewrites the repository's own definitions.
  const definitionFolders = { rulesDir: path.join(dir, 'rules'), workflowsDir: path.join(dir, 'workflows') };
  fs.cpSync(path.join(ROOT, 'rules'), definitionFolders.rulesDir, { recursive: true });
  fs.cpSync(path.join(ROOT, 'workflows'), definitionFolders.workflowsDir, { recursive: true });
  const app = createApp(services, { adminToken: ADMIN_TOKEN, definitionFolders });
  let counter = 0;

  return {
    db,
    clock,
    services,
    dbPath,
    app,
    queue(id, tier = 1) {
      const existing = db.select().from(queues).where(eq(queues.id, id)).get();
      if (existing) db.update(queues).set({ tier, active: true }).where(eq(queues.id, id)).run();
      else db.insert(queues).values({ id, name: id, tier, createdAt: clock.now() }).run();
      return id;
    },
    agent(o = {}) {
      counter++;
      const now = clock.now();
      const row = db
        .insert(staff)
        .values({
          name: o.name ?? `Agent ${counter}`,
          email: o.email ?? `agent${counter}@casebook.test`,
          role: o.role ?? 'agent',
          skills: o.skills ?? [],
          capacity: o.capacity ?? 10,
          available: o.available ?? true,
          createdAt: now,
          updatedAt: now,
        })
        .returning()
        .get();
      for (const q of o.queues ?? []) db.insert(staffQueues).values({ staffId: row.id, queueId: q }).run();
      return { type: 'staff', id: row.id, role: row.role, name: row.name };
    },
    customer(o) {
      const now = clock.now();
      const row = db
        .insert(customers)
        .values({ email: o.email, name: o.name ?? o.email, tier: o.tier ?? 'standard', organization: o.organization ?? null, createdAt: now, updatedAt: now })
        .returning()
        .get();
      return { type: 'customer', id: row.id, role: 'customer', name: row.name };
    },
    tokenFor(actor) {
      if (actor.type === 'system') return ADMIN_TOKEN;
      const { token, row } = newTokenRow({ type: actor.type, id: actor.id! }, 'test', clock.now());
      db.insert(apiTokens).values(row).run();
      return token;
    },
    async api(method, url, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.token !== undefined) headers.Authorization = `Bearer ${o.token}`;
      let body: string | undefined;
      if (o.body !== undefined) {
        body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
        headers['Content-Type'] ??= 'application/json';
      }
      return app.request(url, { method, headers, ...(body !== undefined ? { body } : {}) });
    },
    close() {
      services.outbox.stop();
      db.$client.close();
    },
  };
}

/** The demo's queue layout (general, billing, technical, advanced tier 2), without people. */
export function standardQueues(h: Harness): void {
  h.queue('general');
  h.queue('billing');
  h.queue('technical');
  h.queue('advanced', 2);
}
