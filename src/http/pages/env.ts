/** Types and small helpers shared by the page routes (server-rendered HTML + htmx fragments). */
import { isIPv4, isIPv6 } from 'node:net';
import type { Context } from 'hono';
import type { ActiveSession } from '../../auth/sessions.js';
import type { Folders } from '../../definitions/export-import.js';
import { DomainError } from '../../errors.js';
import type { AppVariables, Principal } from '../types.js';
import type { NavLink } from '../../../views/viewer.js';

export interface PageOptions {
  /** Mark cookies Secure (and use `__Host-` names). On when the public URL is https. */
  secureCookies: boolean;
  /** Origins a state-changing request may come from, besides the request's own origin. */
  allowedOrigins: string[];
  /** Reverse proxies of ours in front of the server (TRUST_PROXY): the client address is taken from X-Forwarded-For that many hops from the right. 0: the socket's. */
  trustProxy: number;
  /** Links of the "Manage" section of the staff navigation (managers and admins). */
  manageLinks: NavLink[];
  /** Seconds between live-update polls of the inbox and an open case. */
  pollSeconds: number;
  /** Where the manager console exports definitions to and imports them from (rules as code). */
  definitionFolders: Folders;
}

export interface PageVariables extends AppVariables {
  session: ActiveSession | null;
  csrfToken: string;
  pageOptions: PageOptions;
}

export interface PageEnv {
  Variables: PageVariables;
}

export type PageContext = Context<PageEnv>;

export function isHtmx(c: Context): boolean {
  return c.req.header('HX-Request') === 'true';
}

export function cookieNames(secure: boolean): { session: string; csrf: string } {
  return secure ? { session: '__Host-casebook_session', csrf: '__Host-casebook_csrf' } : { session: 'casebook_session', csrf: 'casebook_csrf' };
}

/**
 * The client's network address. Without trusted proxies (`trustProxy` 0) the socket's. Behind
 * `trustProxy` proxies of ours, the X-Forwarded-For entry that many hops from the right: each
 * proxy appends the address it received the request from, so the entries to the left of
 * that are whatever the client sent and are never believed.
 */
export function clientAddress(c: Context, trustProxy: number): string {
  if (trustProxy > 0) {
    const hops = (c.req.header('X-Forwarded-For') ?? '')
      .split(',')
      .map((hop) => hop.trim())
      .filter((hop) => hop !== '');
    const forwarded = hops[Math.max(0, hops.length - trustProxy)];
    if (forwarded) return forwarded.slice(0, 64);
  }
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

/**
 * The network a client address counts as for per-client limits (sign-in attempts, mailed links,
 * new chats): an IPv6 address's /64 (`2001:db8:1:2::/64`), as one subscriber, home or server is
 * given a whole /64 and may use any address in it — counted per address, a new address for
 * every request passed every per-client limit. An IPv4-mapped address (`::ffff:192.0.2.1`, what
 * a dual-stack socket reports) counts as its IPv4 address; anything else as it is.
 */
export function clientNetwork(address: string): string {
  const bare = address.replace(/%.*$/, '');
  if (!isIPv6(bare)) return address;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  // Eight groups: an IPv4 tail (`::1.2.3.4`) is the last two; `::` (at most one) stands for the zero groups left out.
  const groups = (part: string) => (part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])));
  const [head = '', tail] = bare.split('::');
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${all.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/** The client's network (`clientNetwork`) for per-client limits. */
export function clientLimitKey(c: Context, trustProxy: number): string {
  return clientNetwork(clientAddress(c, trustProxy));
}

/** The signed-in principal; UNAUTHENTICATED (→ sign-in page) otherwise. */
export function requirePrincipal(c: PageContext): Principal {
  const principal = c.get('principal');
  if (!principal) throw new DomainError('UNAUTHENTICATED', 'Please sign in.');
  return principal;
}

/** Staff pages answer 404 to customers: the two sides do not see each other's pages. */
export function requireStaff(c: PageContext): Principal {
  const principal = requirePrincipal(c);
  if (principal.actor.type !== 'staff') throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
  return principal;
}

export function requireCustomer(c: PageContext): Principal {
  const principal = requirePrincipal(c);
  if (principal.actor.type !== 'customer') throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
  return principal;
}

/** A local path to return to after sign-in; anything else (other sites, `//host`) becomes null. */
export function safeNext(next: string | undefined | null): string | null {
  if (!next || next.length > 500) return null;
  if (!/^\/(?![/\\])[\x21-\x7e]*$/.test(next)) return null;
  if (next.startsWith('/login') || next.startsWith('/logout')) return null;
  return next;
}
