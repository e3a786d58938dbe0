import fs from 'node:fs';

/** This process's main thread's CPU time so far, µs (Linux schedstat: ns on the CPU; the thread pool's and GC helpers' threads not counted). */
export function mainThreadMicros(): number {
  return Number(fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
}
