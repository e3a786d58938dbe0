/**
 * What an admin gives for a console mailbox (API and page alike), and the checks that need
 * the database: the default queue exists and is active, the name is free, and no other
 * mailbox (nor IMAP_URL) reads the same folder of the same account.
 */
import { eq, ne } from 'drizzle-orm';
import { z } from 'zod';
import type { mailboxes } from '../../db/schema/index.js';
import type { Handle } from '../../db/store/index.js';
import { DomainError, ValidationError, type FieldIssue } from '../../errors.js';
import type { Actor } from '../../roles.js';
import type { Services } from '../../services.js';
import { queueActiveForUse } from '../../team/queue-lock.js';
import { ImapConfigError, parseImapUrl, parseProcessed, sameMailbox } from './imap-config.js';

const HOST = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$|^\[?[0-9a-f:.]+\]?$/i;

const fields = {
  name: z.string({ error: 'required' }).trim().min(1, 'required').max(100, 'at most 100 characters'),
  host: z
    .string({ error: 'required' })
    .trim()
    .toLowerCase()
    .min(1, 'required')
    .regex(HOST, 'a host name such as imap.example.com, or an IP address')
    .transform((h) => h.replace(/^\[|\]$/g, '').replace(/\.$/, '')),
  /** Default 993 with TLS, 143 without. */
  port: z.number({ error: 'a port number' }).int('a port number').min(1, 'a port number (1–65535)').max(65535, 'a port number (1–65535)').nullable(),
  /** true: TLS from the start (imaps); false: plain IMAP, upgraded with STARTTLS when the server offers it. */
  tls: z.boolean({ error: 'true or false' }),
  username: z.string({ error: 'required' }).trim().min(1, 'required').max(254, 'at most 254 characters'),
  /** Never stored as given: sealed with CHANNELS_KEY. */
  password: z.string({ error: 'required' }).min(1, 'required').max(1000, 'at most 1000 characters'),
  path: z.string({ error: 'required' }).trim().min(1, 'required').max(200, 'at most 200 characters'),
  queue: z.string({ error: 'required' }).trim().min(1, 'required').max(40, 'at most 40 characters'),
  processed: z.string().trim().max(200, 'at most 200 characters').refine(
    (v) => {
      try {
        parseProcessed(v);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'seen, or move:Folder (e.g. move:Casebook/Done)' },
  ),
  pollSeconds: z.number({ error: 'whole seconds' }).int('whole seconds').min(1, '1 to 86400 seconds').max(86_400, '1 to 86400 seconds'),
  enabled: z.boolean({ error: 'true or false' }),
};

/** A new mailbox: name, host, user name, password and default queue are required. */
export const createMailboxSchema = z.strictObject({
  ...fields,
  port: fields.port.optional(),
  tls: fields.tls.default(true),
  path: fields.path.default('INBOX'),
  processed: fields.processed.default('seen'),
  pollSeconds: fields.pollSeconds.default(60),
  enabled: fields.enabled.default(true),
});
export type CreateMailboxInput = z.input<typeof createMailboxSchema>;

/** A change: only what is given changes; a password given replaces the stored one. */
export const updateMailboxSchema = z.strictObject(fields).partial();
export type UpdateMailboxInput = z.input<typeof updateMailboxSchema>;

export type MailboxRow = typeof mailboxes.$inferSelect;

/** Mailboxes are infrastructure (a server, an account, a password): admins manage them. */
export function assertAdmin(actor: Actor): void {
  if (actor.role !== 'admin') throw new DomainError('FORBIDDEN', 'Only admins manage mailboxes.');
}

export function parseMailboxInput<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new ValidationError(result.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(form)', message: i.message })));
}

export const defaultPort = (tls: boolean) => (tls ? 993 : 143);

/** The checks against what is stored (in the change's transaction); `self` is the mailbox being changed. */
export async function checkMailbox(q: Handle, services: Services, m: Pick<MailboxRow, 'name' | 'host' | 'port' | 'tls' | 'username' | 'path' | 'queueId'>, self: number | null): Promise<void> {
  const { mailboxes } = q.tables;
  const issues: FieldIssue[] = [];
  // Locked until the save commits: a deactivation of the queue in progress waits for it (queue-lock.ts).
  const active = await queueActiveForUse(q, m.queueId);
  if (active === null) issues.push({ path: 'queue', message: `no queue "${m.queueId}"` });
  else if (!active) issues.push({ path: 'queue', message: `the queue "${m.queueId}" is inactive` });
  const others = await q.db
    .select()
    .from(mailboxes)
    .where(self === null ? undefined : ne(mailboxes.id, self));
  if (others.some((o) => o.name.toLowerCase() === m.name.toLowerCase())) issues.push({ path: 'name', message: 'another mailbox has this name' });
  const endpoint = { host: m.host, port: m.port, secure: m.tls, user: m.username, path: m.path };
  const twin = others.find((o) => sameMailbox(endpoint, { host: o.host, port: o.port, secure: o.tls, user: o.username, path: o.path }));
  if (twin) issues.push({ path: 'path', message: `the mailbox "${twin.name}" already reads this folder of this account` });
  else if (services.email.imap && 'url' in services.email.imap) {
    try {
      if (sameMailbox(endpoint, parseImapUrl(services.email.imap.url))) issues.push({ path: 'path', message: 'IMAP_URL already reads this folder of this account' });
    } catch (error) {
      if (!(error instanceof ImapConfigError)) throw error;
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

/** Whether a change points the stored password at another server, account or transport. */
export function movesPassword(before: Pick<MailboxRow, 'host' | 'port' | 'tls' | 'username'>, after: Pick<MailboxRow, 'host' | 'port' | 'tls' | 'username'>): boolean {
  return before.host !== after.host || before.port !== after.port || before.tls !== after.tls || before.username !== after.username;
}
