import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('SEED_DEMO', () => {
  it.each([
    [{}, true, 'default'],
    [{ NODE_ENV: 'development' }, true, 'default'],
    [{ NODE_ENV: 'production' }, false, 'production-default'],
    [{ NODE_ENV: 'production', SEED_DEMO: '' }, false, 'production-default'],
    [{ NODE_ENV: 'production', SEED_DEMO: 'true' }, true, 'explicit'],
    [{ NODE_ENV: 'production', SEED_DEMO: 'false' }, false, 'explicit'],
    [{ SEED_DEMO: 'false' }, false, 'explicit'],
  ])('%j → seedDemo %s (%s)', (env, seedDemo, seedDemoSource) => {
    expect(loadConfig(env, '/srv')).toMatchObject({ seedDemo, seedDemoSource });
  });
});

describe('attachments', () => {
  it('default to ./data/files (beside the database), 20 MB a file, 20 files and 25 MB a message', () => {
    expect(loadConfig({}, '/srv').attachments).toEqual({ dir: '/srv/data/files', besideDatabase: true, maxBytes: 20 * 1024 * 1024, maxCount: 20, maxTotalBytes: 25 * 1024 * 1024 });
    expect(loadConfig({ DATABASE_PATH: '/var/lib/casebook/casebook.db' }, '/srv').attachments.dir).toBe('/var/lib/casebook/files');
  });

  it('read ATTACHMENTS_DIR and the limits, and refuse limits that are not whole positive numbers', () => {
    expect(loadConfig({ ATTACHMENTS_DIR: 'files', ATTACHMENT_MAX_BYTES: '1024', ATTACHMENT_MAX_COUNT: '3', ATTACHMENT_MAX_TOTAL_BYTES: '2048' }, '/srv').attachments).toEqual({
      dir: '/srv/files',
      besideDatabase: false,
      maxBytes: 1024,
      maxCount: 3,
      maxTotalBytes: 2048,
    });
    expect(() => loadConfig({ ATTACHMENT_MAX_COUNT: '0' }, '/srv')).toThrow('ATTACHMENT_MAX_COUNT must be a whole number from 1 to 500, got "0"');
    expect(() => loadConfig({ ATTACHMENT_MAX_BYTES: '20MB' }, '/srv')).toThrow(/ATTACHMENT_MAX_BYTES must be a whole number/);
  });
});

describe('CHANNELS_KEY', () => {
  it('is off by default, read when set, and a short value stops start-up with the fix', () => {
    expect(loadConfig({}, '/srv').channelsKey).toBeNull();
    expect(loadConfig({ CHANNELS_KEY: 'ab'.repeat(32) }, '/srv').channelsKey).toMatchObject({ source: 'hex' });
    expect(() => loadConfig({ CHANNELS_KEY: 'too-short' }, '/srv')).toThrow(/CHANNELS_KEY must be 32 random bytes/);
  });
});

describe('RULES_ENGINE', () => {
  it.each([
    [{}, 'compiled'],
    [{ RULES_ENGINE: 'compiled' }, 'compiled'],
    [{ RULES_ENGINE: 'reference' }, 'reference'],
  ])('%j → %s', (env, rulesEngine) => {
    expect(loadConfig(env, '/srv').rulesEngine).toBe(rulesEngine);
  });

  it('refuses anything else', () => {
    expect(() => loadConfig({ RULES_ENGINE: 'json-rules-engine' }, '/srv')).toThrow('RULES_ENGINE must be one of compiled, reference, got "json-rules-engine"');
  });
});

describe('PHONE_WEBHOOK_SECRET', () => {
  it('is off by default, read when set, and a short value stops start-up', () => {
    expect(loadConfig({}, '/srv').phone).toEqual({ webhookSecret: null, toleranceSeconds: 300 });
    expect(loadConfig({ PHONE_WEBHOOK_SECRET: ' s3cret-s3cret-s3cret ' }, '/srv').phone.webhookSecret).toBe('s3cret-s3cret-s3cret');
    expect(() => loadConfig({ PHONE_WEBHOOK_SECRET: 'short' }, '/srv')).toThrow('PHONE_WEBHOOK_SECRET must be at least 16 characters long');
  });
});

describe('a bad value stops start-up with one line naming the variable', () => {
  it.each([
    [{ PORT: 'abc' }, 'PORT must be a port number, got "abc"'],
    [{ SMTP_URL: 'mail.example.com' }, 'SMTP_URL must be a URL such as smtp://user:password@mail.example.com:587'],
    [{ SMTP_URL: 'http://mail.example.com' }, 'SMTP_URL must start with smtp:// or smtps://'],
    [{ SMTP_URL: 'smtp://user:pass@mail.example.com:abc' }, 'SMTP_URL must be a URL'],
    [{ PUBLIC_URL: 'support.example.com' }, 'PUBLIC_URL must be the http or https address people reach Casebook at'],
    [{ PUBLIC_URL: 'ftp://support.example.com' }, 'PUBLIC_URL must be the http or https address'],
    [{ MAIL_FROM: 'Support <support>' }, 'MAIL_FROM must be an address such as support@example.com'],
    [{ REPORT_TIMEZONE: 'Mars/Base' }, 'REPORT_TIMEZONE must be a time zone such as UTC or Europe/Berlin, got "Mars/Base"'],
    [{ RETENTION_DAYS: 'a month' }, 'RETENTION_DAYS must be a whole number of days from 1 to 36500, got "a month"'],
    [{ CHANNELS_KEY: 'short' }, 'CHANNELS_KEY must be 32 random bytes'],
    [{ DEMO_PASSWORD: 'x' }, 'DEMO_PASSWORD must be 10 to 200 characters long (the demo accounts include an admin), got 1'],
    [{ CHAT_INACTIVITY_MINUTES: 'abc' }, 'CHAT_INACTIVITY_MINUTES must be whole minutes from 1 to 10080, got "abc"'],
    [{ CHAT_MESSAGE_MAX_CHARS: '50000' }, 'CHAT_MESSAGE_MAX_CHARS must be a number of characters from 1 to 20000, got "50000"'],
  ])('%j', (env, message) => {
    let thrown: unknown;
    try {
      loadConfig(env, '/srv');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toContain(message);
    expect((thrown as Error).message).not.toContain('\n');
  });

  it('never echoes the SMTP password', () => {
    for (const SMTP_URL of ['smtp://casebook:s3cret-pass@mail.example.com:abc', 'http://casebook:s3cret-pass@mail.example.com']) {
      expect(() => loadConfig({ SMTP_URL }, '/srv')).toThrow(/casebook:\*\*\*@mail\.example\.com/);
      expect(() => loadConfig({ SMTP_URL }, '/srv')).not.toThrow(/s3cret-pass/);
    }
  });

  it('takes good values as they are', () => {
    const config = loadConfig({ SMTP_URL: 'smtps://u%40x:p%2Fw@mail.example.com:465', PUBLIC_URL: 'https://support.example.com/', MAIL_FROM: 'Example Support <support@example.com>', REPORT_TIMEZONE: 'Europe/Berlin', CHAT_INACTIVITY_MINUTES: '5' }, '/srv');
    expect(config).toMatchObject({ smtpUrl: 'smtps://u%40x:p%2Fw@mail.example.com:465', publicUrl: 'https://support.example.com', secureCookies: true, mailFrom: 'Example Support <support@example.com>', reportTimezone: 'Europe/Berlin' });
    expect(config.chat.inactivityMinutes).toBe(5);
    expect(loadConfig({ MAIL_FROM: 'support@example.com' }, '/srv').mailFrom).toBe('support@example.com');
  });

  it('sends bounces (the envelope sender) to MAIL_RETURN_PATH, else the support address when set, else MAIL_FROM', () => {
    expect(loadConfig({ SUPPORT_ADDRESS: 'Help@Example.com', MAIL_FROM: 'noreply@example.com' }, '/srv').mailReturnPath).toBe('help@example.com');
    expect(loadConfig({ SUPPORT_ADDRESS: 'help@example.com', MAIL_RETURN_PATH: 'bounces@example.com' }, '/srv').mailReturnPath).toBe('bounces@example.com');
    expect(loadConfig({ MAIL_FROM: 'noreply@example.com' }, '/srv').mailReturnPath).toBeNull();
    expect(() => loadConfig({ MAIL_RETURN_PATH: 'Bounces <bounces@example.com>' }, '/srv')).toThrow('MAIL_RETURN_PATH must be a plain address');
  });
});

describe('the default PUBLIC_URL', () => {
  it.each([
    [{}, 'http://127.0.0.1:3000'],
    [{ HOST: '0.0.0.0', PORT: '8080' }, 'http://localhost:8080'],
    [{ HOST: '::' }, 'http://localhost:3000'],
    [{ HOST: '::1' }, 'http://[::1]:3000'],
    [{ HOST: 'fd00::5' }, 'http://[fd00::5]:3000'],
    [{ HOST: 'casebook.internal' }, 'http://casebook.internal:3000'],
  ])('%j → %s, a URL the app can use', (env, url) => {
    const config = loadConfig(env, '/srv');
    expect(config.publicUrl).toBe(url);
    expect(new URL(config.publicUrl).origin).toBe(url);
  });
});

describe('DATABASE_REPORT_TIMEOUT_MS', () => {
  it('defaults to 5 minutes, reads a value, and refuses one that is not milliseconds or is below a request’s limit', () => {
    expect(loadConfig({}, '/srv')).toMatchObject({ statementTimeoutMs: 10_000, reportTimeoutMs: 300_000 });
    expect(loadConfig({ DATABASE_REPORT_TIMEOUT_MS: '1800000' }, '/srv').reportTimeoutMs).toBe(1_800_000);
    expect(loadConfig({ DATABASE_REPORT_TIMEOUT_MS: '0' }, '/srv').reportTimeoutMs).toBe(0);
    expect(() => loadConfig({ DATABASE_REPORT_TIMEOUT_MS: '5m' }, '/srv')).toThrow('DATABASE_REPORT_TIMEOUT_MS must be milliseconds (0–3600000), got "5m"');
    expect(() => loadConfig({ DATABASE_REPORT_TIMEOUT_MS: '3600001' }, '/srv')).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_REPORT_TIMEOUT_MS: '5000' }, '/srv')).toThrow('DATABASE_REPORT_TIMEOUT_MS (5000) must be 0 (no limit) or at least DATABASE_STATEMENT_TIMEOUT_MS (10000)');
    // Requests without a limit: the long work has none either (the connection's 0 is kept).
    expect(loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '0', DATABASE_REPORT_TIMEOUT_MS: '1000' }, '/srv')).toMatchObject({ statementTimeoutMs: 0, reportTimeoutMs: 1000 });
  });
});
