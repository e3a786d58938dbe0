import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.js';
import { defaultEmailSettings, isBlocked, isOwnAddress } from './settings.js';

describe('email channel settings from the environment', () => {
  it('has safe defaults: the SMTP receiver off, 25 MB, 20 mails per sender per hour, unverified replies as notes', () => {
    expect(loadConfig({}, '/srv').email).toEqual({
      supportAddress: 'support@localhost',
      fromAddress: 'casebook@localhost',
      secret: null,
      maxBytes: 25 * 1024 * 1024,
      blocklist: [],
      ratePerSender: { count: 20, windowMs: 3_600_000 },
      unverifiedReply: 'note',
      smtpPort: null,
      smtpHost: '0.0.0.0',
      imap: null,
    });
  });

  it('reads every setting', () => {
    const email = loadConfig(
      {
        SUPPORT_ADDRESS: 'Help@Example.com',
        MAIL_FROM: 'Example Support <Notifications@Example.com>',
        EMAIL_SECRET: 'x'.repeat(20),
        EMAIL_MAX_BYTES: '1048576',
        EMAIL_BLOCKLIST: 'spam.example, @junk.example  bad@example.org',
        EMAIL_RATE_LIMIT: '5/10m',
        EMAIL_UNVERIFIED_REPLY: 'new-case',
        INBOUND_SMTP_PORT: '2525',
        INBOUND_SMTP_HOST: '127.0.0.1',
        IMAP_URL: 'imaps://help%40example.com:app%20pass@imap.example.com/Support',
        IMAP_POLL_SECONDS: '30',
        IMAP_PROCESSED: 'move:Done/Casebook',
      },
      '/srv',
    ).email;
    expect(email).toEqual({
      supportAddress: 'help@example.com',
      fromAddress: 'notifications@example.com',
      secret: 'x'.repeat(20),
      maxBytes: 1_048_576,
      blocklist: ['spam.example', 'junk.example', 'bad@example.org'],
      ratePerSender: { count: 5, windowMs: 600_000 },
      unverifiedReply: 'new-case',
      smtpPort: 2525,
      smtpHost: '127.0.0.1',
      imap: { url: 'imaps://help%40example.com:app%20pass@imap.example.com/Support', pollSeconds: 30, processed: { kind: 'move', folder: 'Done/Casebook' } },
    });
  });

  it('derives the reply-address secret from ADMIN_TOKEN when EMAIL_SECRET is not set', () => {
    const a = loadConfig({ ADMIN_TOKEN: 'a'.repeat(20) }, '/srv').email.secret;
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toContain('a'.repeat(20));
    expect(loadConfig({ ADMIN_TOKEN: 'b'.repeat(20) }, '/srv').email.secret).not.toBe(a);
  });

  it.each([
    [{ SUPPORT_ADDRESS: 'not an address' }, /SUPPORT_ADDRESS/],
    [{ SUPPORT_ADDRESS: 'support+x@example.com' }, /SUPPORT_ADDRESS/],
    [{ EMAIL_SECRET: 'short' }, /EMAIL_SECRET/],
    [{ EMAIL_MAX_BYTES: '12MB' }, /EMAIL_MAX_BYTES/],
    [{ EMAIL_RATE_LIMIT: 'lots' }, /EMAIL_RATE_LIMIT/],
    [{ EMAIL_UNVERIFIED_REPLY: 'post' }, /EMAIL_UNVERIFIED_REPLY/],
    [{ INBOUND_SMTP_PORT: '99999' }, /INBOUND_SMTP_PORT/],
    [{ IMAP_URL: 'https://mail.example.com/INBOX' }, /IMAP_URL must start with imaps:\/\/ or imap:\/\//],
    [{ IMAP_URL: 'imaps://mail.example.com/INBOX' }, /IMAP_URL has no user name/],
    [{ IMAP_URL: 'not a url' }, /IMAP_URL must be a URL/],
    [{ IMAP_URL: 'imaps://u:p@mail.example.com', IMAP_POLL_SECONDS: '0' }, /IMAP_POLL_SECONDS/],
    [{ IMAP_URL: 'imaps://u:p@mail.example.com', IMAP_PROCESSED: 'delete' }, /IMAP_PROCESSED must be seen or move:Folder/],
  ])('%j is refused at start-up with a clear message', (env, message) => {
    expect(() => loadConfig(env, '/srv')).toThrow(ConfigError);
    expect(() => loadConfig(env, '/srv')).toThrow(message);
  });

  it('blocks an address, a domain and its subdomains, nothing else', () => {
    const settings = defaultEmailSettings({ blocklist: ['spam.example', 'bad@example.org'] });
    expect(isBlocked(settings, 'x@spam.example')).toBe(true);
    expect(isBlocked(settings, 'x@mail.spam.example')).toBe(true);
    expect(isBlocked(settings, 'bad@example.org')).toBe(true);
    expect(isBlocked(settings, 'good@example.org')).toBe(false);
    expect(isBlocked(settings, 'x@notspam.example')).toBe(false);
  });

  it('compares internationalized domains in their ASCII form, whichever form the settings use', () => {
    const email = loadConfig({ SUPPORT_ADDRESS: 'Hilfe@Bücher.de', MAIL_FROM: 'Bücher <Post@BÜCHER.de>', EMAIL_BLOCKLIST: 'spam.bücher.de böse@example.org' }, '/srv').email;
    expect(email).toMatchObject({ supportAddress: 'hilfe@xn--bcher-kva.de', fromAddress: 'post@xn--bcher-kva.de', blocklist: ['spam.xn--bcher-kva.de', 'böse@example.org'] });
    expect(isBlocked(email, 'x@mail.spam.xn--bcher-kva.de')).toBe(true);
    expect(isBlocked(email, 'x@mail.spam.bücher.de')).toBe(true);
    expect(isBlocked(email, 'Böse@Example.org')).toBe(true);
    expect(isOwnAddress(email, 'post@bücher.de')).toBe(true);
    expect(isOwnAddress(email, 'hilfe+c-1@xn--bcher-kva.de')).toBe(true);
  });
});
