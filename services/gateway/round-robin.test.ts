import { describe, expect, it } from 'vitest';
import { createRoundRobin } from './round-robin.js';

const picks = (rr: { pick(): number }, n: number) => Array.from({ length: n }, () => rr.pick());

describe('round-robin', () => {
  it('takes the instances in turn', () => {
    expect(picks(createRoundRobin(3), 7)).toEqual([0, 1, 2, 0, 1, 2, 0]);
    expect(picks(createRoundRobin(1), 3)).toEqual([0, 0, 0]);
  });

  it('passes over an instance that refused, until its cool-down ends or it answers', () => {
    let t = 0;
    const rr = createRoundRobin(3, { cooldownMs: 1000, now: () => t });
    rr.refused(1);
    expect(picks(rr, 4)).toEqual([0, 2, 0, 2]);
    t = 1000;
    expect(picks(rr, 3)).toEqual([0, 1, 2]);
    rr.refused(2);
    rr.answered(2);
    expect(picks(rr, 3)).toEqual([0, 1, 2]);
  });

  it('still goes round every instance when all of them refused (the only way to see one come back)', () => {
    const rr = createRoundRobin(2, { cooldownMs: 1000, now: () => 0 });
    rr.refused(0);
    rr.refused(1);
    expect(new Set(picks(rr, 4))).toEqual(new Set([0, 1]));
  });

  it('needs an instance', () => {
    expect(() => createRoundRobin(0)).toThrow(RangeError);
  });
});
