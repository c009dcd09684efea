import { describe, expect, it } from 'vitest';
import { count, latency, rate, span } from './figures.js';

describe('figures', () => {
  it('writes latencies, rates, counts and spans short, with a dash for unknown', () => {
    expect([latency(0.00083), latency(0.0125), latency(0.25), latency(1.5), latency(12), latency(undefined)]).toEqual(['0.8 ms', '13 ms', '250 ms', '1.50 s', '12.0 s', '—']);
    expect([rate(0), rate(12.34), rate(1234.5), rate(undefined)]).toEqual(['0.0', '12.3', '1,235', '—']);
    expect([count(1204), count(undefined), count(Number.NaN)]).toEqual(['1,204', '—', '—']);
    expect([span(500), span(1000), span(1020), span(2500), span(10_004), span(90_000)]).toEqual(['500 ms', '1 s', '1 s', '2.5 s', '10 s', '1.5 min']);
  });
});
