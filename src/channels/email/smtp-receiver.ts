/**
 * Casebook's own SMTP receiver (`INBOUND_SMTP_PORT`, off by default), for MX delivery or a
 * relay that forwards support mail. It accepts mail only for SUPPORT_ADDRESS and its
 * plus-addresses (others: 550 at RCPT), refuses mail over the size limit (552), and answers
 * 250 only once the pipeline has committed what the mail became; if that fails, a temporary
 * 451 makes the sender try again later, so no mail is lost. A mail the pipeline refuses (a From
 * address that cannot be a customer's: 550; anything else intake refused: 554) is bounced by
 * the sending server, so its sender learns. Mail with a null envelope sender
 * gets `Return-Path: <>`, as a final delivery hop adds it, so the pipeline treats it as noise.
 */
import type { AddressInfo } from 'node:net';
import type { Services } from '../../services.js';
import { canonicalEmail } from '../../text/email-address.js';
import { loggedMessageId } from './parse-mail.js';
import { receiveEmail } from './receive-email.js';
import { isSupportAddress } from './reply-address.js';

export interface SmtpReceiver {
  port: number;
  close(): Promise<void>;
}

export interface SmtpReceiverOptions {
  port: number;
  host?: string;
}

function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

export async function startSmtpReceiver(services: Services, options: SmtpReceiverOptions): Promise<SmtpReceiver> {
  const settings = services.email;
  // Loaded only when the receiver runs (INBOUND_SMTP_PORT).
  const { SMTPServer } = await import('smtp-server');
  const server = new SMTPServer({
    name: settings.supportAddress.split('@')[1] ?? 'casebook',
    banner: 'Casebook',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: settings.maxBytes,
    logger: false,
    onRcptTo(address, _session, callback) {
      if (isSupportAddress(settings.supportAddress, canonicalEmail(address.address))) callback();
      else callback(smtpError(`No such mailbox here: ${address.address}`, 550));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // Over the limit: keep only the start (the log records its headers), read on to the end.
        if (size <= settings.maxBytes) chunks.push(chunk);
        else if (chunks.length === 0) chunks.push(chunk.subarray(0, 64 * 1024));
      });
      stream.on('error', (error: Error) => callback(error));
      stream.on('end', () => {
        const tooLarge = (stream as { sizeExceeded?: boolean }).sizeExceeded === true || size > settings.maxBytes;
        // As the final delivery hop, record the envelope sender (RFC 5321 4.4): a null one
        // (`MAIL FROM:<>`, bounces and auto-responders) makes the mail noise, never a case.
        const mailFrom = session.envelope.mailFrom;
        const nullSender = mailFrom === false || mailFrom.address === '';
        const raw = Buffer.concat(nullSender ? [Buffer.from('Return-Path: <>\r\n'), ...chunks] : chunks);
        const recipients = session.envelope.rcptTo.map((r) => canonicalEmail(r.address));
        receiveEmail(services, raw, { via: 'smtp', recipients, size: tooLarge ? Math.max(size, settings.maxBytes + 1) : size }).then(
          (outcome) => {
            if (outcome.reason === 'too-large') {
              callback(smtpError(`Message too large: the limit is ${settings.maxBytes} bytes`, 552));
              return;
            }
            // Refused, not filed: the sending server bounces it, so its sender learns (the log has it too).
            if (outcome.reason === 'invalid-sender') {
              callback(smtpError('The From address is not one Casebook can answer', 550));
              return;
            }
            if (outcome.reason === 'rejected') {
              callback(smtpError('The mail could not be filed', 554));
              return;
            }
            services.outbox.kick();
            callback(null, outcome.case && outcome.reason !== 'duplicate' ? `Queued as ${outcome.case}` : `Accepted (${outcome.reason ?? outcome.result})`);
          },
          (error: unknown) => {
            // Which mail: the sender tries it again later, and the operator can find it in the mail log once it is filed.
            const messageId = loggedMessageId(raw);
            services.logger.error('email: inbound SMTP mail failed; answered 451, the sender tries again later', { messageId, size, error: error instanceof Error ? error.message : String(error) });
            callback(smtpError('Temporary failure, please try again later', 451));
          },
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? settings.smtpHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error: Error) => services.logger.error('email: SMTP receiver error', { error: error.message }));
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
