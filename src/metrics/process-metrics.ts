/**
 * Node's own process metrics (CPU, memory, heap, handles, GC, event-loop lag — prom-client's
 * default metrics), collected once per process however many apps it builds (tests build
 * hundreds): the event-loop monitor they start is never stopped.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

let registry: Registry | null = null;

export function processMetrics(): Registry {
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  }
  return registry;
}
