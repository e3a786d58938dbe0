/**
 * An intake leaves next to nothing in V8’s old generation once it is answered. What a request
 * allocates dies young, in the scavenges; what the scavenges promote instead stays in the old
 * generation until the next full collection, and that growth between full collections is most
 * of the server's peak RSS under load (docs/performance.md, "Issue 11: what the old generation
 * kept"). Three things once promoted a few KiB of every intake: a Set of the responses in
 * flight (src/http/listen.ts), a WeakMap of the answers' view parts, and object literals that
 * spread an object and then add a property V8 gives a new hidden class every time (5.9 KiB an
 * intake together in this test, 0.45 after them and the rules' caches of texts).
 *
 * Measured on the built server as `npm start` runs it, from V8's own account of each scavenge
 * (`--trace-gc-nvp`: the bytes it promoted), while intakes arrive on 8 keep-alive connections:
 * a request lives a few milliseconds, a scavenge comes every tens of them, so nothing of an
 * answered intake should still be alive at two scavenges in a row.
 */
import path from 'node:path';
import autocannon from 'autocannon';
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

/**
 * `amount` intakes on 8 keep-alive connections, each sending its next as soon as it has its
 * answer (autocannon, as the bench loads the server); every one must be stored.
 */
async function intakes(amount: number): Promise<void> {
  let n = 0;
  const result = await autocannon({
    url: `${server.url}/api/v1/cases`,
    connections: 8,
    amount,
    requests: [
      {
        method: 'POST',
        // Uncompressed, as the bench's load asks: compression is measured on its own.
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
        setupRequest(req) {
          req.body = JSON.stringify({ customer: { email: `customer${n % 200}@example.com` }, subject: SUBJECTS[n % SUBJECTS.length], description: `The ${n}th request: it fails with error 500 since this morning.` });
          n++;
          return req;
        },
      },
    ],
  });
  expect([result.non2xx, result.errors, result.timeouts, result['2xx']]).toEqual([0, 0, 0, amount]);
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
    const own = isolates.get(isolate);
    if (own) own.push(line);
    else isolates.set(isolate, [line]);
  }
  const main = [...isolates.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  const bytes = main.reduce((sum, line) => sum + Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0), 0);
  return { scavenges: main.length, bytes };
}

describe('the old generation under intake', () => {
  it('keeps under 4 KiB an intake of what intakes on 8 connections allocate', async () => {
    await intakes(400); // warm-up: the JIT, the caches, the desk
    const mark = server.output().length;
    const COUNT = 1600;
    await intakes(COUNT);
    const { scavenges, bytes } = promotedSince(mark);
    // ~150 KiB allocated an intake: 1,600 of them are several scavenges on any machine.
    expect(scavenges).toBeGreaterThan(3);
    // 0.45 KiB here after the fixes (0.1–0.2 KiB with the bench's few repeated inputs), 5.9 KiB
    // before them. Since 2026-12-03 the same build gives one of two figures from run to run,
    // 0.6–0.8 KiB or 3.2 KiB (2 of 17 local runs high; in CI 2 of the day's 3), whatever the number of
    // connections (1 to 8). In a high run every scavenge promotes ~5 times more (~320 KiB, not
    // ~60), evenly: intakes in flight at the scavenges, in a steadier batching of the group
    // commit, not one retained object (cause not found; docs/performance.md). The limit sits
    // above both and below the retention this test was written against.
    expect(bytes / COUNT / 1024).toBeLessThan(4);
  }, 120_000);
});
