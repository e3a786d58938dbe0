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
