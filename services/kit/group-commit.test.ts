import { describe, expect, it } from 'vitest';
import { groupCommit } from './group-commit.js';

/** A write whose calls stay in flight until the test lets them finish. */
function controlledWrite() {
  const calls: { items: number[]; finish: () => void; fail: (error: Error) => void }[] = [];
  const write = (items: number[]) =>
    new Promise<number[]>((resolve, reject) => {
      calls.push({ items, finish: () => resolve(items.map((n) => n * 10)), fail: reject });
    });
  return { calls, write };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('groupCommit', () => {
  it('writes a lone item at once, and what arrives meanwhile together in the next write', async () => {
    const { calls, write } = controlledWrite();
    const sizes: number[] = [];
    const add = groupCommit(write, { concurrency: 1, maxBatch: 3, observe: (n) => sizes.push(n) });
    const first = add(1);
    expect(calls.map((c) => c.items)).toEqual([[1]]);
    const rest = [add(2), add(3), add(4), add(5)];
    calls[0]!.finish();
    expect(await first).toBe(10);
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3, 4]]);
    calls[1]!.finish();
    await turn();
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3, 4], [5]]);
    calls[2]!.finish();
    expect(await Promise.all(rest)).toEqual([20, 30, 40, 50]);
    expect(sizes).toEqual([1, 3, 1]);
  });

  it('keeps up to `concurrency` writes in flight', async () => {
    const { calls, write } = controlledWrite();
    const add = groupCommit(write, { concurrency: 2, maxBatch: 10 });
    const all = [add(1), add(2), add(3), add(4)];
    expect(calls.map((c) => c.items)).toEqual([[1], [2]]);
    calls[1]!.finish();
    await turn();
    expect(calls.map((c) => c.items)).toEqual([[1], [2], [3, 4]]);
    calls[0]!.finish();
    calls[2]!.finish();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40]);
  });

  it('gives every item of a failed write its error, and goes on with the next', async () => {
    const { calls, write } = controlledWrite();
    const add = groupCommit(write, { concurrency: 1, maxBatch: 10 });
    const first = add(1);
    const joined = [add(2), add(3)];
    calls[0]!.finish();
    await first;
    calls[1]!.fail(new Error('connection lost'));
    const outcomes = await Promise.allSettled(joined);
    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : o.value))).toEqual(['connection lost', 'connection lost']);
    const later = add(4);
    calls[2]!.finish();
    expect(await later).toBe(40);
  });

  it('fails the items of a write that answers a different number of results', async () => {
    const add = groupCommit(async (items: number[]) => items.slice(1), { concurrency: 1, maxBatch: 10 });
    await expect(add(1)).rejects.toThrow('the group write answered 0 results for 1 items');
  });
});
