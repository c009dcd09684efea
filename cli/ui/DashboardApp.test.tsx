import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { parseMetricsText, type DashboardSample, type DashboardSource } from '../watch/index.js';
import { DashboardApp } from './DashboardApp.js';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stack whose single order instance takes 10 orders between samples, all paid, each POST under 5 ms. */
function fakeSource() {
  let n = 0;
  const source: DashboardSource & { calls: () => number } = {
    calls: () => n,
    async sample(): Promise<DashboardSample> {
      n++;
      const text = `saga_orders_created_total ${n * 10}
saga_orders_completed_total{status="PAID"} ${n * 10}
http_request_duration_seconds_bucket{le="0.005",method="POST",route="/api/v1/orders",status_code="201"} ${n * 10}
http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/api/v1/orders",status_code="201"} ${n * 10}`;
      return {
        at: n * 1000,
        runtime: 'native',
        scrapes: [{ member: 'order', service: 'order', answered: true, samples: parseMetricsText(text) }],
        members: [{ name: 'order', kind: 'service', state: 'running', healthy: true, address: '127.0.0.1:1', pid: 1 }],
        faults: [],
      };
    },
    async close() {},
  };
  return source;
}

describe('DashboardApp', () => {
  it('samples each interval and redraws with the figures, then stops sampling when q is pressed', async () => {
    const source = fakeSource();
    const { lastFrame, stdin } = render(<DashboardApp source={source} intervalMs={40} />);
    expect(lastFrame()).toContain('sampling…');
    await tick(200);
    // The testing terminal has no height: the compact layout.
    const frame = lastFrame()!;
    expect(frame).toMatch(/created\s+10\.0\/s/);
    expect(frame).toMatch(/states\s+pending 0 · paid \d+ · cancelled 0/);
    expect(frame).toMatch(/POST \/orders\s+\d\.\d ms/);
    expect(frame).toMatch(/members\s+1\/1 up/);

    stdin.write('q');
    await tick(100);
    const calls = source.calls();
    await tick(200);
    expect(source.calls()).toBe(calls);
  });
});
