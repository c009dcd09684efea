import { describe, expect, it } from 'vitest';
import { createFloor } from './outbox.js';

describe('the outbox relay’s floor', () => {
  it('rises to a batch’s highest id only once the transactions open when it was read have ended', () => {
    const floor = createFloor();
    floor.published({ xmin: 100n, xmax: 105n, lastId: 40n, complete: true });
    expect(floor.value).toBe(0n);
    // Transaction 104 was open when rows up to 40 were read: it may still commit id 39.
    floor.published({ xmin: 104n, xmax: 110n, lastId: undefined, complete: true });
    expect(floor.value).toBe(0n);
    floor.published({ xmin: 105n, xmax: 112n, lastId: 41n, complete: true });
    expect(floor.value).toBe(40n);
    floor.published({ xmin: 112n, xmax: 112n, lastId: undefined, complete: true });
    expect(floor.value).toBe(41n);
  });

  it('does not rise past what a batch cut short by its size reached', () => {
    const floor = createFloor();
    floor.published({ xmin: 100n, xmax: 105n, lastId: 900n, complete: true });
    // Late commits below 900 fill a whole batch that ends at 600: 601–900 may hold more of them.
    floor.published({ xmin: 106n, xmax: 107n, lastId: 600n, complete: false });
    expect(floor.value).toBe(0n);
    floor.published({ xmin: 107n, xmax: 108n, lastId: 950n, complete: false });
    expect(floor.value).toBe(900n);
  });

  it('looks from the start again after a reset', () => {
    const floor = createFloor();
    floor.published({ xmin: 1n, xmax: 2n, lastId: 10n, complete: true });
    floor.published({ xmin: 2n, xmax: 2n, lastId: undefined, complete: true });
    expect(floor.value).toBe(10n);
    floor.reset();
    expect(floor.value).toBe(0n);
  });
});
