/** `/metrics`: Prometheus text, the named series after an intake, bounded route labels, who may scrape. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/auth/api-tokens.js';
import { outbox } from '../../src/db/schema/index.js';
import { createApp } from '../../src/http/app.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn } from '../support/pages.js';

const METRICS_TOKEN = 'metrics-token-0123456789';

let h: Harness;
let app: ReturnType<typeof createApp>;
let customer: TestActor;
let agent: TestActor;
let admin: TestActor;
beforeAll(() => {
  h = createHarness();
  standardQueues(h);
  customer = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  agent = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'] });
  admin = h.agent({ name: 'Adam', role: 'admin' });
  app = createApp(h.services, { adminToken: ADMIN_TOKEN, metricsToken: METRICS_TOKEN });
});
afterAll(() => h.close());

const scrape = async (token = METRICS_TOKEN) => app.request('/metrics', { headers: { Authorization: `Bearer ${token}` } });

/** Every line is a HELP, a TYPE or a sample of a declared family; returns the samples. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const families = new Map<string, string>();
  const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:\\.|[^"\\])*",?)*\})? (-?[0-9.]+(?:e[+-]?\d+)?|[Nn]a[Nn]|\+Inf|-Inf)$/; // prom-client writes NaN as "Nan" (Go’s ParseFloat takes any case)
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      families.set(type[1]!, type[2]!);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const sample = SAMPLE.exec(line);
    expect(sample, `not Prometheus text: ${line}`).not.toBeNull();
    const name = sample![1]!;
    const family = families.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    expect(families.has(family), `${name} has no # TYPE`).toBe(true);
    samples.set(`${name}${sample![2] ?? ''}`, Number(sample![3]));
  }
  return samples;
}

describe('/metrics', () => {
  it('is Prometheus text holding every named series after an intake', async () => {
    const res = await h.api('POST', '/api/v1/cases', { token: h.tokenFor(customer), body: { subject: 'Printer', description: 'It jams on page two.' } });
    expect(res.status).toBe(201);
    const portal = await signedIn(h, customer).post('/portal/cases', { subject: 'Refund', description: 'I was charged twice.' });
    expect(portal.status).toBeLessThan(400);
    expect((await h.api('POST', '/api/v1/sla/sweep', { token: ADMIN_TOKEN })).status).toBe(200);
    const now = h.clock.now();
    h.db.insert(outbox).values([
      { type: 'test.nothing', payload: {}, createdAt: now - 7_200_000, availableAt: now - 3_600_000, failedAt: null, doneAt: null },
      { type: 'test.nothing', payload: {}, createdAt: now, availableAt: now + 86_400_000 },
    ]).run();
    h.clock.advance(3 * 86_400_000); // every first-response target is past due; the sweep has not run since

    const scraped = await scrape();
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('Content-Type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = parsePrometheus(await scraped.text());
    expect(m.get('casebook_intake_total{channel="api"}')).toBe(1);
    expect(m.get('casebook_intake_total{channel="web"}')).toBe(1);
    expect(m.get('casebook_intake_total{channel="email"}')).toBe(0);
    expect(m.get('casebook_http_request_duration_seconds_count{method="POST",route="/api/v1/cases",status="201"}')).toBe(1);
    expect(m.get('casebook_http_request_duration_seconds_bucket{method="POST",route="/api/v1/cases",status="201",le="+Inf"}')).toBe(1);
    expect(m.get('casebook_sla_sweep_duration_seconds_count{phase="sweep"}')).toBe(1);
    expect(m.get('casebook_sla_sweep_duration_seconds_count{phase="total"}')).toBe(1);
    expect(m.get('casebook_outbox_due')).toBeGreaterThanOrEqual(1);
    expect(m.get('casebook_outbox_oldest_due_age_seconds')).toBeGreaterThanOrEqual(3 * 86_400 + 3_600);
    expect(m.get('casebook_outbox_scheduled')).toBeGreaterThanOrEqual(0);
    expect(m.get('casebook_sla_timers_due{kind="breach"}')).toBeGreaterThanOrEqual(2);
    expect(m.get('casebook_sla_timers_due{kind="warning"}')).toBeGreaterThanOrEqual(2);
    expect(m.get('casebook_sqlite_wal_bytes')).toBeGreaterThan(0);
    expect(m.has('nodejs_eventloop_lag_seconds')).toBe(true);
    expect(m.has('process_cpu_user_seconds_total')).toBe(true);
    expect(m.has('process_resident_memory_bytes')).toBe(true);
  });

  it('labels requests by route pattern, never by raw path (bounded cardinality)', async () => {
    const token = h.tokenFor(agent);
    for (let i = 0; i < 25; i++) await h.api('GET', `/api/v1/cases/C-${90_000 + i}`, { token });
    for (let i = 0; i < 5; i++) await app.request(`/no/such/page-${i}`);
    const text = await (await scrape()).text();
    expect(text).not.toContain('C-9000');
    expect(text).not.toContain('page-1');
    const m = parsePrometheus(text);
    expect(m.get('casebook_http_request_duration_seconds_count{method="GET",route="/api/v1/cases/:id",status="404"}')).toBe(25);
    expect(m.get('casebook_http_request_duration_seconds_count{method="GET",route="(unmatched)",status="404"}')).toBe(5);
  });

  it('answers the METRICS_TOKEN, the ADMIN_TOKEN and admins’ API tokens; 401 without a token, 403 for others', async () => {
    expect((await scrape()).status).toBe(200);
    expect((await scrape(ADMIN_TOKEN)).status).toBe(200);
    expect((await scrape(h.tokenFor(admin))).status).toBe(200);
    const none = await app.request('/metrics');
    expect(none.status).toBe(401);
    expect(none.headers.get('Content-Type')).toContain('application/problem+json');
    expect((await scrape('not-a-token-at-all')).status).toBe(401);
    expect((await scrape(h.tokenFor(agent))).status).toBe(403);
    expect((await scrape(h.tokenFor(customer))).status).toBe(403);
    const scoped = (await h.services.store.write((q) => createApiToken(q, { type: 'staff', id: admin.id }, 'inbound only', h.clock.now(), null, ['inbound']))).token;
    expect((await scrape(scoped)).status).toBe(403);
    // Without METRICS_TOKEN configured, that token is nothing.
    expect((await h.app.request('/metrics', { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(401);
  });
});
