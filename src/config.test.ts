import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

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
    expect(loadConfig({}, '/srv').attachments).toEqual({ dir: '/srv/data/files', maxBytes: 20 * 1024 * 1024, maxCount: 20, maxTotalBytes: 25 * 1024 * 1024 });
    expect(loadConfig({ DATABASE_PATH: '/var/lib/casebook/casebook.db' }, '/srv').attachments.dir).toBe('/var/lib/casebook/files');
  });

  it('read ATTACHMENTS_DIR and the limits, and refuse limits that are not whole positive numbers', () => {
    expect(loadConfig({ ATTACHMENTS_DIR: 'files', ATTACHMENT_MAX_BYTES: '1024', ATTACHMENT_MAX_COUNT: '3', ATTACHMENT_MAX_TOTAL_BYTES: '2048' }, '/srv').attachments).toEqual({
      dir: '/srv/files',
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
