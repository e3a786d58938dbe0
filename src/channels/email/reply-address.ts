/**
 * Signed reply addresses: `support+C-1042.<mac>@example.com`. The MAC (HMAC-SHA256 of the
 * case reference with the channel's secret, 16 hex digits) proves the address came from a
 * mail Casebook sent about that case, so a reply to it threads even when a mail client drops
 * the In-Reply-To and References headers and the subject.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { caseRef } from '../../cases/case-ref.js';

function mac(secret: string, ref: string): string {
  return createHmac('sha256', secret).update(ref.toUpperCase()).digest('hex').slice(0, 16);
}

function split(address: string): { local: string; domain: string } | null {
  const at = address.lastIndexOf('@');
  if (at <= 0) return null;
  return { local: address.slice(0, at).toLowerCase(), domain: address.slice(at + 1).toLowerCase() };
}

/** The reply address for a case, on the support address's domain. */
export function makeReplyAddress(supportAddress: string, secret: string, caseId: number): string {
  const parts = split(supportAddress);
  if (!parts) throw new Error(`Not an address: ${supportAddress}`);
  const ref = caseRef(caseId);
  return `${parts.local}+${ref}.${mac(secret, ref)}@${parts.domain}`;
}

/** Whether an address is the support address or one of its plus-addresses. */
export function isSupportAddress(supportAddress: string, address: string): boolean {
  const support = split(supportAddress);
  const given = split(address);
  if (!support || !given || given.domain !== support.domain) return false;
  return given.local === support.local || given.local.startsWith(`${support.local}+`);
}

/** The case a signed reply address names, or null (not ours, unsigned, or a wrong MAC). */
export function verifyReplyAddress(supportAddress: string, secret: string, address: string): number | null {
  if (!isSupportAddress(supportAddress, address)) return null;
  const local = split(address)!.local;
  const match = /\+c-(\d{1,15})\.([0-9a-f]{16})$/.exec(local);
  if (!match) return null;
  const id = Number(match[1]);
  if (!Number.isSafeInteger(id) || id <= 0) return null;
  const expected = Buffer.from(mac(secret, caseRef(id)));
  const given = Buffer.from(match[2]!);
  return expected.length === given.length && timingSafeEqual(expected, given) ? id : null;
}
