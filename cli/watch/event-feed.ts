/**
 * The hand-over between a Kafka stream and a live view: the stream pushes records as they come,
 * the view drains them in batches at its own pace (a few times a second), so a burst of
 * thousands of events costs a few renders, not thousands.
 */
import type { WatchedRecord } from './event-stream.js';

export interface EventFeed {
  push(record: WatchedRecord): void;
  /** Everything pushed since the last drain. */
  drain(): WatchedRecord[];
  /** The stream has read all that existed when it opened (history shown, now live). */
  markCaughtUp(): void;
  readonly caughtUp: boolean;
  /** No more records will come: the view shows what is left and ends. */
  close(): void;
  readonly closed: boolean;
}

export function createEventFeed(): EventFeed {
  let pending: WatchedRecord[] = [];
  let caughtUp = false;
  let closed = false;
  return {
    push(record) {
      if (!closed) pending.push(record);
    },
    drain() {
      const batch = pending;
      pending = [];
      return batch;
    },
    markCaughtUp() {
      caughtUp = true;
    },
    get caughtUp() {
      return caughtUp;
    },
    close() {
      closed = true;
    },
    get closed() {
      return closed;
    },
  };
}
