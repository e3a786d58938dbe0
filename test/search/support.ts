/**
 * A small desk for search tests: queues, agents of two first-line queues and of advanced
 * support, a manager, two customers, and cases placed in known queues with known messages.
 */
import { eq } from 'drizzle-orm';
import { principalOf } from '../../src/auth/principal.js';
import { addMessage } from '../../src/cases/add-message.js';
import { createCase } from '../../src/cases/create-case.js';
import type { Handle } from '../../src/db/store/index.js';
import { all } from '../../src/db/store/rows.js';
import type { Principal } from '../../src/http/types.js';
import { searchIndexCurrent } from '../../src/search/index-current.js';
import { search, type SearchRequest } from '../../src/search/search.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';

export interface Desk {
  h: Harness;
  alice: TestActor; // agent: general, billing
  bob: TestActor; // agent: technical
  dana: TestActor; // advanced
  maria: TestActor; // manager
  chloe: TestActor; // customer
  sam: TestActor; // customer
  principal(actor: TestActor): Promise<Principal>;
  /** Case refs (`C-…`) found by `q` for `actor`, in result order. */
  find(actor: TestActor, q: string, request?: Omit<SearchRequest, 'q'>): Promise<string[]>;
  /**
   * Case refs whose documents hold `word` in the search index (SQLite's search_fts, PostgreSQL's
   * search_documents), newest first; on `q`, a command's transaction, what it sees from inside.
   */
  indexed(word: string, q?: Handle): Promise<string[]>;
  /** A case by `customer`, then placed in `queue` with `assignee` (test setup, not the behaviour under test). */
  open(customer: TestActor, subject: string, description: string, place: { queue: string; assignee?: number | null; tags?: string[] }): Promise<number>;
}

export function createDesk(): Desk {
  const h = createHarness();
  standardQueues(h);
  const alice = h.agent({ name: 'Alice Archer', email: 'alice@casebook.test', queues: ['general', 'billing'] });
  const bob = h.agent({ name: 'Bob Baker', email: 'bob@casebook.test', queues: ['technical'] });
  const dana = h.agent({ name: 'Dana Dietz', email: 'dana@casebook.test', role: 'advanced', queues: ['advanced'] });
  const maria = h.agent({ name: 'Maria Moreau', email: 'maria@casebook.test', role: 'manager' });
  const chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe Carter', organization: 'Acme Rockets' });
  const sam = h.customer({ email: 'sam@example.org', name: 'Sam Stone' });
  const principal = async (actor: TestActor): Promise<Principal> => (await h.query((q) => principalOf(q, { type: actor.type as 'staff' | 'customer', id: actor.id })))!;
  const indexedOn = async (q: Handle, word: string) => {
    const text =
      q.dialect === 'sqlite'
        ? 'SELECT DISTINCT rowid >> 20 AS id FROM search_fts WHERE search_fts MATCH ? AND rowid > 0 ORDER BY id DESC'
        : "SELECT DISTINCT doc >> 20 AS id FROM search_documents WHERE doc > 0 AND words @@ phraseto_tsquery('casebook', casebook_search_text(?)) ORDER BY id DESC";
    const rows = await all<{ id: number }>(q, text, [q.dialect === 'sqlite' ? `"${word}"` : word]);
    return rows.map((r) => `C-${r.id}`);
  };
  return {
    h,
    alice,
    bob,
    dana,
    maria,
    chloe,
    sam,
    principal,
    async find(actor, q, request = {}) {
      return (await search(h.services, await principal(actor), { q, ...request })).cases.items.map((hit) => `C-${hit.row.id}`);
    },
    async indexed(word, q) {
      // As a search reads it: documents still waiting (src/db/search-staging.ts) go in first.
      await searchIndexCurrent(h.services);
      return q ? indexedOn(q, word) : h.query((handle) => indexedOn(handle, word));
    },
    async open(customer, subject, description, place) {
      const row = await createCase(h.services, { subject, description }, customer, { customerId: customer.id });
      await h.services.store.write((q) =>
        q.db
          .update(q.tables.cases)
          .set({ queueId: place.queue, assigneeId: place.assignee ?? null, tags: place.tags ?? [] })
          .where(eq(q.tables.cases.id, row.id)),
      );
      return row.id;
    },
  };
}

export { addMessage };
