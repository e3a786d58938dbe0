/**
 * PostgreSQL's search documents (drizzle/pg/0001_search.sql): the triggers keep
 * `search_documents` as SQLite's keep search_fts (a changed subject replaces the case's document,
 * other changes leave it alone, a delete removes it, a note's document is flagged, an erasure's
 * redaction forgets a message), the rebuild writes what the triggers wrote, and highlighting
 * with ts_headline marks what FTS5's highlight() marks. One cluster for the file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { openPostgres, type Postgres } from '../../src/db/pg/client.js';
import { postgresProblemIndex } from '../../src/diagnosis/pg/problem-index.js';
import { porterStem } from '../../src/diagnosis/porter.js';
import { problemIndex, rankProblems } from '../../src/diagnosis/problem-index.js';
import { caseDocStart, documentOf } from '../../src/search/documents.js';
import { CLOSE, highlightAll as highlightFts, OPEN, segmentsOf, type Highlighted } from '../../src/search/highlight.js';
import { ftsQuery, parseQuery } from '../../src/search/parse-query.js';
import { highlightAll, phraseSpans, readHeadline, snippet } from '../../src/search/pg/highlight.js';
import { matchingCustomers, matchingDocuments } from '../../src/search/pg/match-documents.js';
import { rebuildSearchDocuments } from '../../src/search/pg/rebuild-documents.js';
import { createMigratedDatabase } from '../support/postgres-store.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';

let cluster: PostgresCluster;
let postgres: Postgres;

beforeAll(async () => {
  cluster = await startPostgres();
  postgres = openPostgres(await createMigratedDatabase(cluster));
  for (const text of [
    `INSERT INTO queues (id, name, created_at) VALUES ('general', 'General', 1)`,
    `INSERT INTO customers (id, email, name, organization, created_at, updated_at) VALUES (1, 'pat@example.com', 'Pat Ünal', 'ACME', 1, 1)`,
    `INSERT INTO cases (id, customer_id, subject, description, status, state_entered_at, queue_id, workflow, workflow_version, created_at, updated_at)
     VALUES (1001, 1, 'Charged twice', 'My card was charged two times', 'open', 1, 'general', 'default', 1, 1, 1)`,
    `INSERT INTO case_events (case_id, type, at, actor_type, data) VALUES
       (1001, 'case.created', 1, 'system', '{}'), (1001, 'case.routed', 2, 'system', '{}'),
       (1001, 'customer.replied', 3, 'customer', '{"body":"Any news on the refund?"}'),
       (1001, 'staff.noted', 4, 'staff', '{"body":"Refund approved internally"}'),
       (1001, 'staff.replied', 5, 'staff', '{"body":"Your refund is on its way"}')`,
  ]) {
    await postgres.pool.query(text);
  }
});

afterAll(async () => {
  await postgres?.close();
  await cluster?.stop();
});

const find = (q: string, notes = true) => matchingDocuments(postgres.pool, parseQuery(q), { limit: 100, notes });
const docs = async () => (await postgres.pool.query<{ doc: number; xmin: string }>('SELECT doc, xmin::text AS xmin FROM search_documents ORDER BY doc')).rows;

describe('the triggers keep search_documents', () => {
  it('indexes a case, its messages at their timeline places (notes flagged) and its customer', async () => {
    expect((await docs()).map((d) => documentOf(d.doc))).toEqual([
      { kind: 'customer', customerId: 1 },
      { kind: 'case', caseId: 1001 },
      { kind: 'message', caseId: 1001, position: 3, note: false },
      { kind: 'message', caseId: 1001, position: 4, note: true },
      { kind: 'message', caseId: 1001, position: 5, note: false },
    ]);
    expect((await find('refund')).map(documentOf)).toEqual([
      { kind: 'message', caseId: 1001, position: 5, note: false },
      { kind: 'message', caseId: 1001, position: 4, note: true },
      { kind: 'message', caseId: 1001, position: 3, note: false },
    ]);
    expect((await find('refund', false)).map((d) => documentOf(d))).not.toContainEqual(expect.objectContaining({ note: true }));
    expect(await matchingCustomers(postgres.pool, parseQuery('unal example'), { limit: 10 })).toEqual([1]);
  });

  it('replaces a case’s document when its subject or description changes, and only then', async () => {
    const before = (await docs()).find((d) => d.doc === caseDocStart(1001))!;
    await postgres.pool.query(`UPDATE cases SET status = 'pending', updated_at = 2 WHERE id = 1001`);
    expect((await docs()).find((d) => d.doc === caseDocStart(1001))).toEqual(before);
    await postgres.pool.query(`UPDATE cases SET subject = 'Double payment' WHERE id = 1001`);
    expect(await find('twice')).toEqual([]);
    expect(await find('payments')).toEqual([caseDocStart(1001)]);
    expect(await find('charges')).toEqual([caseDocStart(1001)]); // the description stays
  });

  it('follows a customer’s name, e-mail and organization; a delete removes the document', async () => {
    await postgres.pool.query(`INSERT INTO customers (id, email, name, created_at, updated_at) VALUES (2, 'zoe@example.org', 'Zoë', 1, 1)`);
    expect(await matchingCustomers(postgres.pool, parseQuery('example'), { limit: 10 })).toEqual([2, 1]);
    await postgres.pool.query(`UPDATE customers SET email = 'zoe@nord.example' WHERE id = 2`);
    expect(await matchingCustomers(postgres.pool, parseQuery('zoe nord'), { limit: 10 })).toEqual([2]);
    expect(await matchingCustomers(postgres.pool, parseQuery('"example org"'), { limit: 10 })).toEqual([]);
    await postgres.pool.query('DELETE FROM customers WHERE id = 2');
    expect(await matchingCustomers(postgres.pool, parseQuery('zoe'), { limit: 10 })).toEqual([]);
    expect((await docs()).some((d) => d.doc === -2)).toBe(false);
  });

  it('a case delete removes its document', async () => {
    await postgres.pool.query(`INSERT INTO cases (id, customer_id, subject, description, status, state_entered_at, queue_id, workflow, workflow_version, created_at, updated_at)
       VALUES (1002, 1, 'Temporary', 'Goes away', 'open', 1, 'general', 'default', 1, 1, 1)`);
    expect(await find('temporary')).toEqual([caseDocStart(1002)]);
    await postgres.pool.query('DELETE FROM cases WHERE id = 1002');
    expect(await find('temporary')).toEqual([]);
  });

  it('rebuilds exactly what the triggers wrote', async () => {
    const kept = (await postgres.pool.query(`SELECT doc, words::text FROM search_documents ORDER BY doc`)).rows;
    const client = await postgres.pool.connect();
    try {
      await client.query('BEGIN');
      await rebuildSearchDocuments(client);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect((await postgres.pool.query(`SELECT doc, words::text FROM search_documents ORDER BY doc`)).rows).toEqual(kept);
  });

  it('an erasure’s redaction forgets the messages; without an open erasure the timeline refuses it', async () => {
    await expect(postgres.pool.query(`UPDATE case_events SET data = '{"body":"[erased]"}' WHERE case_id = 1001`)).rejects.toThrow('case_events is append-only');
    expect(await find('refund')).toHaveLength(3);
    const client = await postgres.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO erasures (id, customer_id, case_id, reason, actor_type, actor_name, started_at) VALUES (1, 1, 1001, 'request', 'system', 'test', 9)`);
      await client.query(`UPDATE case_events SET data = '{"body":"[erased]"}' WHERE case_id = 1001 AND type <> 'case.created'`);
      await client.query(`UPDATE cases SET subject = '[erased]', description = '[erased]' WHERE id = 1001`);
      await client.query(`UPDATE erasures SET completed_at = 10, summary = '{}' WHERE id = 1`);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await find('refund')).toEqual([]);
    expect(await find('erased')).toEqual([caseDocStart(1001)]);
    expect((await docs()).map((d) => d.doc)).toEqual([-1, caseDocStart(1001)]);
  });
});

describe('highlighting with ts_headline', () => {
  const sqlite = openDatabase(':memory:', { migrate: false });
  afterAll(() => sqlite.$client.close());
  const hits = (h: Highlighted, part: 'title' | 'body') => segmentsOf(h[part]!).filter((s) => s.hit).map((s) => s.text);
  const both = async (q: string, inputs: { title: string | null; body: string | null }[]) => ({
    pg: await highlightAll(postgres.pool, parseQuery(q), inputs),
    fts: highlightFts(sqlite, ftsQuery(parseQuery(q)), inputs),
  });

  it('marks the word forms FTS5 marks, on the original text, and matches the same texts', async () => {
    const inputs = [
      { title: 'Charged twice — café', body: 'pat@example.com was CHARGED; don’t refund the Café’s charges.' },
      { title: null, body: 'nothing here' },
      { title: 'Refund', body: 'billed twice' },
    ];
    const { pg, fts } = await both('charge cafe -billed', inputs);
    expect(pg.map((h) => h.matched)).toEqual(fts.map((h) => h.matched));
    expect(pg.map((h) => h.matched)).toEqual([true, false, false]);
    expect(pg[0]!.title!.text).toBe('Charged twice — café');
    expect(hits(pg[0]!, 'title')).toEqual(hits(fts[0]!, 'title'));
    expect(hits(pg[0]!, 'body')).toEqual(['CHARGED', 'Café', 'charges']);
    expect(hits(pg[0]!, 'body')).toEqual(hits(fts[0]!, 'body'));
    expect(pg.slice(1)).toEqual(fts.slice(1));
    const { pg: parts } = await both('example', inputs);
    expect(hits(parts[0]!, 'body')).toEqual(['example']); // a part of an e-mail address, as in FTS5
  });

  it('marks a phrase only where it matched, as one mark', async () => {
    const inputs = [{ title: 'Reset password', body: 'After the password reset, a password and a reset. Password—reset again!' }];
    const { pg, fts } = await both('"password reset" again', inputs);
    expect(hits(pg[0]!, 'body')).toEqual(['password reset', 'Password—reset', 'again']);
    expect(pg).toEqual(fts);
  });

  it('never takes marker characters from the text for marks', async () => {
    const [r] = await highlightAll(postgres.pool, parseQuery('refund'), [{ title: `${OPEN}fake${CLOSE} refund`, body: `x ${CLOSE}y${OPEN}` }]);
    expect(r!.title).toEqual({ text: ' fake  refund', highlights: [[7, 13]] });
    expect(r!.body!.text).not.toMatch(/[\u0002\u0003]/);
  });

  it('cuts a long body to a snippet around the hit', async () => {
    const long = `${'lorem ipsum '.repeat(100)}the refund arrived ${'dolor sit '.repeat(100)}`;
    const [r] = await highlightAll(postgres.pool, parseQuery('refund'), [{ title: null, body: long }]);
    expect(r!.body!.text.length).toBeLessThan(300);
    expect(r!.body!.text.startsWith('…') && r!.body!.text.endsWith('…')).toBe(true);
    expect(segmentsOf(r!.body!).find((s) => s.hit)?.text).toBe('refund');
  });

  it('reads ts_headline’s marks by code point, and finds phrases in order', async () => {
    expect(readHeadline(`d${OPEN}ön${CLOSE} t   x ${OPEN}y${CLOSE}`)).toEqual({ marks: [[1, 3], [10, 11]], words: [[0, 3], [4, 5], [8, 9], [10, 11]] });
    const words: [number, number][] = [[0, 1], [2, 3], [4, 5], [6, 7]]; // "a b a b"
    expect(phraseSpans(words, [[[0, 1], [4, 5]], [[2, 3], [6, 7]]], [[0, 1]])).toEqual([[0, 3], [4, 7]]);
    expect(phraseSpans(words, [[[0, 1], [4, 5]], [[2, 3], [6, 7]]], [[1, 0]])).toEqual([[2, 5]]);
    const [r] = await highlightAll(postgres.pool, parseQuery('dont 😀'), [{ title: 'Dön’t 😀 dont', body: null }]);
    expect(segmentsOf(r!.title!).filter((s) => s.hit).map((s) => s.text)).toEqual(['dont']);
    const short = { text: 'a b c', highlights: [[2, 3]] as [number, number][] };
    expect(snippet(short)).toEqual(short);
  });
});

describe('the problem index on PostgreSQL', () => {
  const sqlite = openDatabase(':memory:');
  afterAll(() => sqlite.$client.close());
  const onBoth = async (text: string) => {
    sqlite.$client.prepare(text).run();
    await postgres.pool.query(text);
  };
  const ranks = async (words: string[]) => {
    const tokens = words.map(porterStem);
    const ranked = (index: Parameters<typeof rankProblems>[0]) => rankProblems(index, tokens, 5).map((r) => [r.problem.id, r.rank]);
    return { pg: ranked((await postgresProblemIndex(postgres.pool))!), fts5: ranked(problemIndex(sqlite)!) };
  };

  it('is built from the problems’ rows, ranks as FTS5’s, and follows the library’s revision', async () => {
    await onBoth(`INSERT INTO problems (id, title, symptoms, solution, synonyms, created_at, updated_at) VALUES
      (1, 'Charged twice for one invoice', 'double charge, duplicate payment, invoice paid twice', 'Refund the duplicate', 'billed 2 times', 1, 1),
      (2, 'Cannot log in after a password reset', 'login fails, password reset link expired, locked out', 'Send a new link', '', 1, 1),
      (3, 'Calendar sync stopped', 'calendar not syncing, events missing', 'Reconnect the calendar', 'café agenda', 1, 1)`);
    const index = (await postgresProblemIndex(postgres.pool))!;
    expect(await postgresProblemIndex(postgres.pool)).toBe(index); // nothing changed: no rebuild
    for (const words of [['charged', 'invoice'], ['reset', 'charges', 'calendar'], ['cafe', 'syncing'], ['password', 'twice', 'missing', 'link']]) {
      const { pg, fts5 } = await ranks(words);
      expect(pg.length).toBeGreaterThan(0);
      expect(pg).toEqual(fts5);
    }
    await onBoth(`UPDATE problems SET active = false WHERE id = 2`);
    expect(await postgresProblemIndex(postgres.pool)).not.toBe(index);
    const { pg, fts5 } = await ranks(['reset', 'charges']);
    expect(pg.map(([id]) => id)).toEqual([1]);
    expect(pg).toEqual(fts5);
  });
});
