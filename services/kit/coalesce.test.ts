import { describe, expect, it } from 'vitest';
import { coalesce } from './consumer.js';

describe('coalesce', () => {
  it('joins the calls of one turn into one, and gives each caller its own results', async () => {
    const seen: number[][] = [];
    const joined = coalesce(async (items: number[]) => {
      seen.push(items);
      return items.map((n) => n * 10);
    });
    const [a, b] = await Promise.all([joined([1, 2]), joined([3])]);
    expect(a).toEqual([10, 20]);
    expect(b).toEqual([30]);
    expect(await joined([4])).toEqual([40]);
    expect(seen).toEqual([[1, 2, 3], [4]]);
  });

  it('gives every caller of a joined call its error', async () => {
    const joined = coalesce(async (_items: number[]): Promise<number[]> => {
      throw new Error('rolled back');
    });
    const outcomes = await Promise.allSettled([joined([1]), joined([2])]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });

  it('fails every caller when the handler answers fewer results than it was given events', async () => {
    const joined = coalesce(async (items: number[]) => items.slice(1));
    const outcomes = await Promise.allSettled([joined([1]), joined([2])]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });
});
