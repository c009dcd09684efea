import { describe, expect, it } from 'vitest';
import { childTraceparent, isTraceparent, newTraceparent, randomHex, traceIdOf } from './trace-context.js';

describe('trace context', () => {
  it('gives random hex of the asked length, never the same bytes twice, across refills of its pool', () => {
    const seen = new Set<string>();
    // 2,000 × 12 bytes is nearly six refills of the 4 KiB pool.
    for (let i = 0; i < 2000; i++) {
      const hex = randomHex(12);
      expect(hex).toMatch(/^[0-9a-f]{24}$/);
      seen.add(hex);
    }
    expect(seen.size).toBe(2000);
  });

  it('keeps the trace id from hop to hop, with a new span id each time', () => {
    const root = newTraceparent();
    expect(isTraceparent(root)).toBe(true);
    const child = childTraceparent(root);
    expect(isTraceparent(child)).toBe(true);
    expect(traceIdOf(child)).toBe(traceIdOf(root));
    expect(child).not.toBe(root);
    expect(traceIdOf(childTraceparent('not a traceparent'))).not.toBe(traceIdOf(root));
  });
});
