/**
 * Sign-in throttling behind a reverse proxy (TRUST_PROXY): the client address is the one our
 * proxy appended to X-Forwarded-For, never what the client wrote there, and one attacker
 * cannot lock out everybody behind the same proxy.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { ADMIN_TOKEN, createHarness, type Harness, type TestActor } from '../support/harness.js';
import { visitor } from '../support/pages.js';
import { setPassword } from './sign-in.js';

const PASSWORD = 'a good long password';
let h: Harness;
let alice: TestActor;
let chloe: TestActor;
let logs: string[];

beforeEach(async () => {
  logs = [];
  h = createHarness({ services: { logger: createLogger('warn', (line) => logs.push(line)) } });
  alice = h.agent({ name: 'Alice', email: 'alice@casebook.test' });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  await setPassword(h, alice, PASSWORD);
  await setPassword(h, chloe, PASSWORD);
});
afterEach(() => h.close());

/** A sign-in through our proxy: it appends the address it saw to whatever X-Forwarded-For the client sent. */
async function signInVia(client: ReturnType<typeof visitor>, clientSent: string | null, realAddress: string, email: string, password: string) {
  const forwarded = clientSent === null ? realAddress : `${clientSent}, ${realAddress}`;
  return client.post('/login', { email, password }, { headers: { 'X-Forwarded-For': forwarded } });
}

describe('TRUST_PROXY', () => {
  it('is off by default; true means one proxy, a number that many', () => {
    expect(loadConfig({}, '/srv').trustProxy).toBe(0);
    expect(loadConfig({ TRUST_PROXY: 'false' }, '/srv').trustProxy).toBe(0);
    expect(loadConfig({ TRUST_PROXY: 'true' }, '/srv').trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '2' }, '/srv').trustProxy).toBe(2);
    expect(() => loadConfig({ TRUST_PROXY: 'maybe' }, '/srv')).toThrow(/TRUST_PROXY/);
  });

  it('an attacker behind the proxy is locked out, however they forge X-Forwarded-For, and nobody else is', async () => {
    h.app = createApp(h.services, { adminToken: ADMIN_TOKEN, trustProxy: 1 });
    const attacker = visitor(h);
    await attacker.start();
    let lastStatus = 0;
    for (let i = 0; i < 30; i++) {
      const email = i === 0 ? 'alice@casebook.test' : `someone${i}@example.com`; // spraying: one guess per account
      lastStatus = (await signInVia(attacker, `10.9.${i}.${i}`, '203.0.113.66', email, `guess number ${i}`)).status;
    }
    expect(lastStatus).toBe(422); // the 30th attempt is still checked; the lock starts with it
    const refused = await signInVia(attacker, '10.200.0.1', '203.0.113.66', 'chloe@example.com', PASSWORD);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('Retry-After'))).toBeGreaterThan(0);

    const owner = visitor(h);
    await owner.start();
    const res = await signInVia(owner, null, '198.51.100.7', 'alice@casebook.test', PASSWORD);
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/inbox');
    const customer = visitor(h);
    await customer.start();
    expect((await signInVia(customer, null, '198.51.100.8', 'chloe@example.com', PASSWORD)).status).toBe(303);
  });

  it('an attacker with an IPv6 network who takes a new address for every guess is still locked out, as the network (/64) it is', async () => {
    h.app = createApp(h.services, { adminToken: ADMIN_TOKEN, trustProxy: 1 });
    const attacker = visitor(h);
    await attacker.start();
    for (let i = 0; i < 30; i++) await signInVia(attacker, null, `2001:db8:66:1::${(i + 1).toString(16)}`, `v6guess${i}@example.com`, `guess number ${i}`);
    expect((await signInVia(attacker, null, '2001:db8:66:1:ffff:ffff:ffff:fffe', 'chloe@example.com', PASSWORD)).status).toBe(429);
    const neighbour = visitor(h); // another /64 of the same provider
    await neighbour.start();
    expect((await signInVia(neighbour, null, '2001:db8:66:2::1', 'chloe@example.com', PASSWORD)).status).toBe(303);
  });

  it('with two proxies the address is the second entry from the right', async () => {
    h.app = createApp(h.services, { adminToken: ADMIN_TOKEN, trustProxy: 2 });
    const attacker = visitor(h);
    await attacker.start();
    for (let i = 0; i < 30; i++) await signInVia(attacker, `10.9.${i}.1, 203.0.113.66`, '10.0.0.2', `x${i}@example.com`, 'guess guess guess');
    expect((await signInVia(attacker, '203.0.113.66', '10.0.0.2', 'chloe@example.com', PASSWORD)).status).toBe(429);
    const owner = visitor(h);
    await owner.start();
    expect((await signInVia(owner, '198.51.100.7', '10.0.0.2', 'alice@casebook.test', PASSWORD)).status).toBe(303);
  });

  it('without TRUST_PROXY, X-Forwarded-For is not believed, and the log says the proxy is not trusted', async () => {
    const v = visitor(h);
    await v.start();
    await signInVia(v, null, '198.51.100.7', 'alice@casebook.test', 'wrong password');
    expect(logs.join('\n')).toContain('TRUST_PROXY is off');
  });
});
