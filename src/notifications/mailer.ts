/**
 * Outgoing mail through nodemailer, configured by SMTP_URL (e.g. smtp://user:pass@host:587).
 * nodemailer is loaded with the first mail: a server that sends none never holds its code
 * (with the rest of the email stack, ~10 MiB of heap; docs/performance.md "Memory").
 */
import type { Transporter } from 'nodemailer';

export interface MailAttachment {
  filename: string;
  /** The bytes, or `path`: a file nodemailer streams (an attachment from the store). */
  content?: string | Buffer;
  path?: string;
  contentType: string;
}

export interface MailMessage {
  to: string[];
  /** Copied recipients (a case's CCs). */
  cc?: string[];
  subject: string;
  text: string;
  html?: string;
  attachments?: MailAttachment[];
  /** Our own Message-ID, without angle brackets (threading; a retry sends the same one). */
  messageId?: string;
  /** Message-IDs this mail answers, without angle brackets. */
  inReplyTo?: string;
  references?: string[];
  replyTo?: string;
  /** Further headers, e.g. `Auto-Submitted`. */
  headers?: Record<string, string>;
}

/**
 * The headers of a mail no person wrote: `Auto-Submitted` (RFC 3834: `auto-replied` answers a
 * mail, `auto-generated` is sent on its own), Exchange's `X-Auto-Response-Suppress: All` (Outlook,
 * Exchange and other helpdesks send no out-of-office, receipt or acknowledgement back), and
 * `X-Loop` naming our support address (such a mail coming back is known as ours: the inbound
 * pipeline ignores it as a loop).
 */
export function automaticHeaders(kind: 'auto-replied' | 'auto-generated', loopAddress: string): Record<string, string> {
  return { 'Auto-Submitted': kind, 'X-Auto-Response-Suppress': 'All', 'X-Loop': loopAddress };
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

const bracket = (id: string) => `<${id}>`;

/**
 * How long a send waits to connect, for the server's greeting, and for any answer mid-way.
 * nodemailer's own defaults (2 min, 30 s, 10 min) outlast the outbox claim (60 s): a mail
 * server that hangs (packets dropped, a greeting or a 250 that never comes) would hold the
 * drain's wave, and all the mail and work in it, for minutes. With these, the attempt fails,
 * the timeline says "sending failed … will retry", and the outbox retries with back-off.
 * `?connectionTimeout=…&greetingTimeout=…&socketTimeout=…` in SMTP_URL still override them.
 */
export const MAIL_TIMEOUT_MS = 15_000;

export interface MailerOptions {
  /** Connection, greeting and socket-inactivity timeout in ms (default MAIL_TIMEOUT_MS). */
  timeoutMs?: number;
  /**
   * The envelope sender (`MAIL FROM`, the Return-Path the receiving server records): where
   * bounces of this mail go. Casebook passes the support address it reads, so a bounce comes
   * back to it and is filed on the case (docs/email.md, step 5); unset: the From address.
   */
  returnPath?: string | null;
}

export function createMailer(smtpUrl: string, from: string, options: MailerOptions = {}): Mailer {
  let transport: Promise<Transporter> | null = null;
  const timeout = options.timeoutMs ?? MAIL_TIMEOUT_MS;
  const open = () =>
    (transport ??= import('nodemailer').then((m) => m.default.createTransport({ url: smtpUrl, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout })));
  return {
    async send(message) {
      await (await open()).sendMail({
        from,
        to: message.to.join(', '),
        ...(message.cc?.length ? { cc: message.cc.join(', ') } : {}),
        subject: message.subject,
        text: message.text,
        ...(message.html ? { html: message.html } : {}),
        ...(message.attachments ? { attachments: message.attachments } : {}),
        ...(message.messageId ? { messageId: bracket(message.messageId) } : {}),
        ...(message.inReplyTo ? { inReplyTo: bracket(message.inReplyTo) } : {}),
        ...(message.references?.length ? { references: message.references.map(bracket).join(' ') } : {}),
        ...(message.replyTo ? { replyTo: message.replyTo } : {}),
        ...(message.headers ? { headers: message.headers } : {}),
        ...(options.returnPath ? { envelope: { from: options.returnPath, to: message.to, ...(message.cc?.length ? { cc: message.cc } : {}) } } : {}),
      });
    },
    close() {
      void transport?.then((t) => t.close());
    },
  };
}
