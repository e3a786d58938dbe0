/**
 * Diagnosis against the size of the problem library (src/diagnosis/): every intake ranks its
 * words against the library (`diagnose`: the words, the in-memory bm25 ranking, the shared
 * words of the best). Libraries of 10, 1,000 and 10,000 problems, written as a manager's would
 * be (title, symptoms, synonyms, solution; one in ten inactive) from a vocabulary of 140 support
 * words and 3,000 rarer ones, drawn so that the common words are in most problems — a request's
 * words then hit a large part of the library, the hard case for a ranking. The five requests of
 * the intake bench, in turn.
 *
 * Baseline, on the same index: the ranking before 2026-12-06 (every problem that has any of
 * the words scored on every word through its objects and Map, then all of them sorted:
 * `rankBefore` below), with the same words and the same answer.
 *
 *   npm run bench -- --filter diagnosis
 */
import path from 'node:path';
import { openDatabase } from '../src/db/client.js';
import { porterStem } from '../src/diagnosis/porter.js';
import { problemIndex, rankProblems, type IndexedProblem, type ProblemIndex } from '../src/diagnosis/problem-index.js';
import { diagnose, searchTerms } from '../src/diagnosis/search-problems.js';
import { tempDir } from '../test/support/harness.js';
import type { Bench, BenchRow } from './bench.js';
import { INTAKE_INPUTS } from './support/intake-inputs.js';
import { bestPerCall } from './support/per-call.js';

const COMMON = `account login password reset error invoice refund charge charged twice payment card billing export data csv calendar sync google
  events missing plan upgrade downgrade subscription cancel email notification delivery api token key integration webhook slow timeout crash mobile app
  android iphone browser chrome firefox report dashboard user users team invite permission access denied locked two factor authentication code sms
  phone number address vat tax receipt pdf download upload file attachment size limit storage quota workspace rename delete restore backup import
  contacts duplicate merge search filter sort language timezone date format currency price discount coupon trial expired renew license seat`.split(/\s+/);

/** A deterministic library of `n` problems (see the file comment). */
function library(n: number): { title: string; symptoms: string; synonyms: string; solution: string; active: boolean }[] {
  const vocabulary = [...COMMON, ...Array.from({ length: 3_000 }, (_, i) => `w${i.toString(36)}x`)];
  let seed = 1;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  const text = (words: number) => Array.from({ length: words }, () => vocabulary[Math.floor(vocabulary.length * random() ** 3)]).join(' ');
  return Array.from({ length: n }, (_, i) => ({ title: text(5), symptoms: text(25), synonyms: text(6), solution: text(60), active: i % 10 !== 9 }));
}

/** The ranking before: every candidate scored on every token, all sorted (the same bm25 arithmetic). */
function rankBefore(index: ProblemIndex, tokens: readonly string[], limit: number): { problem: IndexedProblem; rank: number }[] {
  const idf = tokens.map((token) => {
    const hits = index.postings.get(token)?.length ?? 0;
    const value = Math.log((index.rows - hits + 0.5) / (hits + 0.5));
    return value <= 0.0 ? 1e-6 : value;
  });
  const candidates = new Set<IndexedProblem>();
  for (const token of tokens) for (const problem of index.postings.get(token) ?? []) if (problem.active) candidates.add(problem);
  const ranked = [...candidates].map((problem) => {
    let score = 0.0;
    for (let i = 0; i < tokens.length; i++) {
      const f = problem.frequency.get(tokens[i]!) ?? 0;
      score += idf[i]! * ((f * (1.2 + 1.0)) / (f + 1.2 * (1 - 0.75 + (0.75 * problem.length) / index.averageLength)));
    }
    return { problem, rank: -1.0 * score };
  });
  ranked.sort((a, b) => a.rank - b.rank || a.problem.id - b.problem.id);
  return ranked.slice(0, limit);
}

export default {
  name: 'diagnosis',
  async run(ctx) {
    const rows: BenchRow[] = [];
    const dir = tempDir('casebook-bench-diagnosis-');
    const requests = INTAKE_INPUTS.map(([subject, description]) => ({ subject, description, tokens: searchTerms(`${subject}\n${description}`).map(porterStem) }));
    for (const size of [10, 1_000, 10_000]) {
      const db = openDatabase(path.join(dir, `library-${size}.db`));
      const insert = db.$client.prepare('INSERT INTO problems (title, symptoms, synonyms, solution, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, 0)');
      db.$client.transaction(() => {
        for (const p of library(size)) insert.run(p.title, p.symptoms, p.synonyms, p.solution, p.active ? 1 : 0);
      })();
      const index = problemIndex(db)!;
      const postings = requests.reduce((sum, r) => sum + r.tokens.reduce((n, t) => n + (index.postings.get(t)?.length ?? 0), 0), 0) / requests.length;
      for (const r of requests) {
        const [now, before] = [rankProblems(index, r.tokens, 12), rankBefore(index, r.tokens, 12)];
        if (now.map((x) => x.problem.id).join() !== before.map((x) => x.problem.id).join()) throw new Error(`the two rankings differ for "${r.subject}"`);
      }
      let n = 0;
      const perPass = size >= 10_000 ? 50 : 500;
      const [diagnoseUs, rankUs, beforeUs] = await bestPerCall(
        [
          async () => diagnose(db, requests[n % 5]!.subject, requests[n++ % 5]!.description),
          async () => rankProblems(index, requests[n++ % 5]!.tokens, 12),
          async () => rankBefore(index, requests[n++ % 5]!.tokens, 12),
        ],
        { perPass, warmUp: 20 },
      );
      ctx.log(`diagnosis: ${size} problems (${postings.toFixed(0)} postings a request): diagnose ${diagnoseUs!.toFixed(1)} µs, its ranking ${rankUs!.toFixed(1)} µs, the ranking before ${beforeUs!.toFixed(1)} µs`);
      rows.push({
        figure: `diagnose a request, a library of ${size} problems`,
        ms: diagnoseUs! / 1000,
        baseline: 'its ranking as it was before (every candidate scored, all sorted) alone',
        baselineMs: beforeUs! / 1000,
        note: `µs as ms; the ranking now ${rankUs!.toFixed(1)} µs; ${postings.toFixed(0)} postings a request`,
      });
      db.$client.close();
    }
    return rows;
  },
} satisfies Bench;
