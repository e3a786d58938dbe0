/**
 * Graceful shutdown under load, through the real server: a stream of intake requests, each
 * with its own Idempotency-Key, while SIGTERM arrives. Every request either gets an answer or
 * is refused before the server accepted it (or, rarely, is reset unread: see the loop); a
 * request the server accepted is never cut. A
 * client that retries its failed requests (same key, same body) on the restarted server
 * never creates a duplicate — and no retry is a replay, which would mean the server had
 * processed a request whose client got an error. The process exits 0 within the bound.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, tempDir } from '../support/harness.js';
import { startServer, type RunningServer } from '../support/server.js';

const ROUNDS = 2;
const IN_FLIGHT = 16;
/** SIGTERM once this many cases were acknowledged in a round. */
const ACK_BEFORE_SIGNAL = 40;
/** The shutdown bound in src/main.ts (SHUTDOWN_GRACE_MS). */
const EXIT_BOUND_MS = 10_000;

interface Sent {
  key: string;
  body: string;
}

interface Round {
  acked: Map<string, { id: string; sent: Sent }>;
  /** Connection refused: the server never accepted these. */
  refused: Sent[];
  /** Any other failure (reset, socket closed): the client cannot know what happened. */
  failed: Sent[];
  other: number[];
  exitCode: number | null;
  exitMs: number;
}

const ENV = { RATE_LIMIT_CASES_PER_TOKEN: 'off', RATE_LIMIT_CASES_PER_CUSTOMER: 'off' };

function send(url: string, sent: Sent): Promise<Response> {
  return fetch(`${url}/api/v1/cases`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json', 'Idempotency-Key': `"${sent.key}"` },
    body: sent.body,
  });
}

function causeCode(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? String(error);
}

async function loadUntilStopped(server: RunningServer, round: number): Promise<Round> {
  const result: Round = { acked: new Map(), refused: [], failed: [], other: [], exitCode: null, exitMs: 0 };
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  let signalled = false;
  let n = 0;
  const worker = async () => {
    for (;;) {
      const key = randomUUID();
      const sent = { key, body: JSON.stringify({ customer: { email: `s${round}-${n % 9}@example.com` }, subject: `Shutdown ${round} #${n++} ${key}`, description: 'I was charged twice, please refund' }) };
      try {
        const res = await send(server.url, sent);
        const text = await res.text();
        if (res.status === 201) result.acked.set(key, { id: (JSON.parse(text) as { id: string }).id, sent });
        else result.other.push(res.status);
        if (!signalled && result.acked.size >= ACK_BEFORE_SIGNAL) {
          signalled = true;
          const at = performance.now();
          server.child.kill('SIGTERM');
          void exited.then((code) => {
            result.exitCode = code;
            result.exitMs = performance.now() - at;
          });
        }
      } catch (error) {
        if (causeCode(error) === 'ECONNREFUSED') {
          result.refused.push(sent);
          return; // the server stopped listening: this client is done
        }
        result.failed.push(sent);
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await exited;
  return result;
}

describe('SIGTERM under load', () => {
  it('answers or refuses every request, cuts none it accepted, and a retrying client never duplicates', async () => {
    const dbPath = path.join(tempDir(), 'casebook.db');
    const acked = new Map<string, string>();
    let toRetry: Sent[] = [];
    let resets = 0;
    let refusedTotal = 0;
    let lastAcked: { sent: Sent; id: string } | null = null;
    for (let round = 1; round <= ROUNDS + 1; round++) {
      const server = await startServer({ databasePath: dbPath, env: ENV });
      // The client retries what failed in the round before, with the same key and body.
      for (const sent of toRetry) {
        const res = await send(server.url, sent);
        const json = (await res.json()) as { id: string };
        expect(res.status).toBe(201);
        // A replay here would mean the server had stored this case while its client got an error.
        expect(res.headers.get('Idempotent-Replayed'), `retry of ${sent.key}`).toBeNull();
        acked.set(sent.key, json.id);
      }
      // …and an acknowledged request sent again gets its first answer back, creating nothing.
      if (lastAcked) {
        const again = await send(server.url, lastAcked.sent);
        expect(again.headers.get('Idempotent-Replayed')).toBe('true');
        expect(((await again.json()) as { id: string }).id).toBe(lastAcked.id);
      }
      if (round > ROUNDS) {
        expect(await server.stop()).toBe(0);
        break;
      }
      const r = await loadUntilStopped(server, round);
      expect(r.exitCode, server.output()).toBe(0);
      expect(r.exitMs).toBeLessThan(EXIT_BOUND_MS);
      expect(r.other).toEqual([]);
      // Open connections are told to close (Connection: close) and closed once idle; new ones
      // are refused. A reset (ECONNRESET) is still possible: a connection the kernel had
      // completed but the server had not yet accepted when the listening socket closed is reset
      // by the kernel, its request unread (1 of ~170 requests: once in CI, and in 2 of 5 runs
      // alone). What is checked is that such a request was never read: its retry in
      // the next round is a new request, not a replay, and in the end the database holds
      // exactly the acknowledged cases. A request the drain read and then cut would fail both.
      expect(r.acked.size).toBeGreaterThanOrEqual(ACK_BEFORE_SIGNAL);
      expect(server.output()).not.toMatch(/were cut/);
      for (const [key, { id }] of r.acked) acked.set(key, id);
      const [, last] = [...r.acked.entries()].at(-1)!;
      lastAcked = last;
      resets += r.failed.length;
      refusedTotal += r.refused.length;
      toRetry = [...r.refused, ...r.failed];
      process.stderr.write(`shutdown round ${round}: ${r.acked.size} answered, ${r.refused.length} refused, ${r.failed.length} reset, exit ${r.exitCode} after ${Math.round(r.exitMs)} ms\n`);
    }
    expect(refusedTotal).toBeGreaterThan(0);

    const db = new Database(dbPath, { readonly: true });
    const ids = db.prepare('SELECT id FROM cases').pluck().all() as number[];
    const duplicates = db.prepare("SELECT substr(subject, -36) AS key, count(*) AS n FROM cases GROUP BY key HAVING n > 1").all();
    db.close();
    expect(duplicates).toEqual([]);
    // Exactly the acknowledged cases exist: nothing stored that no client was told about.
    expect(new Set(ids.map((id) => `C-${id}`))).toEqual(new Set(acked.values()));
    process.stderr.write(`shutdown: ${acked.size} cases, ${resets} resets of requests the server had not accepted\n`);
  }, 60_000);
});
