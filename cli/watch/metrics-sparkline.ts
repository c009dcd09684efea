/** A row of block characters for a series of non-negative values, newest on the right. */
const BLOCKS = '▁▂▃▄▅▆▇█';

export interface SparklineOptions {
  /** Characters wide; older values are dropped, missing ones are blank on the left. */
  width: number;
  /** The value drawn as a full block; the series' own maximum when absent (share it to compare two series). */
  max?: number;
}

/** Zero draws the lowest block, so a quiet second is visible, not blank; any value above zero draws at least the second. */
export function sparkline(values: readonly number[], options: SparklineOptions): string {
  const width = Math.max(0, Math.floor(options.width));
  const shown = values.slice(Math.max(0, values.length - width));
  const max = options.max ?? Math.max(0, ...shown);
  const chars = shown.map((v) => {
    if (!(v > 0) || !(max > 0)) return BLOCKS[0];
    const level = 1 + Math.floor((Math.min(v, max) / max) * (BLOCKS.length - 2) + 1e-9);
    return BLOCKS[Math.min(level, BLOCKS.length - 1)];
  });
  return ' '.repeat(width - shown.length) + chars.join('');
}
