/** A real SMTP server for tests (smtp-server on 127.0.0.1, a free port), keeping what it receives. */
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface Inbox {
  port: number;
  messages: { to: string[]; mail: ParsedMail }[];
  /** Refuse the next `n` messages with a temporary error. */
  refuse(n: number): void;
  /** Answer no message until `release()` (senders wait: their outbox items stay claimed). */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startSmtp(): Promise<Inbox> {
  let refusals = 0;
  let held: Promise<void> | null = null;
  let release: () => void = () => undefined;
  const messages: Inbox['messages'] = [];
  const server = new SMTPServer({
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      const answer = () => {
        if (refusals > 0) {
          refusals--;
          const error = Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 });
          callback(error);
          return;
        }
        simpleParser(Buffer.concat(chunks)).then(
          (mail) => {
            messages.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
            callback();
          },
          (error: Error) => callback(error),
        );
      };
      stream.on('end', () => (held ? void held.then(answer) : answer()));
    },
  });
  // A client's connection reset mid-session (a server killed with kill -9 while its mail was held)
  // is the server's 'error' event: unheard, it is an uncaught exception in whatever test runs then.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    messages,
    refuse(n) {
      refusals = n;
    },
    hold() {
      held ??= new Promise<void>((resolve) => (release = resolve));
    },
    release() {
      held = null;
      release();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

