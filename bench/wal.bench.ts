/**
 * The WAL under sustained intake at the maximum rate: the real server (default `worker`
 * checkpoints, default WAL_SIZE_LIMIT_MB) takes as many cases as 50 connections can push for
 * WAL_BENCH_SECONDS (default 300: five minutes) while the WAL file's size is sampled every
 * 100 ms; the log shows the largest WAL of every 10 s window. The checkpoint stall shows in
 * the intake p99 and max. Baseline: the same run with SQLite's own checkpoints inside commits
 * (`WAL_CHECKPOINTS=auto`), which keep the WAL small by stalling the committing request.
 *
 *   WAL_BENCH_SECONDS=60 npm run bench -- --filter wal
 */
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { ADMIN_TOKEN } from '../test/support/harness.js';
import { startServer } from '../test/support/server.js';
import type { Bench, BenchRow } from './bench.js';
import { prepareStore } from './intake.bench.js';
import { ROOT } from './seed-store.js';

const SECONDS = Number(process.env.WAL_BENCH_SECONDS ?? 300);
const MiB = 1024 * 1024;

interface Run {
  cases: number;
  p50: number;
  p99: number;
  max: number;
  largestWal: number;
  errors: number;
}

async function run(mode: 'worker' | 'auto', store: string, log: (line: string) => void): Promise<Run> {
  await prepareStore(store);
  const server = await startServer({
    databasePath: store,
    env: { LOG_LEVEL: 'error', WAL_CHECKPOINTS: mode, RATE_LIMIT_CASES_PER_TOKEN: 'off', RATE_LIMIT_CASES_PER_CUSTOMER: 'off' },
  });
  let largest = 0;
  let windowLargest = 0;
  let elapsed = 0;
  const sampler = setInterval(() => {
    const size = fs.statSync(`${store}-wal`, { throwIfNoEntry: false })?.size ?? 0;
    largest = Math.max(largest, size);
    windowLargest = Math.max(windowLargest, size);
    elapsed += 100;
    if (elapsed % 10_000 === 0) {
      log(`${mode} t=${elapsed / 1000}s: largest WAL in the last 10 s ${(windowLargest / MiB).toFixed(1)} MiB, database ${(fs.statSync(store).size / MiB).toFixed(0)} MiB`);
      windowLargest = 0;
    }
  }, 100);
  let n = 0;
  const result = await autocannon({
    url: `${server.url}/api/v1/cases`,
    connections: 50,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
        setupRequest(req) {
          req.body = JSON.stringify({ customer: { email: `wal${n % 500}@example.com` }, subject: `Refund for a double charge #${n}`, description: 'My card was charged twice for the March invoice, please refund.' });
          n++;
          return req;
        },
      },
    ],
  });
  clearInterval(sampler);
  await server.stop();
  const out: Run = { cases: result['2xx'], p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max, largestWal: largest, errors: result.non2xx + result.errors };
  log(`${mode}: ${out.cases} cases in ${SECONDS} s (${(out.cases / SECONDS).toFixed(0)}/s), p50 ${out.p50} ms, p99 ${out.p99} ms, max ${out.max} ms, largest WAL ${(largest / MiB).toFixed(1)} MiB, ${out.errors} errors`);
  return out;
}

const bench: Bench = {
  name: 'wal',
  async run({ log }) {
    const dir = path.join(ROOT, '.bench', 'wal');
    fs.mkdirSync(dir, { recursive: true });
    const store = path.join(dir, 'casebook.db');
    const worker = await run('worker', store, log);
    const auto = await run('auto', store, log);
    const rows: BenchRow[] = [
      {
        figure: `largest WAL (MiB as ms) over ${SECONDS} s of intake at the maximum rate (c=50)`,
        ms: worker.largestWal / MiB,
        baseline: "SQLite's checkpoints inside commits",
        baselineMs: Math.max(auto.largestWal / MiB, 0.001),
        goalMs: 64,
        note: `${worker.cases} cases (${(worker.cases / SECONDS).toFixed(0)}/s), limit 64 MiB; auto: ${auto.cases} cases`,
      },
      {
        figure: `intake p99 over ${SECONDS} s at the maximum rate (checkpoint stalls included)`,
        ms: worker.p99,
        baseline: "the same with SQLite's checkpoints inside commits",
        baselineMs: auto.p99,
        note: `p50 ${worker.p50} ms, max ${worker.max} ms; auto: p50 ${auto.p50} ms, max ${auto.max} ms`,
      },
    ];
    return rows;
  },
};

export default bench;
