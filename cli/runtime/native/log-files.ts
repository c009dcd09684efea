/**
 * The members' log files, kept bounded. Every service logs a line or two per saga step, so a lab
 * under load writes about a gigabyte an hour, and a lab's logs outlive its runs (`down` keeps
 * them; `down --volumes` removes them). Once a log passes `LOG_LIMIT_BYTES` it becomes
 * `<member>.log.1` (replacing the part before) and the log starts again. Before a member starts,
 * the file is renamed. While it runs, the supervisor copies the file and empties it, and the
 * member goes on writing to the same open file: it was opened for appending, so its next line
 * lands at the new start (logrotate's `copytruncate`). A line written between the copy and the
 * emptying is lost.
 */
import { closeSync, copyFileSync, openSync, readSync, renameSync, statSync, truncateSync } from 'node:fs';

/** Size past which a member's log is rotated: at most twice this much per member on disk. */
export const LOG_LIMIT_BYTES = 64 * 1024 * 1024;

/** How often the supervisor looks at the logs' sizes while the lab runs. */
export const LOG_CHECK_INTERVAL_MS = 5000;

/** Where a log's previous part goes. */
export const rotatedLog = (file: string) => `${file}.1`;

/**
 * Moves a log's content to its previous part when it is larger than `limit`; true when it did. A
 * missing file is left alone. `open`: a running process writes to it (copied and emptied, not renamed).
 */
export function rotateIfOver(file: string, { limit = LOG_LIMIT_BYTES, open }: { limit?: number; open: boolean }): boolean {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return false;
  }
  if (size <= limit) return false;
  if (open) {
    copyFileSync(file, rotatedLog(file));
    truncateSync(file, 0);
  } else {
    renameSync(file, rotatedLog(file));
  }
  return true;
}

/** The text of `file` from byte `from` on, at most its last `bytes` (a log can be large; what is wanted is its end). */
export function readTail(file: string, bytes: number, from = 0): string {
  const size = statSync(file).size;
  const start = Math.max(from, size - bytes);
  if (start >= size) return '';
  const length = size - start;
  const buffer = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    const read = readSync(fd, buffer, 0, length, start);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
