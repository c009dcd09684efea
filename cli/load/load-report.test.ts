import { describe, expect, it } from 'vitest';
import type { LoadResult } from './index.js';
import { formatLiveLine, formatLoadSummary, formatMs } from './load-report.js';
import type { LoadSnapshot } from './open-model.js';

describe('formatMs', () => {
  it('uses µs, ms or s with about three significant figures', () => {
    expect([0.4123, 4.256, 42.56, 425.6, 1250, 12_500].map(formatMs)).toEqual(['412µs', '4.26ms', '42.6ms', '426ms', '1.25s', '12.5s']);
  });
});

const snapshot: LoadSnapshot = {
  elapsedMs: 12_000, durationMs: 60_000, targetRate: 100, scheduled: 1200, sent: 1198, completed: 1190, ok: 1185, errors: 5, dropped: 2, inFlight: 3, achievedRate: 99.5, p50: 2.1, p99: 8.25, max: 20, draining: false,
};

describe('formatLiveLine', () => {
  it('fits the run on one line', () => {
    expect(formatLiveLine(snapshot)).toBe('12s/60s  target 100/s  achieved 99.5/s  ok 1185  errors 5  dropped 2  p99 8.25ms  in flight 3');
    expect(formatLiveLine({ ...snapshot, elapsedMs: 60_000, draining: true, p99: 0 })).toBe('60s/60s  waiting for the last answers  achieved 99.5/s  ok 1185  errors 5  dropped 2  p99 —  in flight 3');
  });
});

describe('formatLoadSummary', () => {
  const result: LoadResult = {
    endpoint: 'orders', maxInFlight: 256, rateOffered: 100, durationMs: 60_000, interrupted: false, scheduled: 6000, sent: 5998, completed: 5996, ok: 5990, errors: 8, dropped: 2, achievedRate: 99.93,
    errorsByStatus: { '503': 6, 'error:timeout': 2 }, latencyMs: { min: 0.8, mean: 3.1, p50: 2.5, p90: 5, p95: 6.2, p99: 12.4, max: 48 }, timeline: [], ledger: [],
  };
  it('reads like k6: dotted labels, the figures in one column', () => {
    const text = formatLoadSummary(result, { target: 'POST /api/v1/orders', gateway: 'http://127.0.0.1:8000', maxInFlight: 256, ledger: { path: '/lab/ledgers/load.jsonl', outcomes: { accepted: 5990, rejected: 0, unknown: 8 } } });
    expect(text.split('\n').slice(1)).toEqual([
      '  load ............: POST /api/v1/orders on http://127.0.0.1:8000, 100/s for 60s',
      '  requests ........: 6000 scheduled   5998 sent   5990 ok   8 errors   2 dropped',
      '  achieved ........: 99.9/s answered of 100/s asked (99.9 %)',
      '  latency .........: min=800µs  avg=3.10ms  p50=2.50ms  p90=5.00ms  p95=6.20ms  p99=12.4ms  max=48.0ms',
      '  errors ..........: 503 ×6   error:timeout ×2',
      '  dropped .........: 2: 256 requests were already in flight when they were due',
      '  ledger ..........: /lab/ledgers/load.jsonl (5990 accepted, 0 rejected, 8 unknown)',
    ]);
  });
  it('says when the run was stopped early and nothing was sent', () => {
    const text = formatLoadSummary({ ...result, interrupted: true, durationMs: 2250, scheduled: 0, sent: 0, ok: 0, errors: 0, dropped: 0, errorsByStatus: {} }, { target: 'GET /api/v1/menu', gateway: 'http://x', maxInFlight: 10 });
    expect(text).toContain('100/s for 2.3s (stopped early)');
    expect(text).toContain('latency .........: no requests were sent');
    expect(text).toContain('dropped .........: none (at most 10 in flight)');
    expect(text).not.toContain('ledger');
  });
});
