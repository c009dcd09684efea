/**
 * Kafka hands history over topic by topic and partition by partition, so a saga read back
 * with --since or --from-beginning would print its NotificationSent before its OrderCreated.
 * This holds the history until the stream has caught up, then lets it out in time order;
 * what arrives after that is live and passes straight through. The buffer is bounded: past
 * `cap` records it lets out what it holds (in order) and keeps going.
 */
import type { WatchedRecord } from './event-stream.js';

export interface HistoryOrderOptions {
  /** Whether there is history to order (false when starting at the latest records). */
  history: boolean;
  emit: (record: WatchedRecord) => void;
  cap?: number;
}

/** Kafka time first, then topic and offset, as `readEvents` sorts. */
export const byRecordTime = (a: WatchedRecord, b: WatchedRecord) =>
  a.timestamp - b.timestamp || a.topic.localeCompare(b.topic) || a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset));

export function createHistoryOrder(options: HistoryOrderOptions) {
  const cap = options.cap ?? 100_000;
  let held: WatchedRecord[] | undefined = options.history ? [] : undefined;
  const release = () => {
    const batch = held!.sort(byRecordTime);
    held = [];
    for (const record of batch) options.emit(record);
  };
  return {
    add(record: WatchedRecord): void {
      if (!held) return options.emit(record);
      held.push(record);
      if (held.length >= cap) release();
    },
    /** The history is read: let it out, and pass everything after it straight through. */
    caughtUp(): void {
      if (!held) return;
      release();
      held = undefined;
    },
  };
}
