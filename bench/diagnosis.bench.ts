/**
 * Diagnosis against the size of the problem library (src/diagnosis/): every intake ranks its
 * words against the library (`diagnose`: the words, the in-memory bm25 ranking, the shared
 * words of the best). Libraries of 10, 1,000 and 10,000 problems, written as a manager's would
 * be (title, symptoms, synonyms, solution; one in ten inactive) from a vocabulary of 140 support
 * words and 3,000 rarer ones, drawn so that the common words are in most problems — a request's
 * words then hit a large part of the library, the hard case for a ranking. The five requests of
 * the intake bench, in turn.
 *
 * Baseline: the request's words alone (`searchTerms` and their stems), what every diagnosis
 * pays whatever the library. Also timed, both on the event loop of the next diagnosis: building
 * the index whole (the first diagnosis), and bringing it up to date after a manager edited one
 * problem, beside the whole build.
 *
 *   npm run bench -- --filter diagnosis
 */
import path from 'node:path';
import { openDatabase } from '../src/db/client.js';
import { porterStem } from '../src/diagnosis/porter.js';
import { problemIndex, rankProblems } from '../src/diagnosis/problem-index.js';
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
      const started = performance.now();
      const index = problemIndex(db)!;
      const buildMs = performance.now() - started;
      const postings = requests.reduce((sum, r) => sum + r.tokens.reduce((n, t) => n + (index.terms.get(t)?.slots.length ?? 0), 0), 0) / requests.length;
      let n = 0;
      const perPass = size >= 10_000 ? 50 : 500;
      const [diagnoseUs, rankUs, wordsUs] = await bestPerCall(
        [
          async () => diagnose(db, requests[n % 5]!.subject, requests[n++ % 5]!.description),
          async () => rankProblems(index, requests[n++ % 5]!.tokens, 12),
          async () => searchTerms(`${requests[n % 5]!.subject}\n${requests[n++ % 5]!.description}`).map(porterStem),
        ],
        { perPass, warmUp: 20 },
      );
      ctx.log(`diagnosis: ${size} problems (${postings.toFixed(0)} postings a request): diagnose ${diagnoseUs!.toFixed(1)} µs, its ranking ${rankUs!.toFixed(1)} µs, the words alone ${wordsUs!.toFixed(1)} µs; the index built in ${buildMs.toFixed(0)} ms`);
      rows.push({
        figure: `diagnose a request, a library of ${size} problems`,
        ms: diagnoseUs! / 1000,
        baseline: 'the request’s words and stems alone',
        baselineMs: wordsUs! / 1000,
        note: `µs as ms; the ranking ${rankUs!.toFixed(1)} µs; ${postings.toFixed(0)} postings a request`,
      });
      const readStarted = performance.now();
      db.$client.prepare('SELECT id, title, symptoms, synonyms, solution, active FROM problems').all();
      const readMs = performance.now() - readStarted;
      rows.push({ figure: `build the index of ${size} problems whole`, ms: buildMs, baseline: 'the problems’ rows read', baselineMs: readMs, note: 'at the first diagnosis, or after a change of more than a quarter of the library' });
      // A manager's edit: one problem's symptoms rewritten; the next diagnosis brings the index up to date.
      const edits: number[] = [];
      for (let k = 0; k < 5; k++) {
        db.$client.prepare('UPDATE problems SET symptoms = ? WHERE id = ?').run(`edited ${k} cannot export the csv report`, 1 + ((k * 7) % size));
        const at = performance.now();
        problemIndex(db);
        edits.push(performance.now() - at);
      }
      const editMs = Math.min(...edits);
      ctx.log(`diagnosis: ${size} problems, after one problem edited: the index brought up to date in ${editMs.toFixed(1)} ms (best of 5; built whole ${buildMs.toFixed(0)} ms)`);
      rows.push({ figure: `bring the index of ${size} problems up to date after one was edited`, ms: editMs, baseline: 'the index built whole', baselineMs: buildMs, note: 'best of 5 edits, on the next diagnosis' });
      db.$client.close();
    }
    return rows;
  },
} satisfies Bench;
