/**
 * Manager-console test support: a harness whose app exports to and imports from temp
 * folders (never the repository's), a manager, an admin, agents and a customer, and
 * signed-in page clients for each.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createCase } from '../../src/cases/create-case.js';
import { importCase, isImport, type ImportCaseInput } from '../../src/cases/import-case.js';
import { createApp } from '../../src/http/app.js';
import { ADMIN, ADMIN_TOKEN, ROOT, createHarness, standardQueues, tempDir, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';

export interface ManageHarness extends Harness {
  folders: { rulesDir: string; workflowsDir: string };
  maria: TestActor;
  ada: TestActor;
  alice: TestActor;
  dana: TestActor;
  chloe: TestActor;
  /** Page clients signed in as the manager, the admin, an agent, an advanced agent and a customer. */
  as: { manager: PageClient; admin: PageClient; agent: PageClient; advanced: PageClient; customer: PageClient };
  /** Files a case (imports it when import fields such as createdAt are given). */
  intake(input: ImportCaseInput): Promise<number>;
}

/** Copies the repository's definition files into temp folders, so export and import touch only those. */
export function copyDefinitions(): { rulesDir: string; workflowsDir: string } {
  const dir = tempDir('casebook-manage-');
  const folders = { rulesDir: path.join(dir, 'rules'), workflowsDir: path.join(dir, 'workflows') };
  fs.cpSync(path.join(ROOT, 'rules'), folders.rulesDir, { recursive: true });
  fs.cpSync(path.join(ROOT, 'workflows'), folders.workflowsDir, { recursive: true });
  return folders;
}

export function manageHarness(options: { start?: string } = {}): ManageHarness {
  const base = createHarness(options.start ? { start: options.start } : {});
  standardQueues(base);
  const folders = copyDefinitions();
  const app = createApp(base.services, { adminToken: ADMIN_TOKEN, definitionFolders: folders });
  const h = Object.assign(base, { app }) as Harness;
  const maria = h.agent({ name: 'Maria Manager', role: 'manager', queues: ['general'] });
  const ada = h.agent({ name: 'Ada Admin', role: 'admin' });
  const alice = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], capacity: 1000 });
  const dana = h.agent({ name: 'Dana', role: 'advanced', queues: ['advanced'], capacity: 1000 });
  const chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  return Object.assign(h, {
    folders,
    maria,
    ada,
    alice,
    dana,
    chloe,
    as: {
      manager: signedIn(h, maria),
      admin: signedIn(h, ada),
      agent: signedIn(h, alice),
      advanced: signedIn(h, dana),
      customer: signedIn(h, chloe),
    },
    async intake(input: ImportCaseInput) {
      const row = isImport(input) ? (await importCase(h.services, input, ADMIN)).case : await createCase(h.services, input, ADMIN);
      await h.services.outbox.settle(row.id);
      return row.id;
    },
  });
}

/** Text of a page with tags removed and whitespace collapsed (for "the page says …" checks). */
export function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Polls a dry-run job until it is done; returns the final fragment. */
export async function waitForJob(client: PageClient, url: string, tries = 200): Promise<string> {
  for (let i = 0; i < tries; i++) {
    const res = await client.get(url, { htmx: true });
    const html = await res.text();
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${html}`);
    if (!html.includes('hx-trigger="every 500ms"')) return html;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${url} did not finish`);
}
