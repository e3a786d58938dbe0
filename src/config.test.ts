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

describe('CHANNELS_KEY', () => {
  it('is off by default, read when set, and a short value stops start-up with the fix', () => {
    expect(loadConfig({}, '/srv').channelsKey).toBeNull();
    expect(loadConfig({ CHANNELS_KEY: 'ab'.repeat(32) }, '/srv').channelsKey).toMatchObject({ source: 'hex' });
    expect(() => loadConfig({ CHANNELS_KEY: 'too-short' }, '/srv')).toThrow(/CHANNELS_KEY must be 32 random bytes/);
  });
});
