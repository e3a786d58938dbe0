/** A real HTTP receiver on a free port of 127.0.0.1 for integration tests: records every request, answers what it is told. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** An answer with headers of its own. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Status of the next answers (one per call, then 200), or a status with headers (`Retry-After`). */
  answer(...statuses: (number | Answer)[]): void;
  /** Delay each answer by this many ms (real time: for timeouts). */
  delay(ms: number): void;
  /** Answers a GET with this JSON (CRM lookups). */
  respond(fn: (req: Received) => { status: number; body?: unknown }): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  let queue: (number | Answer)[] = [];
  let wait = 0;
  let responder: ((req: Received) => { status: number; body?: unknown }) | null = null;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      const reply = () => {
        if (res.destroyed) return;
        if (responder) {
          const out = responder(r);
          res.writeHead(out.status, { 'Content-Type': 'application/json' });
          res.end(out.body === undefined ? '' : JSON.stringify(out.body));
          return;
        }
        const next = queue.shift() ?? 200;
        const status = typeof next === 'number' ? next : next.status;
        const headers = typeof next === 'number' ? {} : next.headers;
        res.writeHead(status, status >= 300 && status < 400 ? { Location: 'http://169.254.169.254/latest/meta-data/', ...headers } : headers);
        res.end(status >= 400 ? 'receiver says no' : 'ok');
      };
      if (wait > 0) setTimeout(reply, wait).unref(); // an answer still pending never holds the test process
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    answer: (...statuses) => {
      queue = statuses;
    },
    delay: (ms) => {
      wait = ms;
    },
    respond: (fn) => {
      responder = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
