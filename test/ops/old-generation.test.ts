/**
 * An intake leaves nothing behind in V8's old generation once it is answered. What a request
 * allocates dies young, in the scavenges; what the scavenges promote instead stays in the old
 * generation until the next full collection, and that growth between full collections is most
 * of the server's peak RSS under load (docs/performance.md, "Issue 11: what the old generation
 * kept"). Three things once promoted a few KiB of every intake: a Set of the responses in
 * flight (src/http/listen.ts), a WeakMap of the answers' view parts, and object literals that
 * spread an object and then add a property V8 gives a new hidden class every time (~4–8 KiB an
 * intake together at 10–50 requests in flight, against ~0.1 KiB after).
 *
 * Measured on the built server as `npm start` runs it, from V8's own account of each scavenge
 * (`--trace-gc-nvp`: the bytes it promoted), while intakes arrive 8 at a time on keep-alive
 * connections: a request lives a few milliseconds, a scavenge comes every tens of them, so
 * nothing of an answered intake should still be alive at two scavenges in a row.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, tempDir } from '../support/harness.js';
import { startServer, type RunningServer } from '../support/server.js';

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ databasePath: path.join(tempDir('old-generation'), 'casebook.db'), nodeArgs: ['--trace-gc-nvp'] });
});
afterAll(async () => {
  await server?.stop();
});

const SUBJECTS = ['Refund for a double charge', 'Login error after the update', 'How do I export my data?', 'Calendar not syncing'];

/** `count` intakes, `together` at a time; every one must be stored. */
async function intakes(count: number, together: number, from: number): Promise<void> {
  for (let n = from; n < from + count; n += together) {
    const answers = await Promise.all(
      Array.from({ length: together }, (_, i) =>
        fetch(`${server.url}/api/v1/cases`, {
          method: 'POST',
          // Uncompressed, as the bench's load generator asks: compression is measured on its own.
          headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json', 'Accept-Encoding': 'identity' },
          body: JSON.stringify({ customer: { email: `customer${(n + i) % 200}@example.com` }, subject: SUBJECTS[(n + i) % SUBJECTS.length], description: `The ${n + i}th request: it fails with error 500 since this morning.` }),
        }).then(async (res) => [res.status, await res.arrayBuffer()] as const),
      ),
    );
    expect(answers.map(([status]) => status)).toEqual(Array(together).fill(201));
  }
}

/**
 * Bytes the main thread's scavenges promoted, from V8's trace lines written since `from` (the
 * output's length then). Each line names its isolate (`[pid:0x…]`); the WAL checkpoint worker
 * has its own, with a scavenge now and then: the main thread's is the one with the most lines.
 */
function promotedSince(from: number): { scavenges: number; bytes: number } {
  const lines = server.output().slice(from).split('\n').filter((line) => line.includes(' gc=s '));
  const isolates = new Map<string, string[]>();
  for (const line of lines) {
    const isolate = line.slice(0, line.indexOf(']') + 1);
    isolates.set(isolate, [...(isolates.get(isolate) ?? []), line]);
  }
  const main = [...isolates.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  const bytes = main.reduce((sum, line) => sum + Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0), 0);
  return { scavenges: main.length, bytes };
}

describe('the old generation under intake', () => {
  it('keeps under 1 KiB an intake of what intakes 8 at a time allocate', async () => {
    await intakes(400, 8, 0); // warm-up: the JIT, the caches, the desk
    const mark = server.output().length;
    const COUNT = 1600;
    await intakes(COUNT, 8, 400);
    const { scavenges, bytes } = promotedSince(mark);
    // ~150 KiB allocated an intake: 1,600 of them are several scavenges on any machine.
    expect(scavenges).toBeGreaterThan(3);
    expect(bytes / COUNT / 1024).toBeLessThan(1);
  }, 120_000);
});
