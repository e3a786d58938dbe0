/**
 * Which network addresses an outbound integration (webhooks, Slack/Teams, docs/integrations.md)
 * may reach: public unicast only. Refused: unspecified, loopback, private (RFC 1918), carrier-
 * grade NAT, link-local (169.254/16 holds the cloud metadata services), benchmarking, multicast
 * and reserved IPv4; and in IPv6 unspecified, loopback, unique-local (fc00::/7), link-local,
 * site-local, multicast, documentation, the IETF's reserved `::/8` and protocol block
 * `2001::/23` (Teredo, ORCHID) — plus IPv6 forms that carry an IPv4 address (IPv4-mapped
 * `::ffff:a.b.c.d`, IPv4-compatible, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`), judged by the
 * IPv4 address they carry. The rest of `::/8` (such as IPv4-translated `::ffff:0:a.b.c.d`) is
 * refused whatever it carries: nothing public lives there.
 */
import net from 'node:net';

const V4_BLOCKED: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const V6_BLOCKED: [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
  ['2001:db8::', 32, 'documentation'],
  ['100::', 64, 'discard'],
  ['2001::', 23, 'IETF protocol assignments (Teredo, ORCHID)'],
  ['::', 8, 'reserved (IPv4-translated and other embedded forms)'],
];

function list(entries: [string, number, string][], family: 'ipv4' | 'ipv6'): { reasons: [net.BlockList, string][] } {
  const reasons: [net.BlockList, string][] = [];
  for (const [address, prefix, reason] of entries) {
    const one = new net.BlockList();
    one.addSubnet(address, prefix, family);
    reasons.push([one, reason]);
  }
  return { reasons };
}

const V4 = list(V4_BLOCKED, 'ipv4');
const V6 = list(V6_BLOCKED, 'ipv6');

/** The 16 bytes of an IPv6 address (already validated by net.isIPv6). */
function v6Bytes(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -tail[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.includes('::') ? (text.split('::') as [string, string]) : [text, null];
  const h = head ? head.split(':') : [];
  const r = rest === null ? [] : rest ? rest.split(':') : [];
  const groups = rest === null ? h : [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  return groups.flatMap((g) => {
    const n = parseInt(g || '0', 16);
    return [n >> 8, n & 0xff];
  });
}

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), or null. */
function embeddedV4(address: string): string | null {
  const b = v6Bytes(address);
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const v4 = (at: number) => b.slice(at, at + 4).join('.');
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4(12);
  if (zero(0, 12) && !zero(12, 16) && !(zero(12, 15) && b[15] === 1)) return v4(12);
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) return v4(12);
  if (b[0] === 0x20 && b[1] === 0x02) return v4(2);
  return null;
}

/** Why `address` (an IP literal) may not be reached, or null when it may. Not an IP address: refused. */
export function blockedAddressReason(address: string): string | null {
  const bare = address.replace(/^\[|\]$/g, '');
  if (net.isIPv4(bare)) {
    for (const [one, reason] of V4.reasons) if (one.check(bare, 'ipv4')) return `${bare} is ${article(reason)} address`;
    return null;
  }
  if (net.isIPv6(bare)) {
    const inner = embeddedV4(bare);
    if (inner !== null) {
      const reason = blockedAddressReason(inner);
      return reason === null ? null : `${bare} carries ${reason}`;
    }
    const plain = bare.replace(/%.*$/, '');
    for (const [one, reason] of V6.reasons) if (one.check(plain, 'ipv6')) return `${bare} is ${article(reason)} address`;
    return null;
  }
  return `${address} is not an IP address`;
}

/** True when every address is public. */
export function isPublicAddress(address: string): boolean {
  return blockedAddressReason(address) === null;
}

function article(reason: string): string {
  return `${/^[aeiou]/i.test(reason) ? 'an' : 'a'} ${reason}`;
}
