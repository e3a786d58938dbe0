/**
 * Live chat under 1,000 open streams: the server's RSS and event-loop delay (p99) idle and
 * with 1,000 visitor SSE streams open, then the message round trip (an agent's reply stored →
 * the visitor's stream has it) p99 under that load. The server runs in this process (so its
 * event loop can be measured); the client sockets live here too, so the RSS figure includes
 * them: it is an upper bound for the server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { serve } from '@hono/node-server';
import { sendMessage } from '../src/cases/send-message.js';
import { createSite } from '../src/chat/sites.js';
import { parseChannelsKey } from '../src/channels/secrets.js';
import { systemClock } from '../src/clock.js';
import { createHarness, standardQueues } from '../test/support/harness.js';
import { createApp } from '../src/http/app.js';
import type { Bench, BenchRow } from './bench.js';

const STREAMS = 1000;
const ROUND_TRIPS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const p99 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * 0.99))]!;

async function loopDelayP99(ms: number): Promise<number> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  await sleep(ms);
  h.disable();
  return h.percentile(99) / 1e6;
}

const bench: Bench = {
  name: 'live chat streams',
  async run({ log }): Promise<BenchRow[]> {
    const h = createHarness({ start: Date.now(), services: { channelsKey: parseChannelsKey('33'.repeat(32)), chat: { messagesPerVisitor: { count: 0, windowMs: 60_000 }, messagesPerSite: { count: 0, windowMs: 60_000 }, sessionsPerSite: { count: 0, windowMs: 60_000 }, sessionsPerClient: { count: 0, windowMs: 60_000 } } } });
    standardQueues(h);
    const agent = h.agent({ name: 'Alice', queues: ['general'], capacity: 100_000 });
    h.db.$client.prepare('UPDATE staff SET chat_limit = 100000').run();
    (h.services as { clock: unknown }).clock = systemClock;
    const site = await createSite(h.services, { name: 'Bench', origins: 'https://shop.example', queue: 'general' });
    const app = createApp(h.services, { adminToken: null, publicUrl: 'http://127.0.0.1' });
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const headers = (token?: string) => ({ Origin: base, 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) });

    global.gc?.();
    const idleRss = process.memoryUsage().rss / 2 ** 20;
    const idleDelay = await loopDelayP99(2000);
    log(`idle: RSS ${idleRss.toFixed(0)} MiB, event-loop delay p99 ${idleDelay.toFixed(2)} ms`);

    const tokens: string[] = [];
    for (let i = 0; i < STREAMS + 1; i++) {
      const res = await fetch(`${base}/chat/api/sites/${site.id}/sessions`, { method: 'POST', headers: headers(), body: JSON.stringify({ host: 'https://shop.example', name: `V${i}`, email: `v${i}@example.com` }) });
      tokens.push(((await res.json()) as { token: string }).token);
    }
    const agentHttp = new http.Agent({ keepAlive: true, maxSockets: Infinity });
    const requests: http.ClientRequest[] = [];
    const open = (token: string, onData: (text: string) => void) =>
      new Promise<void>((resolve) => {
        const req = http.get(`${base}/chat/api/stream`, { agent: agentHttp, headers: { ...headers(token), Accept: 'text/event-stream' } }, (res) => {
          res.setEncoding('utf8');
          res.on('data', onData);
          resolve();
        });
        requests.push(req);
      });
    for (let i = 0; i < STREAMS; i += 50) await Promise.all(tokens.slice(i, Math.min(i + 50, STREAMS)).map((t) => open(t, () => undefined)));
    log(`${h.services.chat.hub.listeners} streams open`);
    global.gc?.();
    const loadRss = process.memoryUsage().rss / 2 ** 20;
    const loadDelay = await loopDelayP99(2000);
    log(`1,000 streams: RSS ${loadRss.toFixed(0)} MiB, event-loop delay p99 ${loadDelay.toFixed(2)} ms`);

    // The round trip: the measured visitor's chat becomes a case, then the agent answers ROUND_TRIPS times.
    const token = tokens[STREAMS]!;
    const first = await fetch(`${base}/chat/api/messages`, { method: 'POST', headers: headers(token), body: JSON.stringify({ body: 'Hello' }) });
    const caseId = Number(((await first.json()) as { case: string }).case.slice(2));
    let waiting: { text: string; done: () => void } | null = null;
    let buffer = '';
    await open(token, (chunk) => {
      buffer += chunk;
      if (waiting && buffer.includes(waiting.text)) {
        const w = waiting;
        waiting = null;
        w.done();
      }
    });
    const times: number[] = [];
    for (let i = 0; i < ROUND_TRIPS; i++) {
      const text = `reply-${i}-end`;
      const arrived = new Promise<void>((resolve) => (waiting = { text, done: resolve }));
      const start = performance.now();
      await sendMessage(h.services, caseId, { body: text, public: true }, agent);
      await arrived;
      times.push(performance.now() - start);
    }
    log(`round trip p99 ${p99(times).toFixed(2)} ms over ${ROUND_TRIPS}`);

    for (const req of requests) req.destroy();
    agentHttp.destroy();
    await new Promise((r) => server.close(r));
    h.close();
    return [
      { figure: 'RSS with 1,000 open chat streams (MiB as ms)', ms: loadRss, baseline: 'idle server RSS (MiB as ms)', baselineMs: idleRss, note: 'client sockets in the same process' },
      { figure: 'event-loop delay p99, 1,000 streams', ms: loadDelay, baseline: 'idle event-loop delay p99', baselineMs: idleDelay },
      { figure: 'agent reply → visitor stream, p99 under 1,000 streams', ms: p99(times), baseline: 'median', baselineMs: [...times].sort((a, b) => a - b)[times.length >> 1]!, goalMs: 100, note: `${ROUND_TRIPS} replies` },
    ];
  },
};
export default bench;
