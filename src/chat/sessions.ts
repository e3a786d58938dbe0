/**
 * Chat sessions: a visitor starts one (name and e-mail, or an identity signed by the host
 * site), holds its token (the widget keeps it in the iframe's localStorage; only its hash is
 * stored) and sends it with every request. A session belongs to the host origin it started
 * on: when the site stops allowing that origin, the session stops working.
 */
import { desc, eq, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { randomToken, sha256 } from '../auth/tokens.js';
import { chatSessions } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { DomainError, ValidationError } from '../errors.js';
import type { Services } from '../services.js';
import { verifyIdentity } from './identity.js';
import { siteSecret, type ChatSite } from './sites.js';
import { visitorLineText } from './visitor-text.js';
import { canonicalEmail, emailField } from '../text/email-address.js';

export type ChatSession = typeof chatSessions.$inferSelect;

export const startSchema = z.strictObject({
  /** Control characters removed, lone surrogates replaced (visitor-text.ts). */
  name: z.string().transform(visitorLineText).pipe(z.string().min(1, 'required').max(200)).optional(),
  email: emailField('a valid e-mail address').optional(),
  /** The host site's signature of `email` (identity.ts). */
  signature: z.string().max(128).optional(),
  /** When the signature stops being good, epoch seconds (signed with the e-mail). */
  exp: z.number().int().min(0).max(1e11).optional(),
});
export type StartInput = z.input<typeof startSchema>;

export interface StartedSession {
  token: string;
  session: ChatSession;
}

/** The site's secret to check a signature with; when it cannot be opened the operators are told and the visitor gets the form. */
function openedSecret(services: Services, site: ChatSite): string {
  try {
    return siteSecret(services, site);
  } catch (error) {
    services.logger.error('chat site secret cannot be opened: identities are not verified', { site: site.id, error: error instanceof Error ? error.message : String(error) });
    throw new DomainError('CHAT_SESSION_INVALID', 'This site cannot verify identities right now; give your name and e-mail instead.');
  }
}

/** The host site signed `email` (identity.ts), or CHAT_SESSION_INVALID: a chat or a left message with a signature. */
export function assertSignedIdentity(services: Services, site: ChatSite, email: string, signature: string, exp: number | undefined): void {
  const check = verifyIdentity(openedSecret(services, site), email, signature, exp, services.clock.now());
  if (check === 'expired') throw new DomainError('CHAT_SESSION_INVALID', 'The identity token of this site has expired: reload the page, or give your name and e-mail.');
  if (check !== 'valid') throw new DomainError('CHAT_SESSION_INVALID', 'The identity token of this site is not valid.');
}

export async function startSession(services: Services, site: ChatSite, hostOrigin: string, input: StartInput): Promise<StartedSession> {
  const parsed = startSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
  const { name, email, signature, exp } = parsed.data;
  if (!email) throw new ValidationError([{ path: 'email', message: 'required' }], 'Your e-mail address is needed to start a chat.');
  let verified = false;
  if (signature !== undefined) {
    assertSignedIdentity(services, site, email, signature, exp);
    verified = true;
  } else if (!name) {
    throw new ValidationError([{ path: 'name', message: 'required' }], 'Your name is needed to start a chat.');
  }
  const token = randomToken();
  const tokenHash = sha256(token);
  const now = services.clock.now();
  const greeting = site.greeting.trim();
  const session = await services.store.write(async (q) => {
    const { chatMessages, chatSessions } = q.tables;
    // The site's greeting is the chat's first line (sequence 1), written with the session.
    const [row] = await q.db
      .insert(chatSessions)
      .values({ siteId: site.id, tokenHash, hostOrigin, name: name ?? email.split('@')[0]!, email: canonicalEmail(email), verified, lastSeq: greeting === '' ? 0 : 1, createdAt: now, lastActivityAt: now })
      .returning();
    if (greeting !== '') await q.db.insert(chatMessages).values({ sessionId: row!.id, seq: 1, author: 'system', authorName: site.name, body: greeting, at: now, caseEventId: null });
    return row!;
  });
  return { token, session };
}

/** The session a visitor token names, or CHAT_SESSION_INVALID. */
export async function sessionByToken(services: Services, token: string | undefined): Promise<ChatSession> {
  const row = token && /^[A-Za-z0-9_-]{43}$/.test(token) ? await services.store.query((q) => sessionWhere(q, eq(q.tables.chatSessions.tokenHash, sha256(token)))) : undefined;
  if (!row) throw new DomainError('CHAT_SESSION_INVALID', 'This chat is not known (it may have been started in another browser). Start a new chat.');
  return row;
}

async function sessionWhere(q: Handle, where: SQL): Promise<ChatSession | undefined> {
  const [row] = await q.db.select().from(q.tables.chatSessions).where(where).limit(1);
  return row;
}

/** The session with this id, or null. */
export async function findSession(q: Handle, id: number): Promise<ChatSession | null> {
  return (await sessionWhere(q, eq(q.tables.chatSessions.id, id))) ?? null;
}

/** The case's most recent chat session (open first), or null. `state = 'open'` sorts true first on both dialects (1/0, true/false). */
export async function sessionOfCase(q: Handle, caseId: number): Promise<ChatSession | null> {
  const t = q.tables.chatSessions;
  const [row] = await q.db
    .select()
    .from(t)
    .where(eq(t.caseId, caseId))
    .orderBy(desc(sql`${t.state} = 'open'`), desc(t.id))
    .limit(1);
  return row ?? null;
}
