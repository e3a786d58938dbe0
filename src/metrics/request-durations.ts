/**
 * `casebook_http_request_duration_seconds`: a Prometheus histogram of request durations by
 * method, route pattern (`/api/v1/cases/:id`, never the raw path: the label set stays as
 * small as the route table) and status. Written for the request path: after the first
 * request of a (route, status, method) its series is found through three map lookups and
 * updated in place — no object, string or closure is allocated per request (prom-client's
 * own `observe()` builds a label object and a hash string every time). Registered in a
 * prom-client registry like any metric (`name`, `get()`), so it is formatted by prom-client.
 */
export const REQUEST_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

interface Series {
  method: string;
  route: string;
  status: number;
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

export class RequestDurations {
  readonly name = 'casebook_http_request_duration_seconds';
  readonly help = 'HTTP request durations in seconds, by method, route pattern and status.';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #byRoute = new Map<string, Map<number, Map<string, Series>>>();
  readonly #buckets: readonly number[];

  constructor(buckets: readonly number[] = REQUEST_DURATION_BUCKETS) {
    this.#buckets = buckets;
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    const m = METHODS.has(method) ? method : 'OTHER';
    let byStatus = this.#byRoute.get(route);
    if (!byStatus) this.#byRoute.set(route, (byStatus = new Map()));
    let byMethod = byStatus.get(status);
    if (!byMethod) byStatus.set(status, (byMethod = new Map()));
    let series = byMethod.get(m);
    if (!series) byMethod.set(m, (series = { method: m, route, status, counts: new Float64Array(this.#buckets.length + 1), sum: 0, count: 0 }));
    let i = 0;
    while (i < this.#buckets.length && seconds > this.#buckets[i]!) i++;
    series.counts[i]!++;
    series.sum += seconds;
    series.count++;
  }

  /** prom-client's metric interface: the samples, formatted by the registry. */
  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    const values: Sample[] = [];
    for (const byStatus of this.#byRoute.values()) {
      for (const byMethod of byStatus.values()) {
        for (const s of byMethod.values()) {
          const labels = { method: s.method, route: s.route, status: String(s.status) };
          let cumulative = 0;
          this.#buckets.forEach((le, i) => {
            cumulative += s.counts[i]!;
            values.push({ labels: { ...labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
          });
          values.push({ labels: { ...labels, le: '+Inf' }, value: s.count, metricName: `${this.name}_bucket` });
          values.push({ labels, value: s.sum, metricName: `${this.name}_sum` });
          values.push({ labels, value: s.count, metricName: `${this.name}_count` });
        }
      }
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.#byRoute.clear();
  }
}
