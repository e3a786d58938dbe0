import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { allowsNewAccount, DEFAULT_SIGNUP_POLICY, describeSignupPolicy, parseSignupPolicy, type SignupPolicy } from './signup-policy.js';

describe('PORTAL_SIGNUP', () => {
  it.each<[string | undefined, SignupPolicy]>([
    [undefined, { mode: 'known' }],
    ['', { mode: 'known' }],
    ['open', { mode: 'open' }],
    [' OFF ', { mode: 'off' }],
    ['known', { mode: 'known' }],
    ['domains:example.com,foo.org', { mode: 'domains', domains: ['example.com', 'foo.org'] }],
    ['domains: Example.com, @foo.org example.com', { mode: 'domains', domains: ['example.com', 'foo.org'] }],
    ['domains:bücher.de,xn--mnchen-3ya.example,пример.рф', { mode: 'domains', domains: ['xn--bcher-kva.de', 'xn--mnchen-3ya.example', 'xn--e1afmkfd.xn--p1ai'] }],
  ])('%j', (raw, policy) => expect(parseSignupPolicy(raw)).toEqual(policy));

  it.each(['yes', 'domains:', 'domains:localhost', 'domains:exa mple', 'domains:-bad.com', 'domain:example.com'])('refuses %j with what is wrong', (raw) => {
    expect(() => parseSignupPolicy(raw)).toThrow(/PORTAL_SIGNUP/);
  });

  it('is read by the configuration, and a bad value stops start-up', () => {
    expect(loadConfig({}, '/srv').signup).toEqual(DEFAULT_SIGNUP_POLICY);
    expect(loadConfig({ PORTAL_SIGNUP: 'domains:example.com' }, '/srv').signup).toEqual({ mode: 'domains', domains: ['example.com'] });
    expect(() => loadConfig({ PORTAL_SIGNUP: 'everyone' }, '/srv')).toThrow(/PORTAL_SIGNUP must be open, known, off or domains/);
  });

  it('reads the link rate limits', () => {
    const config = loadConfig({ RATE_LIMIT_LINKS_PER_ADDRESS: '3/15m', RATE_LIMIT_LINKS_PER_CLIENT: 'off' }, '/srv');
    expect(config.rateLimits.linksPerAddress).toEqual({ count: 3, windowMs: 900_000 });
    expect(config.rateLimits.linksPerClient).toEqual({ count: 0, windowMs: 60_000 });
    expect(() => loadConfig({ RATE_LIMIT_LINKS_PER_ADDRESS: 'many' }, '/srv')).toThrow(/RATE_LIMIT_LINKS_PER_ADDRESS/);
  });
});

describe('allowsNewAccount', () => {
  it.each<[SignupPolicy, string, boolean]>([
    [{ mode: 'open' }, 'anyone@anywhere.net', true],
    [{ mode: 'known' }, 'anyone@anywhere.net', false],
    [{ mode: 'off' }, 'anyone@anywhere.net', false],
    [{ mode: 'domains', domains: ['example.com'] }, 'ann@example.com', true],
    [{ mode: 'domains', domains: ['example.com'] }, 'Ann@EXAMPLE.com', true],
    [{ mode: 'domains', domains: ['xn--bcher-kva.de'] }, 'ann@bücher.de', true],
    [{ mode: 'domains', domains: ['xn--bcher-kva.de'] }, 'ann@xn--bcher-kva.de', true],
    [{ mode: 'domains', domains: ['example.com'] }, 'ann@mail.example.com', false],
    [{ mode: 'domains', domains: ['example.com'] }, 'ann@example.com.evil.net', false],
    [{ mode: 'domains', domains: ['example.com'] }, 'example.com@evil.net', false],
  ])('%j %s → %s', (policy, email, allowed) => expect(allowsNewAccount(policy, email)).toBe(allowed));

  it('describes every mode without naming any address', () => {
    expect(describeSignupPolicy({ mode: 'domains', domains: ['example.com', 'foo.org'] })).toContain('example.com, foo.org');
    expect(describeSignupPolicy({ mode: 'open' })).toContain('Anyone');
  });
});
