/**
 * Prometheus metrics every service exposes on /metrics: Node's default metrics, RED for HTTP,
 * and the saga's own: events consumed and published, consumer lag, outbox backlog, breaker state.
 * Names are shared with the Grafana dashboards and alert rules (compose/), so keep them stable.
 */
import client from 'prom-client';
import type { ServiceConfig } from './config.js';

export function createMetrics(config: Pick<ServiceConfig, 'service' | 'instance'>) {
  const registry = new client.Registry();
  // `member` rather than `instance`: Prometheus reserves `instance` for the scrape target.
  registry.setDefaultLabels({ service: config.service, member: config.instance });
  client.collectDefaultMetrics({ register: registry });

  const fastBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  return {
    registry,
    httpDuration: new client.Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests served, by route and status (rate, errors and duration: RED)',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: fastBuckets,
      registers: [registry],
    }),
    eventsConsumed: new client.Counter({
      name: 'saga_events_consumed_total',
      help: 'Events consumed, by outcome: processed, duplicate (inbox hit), skipped (not for this service), dead-lettered',
      labelNames: ['topic', 'type', 'outcome'] as const,
      registers: [registry],
    }),
    eventDuration: new client.Histogram({
      name: 'saga_event_processing_seconds',
      help: 'Time to handle one consumed event, retries included',
      labelNames: ['type'] as const,
      buckets: fastBuckets,
      registers: [registry],
    }),
    handlerRetries: new client.Counter({
      name: 'saga_handler_retries_total',
      help: 'Retries of event handlers after a transient error',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    eventsPublished: new client.Counter({
      name: 'saga_events_published_total',
      help: 'Events the outbox relay published to Kafka',
      labelNames: ['topic', 'type'] as const,
      registers: [registry],
    }),
    deadLettered: new client.Counter({
      name: 'saga_dead_lettered_total',
      help: 'Records this service sent to the dead-letter topic, by reason',
      labelNames: ['topic', 'reason'] as const,
      registers: [registry],
    }),
    consumerLag: new client.Gauge({
      name: 'saga_consumer_lag',
      help: 'Messages not yet consumed by this consumer group, per topic',
      labelNames: ['group', 'topic'] as const,
      registers: [registry],
    }),
    groupCommitSize: new client.Histogram({
      name: 'db_group_commit_size',
      help: 'Requests written together in one statement and one commit (group commit), by write',
      labelNames: ['write'] as const,
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers: [registry],
    }),
    outboxBacklog: new client.Gauge({
      name: 'saga_outbox_backlog',
      help: 'Events written to the outbox and not yet published',
      registers: [registry],
    }),
    breakerState: new client.Gauge({
      name: 'circuit_breaker_state',
      help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
      labelNames: ['breaker'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
export { client as promClient };
