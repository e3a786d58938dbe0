/**
 * The writer gate: the server's main thread and its checkpoint worker (checkpoint-worker.js)
 * take turns at SQLite's write lock through shared memory, not through SQLite's busy handler.
 *
 * A checkpoint that starts the WAL over (RESTART, TRUNCATE) holds writers off for a few
 * milliseconds. A writer that met that hold inside SQLite slept on SQLite's busy-handler
 * schedule (1, 2, 5, 10, 15 ms…) and woke long after the hold had ended: at c=50 a group of
 * intakes waited 3, 8, 18 or 33 ms where the hold took 1–5 (issue 11, docs/performance.md).
 *
 * The protocol, on three shared integers:
 * - WRITING: the main thread raises it before each write transaction (`enter`, from
 *   `beforeWrite`) and lowers it when the transaction is over (`leave`), waking the worker.
 * - HOLDING: the worker raises it before it tries such a checkpoint and lowers it (waking the
 *   main thread) when the try is over. While WRITING is up it does not try: it sleeps until
 *   the main thread's transaction ends, so its try lands between two of them.
 * - WAITING: the main thread, finding HOLDING up as it enters, lowers WRITING, raises WAITING
 *   and sleeps until HOLDING falls. The worker, seeing WAITING, does not try again after a busy
 *   answer (someone else's reader): it leaves that to a later look.
 *
 * Each side raises its own flag before it reads the other's (sequentially consistent atomics),
 * so the two never both go ahead: the main thread never meets the worker's hold inside SQLite,
 * and waits exactly as long as the hold lasts. SQLite's locks stay the truth: the gate only
 * orders who asks; a writer in another process still meets SQLite's busy handler as before.
 *
 * The worker gets these indices with the buffer (workerData).
 */
export const GATE_WRITING = 0;
export const GATE_HOLDING = 1;
export const GATE_WAITING = 2;

export interface WriterGate {
  /** Shared with the worker (workerData). */
  readonly buffer: SharedArrayBuffer;
  /**
   * Before a write transaction: raises WRITING, first standing aside while the worker holds
   * writers off, at most `timeoutMs` in all. Returns the ms stood aside (0: not at all).
   */
  enter(timeoutMs: number): number;
  /** After it (committed, rolled back or never begun): lowers WRITING and wakes the worker. */
  leave(): void;
  /** Lowers HOLDING, waking a writer: for a worker that died holding it. */
  release(): void;
}

export function createWriterGate(): WriterGate {
  const buffer = new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
  const gate = new Int32Array(buffer);
  return {
    buffer,
    enter(timeoutMs) {
      Atomics.store(gate, GATE_WRITING, 1);
      if (Atomics.load(gate, GATE_HOLDING) === 0) return 0;
      const started = performance.now();
      const deadline = started + timeoutMs;
      do {
        Atomics.store(gate, GATE_WRITING, 0);
        Atomics.store(gate, GATE_WAITING, 1);
        Atomics.notify(gate, GATE_WRITING);
        Atomics.notify(gate, GATE_WAITING);
        Atomics.wait(gate, GATE_HOLDING, 1, Math.max(0, deadline - performance.now()));
        Atomics.store(gate, GATE_WAITING, 0);
        Atomics.store(gate, GATE_WRITING, 1);
        // Past the deadline the transaction goes ahead: SQLite's busy handling decides.
      } while (Atomics.load(gate, GATE_HOLDING) !== 0 && performance.now() < deadline);
      return performance.now() - started;
    },
    leave() {
      Atomics.store(gate, GATE_WRITING, 0);
      Atomics.notify(gate, GATE_WRITING);
    },
    release() {
      Atomics.store(gate, GATE_HOLDING, 0);
      Atomics.notify(gate, GATE_HOLDING);
    },
  };
}
