import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createWriterGate, GATE_HOLDING, GATE_WAITING, GATE_WRITING } from './writer-gate.js';

/** A thread playing the checkpoint worker's side of the gate; `script` gets `gate` (Int32Array), `at()` (ms, shared clock) and `post`. */
function otherSide(buffer: SharedArrayBuffer, script: string): { worker: Worker; next: () => Promise<Record<string, unknown>> } {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const gate = new Int32Array(workerData.buffer);
     const [WRITING, HOLDING, WAITING] = workerData.indices;
     const at = () => performance.timeOrigin + performance.now();
     const post = (m) => parentPort.postMessage(m);
     ${script}`,
    { eval: true, workerData: { buffer, indices: [GATE_WRITING, GATE_HOLDING, GATE_WAITING] } },
  );
  const messages: Record<string, unknown>[] = [];
  const waiting: ((m: Record<string, unknown>) => void)[] = [];
  worker.on('message', (m: Record<string, unknown>) => (waiting.length > 0 ? waiting.shift()!(m) : messages.push(m)));
  return { worker, next: () => (messages.length > 0 ? Promise.resolve(messages.shift()!) : new Promise((resolve) => waiting.push(resolve))) };
}

describe('the writer gate', () => {
  it('lets a transaction go ahead at once while the worker does not hold writers off, and wakes the worker the moment it is over', async () => {
    const gate = createWriterGate();
    const flags = new Int32Array(gate.buffer);
    expect(gate.enter(5000)).toBe(0);
    expect(Atomics.load(flags, GATE_WRITING)).toBe(1);
    // The worker waits for the transaction to end before it tries.
    const { worker, next } = otherSide(gate.buffer, `post('waiting'); Atomics.wait(gate, WRITING, 1, 10000); post({ writing: Atomics.load(gate, WRITING) });`);
    expect(await next()).toBe('waiting');
    gate.leave();
    expect(await next()).toEqual({ writing: 0 });
    await worker.terminate();
  });

  it('stands a transaction aside while the worker holds writers off: WRITING down and WAITING up meanwhile, ahead only once HOLDING falls', async () => {
    const gate = createWriterGate();
    const { worker, next } = otherSide(
      gate.buffer,
      `Atomics.store(gate, HOLDING, 1);
       post('holding');
       Atomics.wait(gate, WAITING, 0, 10000);
       const seen = { writing: Atomics.load(gate, WRITING), waiting: Atomics.load(gate, WAITING) };
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30);
       const releasedAt = at();
       Atomics.store(gate, HOLDING, 0);
       Atomics.notify(gate, HOLDING);
       post({ ...seen, releasedAt });`,
    );
    expect(await next()).toBe('holding');
    const waited = gate.enter(5000);
    const wentAheadAt = performance.timeOrigin + performance.now();
    const flags = new Int32Array(gate.buffer);
    expect(Atomics.load(flags, GATE_WRITING)).toBe(1);
    expect(Atomics.load(flags, GATE_WAITING)).toBe(0);
    const seen = (await next()) as { writing: number; waiting: number; releasedAt: number };
    // While it stood aside the worker saw it waiting, not writing.
    expect(seen).toMatchObject({ writing: 0, waiting: 1 });
    expect(wentAheadAt).toBeGreaterThanOrEqual(seen.releasedAt);
    expect(waited).toBeGreaterThanOrEqual(25);
    gate.leave();
    await worker.terminate();
  });

  it('goes ahead after its timeout when the worker never lets go, and a release opens the gate', () => {
    const gate = createWriterGate();
    const flags = new Int32Array(gate.buffer);
    Atomics.store(flags, GATE_HOLDING, 1);
    expect(gate.enter(40)).toBeGreaterThanOrEqual(39);
    expect(Atomics.load(flags, GATE_WRITING)).toBe(1);
    gate.leave();
    gate.release();
    expect(Atomics.load(flags, GATE_HOLDING)).toBe(0);
    expect(gate.enter(5000)).toBe(0);
  });
});
