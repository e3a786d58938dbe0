import { describe, expect, it } from 'vitest';
import { clientNetwork } from './env.js';

describe('clientNetwork', () => {
  it('counts an IPv6 address as its /64, in one spelling', () => {
    expect(clientNetwork('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('2001:0DB8:0001:0002:ffff:ffff:ffff:fffe')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientNetwork('::1')).toBe('0:0:0:0::/64');
    expect(clientNetwork('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientNetwork('2001:db8:1:2:3::1.2.3.4')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('2001:db8:1:2:3:4:5:6')).not.toBe(clientNetwork('2001:db8:1:3:3:4:5:6'));
  });

  it('counts an IPv4-mapped address as its IPv4 address, and leaves the rest as it is', () => {
    expect(clientNetwork('::ffff:203.0.113.66')).toBe('203.0.113.66');
    expect(clientNetwork('::FFFF:198.51.100.7')).toBe('198.51.100.7');
    expect(clientNetwork('203.0.113.66')).toBe('203.0.113.66');
    expect(clientNetwork('unknown')).toBe('unknown');
  });
});
