import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseMetricsText } from './metrics-text.js';

describe('parseMetricsText', () => {
  it('reads what prom-client exposes: counters, gauges, histogram buckets with +Inf, labels', async () => {
    const registry = new client.Registry();
    registry.setDefaultLabels({ service: 'order', member: 'order-2' });
    const counter = new client.Counter({ name: 'saga_orders_completed_total', help: 'x', labelNames: ['status'], registers: [registry] });
    const histogram = new client.Histogram({ name: 'http_request_duration_seconds', help: 'y', labelNames: ['method', 'route'], buckets: [0.01, 0.1], registers: [registry] });
    counter.inc({ status: 'PAID' }, 3);
    histogram.observe({ method: 'POST', route: '/api/v1/orders' }, 0.05);
    histogram.observe({ method: 'POST', route: '/api/v1/orders' }, 5);

    const samples = parseMetricsText(await registry.metrics());
    expect(samples).toContainEqual({ name: 'saga_orders_completed_total', labels: { status: 'PAID', service: 'order', member: 'order-2' }, value: 3 });
    const buckets = samples.filter((s) => s.name === 'http_request_duration_seconds_bucket').map((s) => [s.labels.le, s.value]);
    expect(buckets).toEqual([
      ['0.01', 0],
      ['0.1', 1],
      ['+Inf', 2],
    ]);
    expect(samples.find((s) => s.name === 'http_request_duration_seconds_sum')?.value).toBeCloseTo(5.05);
    expect(samples.find((s) => s.name === 'http_request_duration_seconds_count')?.labels).toEqual({ method: 'POST', route: '/api/v1/orders', service: 'order', member: 'order-2' });
  });

  it('reads escaped label values, special values, timestamps, and skips comments and broken lines', () => {
    const text = [
      '# HELP weird A metric with "odd" labels',
      '# TYPE weird gauge',
      'weird{path="C:\\\\dir",quote="say \\"hi\\"",nl="a\\nb"} 1.5e3 1700000000000',
      'up 1',
      'down{} -Inf',
      'nan_metric NaN',
      'big +Inf',
      'broken{label="never closed} 3',
      'no_value{a="b"}',
      '   ',
      'trailing_comma{a="1",} 7',
    ].join('\n');
    const samples = parseMetricsText(text);
    expect(samples[0]).toEqual({ name: 'weird', labels: { path: 'C:\\dir', quote: 'say "hi"', nl: 'a\nb' }, value: 1500 });
    expect(samples.find((s) => s.name === 'up')).toEqual({ name: 'up', labels: {}, value: 1 });
    expect(samples.find((s) => s.name === 'down')?.value).toBe(-Infinity);
    expect(samples.find((s) => s.name === 'nan_metric')?.value).toBeNaN();
    expect(samples.find((s) => s.name === 'big')?.value).toBe(Infinity);
    expect(samples.find((s) => s.name === 'trailing_comma')).toEqual({ name: 'trailing_comma', labels: { a: '1' }, value: 7 });
    expect(samples.map((s) => s.name)).not.toContain('broken');
    expect(samples.map((s) => s.name)).not.toContain('no_value');
  });

  it('keeps only the names asked for', () => {
    const samples = parseMetricsText('a 1\nb{x="y"} 2\nc 3', (name) => name !== 'b');
    expect(samples.map((s) => s.name)).toEqual(['a', 'c']);
  });
});
