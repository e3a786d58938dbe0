/**
 * Support for the tests of the mailed ways in (sign-in links, resets, sign-up): a harness
 * whose mail goes to a real SMTP sink, the outbox drained on demand, links read from mails.
 */
import type { SignupPolicy } from '../../src/auth/signup-policy.js';
import { createMailer } from '../../src/notifications/mailer.js';
import type { ServiceOptions } from '../../src/services.js';
import { createHarness, type Harness } from './harness.js';
import { startSmtp, type Inbox } from './smtp.js';

export interface AccessWorld {
  h: Harness;
  smtp: Inbox;
  /** Performs the queued work (the mails) now. */
  flush(): Promise<void>;
  /** The mails sent to this address so far: subject and text. */
  mailsTo(address: string): { subject: string; text: string }[];
  close(): Promise<void>;
}

export async function accessWorld(options: { signup?: SignupPolicy; services?: ServiceOptions } = {}): Promise<AccessWorld> {
  const smtp = await startSmtp();
  const mailer = createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <casebook@example.com>');
  const h = createHarness({ services: { ...options.services, mailer, ...(options.signup ? { signup: options.signup } : {}) } });
  return {
    h,
    smtp,
    async flush() {
      await h.services.outbox.idle();
      await h.services.outbox.drain();
    },
    mailsTo(address) {
      return smtp.messages.filter((m) => m.to.includes(address.trim().toLowerCase())).map((m) => ({ subject: m.mail.subject ?? '', text: m.mail.text ?? '' }));
    },
    async close() {
      h.close();
      mailer.close();
      await smtp.close();
    },
  };
}

/** The local path (with its query) of the first link in a mail under `path`, e.g. "/login/link". */
export function linkIn(text: string, path: string): string {
  const match = new RegExp(`https?://[^/\\s]+(${path.replace(/[/?]/g, '\\$&')}\\?[^\\s]+)`).exec(text);
  if (!match) throw new Error(`no ${path} link in:\n${text}`);
  return match[1]!;
}

/** The token of a link path. */
export function tokenOf(link: string): string {
  return new URL(link, 'http://localhost').searchParams.get('token')!;
}
