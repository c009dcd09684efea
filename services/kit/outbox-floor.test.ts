import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFloor } from './outbox.js';
import { packageRoot } from './paths.js';

/** A look that found nothing above the floor, its snapshot's xmin `xmin`. */
const emptyLook = (xmin: bigint) => ({ xmin, lastId: undefined, deletedBy: undefined, complete: true });

describe('the outbox relay’s floor', () => {
  it('rises to a batch’s highest id once a look began after every transaction older than its delete had ended', () => {
    const floor = createFloor();
    // Rows up to 40 read and published; transaction 107 deleted them.
    floor.published({ xmin: 100n, lastId: 40n, deletedBy: 107n, complete: true });
    expect(floor.value).toBe(0n);
    // Transaction 104 still runs: it took its id before the delete, so it may still commit a row below 40.
    floor.published(emptyLook(104n));
    expect(floor.value).toBe(0n);
    // A transaction at the delete's own id is not yet past it either.
    floor.published(emptyLook(107n));
    expect(floor.value).toBe(0n);
    floor.published({ xmin: 108n, lastId: 41n, deletedBy: 110n, complete: true });
    expect(floor.value).toBe(40n);
    floor.published(emptyLook(111n));
    expect(floor.value).toBe(41n);
  });

  it('does not rise past what a batch cut short by its size reached', () => {
    const floor = createFloor();
    floor.published({ xmin: 100n, lastId: 900n, deletedBy: 105n, complete: true });
    // Late commits below 900 fill a whole batch that ends at 600: 601–900 may hold more of them.
    floor.published({ xmin: 106n, lastId: 600n, deletedBy: 107n, complete: false });
    expect(floor.value).toBe(0n);
    floor.published({ xmin: 108n, lastId: 950n, deletedBy: 109n, complete: false });
    expect(floor.value).toBe(900n);
  });

  it('keeps a bounded list while a long transaction holds every batch back, and still rises after it', () => {
    const floor = createFloor();
    for (let i = 1n; i <= 100n; i++) floor.published({ xmin: 50n, lastId: i * 10n, deletedBy: 100n + i, complete: true });
    expect(floor.value).toBe(0n);
    floor.published(emptyLook(1000n));
    expect(floor.value).toBe(1000n);
  });

  it('keeps the highest id when a late commit makes a batch whose highest id is lower', () => {
    const floor = createFloor();
    floor.published({ xmin: 100n, lastId: 900n, deletedBy: 105n, complete: true });
    // A row committed late below 900 (its transaction was running until now) is the next batch.
    floor.published({ xmin: 104n, lastId: 850n, deletedBy: 106n, complete: true });
    expect(floor.value).toBe(0n);
    floor.published(emptyLook(107n));
    expect(floor.value).toBe(900n);
  });

  it('looks from the start again after a reset', () => {
    const floor = createFloor();
    floor.published({ xmin: 1n, lastId: 10n, deletedBy: 2n, complete: true });
    floor.published(emptyLook(3n));
    expect(floor.value).toBe(10n);
    floor.reset();
    expect(floor.value).toBe(0n);
  });

  it('is sound only if every insert into an outbox goes through outboxInsert (its transaction id before its row id)', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [join(dir, entry.name)] : []));
    const writers = sources(join(packageRoot, 'services'))
      .filter((file) => /INSERT\s+INTO\s+outbox\b/i.test(readFileSync(file, 'utf8')))
      .map((file) => relative(packageRoot, file));
    expect(writers).toEqual([join('services', 'kit', 'outbox.ts')]);
  });
});
