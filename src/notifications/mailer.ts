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

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

const bracket = (id: string) => `<${id}>`;

export function createMailer(smtpUrl: string, from: string): Mailer {
  let transport: Promise<Transporter> | null = null;
  const open = () => (transport ??= import('nodemailer').then((m) => m.default.createTransport(smtpUrl)));
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
      });
    },
    close() {
      void transport?.then((t) => t.close());
    },
  };
}
