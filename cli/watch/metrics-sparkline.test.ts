import { describe, expect, it } from 'vitest';
import { sparkline } from './metrics-sparkline.js';

describe('sparkline', () => {
  it('scales to the maximum, newest on the right, zero as the lowest block', () => {
    expect(sparkline([0, 1, 2, 4, 8], { width: 5 })).toBe('▁▂▃▅█');
  });

  it('pads on the left until the series is as long as the width, and drops the oldest beyond it', () => {
    expect(sparkline([8], { width: 4 })).toBe('   █');
    expect(sparkline([8, 0, 0, 0, 8], { width: 3 })).toBe('▁▁█');
  });

  it('shares a maximum between series, and any value above zero shows', () => {
    expect(sparkline([5, 10], { width: 2, max: 10 })).toBe('▅█');
    expect(sparkline([0.01, 100], { width: 2 })).toBe('▂█');
    expect(sparkline([20], { width: 1, max: 10 })).toBe('█');
  });

  it('draws a flat line when everything is zero, and nothing at width 0', () => {
    expect(sparkline([0, 0, 0], { width: 3 })).toBe('▁▁▁');
    expect(sparkline([1, 2], { width: 0 })).toBe('');
  });
});
