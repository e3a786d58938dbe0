import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestDurations } from './request-durations.js';

describe('RequestDurations', () => {
  it('counts each observation in its bucket and writes cumulative Prometheus buckets, sum and count', async () => {
    const d = new RequestDurations([0.01, 0.1, 1]);
    for (const seconds of [0.005, 0.01, 0.05, 0.5, 3]) d.observe('GET', '/cases/:id', 200, seconds);
    d.observe('BREW', '/cases/:id', 200, 0.001);
    const registry = new Registry();
    registry.registerMetric(d as never);
    const text = await registry.metrics();
    const series = 'method="GET",route="/cases/:id",status="200"';
    expect(text).toContain('# TYPE casebook_http_request_duration_seconds histogram');
    expect(text).toContain(`casebook_http_request_duration_seconds_bucket{${series},le="0.01"} 2`); // le is inclusive
    expect(text).toContain(`casebook_http_request_duration_seconds_bucket{${series},le="0.1"} 3`);
    expect(text).toContain(`casebook_http_request_duration_seconds_bucket{${series},le="1"} 4`);
    expect(text).toContain(`casebook_http_request_duration_seconds_bucket{${series},le="+Inf"} 5`);
    expect(text).toContain(`casebook_http_request_duration_seconds_sum{${series}} 3.565`);
    expect(text).toContain(`casebook_http_request_duration_seconds_count{${series}} 5`);
    // Methods outside HTTP's own are one label value, whatever a client sends.
    expect(text).toContain('casebook_http_request_duration_seconds_count{method="OTHER",route="/cases/:id",status="200"} 1');
    d.reset();
    expect(await registry.metrics()).not.toContain('_count{');
  });
});
