/**
 * Stops kafkajs 2.2.4 waking its process every millisecond for nothing (kafkajs issues #1556 and
 * #1604, fixed in no release). Each broker connection's request queue re-arms a timer after every
 * response to look at its queue of waiting requests — and with nothing waiting and no throttling
 * the delay is negative, which Node runs after 1 ms, forever. Every kafkajs connection of the lab
 * did so: an idle service woke about 1,700 times a second.
 *
 * The replacement arms the timer only when requests wait, with the delay kafkajs would have used
 * for them; a request that has to wait arms it when it is queued, and every response looks at the
 * queue anyway. Importing this module installs it once for the process.
 */
import { createRequire } from 'node:module';

/** kafkajs's own delay before it looks again at requests held back by in-flight limits. */
const CHECK_PENDING_REQUESTS_INTERVAL = 10;

interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const require = createRequire(import.meta.url);
const { prototype } = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueue };

prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueue) {
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const throttledFor = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    throttledFor > 0 ? throttledFor : CHECK_PENDING_REQUESTS_INTERVAL,
  );
};
