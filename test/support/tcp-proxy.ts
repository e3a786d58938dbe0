/**
 * A TCP proxy on 127.0.0.1 in front of a test's server, for what no browser switch can do: a
 * connection that goes silent without closing, as one cut by a proxy, a NAT or a laptop's
 * sleep is. `silence(text)` stops passing bytes, both ways, on every connection whose latest
 * HTTP request line holds `text`; its sockets stay open and say nothing. Connections made
 * after it pass as before.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  /** `http://127.0.0.1:<port>`: the server behind it, by another origin. */
  url: string;
  /** Silences the open connections whose latest request line holds `text`; how many. */
  silence(text: string): number;
  close(): Promise<void>;
}

const REQUEST_LINE = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (\S+) HTTP\/1\.[01]\r\n/;

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const open = new Set<{ client: net.Socket; upstream: net.Socket; request: string; silent: boolean }>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const connection = { client, upstream, request: '', silent: false };
    open.add(connection);
    client.on('data', (chunk) => {
      const line = REQUEST_LINE.exec(chunk.toString('latin1', 0, Math.min(chunk.length, 2048)));
      if (line) connection.request = `${line[1]} ${line[2]}`;
      if (!connection.silent) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!connection.silent) client.write(chunk);
    });
    const end = () => {
      open.delete(connection);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    silence(text) {
      let n = 0;
      for (const connection of open) {
        if (!connection.silent && connection.request.includes(text)) {
          connection.silent = true;
          n++;
        }
      }
      return n;
    },
    async close() {
      for (const connection of open) {
        connection.client.destroy();
        connection.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
