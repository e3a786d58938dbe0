/**
 * The intake's main-thread CPU in process (no HTTP): `createCase` in groups of 20 started
 * together (one group commit each, as requests arriving in one turn), on a temp copy of the
 * benchmark's store (bench/intake.bench.ts `prepareStore`: default definitions, the demo desk
 * and 45 more agents), the outbox stopped so that only the intake runs, the WAL checkpointed
 * from a worker thread as the server's is (src/db/checkpointer.ts). Rounds of 500 intakes;
 * per round the main thread's CPU time (Linux `/proc/self/task/<pid>/schedstat`, ns; GC helper
 * threads not counted) and the whole process's (`process.cpuUsage`). The best round is the
 * figure: on a shared machine the others' load only ever adds. Then, in passes of their own
 * (they slow the intake down), statement executions per intake (better-sqlite3's statement
 * methods wrapped) and promises created per intake (an async_hooks `init` hook: each is at
 * least one microtask turn when awaited). In `npm run bench` the same again with each intake
 * committed alone, one after the other (c=1's case: its own BEGIN and COMMIT, its search
 * documents left waiting: src/db/search-staging.ts), and in groups of 20 with descriptions that
 * are ~8 KB support mails (bench/support/intake-inputs.ts `supportMail`), as mail intake gets them.
 *
 *   npm run bench -- --filter intake-cpu
 *   INTAKE_CPU_ROUNDS=15 node --import tsx bench/intake-cpu.bench.ts   # alone, prints one line
 *   INTAKE_CPU_PROFILE=/tmp/intake.cpuprofile …                        # and a CPU profile of the timed rounds
 *   INTAKE_CPU_HTTP=1 …                                                # through POST /api/v1/cases in process
 *   INTAKE_CPU_OUTBOX=1 …                                              # the outbox running (notifications performed)
 *   INTAKE_CPU_GROUP=1 …                                               # each intake committed alone
 *   INTAKE_CPU_MAIL=8000 …                                             # descriptions that are ~8 KB support mails
 *   INTAKE_CPU_REPLIES=1 …                                             # staff replies to existing cases, not intakes
 *   INTAKE_CPU_SENDER=10000 …                                          # every intake from one sender with that many open cases
 *   INTAKE_CPU_AUTOCHECKPOINT=1 …                                      # SQLite's own checkpoints inside the commits instead (as before 2026-12-08)
 *
 * The baseline is the same intakes' wall time: CPU close to wall means the main thread was
 * busy with the intake, not waiting for the machine.
 */
import { createHook } from 'node:async_hooks';
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { systemClock } from '../src/clock.js';
import { openDatabase } from '../src/db/client.js';
import { startCheckpointer } from '../src/db/checkpointer.js';
import { createLogger } from '../src/logger.js';
import { createServices } from '../src/compose.js';
import { createCase } from '../src/cases/create-case.js';
import { sendMessage } from '../src/cases/send-message.js';
import type { Actor } from '../src/roles.js';
import { createApp } from '../src/http/app.js';
import { ADMIN_TOKEN, tempDir } from '../test/support/harness.js';
import type { Bench, BenchRow } from './bench.js';
import { prepareStore } from './intake.bench.js';
import { countStatements } from './support/count-statements.js';
import { INTAKE_INPUTS, longIntakeInputs } from './support/intake-inputs.js';
import { mainThreadMicros } from './support/main-thread-cpu.js';

const ROUNDS = Number(process.env.INTAKE_CPU_ROUNDS ?? 9);
/** INTAKE_CPU_HTTP=1: through the route in process (`app.request()`: auth, validation, the answer), not createCase. */
const HTTP = process.env.INTAKE_CPU_HTTP === '1';
/** INTAKE_CPU_OUTBOX=1: the outbox runs (each intake's notification is performed, as in a server), not stopped. */
const OUTBOX = process.env.INTAKE_CPU_OUTBOX === '1';
const PER_ROUND = 500;
/** Intakes started together: one group commit each (as requests arriving in one turn). */
const GROUP = 20;
/** INTAKE_CPU_GROUP=1 (run alone): intakes one after the other, each committed alone (as at c=1). */
const GROUP_ALONE = Number(process.env.INTAKE_CPU_GROUP ?? GROUP);
/** INTAKE_CPU_MAIL=8000 (run alone): descriptions that are support mails of about that many characters. */
const MAIL = Number(process.env.INTAKE_CPU_MAIL ?? 0);
const INPUTS = MAIL > 0 ? longIntakeInputs(MAIL) : INTAKE_INPUTS;
/** INTAKE_CPU_REPLIES=1 (run alone): staff replies to the warm-up's cases are timed, not intakes. */
const REPLIES = process.env.INTAKE_CPU_REPLIES === '1';
/** INTAKE_CPU_SENDER=10000 (run alone): every intake from one sender, who has that many open cases when the rounds start. */
const SENDER = Number(process.env.INTAKE_CPU_SENDER ?? 0);
/** A sender of alerts (a monitoring system's address): `npm run bench`'s row for one with many open cases. */
const SENDER_OPEN = 10_000;
/** The long mails of `npm run bench`'s third row: what a mail's length costs an intake. */
const MAIL_BYTES = 8000;

function processMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

export interface IntakeCpu {
  /** Main-thread CPU per intake, µs, every round (in order). */
  mainRounds: number[];
  /** Whole-process CPU per intake, µs, every round. */
  processRounds: number[];
  /** Wall time per intake, µs, every round. */
  wallRounds: number[];
  statements: number;
  promises: number;
}

/**
 * `replies`: after the warm-up's intakes, the rounds time staff replies (`sendMessage`) to those
 * cases instead, each of a group to a case of its own (a case's commands run one after the
 * other), with `inputs`' descriptions as their bodies. `senderOpen` > 0: every intake comes from
 * one address, and the warm-up leaves it that many open cases (the rules' `customer.openCases`).
 */
export async function measureIntakeCpu(rounds = ROUNDS, group = GROUP, inputs = INPUTS, replies = REPLIES, senderOpen = SENDER): Promise<IntakeCpu> {
  const dir = tempDir('casebook-intake-cpu-');
  const file = path.join(dir, 'intake.db');
  await prepareStore(file);
  const db = openDatabase(file);
  // The server's checkpoints (src/db/checkpointer.ts): from a worker thread, SQLite's automatic
  // one off. Without it every 1,000th WAL page's commit would copy the WAL into the database on
  // this thread, as no server's commit does.
  const checkpointer = process.env.INTAKE_CPU_AUTOCHECKPOINT === '1' ? null : startCheckpointer(db, file, createLogger('silent'));
  const services = createServices(db, systemClock);
  if (!OUTBOX) services.outbox.stop();
  const admin = db.$client.prepare("SELECT id, name FROM staff WHERE role = 'admin' ORDER BY id LIMIT 1").get() as { id: number; name: string };
  const actor: Actor = { type: 'staff', id: admin.id, role: 'admin', name: admin.name };
  let n = 0;
  const app = HTTP ? createApp(services, { adminToken: ADMIN_TOKEN }) : null;
  const one = async () => {
    const i = n++;
    const [subject, description] = inputs[i % inputs.length]!;
    const input = { customer: { email: senderOpen > 0 ? 'alerts@monitoring.example.com' : `customer${i % 500}@example.com` }, subject, description };
    if (!app) {
      await createCase(services, input, actor);
      return;
    }
    const res = await app.request('/api/v1/cases', { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(input) });
    if (res.status !== 201) throw new Error(`intake answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };
  // The warm-up's cases, numbered on from the store's last.
  const firstCase = db.$client.prepare('SELECT coalesce(max(id), 0) + 1 FROM cases').pluck().get() as number;
  let r = 0;
  const reply = async () => {
    const i = r++;
    await sendMessage(services, firstCase + (i % 1000), { body: inputs[i % inputs.length]![1], public: true }, actor);
  };
  let timed = one;
  const round = async (count: number) => {
    for (let done = 0; done < count; done += group) await Promise.all(Array.from({ length: group }, timed));
    if (OUTBOX) await services.outbox.idle();
  };
  try {
    await round(senderOpen > 0 ? senderOpen : 1000); // warm-up: JIT, caches, the desk's loads (the sender's open cases)
    if (replies) {
      timed = reply;
      await round(1000);
    }
    const result: IntakeCpu = { mainRounds: [], processRounds: [], wallRounds: [], statements: 0, promises: 0 };
    const profile = process.env.INTAKE_CPU_PROFILE ? await startProfile() : null;
    for (let r = 0; r < rounds; r++) {
      const main = mainThreadMicros();
      const proc = processMicros();
      const wall = performance.now();
      await round(PER_ROUND);
      result.wallRounds.push(((performance.now() - wall) * 1000) / PER_ROUND);
      result.processRounds.push((processMicros() - proc) / PER_ROUND);
      result.mainRounds.push((mainThreadMicros() - main) / PER_ROUND);
    }
    if (profile) fs.writeFileSync(process.env.INTAKE_CPU_PROFILE!, JSON.stringify(await profile()));

    const statements = await countStatements(db, () => round(PER_ROUND));
    result.statements = statements / PER_ROUND;

    let promises = 0;
    const hook = createHook({
      init(_id, type) {
        if (type === 'PROMISE') promises++;
      },
    }).enable();
    try {
      await round(PER_ROUND);
    } finally {
      hook.disable();
    }
    result.promises = promises / PER_ROUND;
    return result;
  } finally {
    services.outbox.stop();
    await services.outbox.idle();
    await checkpointer?.stop();
    db.$client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A CPU profile of the timed rounds only (INTAKE_CPU_PROFILE=file.cpuprofile): call the result to stop it. */
async function startProfile(): Promise<() => Promise<object>> {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  return async () => {
    const { profile } = (await post('Profiler.stop')) as { profile: object };
    session.disconnect();
    return profile;
  };
}

const us = (v: number) => `${v.toFixed(0)} µs`;
const median = (list: readonly number[]) => [...list].sort((a, b) => a - b)[list.length >> 1]!;

function summary(r: IntakeCpu): string {
  return (
    `main thread best ${us(Math.min(...r.mainRounds))} median ${us(median(r.mainRounds))}; process best ${us(Math.min(...r.processRounds))}; ` +
    `wall best ${us(Math.min(...r.wallRounds))}; statements ${r.statements.toFixed(1)}; promises ${r.promises.toFixed(1)} per intake; ` +
    `rounds ${r.mainRounds.map((v) => v.toFixed(0)).join(' ')}`
  );
}

const bench: Bench = {
  name: 'intake CPU in process',
  async run(ctx): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    // In groups of 20 (c=50's case), then each committed alone (c=1's: BEGIN and COMMIT per intake).
    let grouped = 0;
    for (const group of [GROUP, 1]) {
      const r = await measureIntakeCpu(ROUNDS, group, INTAKE_INPUTS, false);
      if (group === GROUP) grouped = Math.min(...r.mainRounds);
      ctx.log(`${group === 1 ? 'alone' : `groups of ${group}`}: ${summary(r)}`);
      rows.push({
        figure: `createCase ${group === 1 ? 'committed alone, one after the other' : `in groups of ${group}`}, main-thread CPU per intake (best of ${r.mainRounds.length} rounds of ${PER_ROUND})`,
        ms: Math.min(...r.mainRounds) / 1000,
        baseline: 'wall time per intake (best round)',
        baselineMs: Math.min(...r.wallRounds) / 1000,
        note: `${r.statements.toFixed(1)} statements, ${r.promises.toFixed(0)} promises per intake`,
      });
    }
    // Mail intake's descriptions are mails, not a sentence: the same in groups of 20 with ~8 KB ones.
    const mails = await measureIntakeCpu(ROUNDS, GROUP, longIntakeInputs(MAIL_BYTES), false);
    ctx.log(`groups of ${GROUP}, ${MAIL_BYTES}-character mails: ${summary(mails)}`);
    rows.push({
      figure: `createCase in groups of ${GROUP}, descriptions that are ~${MAIL_BYTES}-character support mails, main-thread CPU per intake (best round)`,
      ms: Math.min(...mails.mainRounds) / 1000,
      baseline: 'the same with the one-sentence descriptions',
      baselineMs: grouped / 1000,
      note: 'what the length of a mail costs an intake (folding, rules, rows, search index)',
    });
    // The other writes that land on a case all day: replies (the message's search document, the
    // case's first response, its SLA timers), in groups of 20 to cases of their own.
    const replies = await measureIntakeCpu(ROUNDS, GROUP, INTAKE_INPUTS, true);
    ctx.log(`replies in groups of ${GROUP}: ${summary(replies)}`);
    rows.push({
      figure: `sendMessage (a staff reply) in groups of ${GROUP}, main-thread CPU per reply (best round)`,
      ms: Math.min(...replies.mainRounds) / 1000,
      baseline: 'an intake in groups of 20 (createCase)',
      baselineMs: grouped / 1000,
      note: `${replies.statements.toFixed(1)} statements, ${replies.promises.toFixed(0)} promises per reply`,
    });
    // A sender of alerts whose cases stay open: what the customer's open cases cost an intake.
    const sender = await measureIntakeCpu(ROUNDS, GROUP, INTAKE_INPUTS, false, SENDER_OPEN);
    ctx.log(`groups of ${GROUP}, one sender with ${SENDER_OPEN} open cases: ${summary(sender)}`);
    rows.push({
      figure: `createCase in groups of ${GROUP}, every intake from one sender with ${SENDER_OPEN.toLocaleString('en')} open cases, main-thread CPU per intake (best round)`,
      ms: Math.min(...sender.mainRounds) / 1000,
      baseline: 'an intake in groups of 20 from 500 customers (createCase)',
      baselineMs: grouped / 1000,
      note: "the rules' customer.openCases is read with the customer's row (customers.open_cases), not counted",
    });
    return rows;
  },
};
export default bench;

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const r = await measureIntakeCpu(ROUNDS, GROUP_ALONE);
  process.stdout.write(`${summary(r)}\n`);
}
