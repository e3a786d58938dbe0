/**
 * One-click CSAT links in the "resolved" mail: `/csat/<token>?answer=yes|no`. The token
 * names the case and its customer and when it expires (30 days after the mail), signed with
 * HMAC-SHA256: `<case id>.<customer id>.<expiry, base-36 seconds>.<mac>` (the MAC 22
 * base64url characters, 132 bits). Holding it lets one rate that case as that customer, and
 * nothing else; the answer is not part of it (the page lets the customer pick either).
 *
 * The key is derived from EMAIL_SECRET (or the key derived from ADMIN_TOKEN) when one is
 * configured, else from a random key Casebook keeps in its database (`server_secrets`), so
 * links work without configuration. Changing EMAIL_SECRET voids the links already sent.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { serverSecretIn } from '../../auth/server-secrets.js';
import type { Handle } from '../../db/store/index.js';
import type { Services } from '../../services.js';

/**
 * How long a link is valid. Its expiry is also how the CSAT page tells when the mail was made
 * (expiry − CSAT_LINK_DAYS: a link from before a later resolution rates nothing,
 * src/http/pages/csat.tsx); changing it makes links already sent look that much older or newer.
 */
export const CSAT_LINK_DAYS = 30;
const DAY_MS = 86_400_000;
const PURPOSE = 'casebook-csat-link-v1';
/** The name of the database's own key (`server_secrets`). */
const SECRET = 'csat-links';
const SHAPE = /^([1-9]\d{0,14})\.([1-9]\d{0,14})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{22})$/;

export type CsatTokenCheck =
  | { ok: true; caseId: number; customerId: number; expiresAt: number; issuedAt: number }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'expired'; caseId: number; expiresAt: number };

function keyOf(secret: string): string {
  return createHmac('sha256', secret).update(PURPOSE).digest('base64url');
}

/** The signing key: a purpose-bound derivative of the email secret or of the database's own key. */
export async function csatKeyIn(q: Handle, services: Services): Promise<string> {
  return keyOf(services.email.secret ?? (await serverSecretIn(q, SECRET, services.clock.now())));
}

/** `csatKeyIn`, read through the store by itself (the CSAT pages). */
export function csatKey(services: Services): Promise<string> {
  return services.store.query((q) => csatKeyIn(q, services));
}

function mac(key: string, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url').slice(0, 22);
}

export function makeCsatToken(key: string, caseId: number, customerId: number, expiresAt: number): string {
  const payload = `${caseId}.${customerId}.${Math.floor(expiresAt / 1000).toString(36)}`;
  return `${payload}.${mac(key, payload)}`;
}

/** Whether a token is ours (signature first), then whether it is still valid at `now`. */
export function verifyCsatToken(key: string, token: string, now: number): CsatTokenCheck {
  const match = SHAPE.exec(token);
  if (!match) return { ok: false, reason: 'invalid' };
  const payload = `${match[1]}.${match[2]}.${match[3]}`;
  const expected = Buffer.from(mac(key, payload));
  const given = Buffer.from(match[4]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid' };
  const caseId = Number(match[1]);
  const customerId = Number(match[2]);
  const expiresAt = parseInt(match[3]!, 36) * 1000;
  if (!Number.isSafeInteger(caseId) || !Number.isSafeInteger(customerId) || !Number.isSafeInteger(expiresAt)) return { ok: false, reason: 'invalid' };
  if (now >= expiresAt) return { ok: false, reason: 'expired', caseId, expiresAt };
  // The expiry is CSAT_LINK_DAYS after the mail (to the second): when the mail was made.
  return { ok: true, caseId, customerId, expiresAt, issuedAt: expiresAt - CSAT_LINK_DAYS * DAY_MS };
}

export interface CsatLinks {
  yesUrl: string;
  noUrl: string;
  token: string;
}

function linksOf(services: Services, key: string, caseId: number, customerId: number): CsatLinks {
  const token = makeCsatToken(key, caseId, customerId, services.clock.now() + CSAT_LINK_DAYS * DAY_MS);
  const base = `${services.publicUrl}/csat/${token}`;
  return { yesUrl: `${base}?answer=yes`, noUrl: `${base}?answer=no`, token };
}

/** The yes and no links for a case's customer, valid CSAT_LINK_DAYS from now. */
export async function csatLinksIn(q: Handle, services: Services, caseId: number, customerId: number): Promise<CsatLinks> {
  return linksOf(services, await csatKeyIn(q, services), caseId, customerId);
}


