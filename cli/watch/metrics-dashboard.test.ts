import { describe, expect, it } from 'vitest';
import type { MemberStatus } from '../runtime/stack.js';
import { createDashboardModel, type DashboardSample, type InstanceScrape } from './metrics-dashboard.js';
import { parseMetricsText } from './metrics-text.js';

const scrape = (member: string, service: string, text: string | null): InstanceScrape =>
  text === null ? { member, service, answered: false, samples: [], error: 'ECONNREFUSED' } : { member, service, answered: true, samples: parseMetricsText(text) };

/** What an order instance exposes, by the numbers that matter. */
function orderText(o: { created: number; paid: number; cancelled: number; post: [number, number, number]; saga?: [number, number]; lag?: number }) {
  const [fast, medium, all] = o.post;
  const [sagaFast, sagaAll] = o.saga ?? [0, 0];
  return `
saga_orders_created_total ${o.created}
saga_orders_completed_total{status="PAID"} ${o.paid}
saga_orders_completed_total{status="CANCELLED"} ${o.cancelled}
http_request_duration_seconds_bucket{le="0.005",method="POST",route="/api/v1/orders",status_code="201"} ${fast}
http_request_duration_seconds_bucket{le="0.01",method="POST",route="/api/v1/orders",status_code="201"} ${medium}
http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/api/v1/orders",status_code="201"} ${all}
http_request_duration_seconds_bucket{le="0.005",method="GET",route="/health",status_code="200"} 1000
http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/health",status_code="200"} 1000
saga_duration_seconds_bucket{le="0.1",status="PAID"} ${sagaFast}
saga_duration_seconds_bucket{le="0.5",status="PAID"} ${sagaAll}
saga_duration_seconds_bucket{le="+Inf",status="PAID"} ${sagaAll}
saga_consumer_lag{group="order-service",topic="payment-events"} ${o.lag ?? 0}
saga_outbox_backlog 0
`;
}

const member = (name: string, kind: MemberStatus['kind'], state: MemberStatus['state'] = 'running', healthy = true): MemberStatus => ({ name, kind, state, healthy, address: '127.0.0.1:1', pid: 1 });

function sample(at: number, scrapes: InstanceScrape[], extra: Partial<DashboardSample> = {}): DashboardSample {
  return { at, runtime: 'native', scrapes, faults: [], ...extra };
}

describe('the dashboard model', () => {
  it('turns two samples a second apart into orders/s, states, percentiles, lag and backlog', () => {
    const model = createDashboardModel({ windowMs: 10_000 });
    const first = model.add(
      sample(1000, [
        scrape('order', 'order', orderText({ created: 100, paid: 90, cancelled: 5, post: [100, 100, 100], saga: [95, 95] })),
        scrape('order-2', 'order', orderText({ created: 50, paid: 40, cancelled: 0, post: [50, 50, 50], saga: [40, 40] })),
      ]),
    );
    expect(first.rates.created).toBeUndefined();
    expect(first.latency.post.count).toBe(0);
    expect(first.latency.windowMs).toBe(0);

    const data = model.add(
      sample(2000, [
        // order: 20 more orders, 10 of them paid; POST: 18 fast, 2 in (5 ms, 10 ms]
        scrape('order', 'order', orderText({ created: 120, paid: 100, cancelled: 5, post: [118, 120, 120], saga: [105, 105], lag: 7 })),
        // order-2: 10 more, 10 paid and 2 cancelled; its saga took longer than 100 ms
        scrape('order-2', 'order', orderText({ created: 60, paid: 50, cancelled: 2, post: [60, 60, 60], saga: [40, 52], lag: 3 })),
        scrape('payment', 'payment', 'saga_consumer_lag{group="payment-service",topic="order-events"} 12\nsaga_outbox_backlog 4\ncircuit_breaker_state{breaker="payment-provider"} 0'),
        scrape('dlq', 'dlq', 'dlq_depth 2\nsaga_outbox_backlog 0'),
        scrape('frontend', 'frontend', 'saga_outbox_backlog 0'),
      ]),
    );
    expect(data.rates.created).toBe(30);
    expect(data.rates.completed).toBe(22);
    expect(data.rates.createdSeries).toEqual([30]);
    expect(data.states).toEqual({ pending: 180 - 150 - 7, paid: 150, cancelled: 7 });
    // 30 POSTs: 28 ≤ 5 ms, 2 in (5, 10] → p50 inside the first bucket, p99 inside the second.
    expect(data.latency.post.count).toBe(30);
    expect(data.latency.post.p50).toBeCloseTo(0.005 * (15 / 28));
    expect(data.latency.post.p99).toBeCloseTo(0.005 + 0.005 * ((29.7 - 28) / 2));
    expect(data.latency.saga.count).toBe(22);
    expect(data.latency.saga.p99).toBeCloseTo(0.1 + 0.4 * ((21.78 - 10) / 12));
    expect(data.latency.windowMs).toBe(1000);
    // Every instance of a group reports the group's lag: the highest counts, not the sum.
    expect(data.lag).toEqual([
      { group: 'order-service', lag: 7 },
      { group: 'payment-service', lag: 12 },
    ]);
    expect(data.outbox).toEqual([
      { service: 'dlq', backlog: 0 },
      { service: 'order', backlog: 0 },
      { service: 'payment', backlog: 4 },
    ]);
    expect(data.dlqDepth).toBe(2);
    expect(data.breakers).toEqual([{ name: 'payment-provider', state: 'closed', members: ['payment'], of: 1 }]);
  });

  it('looks back over the latency window only, and keeps a bounded series for the sparklines', () => {
    const model = createDashboardModel({ windowMs: 3000, seriesLength: 4 });
    let data;
    for (let second = 0; second <= 8; second++) {
      // One order a second; from second 5 on, each POST takes longer than 10 ms.
      const slow = Math.max(0, second - 5);
      const fast = second - slow;
      data = model.add(sample(second * 1000, [scrape('order', 'order', orderText({ created: second, paid: second, cancelled: 0, post: [fast, fast, second] }))]));
    }
    expect(data!.latency.windowMs).toBe(3000);
    expect(data!.latency.post.count).toBe(3);
    expect(data!.latency.post.p50).toBe(0.01); // all three slow ones lie in +Inf: the highest finite bound
    expect(data!.rates.createdSeries).toEqual([1, 1, 1, 1]);
  });

  it('shows a member that does not answer as down and never fails for it; keeps its last counts for the states', () => {
    const model = createDashboardModel();
    model.add(
      sample(0, [scrape('order', 'order', orderText({ created: 10, paid: 10, cancelled: 0, post: [10, 10, 10] })), scrape('payment', 'payment', 'saga_outbox_backlog 0')], {
        members: [member('kafka', 'kafka'), member('order', 'service'), member('payment', 'service')],
      }),
    );
    const data = model.add(
      sample(1000, [scrape('order', 'order', null), scrape('payment', 'payment', null)], {
        members: [member('kafka', 'kafka'), member('order', 'service'), member('payment', 'service', 'stopped', false)],
        faults: [{ kind: 'member', target: 'payment', detail: 'stopped' }],
      }),
    );
    expect(data.members).toEqual([
      { name: 'kafka', kind: 'kafka', up: true, note: undefined },
      { name: 'order', kind: 'service', up: false, note: '/metrics does not answer' },
      { name: 'payment', kind: 'service', up: false, note: 'stopped' },
    ]);
    expect(data.rates.created).toBe(0);
    expect(data.states).toEqual({ pending: 0, paid: 10, cancelled: 0 });
    expect(data.faults).toEqual([{ kind: 'member', target: 'payment', detail: 'stopped' }]);
  });

  it('falls back on the scrapes when the runtime does not answer, and passes errors on', () => {
    const data = createDashboardModel().add(sample(0, [scrape('order', 'order', 'x 1'), scrape('payment', 'payment', null)], { membersError: 'the runtime did not answer within 2000 ms', faults: undefined, faultsError: 'ECONNREFUSED' }));
    expect(data.members.map((m) => [m.name, m.up])).toEqual([
      ['order', true],
      ['payment', false],
    ]);
    expect(data.membersError).toContain('did not answer');
    expect(data.faultsError).toBe('ECONNREFUSED');
    expect(data.states).toEqual({ pending: 0, paid: 0, cancelled: 0 });
    expect(data.dlqDepth).toBeUndefined();
  });

  it('takes the lag of a group no answering instance reports from Kafka, and says so', () => {
    const data = createDashboardModel().add(
      sample(0, [scrape('order', 'order', 'saga_consumer_lag{group="order-service",topic="payment-events"} 1'), scrape('payment', 'payment', null)], {
        kafkaLag: [
          { group: 'payment-service', topic: 'order-events', lag: 40 },
          { group: 'notification-service', topic: 'order-events', lag: 2 },
          { group: 'notification-service', topic: 'payment-events', lag: 3 },
          { group: 'order-service', topic: 'payment-events', lag: 99 }, // reported by its instance: that figure stands
        ],
      }),
    );
    expect(data.lag).toEqual([
      { group: 'notification-service', lag: 5, fromKafka: true },
      { group: 'order-service', lag: 1 },
      { group: 'payment-service', lag: 40, fromKafka: true },
    ]);
  });

  it('tells the worst breaker state and which instances are in it', () => {
    const data = createDashboardModel().add(
      sample(0, [
        scrape('payment-1', 'payment', 'circuit_breaker_state{breaker="payment-provider"} 0'),
        scrape('payment-2', 'payment', 'circuit_breaker_state{breaker="payment-provider"} 2'),
        scrape('payment-3', 'payment', 'circuit_breaker_state{breaker="payment-provider"} 1'),
      ]),
    );
    expect(data.breakers).toEqual([{ name: 'payment-provider', state: 'open', members: ['payment-2'], of: 3 }]);
  });
});
