/**
 * Live signals across instances on PostgreSQL (src/db/pg/notify-relay.ts): two chat hubs on
 * their own relays and listening connections, on a throw-away cluster (test/support/postgres.ts;
 * skipped when PostgreSQL is not installed). `npm run bench -- --filter relay`.
 *
 * - Latency: one `messages` signal published on A until B's listener has it (one at a time),
 *   beside a bare `SELECT 1` through a pool (a round trip that cannot be avoided).
 * - Burst: 10,000 signals published in turns of 100 until B has them all (batching: one
 *   statement per turn), beside the same 10,000 delivered to A's own listener in process.
 */
import pg from 'pg';
import { ChatHub } from '../src/chat/hub.js';
import { postgresRelay } from '../src/db/pg/notify-relay.js';
import { findPostgresBin, startPostgres } from '../test/support/postgres.js';
import { median, time, type Bench, type BenchRow } from './bench.js';

const ROUND_TRIPS = 200;
const BURST = 10_000;
const PER_TURN = 100;

const bench: Bench = {
  name: 'live relay (PostgreSQL LISTEN/NOTIFY)',
  async run({ log }) {
    if (!findPostgresBin()) {
      log('PostgreSQL is not installed: skipped');
      return [];
    }
    const cluster = await startPostgres();
    const url = await cluster.createDatabase();
    const a = await postgresRelay(url, { instanceId: 'a' });
    const b = await postgresRelay(url, { instanceId: 'b' });
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const hubA = new ChatHub({ relay: a });
      const hubB = new ChatHub({ relay: b });
      let wake: (() => void) | null = null;
      let received = 0;
      hubB.subscribe(1, () => {
        received++;
        wake?.();
      });
      const until = (count: number) =>
        new Promise<void>((resolve) => {
          if (received >= count) return resolve();
          wake = () => {
            if (received >= count) {
              wake = null;
              resolve();
            }
          };
        });

      const select = await median(ROUND_TRIPS, () => pool.query('SELECT 1'));
      const crossing = await median(ROUND_TRIPS, async () => {
        const target = received + 1;
        hubA.publish(1, null, { kind: 'messages' });
        await until(target);
      });
      log(`one signal A → B: ${crossing.toFixed(2)} ms (SELECT 1: ${select.toFixed(2)} ms)`);

      let local = 0;
      const stop = hubA.subscribe(2, () => local++);
      const inProcess = await time(() => {
        for (let i = 0; i < BURST; i++) hubA.publish(2, null, { kind: 'state' });
      });
      stop();
      if (local !== BURST) throw new Error(`in process: ${local} of ${BURST}`);
      await a.flush();

      // Distinct signals (typing with a counter): identical ones in one statement would fold.
      const start = received;
      const burst = await time(async () => {
        for (let turn = 0; turn < BURST / PER_TURN; turn++) {
          for (let i = 0; i < PER_TURN; i++) hubA.publish(1, null, { kind: 'typing', who: 'agent', name: `n${turn * PER_TURN + i}` });
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        await until(start + BURST);
      });
      log(`${BURST} signals A → B: ${burst.ms.toFixed(0)} ms (${Math.round(BURST / (burst.ms / 1000))}/s)`);

      const rows: BenchRow[] = [
        { figure: 'one signal from A to B’s listener', ms: crossing, baseline: 'SELECT 1 through a pool', baselineMs: select, note: `median of ${ROUND_TRIPS}` },
        { figure: `${BURST.toLocaleString('en')} signals A → B, ${PER_TURN} per turn`, ms: burst.ms, baseline: 'the same delivered in process', baselineMs: inProcess.ms, note: `${Math.round(BURST / (burst.ms / 1000)).toLocaleString('en')} signals/s` },
      ];
      return rows;
    } finally {
      await a.close();
      await b.close();
      await pool.end();
      await cluster.stop();
    }
  },
};

export default bench;
