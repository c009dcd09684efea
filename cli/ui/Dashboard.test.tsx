import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { DashboardData } from '../watch/index.js';
import { Dashboard } from './Dashboard.js';

const data: DashboardData = {
  at: new Date(2024, 0, 1, 12, 3, 4).getTime(),
  runtime: 'native',
  rates: { created: 12.34, completed: 11.8, createdSeries: [0, 5, 10, 12.34], completedSeries: [0, 4, 9, 11.8] },
  states: { pending: 3, paid: 1204, cancelled: 17 },
  latency: { post: { p50: 0.0031, p95: 0.008, p99: 0.02, count: 42 }, saga: { p50: 0.04, p95: 0.12, p99: 0.75, count: 40 }, windowMs: 10_000 },
  lag: [
    { group: 'notification-service', lag: 0 },
    { group: 'payment-service', lag: 12 },
    { group: 'dlq-service', lag: 7, fromKafka: true },
  ],
  outbox: [
    { service: 'order', backlog: 0 },
    { service: 'payment', backlog: 4 },
  ],
  dlqDepth: 2,
  breakers: [{ name: 'payment-provider', state: 'open', members: ['payment-2'], of: 2 }],
  members: [
    { name: 'kafka', kind: 'kafka', up: true },
    { name: 'order', kind: 'service', up: true },
    { name: 'order-2', kind: 'service', up: true },
    { name: 'payment', kind: 'service', up: false, note: 'stopped' },
  ],
  faults: [
    { kind: 'member', target: 'payment', detail: 'stopped' },
    { kind: 'toxic', target: 'payment-provider', detail: 'latency 500 ms ←' },
  ],
};

const frame = (element: React.ReactElement) => {
  const { lastFrame, unmount } = render(element);
  const text = lastFrame() ?? '';
  unmount();
  return text;
};

describe('Dashboard', () => {
  it('draws every figure in bordered panels on a large terminal', () => {
    const text = frame(<Dashboard data={data} columns={100} rows={40} intervalMs={1000} />);
    expect(text).toContain('pizza-lab dashboard · native · 12:03:04 · every 1 s · q quits');
    expect(text).toContain('╭');
    expect(text).toMatch(/created\s+12\.3\/s\s+▁▄▆█ /);
    expect(text).toMatch(/completed\s+11\.8\/s\s+▁▃▆▇ /);
    expect(text).toContain('pending 3 · paid 1,204 · cancelled 17');
    expect(text).toContain('Latency · last 10 s');
    expect(text).toMatch(/POST \/orders\s+3\.1 ms\s+8\.0 ms\s+20 ms\s+42/);
    expect(text).toMatch(/saga\s+40 ms\s+120 ms\s+750 ms\s+40/);
    expect(text).toMatch(/payment-service\s+12/);
    expect(text).toMatch(/dlq-service\s+7 \(Kafka\)/);
    expect(text).toMatch(/payment\s+4/);
    expect(text).toContain('DLQ depth 2');
    expect(text).toContain('payment-provider open (payment-2)');
    expect(text).toContain('Members · 3/4 up');
    expect(text).toMatch(/● order-2/);
    expect(text).toMatch(/✖ payment stopped/);
    expect(text).toContain('payment: stopped');
    expect(text).toContain('payment-provider: latency 500 ms ←');
    // It fits the terminal: never more lines than rows - 1.
    expect(text.split('\n').length).toBeLessThanOrEqual(39);
  });

  it('uses the compact layout, without borders, under 100 columns or 30 rows', () => {
    for (const [columns, rows] of [
      [80, 40],
      [100, 24],
    ]) {
      const text = frame(<Dashboard data={data} columns={columns!} rows={rows!} />);
      expect(text).not.toContain('╭');
      expect(text).toMatch(/created\s+12\.3\/s/);
      expect(text).toMatch(/states\s+pending 3 · paid 1,204 · cancelled 17/);
      expect(text).toMatch(/POST \/orders\s+3\.1 ms/);
      expect(text).toMatch(/lag\s+notification-service 0 · payment-service 12 · dlq-service 7 \(read\s+from Kafka\)/);
      expect(text).toMatch(/outbox\s+order 0 · payment 4/);
      expect(text).toMatch(/members\s+3\/4 up · down: payment \(stopped\)/);
      expect(text).toMatch(/faults\s+payment: stopped · payment-provider: latency 500 ms/);
      expect(text.split('\n').length).toBeLessThanOrEqual(rows! - 1);
      for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(columns!);
    }
  });

  it('says what it cannot know instead of failing', () => {
    const blind: DashboardData = {
      ...data,
      states: undefined,
      latency: { post: { count: 0 }, saga: { count: 0 }, windowMs: 0 },
      rates: { createdSeries: [], completedSeries: [] },
      lag: [],
      outbox: [],
      dlqDepth: undefined,
      breakers: [],
      members: [{ name: 'order', kind: 'service', up: false, note: '/metrics does not answer' }],
      membersError: 'the runtime did not answer within 2000 ms',
      faults: undefined,
      faultsError: 'ECONNREFUSED',
    };
    const text = frame(<Dashboard data={blind} columns={100} rows={40} />);
    expect(text).toContain('no order instance answers');
    expect(text).toContain('waiting for a second sample');
    expect(text).toMatch(/POST \/orders\s+—\s+—\s+—\s+0/);
    expect(text).toContain('DLQ depth —');
    expect(text).toContain('no breaker reported');
    expect(text).toContain('Members · 0/1 up');
    expect(text).toContain('runtime: the runtime did not answer');
    expect(text).toContain('✖ order /metrics does not answer');
    expect(text).toContain('unknown: ECONNREFUSED');
    expect(frame(<Dashboard columns={100} rows={40} />)).toContain('sampling…');
  });
});
