/** A real SMTP server for tests (smtp-server on 127.0.0.1, a free port), keeping what it receives. */
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface Inbox {
  port: number;
  /** `from`: the envelope sender (`MAIL FROM`, where bounces go); '' for a null one. */
  messages: { to: string[]; from: string; mail: ParsedMail }[];
  /** Refuse the next `n` messages with a temporary error (451), or with `code` (e.g. 550). */
  refuse(n: number, code?: number): void;
  /** Answer no message until `release()` (senders wait: their outbox items stay claimed). */
  hold(): void;
  /** Messages received and not answered yet (held). */
  held(): number;
  release(): void;
  close(): Promise<void>;
}

/**
 * `port`: listen there (a mail server coming back where the sender expects it); a free one by default.
 * `onMessage`: called with each message as it is accepted (a mailbox that answers mail, say).
 */
export async function startSmtp(port = 0, onMessage?: (message: Inbox['messages'][number]) => void): Promise<Inbox> {
  let refusals = 0;
  let refusalCode = 451;
  let held: Promise<void> | null = null;
  let waiting = 0;
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
          const error = Object.assign(new Error(refusalCode >= 500 ? 'Mailbox unavailable' : 'Mailbox busy, try again later'), { responseCode: refusalCode });
          callback(error);
          return;
        }
        simpleParser(Buffer.concat(chunks)).then(
          (mail) => {
            const message = { to: session.envelope.rcptTo.map((r) => r.address), from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address, mail };
            messages.push(message);
            onMessage?.(message);
            callback();
          },
          (error: Error) => callback(error),
        );
      };
      stream.on('end', () => {
        if (!held) return answer();
        waiting++;
        void held.then(() => {
          waiting--;
          answer();
        });
      });
    },
  });
  // A client's connection reset mid-session (a server killed with kill -9 while its mail was held)
  // is the server's 'error' event: unheard, it is an uncaught exception in whatever test runs then.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    messages,
    refuse(n, code = 451) {
      refusals = n;
      refusalCode = code;
    },
    hold() {
      held ??= new Promise<void>((resolve) => (release = resolve));
    },
    held: () => waiting,
    release() {
      held = null;
      release();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

